"""One-time invitation links for a new lender's first admin."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _
from django_tenants.utils import tenant_context

from tenants.models import Tenant

logger = logging.getLogger(__name__)


def _host_url(host: str, path: str) -> str:
    template = getattr(settings, "BILLING_TENANT_URL", "") or (
        f"http://{{host}}:{settings.WEB_PORT}" if settings.DEBUG else "https://{host}"
    )
    return template.format(host=host) + path


def tenant_url(tenant: Tenant, path: str) -> str:
    """Return an absolute URL on the tenant's host.

    ``BILLING_TENANT_URL`` is a template such as ``https://{host}``; in
    development the default adds the web server's port (``WEB_PORT``).
    """
    return _host_url(f"{tenant.slug}.{settings.BASE_DOMAIN}", path)


def platform_url(path: str) -> str:
    """Return an absolute URL on the bare domain (sign-up, status pages)."""
    return _host_url(settings.BASE_DOMAIN, path)


def invitation_link(tenant: Tenant, email: str) -> str:
    """Return the set-password link for the tenant's user ``email``.

    Django's token changes once the password is set, so the link works once.
    """
    with tenant_context(tenant):
        user = get_user_model().objects.get(username=email)
        uidb64 = urlsafe_base64_encode(force_bytes(user.pk))
        token = default_token_generator.make_token(user)
    return tenant_url(tenant, f"/accounts/invite/{uidb64}/{token}/")


def invitation_send(*, tenant: Tenant, email: str) -> None:
    """E-mail the first admin a one-time link to choose a password."""
    link = invitation_link(tenant, email)
    send_mail(
        subject=_("Your Jinqiao workspace is ready"),
        message=_(
            "Your workspace for %(name)s is ready.\n\n"
            "Choose your password with this one-time link:\n%(link)s\n\n"
            "The link expires in %(days)d days."
        )
        % {
            "name": tenant.legal_name,
            "link": link,
            "days": settings.PASSWORD_RESET_TIMEOUT // 86400,
        },
        from_email=None,
        recipient_list=[email],
    )
    logger.info("invitation sent", extra={"tenant": tenant.schema_name})
