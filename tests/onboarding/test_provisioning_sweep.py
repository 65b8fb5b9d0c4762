"""Lost provisioning messages: the beat sweep re-queues them, once each."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.utils import timezone

from config.celery import app as celery_app
from onboarding import services
from onboarding.invitations import tenant_url
from onboarding.models import ApplicationStatus, LenderApplication
from onboarding.tasks import application_invite, provisioning_sweep
from tenants.models import Tenant, TenantStatus
from tests.onboarding.conftest import application_post

pytestmark = pytest.mark.django_db


@pytest.fixture
def reviewer(django_user_model):
    return django_user_model.objects.create_user(
        username="sweeper@jinqiao.test", password="x-Sweeper-1", is_staff=True
    )


@pytest.fixture
def eager_celery():
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


@pytest.fixture
def approved_message_lost(client, reviewer) -> LenderApplication:
    """Approve an application whose provisioning message never ran."""
    client.post("/signup/api/", application_post(), HTTP_HOST="localhost")
    application = LenderApplication.objects.get()
    services.application_approve(application_id=application.pk, user=reviewer)
    application.refresh_from_db()
    return application


def _age(tenant_id: int, minutes: int) -> None:
    then = timezone.now() - datetime.timedelta(minutes=minutes)
    Tenant.objects.filter(pk=tenant_id).update(created_at=then)


def test_sweep_provisions_an_approval_stuck_for_minutes(
    approved_message_lost, eager_celery
):
    _age(approved_message_lost.tenant_id, minutes=10)

    queued = provisioning_sweep()

    assert queued == 1
    assert Tenant.objects.get(slug="gamma").status == TenantStatus.READY
    approved_message_lost.refresh_from_db()
    assert approved_message_lost.status == ApplicationStatus.PROVISIONED
    assert len(mail.outbox) == 1


def test_sweep_leaves_a_recent_approval_to_its_own_message(
    approved_message_lost, eager_celery
):
    queued = provisioning_sweep()

    assert queued == 0
    assert Tenant.objects.get(slug="gamma").status == TenantStatus.PROVISIONING


def test_a_second_sweep_and_a_duplicate_invite_send_nothing_more(
    approved_message_lost, eager_celery
):
    _age(approved_message_lost.tenant_id, minutes=10)
    provisioning_sweep()

    again = provisioning_sweep()
    application_invite.apply(args=[approved_message_lost.pk])

    assert again == 0
    assert len(mail.outbox) == 1
    actions = [e.action for e in approved_message_lost.review_log.all()]
    assert actions.count("invitation_sent") == 1


def test_the_sweep_is_on_the_beat_schedule(settings):
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}

    assert "onboarding.tasks.provisioning_sweep" in tasks


def test_development_links_carry_the_web_servers_port(settings, tenant_a):
    settings.DEBUG = True
    settings.BILLING_TENANT_URL = ""
    settings.PORT = 8223  # what honcho gives the worker sending the mail
    settings.WEB_PORT = 8123

    url = tenant_url(tenant_a, "/accounts/invite/x/y/")

    assert url == "http://alpha.localhost:8123/accounts/invite/x/y/"
