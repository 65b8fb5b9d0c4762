"""Staff re-queue a lender stuck in provisioning from its console page."""

from __future__ import annotations

import pytest
from django.core import mail

from config.celery import app as celery_app
from onboarding import services
from onboarding.models import ApplicationStatus, LenderApplication
from tenants.models import PlatformAuditEntry, Tenant, TenantStatus
from tests.onboarding.conftest import application_post

pytestmark = pytest.mark.django_db

HOST = {"HTTP_HOST": "localhost"}


@pytest.fixture
def staff(client, django_user_model):
    user = django_user_model.objects.create_user(
        username="retry@jinqiao.test", password="x-Retry-123", is_staff=True
    )
    client.force_login(user)
    return user


@pytest.fixture
def stuck(client, staff, settings, tmp_path) -> Tenant:
    """An approved lender whose provisioning message was lost."""
    settings.MEDIA_ROOT = tmp_path
    client.post("/signup/api/", application_post(), **HOST)
    application = LenderApplication.objects.get()
    services.application_approve(application_id=application.pk, user=staff)
    return Tenant.objects.get(slug="gamma")


@pytest.fixture
def eager_celery():
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


def test_the_page_of_a_provisioning_lender_offers_a_retry(client, stuck):
    page = client.get("/platform/tenants/gamma/", **HOST)

    assert page.status_code == 200
    assert "/platform/tenants/gamma/provision/" in page.content.decode()


def test_retry_provisions_the_lender_and_sends_the_invitation_once(
    client, stuck, eager_celery, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/platform/tenants/gamma/provision/", **HOST)
    with django_capture_on_commit_callbacks(execute=True):
        again = client.post("/platform/tenants/gamma/provision/", follow=True, **HOST)

    stuck.refresh_from_db()
    assert stuck.status == TenantStatus.READY
    assert LenderApplication.objects.get().status == ApplicationStatus.PROVISIONED
    assert len(mail.outbox) == 1
    assert (
        PlatformAuditEntry.objects.filter(
            action="tenants.provision_retry", tenant=stuck
        ).count()
        == 1
    )
    shown = [str(m) for m in again.context["messages"]]
    assert shown[-1] == "this lender has no approval waiting for its workspace"
