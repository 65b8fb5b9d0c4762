"""The platform console: staff only, audited, aggregates without PII."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

from billing.dunning import dunning_run
from billing.models import Invoice, Plan, UsageRecord
from billing.services import subscription_start
from tenants.models import PlatformAuditEntry
from tests.billing.conftest import START

pytestmark = pytest.mark.django_db

HOST = {"HTTP_HOST": "localhost"}
PAGES = ["/platform/", "/platform/tenants/alpha/", "/platform/revenue/"]


@pytest.fixture
def staff(client, django_user_model):
    user = django_user_model.objects.create_user(
        username="ops@jinqiao.test", password="x-Ops-12345", is_staff=True
    )
    client.force_login(user)
    return user


@pytest.fixture
def alpha_book(tenant_a):
    """Give alpha an active loan (a named borrower) and a subscription."""
    from tests.core.loans.factories import loan_active_make

    with tenant_context(tenant_a):
        loan = loan_active_make(principal="12000.00")
        borrower = loan.borrower
    connection.set_schema_to_public()
    subscription_start(
        tenant=tenant_a, plan=Plan.objects.get(code="standard"), today=START
    )
    dunning_run(today=START)
    return borrower


@pytest.mark.parametrize("page", PAGES)
def test_anonymous_visitors_are_sent_to_log_in(client, page):
    response = client.get(page, **HOST)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("page", PAGES)
def test_users_who_are_not_platform_staff_are_refused(client, django_user_model, page):
    client.force_login(django_user_model.objects.create_user(username="nobody"))

    assert client.get(page, **HOST).status_code == 403


def test_the_console_is_not_on_a_lender_host(client, staff):
    assert client.get("/platform/", HTTP_HOST="alpha.localhost").status_code == 404


def test_every_staff_view_of_tenant_data_is_audited(client, staff, tenant_a):
    client.get("/platform/", **HOST)
    client.get("/platform/tenants/alpha/", **HOST)
    client.get("/platform/revenue/", **HOST)

    entries = list(
        PlatformAuditEntry.objects.order_by("id").values_list(
            "actor", "action", "tenant__slug"
        )
    )
    assert entries == [
        ("ops@jinqiao.test", "auth.logged_in", None),  # the fixture's sign-in
        ("ops@jinqiao.test", "tenants.list", None),
        ("ops@jinqiao.test", "tenants.view", "alpha"),
        ("ops@jinqiao.test", "revenue.view", None),
    ]


def test_tenant_page_shows_aggregates_and_no_borrower_data(client, staff, alpha_book):
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/platform/tenants/alpha/", **HOST)

    html = response.content.decode()
    assert response.status_code == 200
    assert "12000.00" in html  # amount outstanding, summed
    for personal in (
        alpha_book.name,
        alpha_book.mobile_masked,
        alpha_book.id_number_masked,
    ):
        assert personal not in html
    tenant_sql = [q["sql"] for q in queries.captured_queries if "t_alpha" in q["sql"]]
    assert tenant_sql, "the page reads alpha's schema"
    assert not any("borrowers_" in sql for sql in tenant_sql)
    assert all(
        "count(" in sql.lower()
        or "sum(" in sql.lower()
        or "to_regclass" in sql.lower()
        or "information_schema" in sql.lower()
        or "business_date" in sql
        for sql in tenant_sql
    )


def test_the_tenants_list_shows_plan_billing_usage_and_api_figures(
    client, staff, alpha_book
):
    html = client.get("/platform/", **HOST).content.decode()

    assert "Standard" in html
    alpha = html.split(">alpha<")[1].split("</tr>")[0]
    assert "0 / -" in alpha  # no API calls this month, so no error rate
    assert "¥0.00" in alpha  # no data-source calls


def test_revenue_shows_arr_and_invoices_due_by_plan(client, staff, alpha_book):
    response = client.get("/platform/revenue/", **HOST)

    revenue = response.context["revenue"]
    assert revenue.arr == Plan.objects.get(code="standard").annual_fee
    assert revenue.by_plan[0].plan == "standard"
    assert revenue.invoices_due_count + revenue.invoices_overdue_count == 1


def test_staff_record_a_bank_transfer_from_the_invoice_page(client, staff, alpha_book):
    invoice = Invoice.objects.get(tenant__slug="alpha")

    page = client.get(f"/platform/invoices/{invoice.pk}/", **HOST)
    client.post(
        f"/platform/invoices/{invoice.pk}/payment/",
        {"reference": "BOC-9", "amount_received": str(invoice.amount)},
        **HOST,
    )

    assert page.status_code == 200
    invoice.refresh_from_db()
    assert invoice.status == "paid"
    assert PlatformAuditEntry.objects.filter(action="invoice.payment_recorded").exists()


def test_uploaded_documents_download_for_staff_only_and_are_audited(
    client, django_user_model, settings, tmp_path
):
    from tests.onboarding.conftest import PDF, application_post

    settings.MEDIA_ROOT = tmp_path
    client.post("/signup/api/", application_post(), **HOST)
    from onboarding.models import ApplicationDocument

    document = ApplicationDocument.objects.get(kind="licence")
    url = (
        f"/platform/applications/{document.application.public_id}/documents/"
        f"{document.pk}/"
    )
    assert client.get(url, **HOST).status_code == 302

    client.force_login(
        django_user_model.objects.create_user(username="ops2", is_staff=True)
    )
    response = client.get(url, **HOST)

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert "attachment" in response["Content-Disposition"]
    assert PlatformAuditEntry.objects.filter(action="application.document").exists()


def test_staff_approve_from_the_review_page(client, staff, settings, tmp_path):
    from onboarding.models import LenderApplication
    from tests.onboarding.conftest import application_post

    settings.MEDIA_ROOT = tmp_path
    client.post("/signup/api/", application_post(), **HOST)
    application = LenderApplication.objects.get()
    base = f"/platform/applications/{application.public_id}/"

    review = client.get(base, **HOST)
    assert client.get("/platform/applications/", **HOST).status_code == 200
    assert review.status_code == 200
    assert "138****8000" in review.content.decode()  # the contact's mobile
    assert "13800138000" not in review.content.decode()
    client.post(base + "changes/", {"reason": "add the stamp page"}, **HOST)

    application.refresh_from_db()
    assert application.status == "changes_requested"
    assert application.review_log.last().actor == "ops@jinqiao.test"


def test_staff_download_the_offline_invoice_as_a_pdf(client, staff, alpha_book):
    pytest.importorskip("reportlab")
    invoice = Invoice.objects.get(tenant__slug="alpha")

    response = client.get(f"/platform/invoices/{invoice.pk}/pdf/", **HOST)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")


def test_the_list_and_the_detail_page_show_the_same_active_loans_before_metering(
    client, staff, alpha_book
):
    assert not UsageRecord.objects.filter(tenant__slug="alpha").exists()

    listing = client.get("/platform/", **HOST)
    detail = client.get("/platform/tenants/alpha/", **HOST)

    [row] = [r for r in listing.context["rows"] if r.tenant.slug == "alpha"]
    assert row.peak_active_loans == 1
    assert detail.context["detail"].row.peak_active_loans == 1
    assert detail.context["detail"].portfolio.active_loans == 1


def test_the_tenant_page_shows_this_months_api_calls_and_connector_costs(
    client, staff, alpha_book, tenant_a
):
    from decimal import Decimal

    from apiv1.metering import usage_count
    from core.risk.models import ConnectorCall

    with tenant_context(tenant_a):
        for status in (200, 200, 200, 404, 500):
            usage_count(status)
        ConnectorCall.objects.create(
            connector="sandbox_bureau",
            mode="sandbox",
            status="ok",
            cost=Decimal("1.50"),
        )
        ConnectorCall.objects.create(
            connector="sandbox_bureau",
            mode="sandbox",
            status="ok",
            cost=Decimal("2.25"),
        )
    connection.set_schema_to_public()

    html = client.get("/platform/tenants/alpha/", **HOST).content.decode()
    listed = client.get("/platform/", **HOST).content.decode()

    section = html.split('id="api-volume"')[1].split("</p>")[0]
    assert ">: 5 " in section or ": 5 " in section
    assert "20.00%" in section  # 1 server error in 5 calls
    assert "3.75" in section
    assert "3.75" in listed
