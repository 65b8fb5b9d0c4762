"""Staff re-send a lender's first-admin invitation: new link, old one dead."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django_tenants.utils import tenant_context

from onboarding.invitations import invitation_link
from onboarding.models import ApplicationStatus, LenderApplication, ReviewAction
from tenants.models import PlatformAuditEntry
from tests.onboarding.conftest import application_fields

pytestmark = pytest.mark.django_db

HOST = {"HTTP_HOST": "localhost"}
FIRST_ADMIN = "first@alpha.test"


@pytest.fixture
def staff(client, django_user_model):
    user = django_user_model.objects.create_user(
        username="invites@jinqiao.test", password="x-Invite-123", is_staff=True
    )
    client.force_login(user)
    return user


@pytest.fixture
def invited(tenant_a):
    """Alpha's approved application whose first admin never signed in."""
    with tenant_context(tenant_a):
        get_user_model().objects.create_user(username=FIRST_ADMIN)
    fields = application_fields(
        email=FIRST_ADMIN, subdomain="alpha", mobile="13800138000"
    )
    return LenderApplication.objects.create(
        **fields, status=ApplicationStatus.PROVISIONED, tenant=tenant_a
    )


def _token(link: str) -> str:
    return link.rstrip("/").rsplit("/", 1)[-1]


def _admin(tenant):
    with tenant_context(tenant):
        return get_user_model().objects.get(username=FIRST_ADMIN)


def _resend(client):
    return client.post(
        "/platform/tenants/alpha/provision/",
        {"step": "invitation"},
        follow=True,
        **HOST,
    )


def test_resending_mails_a_new_link_and_the_old_one_stops_working(
    client, staff, invited, tenant_a, mailoutbox
):
    old_token = _token(invitation_link(tenant_a, FIRST_ADMIN))

    response = _resend(client)

    [mail] = mailoutbox
    assert mail.to == [FIRST_ADMIN]
    new_link = re.search(r"http\S+/accounts/invite/\S+/", mail.body).group(0)
    admin = _admin(tenant_a)
    assert not default_token_generator.check_token(admin, old_token)
    assert default_token_generator.check_token(admin, _token(new_link))
    assert response.status_code == 200
    assert PlatformAuditEntry.objects.filter(
        action="tenants.invitation_resend", tenant=tenant_a
    ).exists()
    assert invited.review_log.filter(action=ReviewAction.INVITATION_SENT).exists()


def test_an_admin_who_chose_a_password_gets_no_new_invitation(
    client, staff, invited, tenant_a, mailoutbox
):
    with tenant_context(tenant_a):
        admin = get_user_model().objects.get(username=FIRST_ADMIN)
        admin.set_password("Chosen-pass-42")
        admin.save()

    response = _resend(client)

    assert mailoutbox == []
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    assert not PlatformAuditEntry.objects.filter(
        action="tenants.invitation_resend"
    ).exists()
    with tenant_context(tenant_a):
        assert get_user_model().objects.get(username=FIRST_ADMIN).has_usable_password()


def test_the_ready_lender_page_offers_the_resend(client, staff, invited):
    html = client.get("/platform/tenants/alpha/", **HOST).content.decode()

    assert 'name="step" value="invitation"' in html
