"""What a lender sees of its own billing, and what suspension leaves open."""

from __future__ import annotations

import datetime

import pytest

from billing.dunning import dunning_run
from billing.models import Invoice, Plan
from billing.services import subscription_start
from tests.billing.conftest import START
from tests.conftest import ADMIN_PASSWORD

pytestmark = pytest.mark.django_db

ALPHA = {"HTTP_HOST": "alpha.localhost"}
SUSPENSION_DAY = START + datetime.timedelta(days=30 + 15)


def test_a_suspended_lender_can_still_log_in(client, offline_subscription):
    dunning_run(today=START)
    dunning_run(today=SUSPENSION_DAY)

    response = client.post(
        "/accounts/login/",
        {"username": "alpha@alpha.test", "password": ADMIN_PASSWORD},
        **ALPHA,
    )

    assert response.status_code == 302


def test_the_lender_sees_its_invoices_dunning_log_and_why_lending_stopped(
    client, offline_subscription
):
    dunning_run(today=START)
    dunning_run(today=SUSPENSION_DAY)
    client.post(
        "/accounts/login/",
        {"username": "alpha@alpha.test", "password": ADMIN_PASSWORD},
        **ALPHA,
    )

    response = client.get("/billing/", **ALPHA)

    html = response.content.decode()
    assert response.status_code == 200
    assert "JQ2027-" in html
    assert "new lending suspended" in html
    assert "technology-service fee invoice" in html


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("collector", 403),
        ("reviewer", 403),
        ("read_only", 403),
        ("finance", 200),
        ("admin", 200),
    ],
)
def test_only_roles_that_view_billing_open_the_billing_page(
    lender_client, offline_subscription, role, status
):
    client = lender_client(role)

    response = client.get("/billing/")

    assert response.status_code == status


def test_the_lender_opens_its_invoice_with_the_bank_details_and_pdf(
    lender_client, offline_subscription, settings
):
    settings.BILLING_BANK_ACCOUNT = "招商银行 6225 0000 1111"
    dunning_run(today=START)
    invoice = Invoice.objects.get(tenant=offline_subscription.tenant)
    client = lender_client("finance")

    listing = client.get("/billing/").content.decode()
    page = client.get(f"/billing/?invoice={invoice.pk}")
    pdf = client.get(f"/billing/?invoice={invoice.pk}&format=pdf")

    assert f"?invoice={invoice.pk}&amp;format=pdf" in listing
    assert page.status_code == 200
    assert "招商银行 6225 0000 1111" in page.content.decode()
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"


@pytest.mark.parametrize("suffix", ["", "&format=pdf"])
def test_another_lenders_invoice_is_not_found(
    lender_client, offline_subscription, tenant_b, suffix
):
    subscription_start(
        tenant=tenant_b, plan=Plan.objects.get(code="standard"), today=START
    )
    dunning_run(today=START)
    theirs = Invoice.objects.get(tenant=tenant_b)
    client = lender_client("admin")

    response = client.get(f"/billing/?invoice={theirs.pk}{suffix}")

    assert response.status_code == 404


def test_a_collector_cannot_open_an_invoice(lender_client, offline_subscription):
    dunning_run(today=START)
    invoice = Invoice.objects.get(tenant=offline_subscription.tenant)

    response = lender_client("collector").get(f"/billing/?invoice={invoice.pk}")

    assert response.status_code == 403


@pytest.mark.parametrize("raw", ["²", "١", "x", "-1"])
def test_an_invoice_id_that_is_not_ascii_digits_is_not_found(
    lender_client, offline_subscription, raw
):
    response = lender_client("admin").get("/billing/", {"invoice": raw})

    assert response.status_code == 404
