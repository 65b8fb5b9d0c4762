"""Recording a bank transfer from the console: once, with a whole reference."""

from __future__ import annotations

import pytest
from django.utils import translation
from django.utils.translation import gettext

from billing.dunning import dunning_run
from billing.models import Invoice, Plan
from billing.services import subscription_start
from tenants.models import PlatformAuditEntry
from tests.billing.conftest import START

pytestmark = pytest.mark.django_db

HOST = {"HTTP_HOST": "localhost"}


@pytest.fixture
def staff(client, django_user_model):
    user = django_user_model.objects.create_user(
        username="cashier@jinqiao.test", password="x-Cashier-1", is_staff=True
    )
    client.force_login(user)
    return user


@pytest.fixture
def open_invoice(tenant_a, settings) -> Invoice:
    """Alpha's first yearly invoice, billed offline (bank transfer)."""
    settings.STRIPE_SECRET_KEY = ""
    plan = Plan.objects.get(code="standard")
    subscription_start(tenant=tenant_a, plan=plan, today=START)
    dunning_run(today=START)
    return Invoice.objects.get(tenant=tenant_a)


def _pay(client, invoice: Invoice, reference: str, amount: str | None = None):
    url = f"/platform/invoices/{invoice.pk}/payment/"
    data = {"reference": reference, "amount_received": amount or str(invoice.amount)}
    return client.post(url, data, follow=True, **HOST)


def _recorded() -> int:
    return PlatformAuditEntry.objects.filter(action="invoice.payment_recorded").count()


def _messages(response) -> list[tuple[str, str]]:
    return [(m.level_tag, str(m)) for m in response.context["messages"]]


def test_paying_a_paid_invoice_again_says_so_and_audits_nothing(
    client, staff, open_invoice
):
    _pay(client, open_invoice, "BOC-1")
    assert _recorded() == 1

    response = _pay(client, open_invoice, "BOC-2")

    with translation.override("zh-hans"):  # the console's default language
        said = gettext("Invoice %(number)s is already paid.") % {
            "number": open_invoice.number
        }
    assert _messages(response) == [("warning", said)]
    assert _recorded() == 1
    open_invoice.refresh_from_db()
    assert open_invoice.payment_reference == "BOC-1"


def test_a_reference_over_100_characters_is_refused_not_cut(
    client, staff, open_invoice
):
    response = _pay(client, open_invoice, "R" * 101)

    assert _messages(response) == [
        ("error", "reference: must be at most 100 characters")
    ]
    open_invoice.refresh_from_db()
    assert open_invoice.status == "open"
    assert _recorded() == 0


def test_a_nul_character_in_the_reference_is_refused(client, staff, open_invoice):
    response = _pay(client, open_invoice, "BOC\x00-9")

    assert _messages(response) == [
        ("error", "reference: must not contain a NUL character")
    ]
    open_invoice.refresh_from_db()
    assert open_invoice.status == "open"


def test_a_reference_of_exactly_100_characters_is_kept_whole(
    client, staff, open_invoice
):
    _pay(client, open_invoice, "R" * 100)

    open_invoice.refresh_from_db()
    assert open_invoice.payment_reference == "R" * 100
    audit = PlatformAuditEntry.objects.get(action="invoice.payment_recorded")
    assert audit.detail["reference"] == "R" * 100


def test_a_short_transfer_is_refused_and_leaves_the_invoice_open(
    client, staff, open_invoice
):
    short = str(open_invoice.amount - 1)

    response = _pay(client, open_invoice, "BOC-7", amount=short)

    [(level, text)] = _messages(response)
    assert level == "error"
    assert "stays unpaid until the whole fee is received" in text
    open_invoice.refresh_from_db()
    assert open_invoice.status == "open"
    assert open_invoice.amount_received is None
    assert _recorded() == 0


@pytest.mark.parametrize("amount", ["", "abc", "-5", "NaN", "1.001", "1e20", "1e30"])
def test_a_missing_or_malformed_amount_is_refused(client, staff, open_invoice, amount):
    url = f"/platform/invoices/{open_invoice.pk}/payment/"
    data = {"reference": "BOC-8", "amount_received": amount}

    response = client.post(url, data, follow=True, **HOST)

    assert _messages(response)[0][0] == "error"
    open_invoice.refresh_from_db()
    assert open_invoice.status == "open"


def test_the_full_amount_marks_paid_and_keeps_what_arrived(client, staff, open_invoice):
    _pay(client, open_invoice, "BOC-9", amount=str(open_invoice.amount))

    open_invoice.refresh_from_db()
    assert open_invoice.status == "paid"
    assert open_invoice.amount_received == open_invoice.amount


def test_the_approve_form_preselects_the_default_plan(
    client, staff, settings, tmp_path
):
    from onboarding.models import LenderApplication
    from tests.onboarding.conftest import application_post

    settings.MEDIA_ROOT = tmp_path
    settings.BILLING_DEFAULT_PLAN = "enterprise"
    client.post("/signup/api/", application_post(), **HOST)
    application = LenderApplication.objects.get()

    page = client.get(f"/platform/applications/{application.public_id}/", **HOST)

    html = page.content.decode()
    assert '<option value="enterprise" selected>' in html
    assert '<option value="starter">' in html
