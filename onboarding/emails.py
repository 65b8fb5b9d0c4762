"""E-mails to the applicant: the private status link and each decision.

The status link is the only key to the application's page, so it goes to
the applicant's own address and nowhere else (never to a log). Mails are
sent after the transaction that changed the application commits.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse

from onboarding.invitations import platform_url
from onboarding.models import ApplicationStatus, LenderApplication

logger = logging.getLogger(__name__)

_MAILS: dict[str, tuple[str, str]] = {
    ApplicationStatus.SUBMITTED: (
        "We received your application / 申请已收到",
        "Thank you: we received the application of {name} for {subdomain}.\n"
        "We review it within two working days.",
    ),
    ApplicationStatus.CHANGES_REQUESTED: (
        "Your application needs changes / 申请需要修改",
        "The reviewer asks for changes to the application of {name}:\n\n"
        "{reason}\n\nCorrect and resubmit it on its status page.",
    ),
    ApplicationStatus.REJECTED: (
        "Your application was not approved / 申请未获批准",
        "The application of {name} was not approved:\n\n{reason}",
    ),
}


def status_link(application: LenderApplication) -> str:
    """Return the applicant's private status URL (absolute)."""
    path = reverse(
        "onboarding_status",
        urlconf=settings.PUBLIC_SCHEMA_URLCONF,
        args=[application.status_token],
    )
    return platform_url(path)


def application_mail(*, application_id: int) -> bool:
    """E-mail the applicant about the application's current status.

    Returns False for a status that has no mail. The invitation that
    follows approval is sent by ``onboarding.invitations``.
    """
    application = LenderApplication.objects.get(pk=application_id)
    if application.status not in _MAILS:
        return False
    subject, body = _MAILS[application.status]
    message = body.format(
        name=application.legal_name,
        subdomain=application.subdomain,
        reason=application.decision_reason,
    )
    message += (
        "\n\nYour private status page (keep this link to yourself):\n"
        + status_link(application)
    )
    send_mail(
        subject=subject,
        message=message,
        from_email=None,
        recipient_list=[application.email],
    )
    logger.info("applicant mailed: %s of %s", application.status, application.public_id)
    return True


def application_mail_after_commit(application: LenderApplication) -> None:
    """Queue the applicant's mail for when the current transaction commits."""
    application_id = application.pk

    def send() -> None:
        try:
            application_mail(application_id=application_id)
        except Exception:  # the decision stands; the status page shows it
            logger.exception("applicant mail failed for %s", application.public_id)

    transaction.on_commit(send)
