"""Platform review: reject, request changes, approve and provision."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django_tenants.utils import tenant_context

from billing.models import Subscription
from config.celery import app as celery_app
from core.errors import Conflict, InvalidInput
from onboarding import services
from onboarding.models import ApplicationStatus, LenderApplication
from onboarding.selectors import checklist_for_tenant
from tenants.models import Tenant, TenantStatus
from tests.onboarding.conftest import application_fields, application_post, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def reviewer(django_user_model):
    return django_user_model.objects.create_user(
        username="reviewer@jinqiao.test", password="x-Reviewer-1", is_staff=True
    )


@pytest.fixture
def application(client) -> LenderApplication:
    client.post("/signup/api/", application_post(), HTTP_HOST="localhost")
    return LenderApplication.objects.get()


@pytest.fixture
def eager_celery():
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


def test_rejection_needs_a_reason_and_records_who_and_when(application, reviewer):
    with pytest.raises(InvalidInput):
        services.application_reject(
            application_id=application.pk, user=reviewer, reason=""
        )

    services.application_reject(
        application_id=application.pk, user=reviewer, reason="licence expired"
    )

    application.refresh_from_db()
    assert application.status == ApplicationStatus.REJECTED
    entry = application.review_log.last()
    assert (entry.action, entry.actor, entry.reason) == (
        "rejected",
        "reviewer@jinqiao.test",
        "licence expired",
    )
    assert entry.created_at is not None


def test_a_decided_application_cannot_be_decided_again(application, reviewer):
    services.application_reject(
        application_id=application.pk, user=reviewer, reason="no"
    )

    with pytest.raises(Conflict):
        services.application_approve(application_id=application.pk, user=reviewer)


def test_requested_changes_are_shown_and_resubmission_returns_to_review(
    client, application, reviewer
):
    services.application_changes_request(
        application_id=application.pk, user=reviewer, reason="licence scan unreadable"
    )
    status_url = f"/signup/status/{application.status_token}/"
    page = client.get(status_url, HTTP_HOST="localhost").content.decode()
    assert "licence scan unreadable" in page

    response = client.post(
        status_url,
        {**application_fields(city="广州市"), "licence": upload("new.pdf")},
        HTTP_HOST="localhost",
    )

    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED
    assert application.city == "广州市"
    assert application.documents.filter(kind="licence").count() == 2
    assert [e.action for e in application.review_log.all()] == [
        "submitted",
        "changes_requested",
        "resubmitted",
    ]


def test_approval_provisions_a_ready_tenant_and_emails_a_one_time_invitation(
    application, reviewer, eager_celery, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.application_approve(
            application_id=application.pk, user=reviewer, plan_code="starter"
        )

    tenant = Tenant.objects.get(slug="gamma")
    assert tenant.status == TenantStatus.READY
    assert tenant.legal_name == application.legal_name
    application.refresh_from_db()
    assert application.status == ApplicationStatus.PROVISIONED
    assert Subscription.objects.get(tenant=tenant).plan.code == "starter"
    assert [row.done for row in checklist_for_tenant(tenant.pk)] == [False] * 4
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["ops@example.cn"]
    assert re.search(
        r"gamma\.localhost.*/accounts/invite/[\w-]+/[\w-]+/", mail.outbox[0].body
    )
    with tenant_context(tenant):
        admin = get_user_model().objects.get(username="ops@example.cn")
        assert not admin.has_usable_password()


def test_the_invitation_link_sets_the_password_once(
    client, application, reviewer, eager_celery, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.application_approve(application_id=application.pk, user=reviewer)
    path = re.search(r"/accounts/invite/\S+/", mail.outbox[0].body).group(0)
    host = {"HTTP_HOST": "gamma.localhost"}

    form_page = client.get(path, follow=True, **host)
    set_url = form_page.redirect_chain[-1][0]
    done = client.post(
        set_url,
        {"new_password1": "Gamma-lender-2027", "new_password2": "Gamma-lender-2027"},
        **host,
    )
    reused = client.get(path, follow=True, **host)

    assert done.status_code == 302
    assert reused.context["validlink"] is False
    tenant = Tenant.objects.get(slug="gamma")
    with tenant_context(tenant):
        user = get_user_model().objects.get(username="ops@example.cn")
        assert user.check_password("Gamma-lender-2027")


def test_approval_refuses_a_subdomain_taken_since_submission(application, reviewer):
    LenderApplication.objects.filter(pk=application.pk).update(subdomain="alpha")

    with pytest.raises(Conflict):
        services.application_approve(application_id=application.pk, user=reviewer)

    assert LenderApplication.objects.get(pk=application.pk).status == "submitted"


def test_checklist_items_can_be_ticked(tenant_a):
    services.checklist_item_mark(tenant_id=tenant_a.pk, item="create_api_key")

    rows = {row.item: row.done for row in checklist_for_tenant(tenant_a.pk)}
    assert rows == {
        "add_staff": False,
        "review_products": False,
        "create_api_key": True,
        "connect_data_sources": False,
    }
    with pytest.raises(InvalidInput):
        services.checklist_item_mark(tenant_id=tenant_a.pk, item="fly")
