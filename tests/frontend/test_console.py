"""Sign-in lockout, language switch, exports and dashboard figures."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.test import Client
from openpyxl import load_workbook

from billing.models import Invoice
from core.audit.models import AuditEntry
from core.close.models import BusinessDate
from core.loans.services import repayment_record
from frontend import selectors
from tests.core.loans.factories import loan_active_make
from tests.frontend.conftest import HOST, PASSWORD

pytestmark = pytest.mark.django_db


def _sign_in(client: Client, username: str, password: str):
    return client.post("/accounts/login/", {"username": username, "password": password})


def test_five_failed_sign_ins_lock_the_user_out_even_with_the_right_password(staff):
    user = staff("finance")
    client = Client(HTTP_HOST=HOST)
    for _ in range(5):
        assert _sign_in(client, user.username, "wrong-password").status_code == 200
    response = _sign_in(client, user.username, PASSWORD)
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert AuditEntry.objects.filter(
        actor=user.username, action="auth.locked_out"
    ).exists()


def test_sign_in_is_recorded_in_the_audit_trail(staff):
    user = staff("finance")
    response = _sign_in(Client(HTTP_HOST=HOST), user.username, PASSWORD)
    assert response.status_code == 302
    assert AuditEntry.objects.filter(
        actor=user.username, action="auth.logged_in"
    ).exists()


def test_console_speaks_chinese_by_default_and_english_after_switching(client_as):
    client = client_as("admin")
    assert "仪表盘" in client.get("/console/").content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/console/"})
    assert "Dashboard" in client.get("/console/").content.decode()


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_lists_export_as_csv_and_xlsx_that_parse_back(client_as, fmt):
    client = client_as("admin")
    response = client.get(f"/console/audit/?format={fmt}")
    assert response.status_code == 200
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    else:
        sheet = load_workbook(io.BytesIO(response.content)).active
        rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert len(rows[0]) == 6
    assert len(rows) >= 2  # the sign-in of client_as is audited? at least one row


def test_dashboard_figures_match_a_hand_computed_book(in_tenant_a, tenant_a):
    # Disbursement happens on the open business date only; then move on.
    BusinessDate.objects.update_or_create(id=1, defaults={"current": date(2027, 1, 15)})
    loan = loan_active_make(contract_date=date(2027, 1, 15))
    BusinessDate.objects.update_or_create(id=1, defaults={"current": date(2027, 3, 31)})
    first, second = loan.instalments.filter(number__gt=0).order_by("number")[:2]
    first_due = first.principal_due + first.interest_due + first.fee_due
    repayment_record(
        loan_id=loan.pk,
        amount=first_due,
        received_on=first.due_date,
        idempotency_key="dash-1",
    )
    Invoice.objects.create(
        tenant=tenant_a,
        fee_year=2027,
        number="TEST-DASH-1",
        amount=Decimal("36500.00"),
        description="fee",
        period_start=date(2027, 1, 1),
        period_end=date(2027, 12, 31),
        status="issued",
        due_date=date(2027, 1, 31),
    )
    today = date(2027, 3, 31)
    february = selectors.Period.month_of(date(2027, 2, 1))
    march = selectors.Period.month_of(date(2027, 3, 1))
    january = selectors.Period.month_of(date(2027, 1, 1))

    assert selectors.m1_collection_rate(february, today)["rate"] == 1
    assert selectors.m1_collection_rate(march, today)["rate"] == 0
    assert selectors.technology_fee(tenant_a, february) == Decimal("2800.00")
    assert selectors.lending_volume(january) == {
        "funded": 1,
        "lent": Decimal("12000.00"),
    }
    reserve = selectors.liquidity_reserve(today)
    assert reserve["cash"] == Decimal("-12000.00") + first_due
    assert reserve["low"] is True
    pnl = selectors.profit_and_loss(tenant_a, february)
    income = sum(pnl.lines[k] for k in selectors.INCOME_LINES)
    expense = sum(
        pnl.lines[k] for k in ("bad_debt_loss", "provision_expense", "technology_fee")
    )
    assert pnl.net == income - expense
    assert "reserve_low" in selectors.alerts(today, reserve)
    assert second.due_date.month == 3


def _loan_ids(client, query: str = "") -> list[str]:
    response = client.get(f"/console/loans/?format=csv{query}")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    return [row[0] for row in rows[1:]]


def test_loan_list_shows_loans_of_borrowers_beyond_the_newest_hundred(
    client_as, in_tenant_a
):
    from tests.core.loans.factories import borrower_make, loan_make

    old = loan_make()
    for _ in range(100):
        borrower_make()
    client = client_as("admin")

    page = client.get("/console/loans/").content.decode()

    assert f'href="/console/loans/{old.pk}/"' in page
    assert str(old.pk) in _loan_ids(client)


def test_loan_list_pages_and_the_export_holds_every_loan(
    client_as, in_tenant_a, monkeypatch
):
    from frontend import lending_views
    from tests.core.loans.factories import loan_make

    monkeypatch.setattr(lending_views, "LOANS_PER_PAGE", 2)
    loans = [loan_make() for _ in range(3)]
    client = client_as("admin")

    first = client.get("/console/loans/").content.decode()
    second = client.get("/console/loans/?page=2").content.decode()

    assert 'id="page-next"' in first
    assert f'href="/console/loans/{loans[0].pk}/"' in second
    assert f'href="/console/loans/{loans[0].pk}/"' not in first
    assert sorted(_loan_ids(client)) == sorted(str(loan.pk) for loan in loans)


def test_the_dashboard_shows_the_first_day_checklist_until_it_is_done(client_as):
    client = client_as("admin")  # a second active user: "add staff" is done
    page = client.get("/console/").content.decode()

    checklist = page.split('id="checklist"')[1].split("</div>")[0]
    assert checklist.count("✔") == 1 and checklist.count("☐") == 3


def test_the_audit_trail_pages_and_its_export_holds_every_entry(client_as):
    import csv
    import io

    from core.audit.models import AuditEntry
    from core.audit.services import audit_record

    client = client_as("admin")
    for n in range(250):
        audit_record(actor="t", action="test.entry", data={"n": n})
    total = AuditEntry.objects.count()

    page = client.get("/console/audit/").content.decode()
    exported = client.get("/console/audit/?format=csv").content.decode("utf-8-sig")

    assert 'id="pages"' in page
    assert page.count("test.entry") == 200  # newest first, one page of 200
    rows = list(csv.reader(io.StringIO(exported)))
    assert len(rows) - 1 == total
