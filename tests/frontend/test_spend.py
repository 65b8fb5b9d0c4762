"""The operating-spend screen: who may enter spend, and what it does to the
dashboard's P&L and acquisition cost."""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from decimal import Decimal

import pytest
from django_tenants.utils import tenant_context

from core.close.models import BusinessDate
from core.reporting.models import OperatingSpend
from frontend import selectors
from tests.core.loans.factories import loan_active_make
from tests.frontend.conftest import in_english

pytestmark = pytest.mark.django_db

URL = "/console/settings/spend/"
JANUARY = "?start=2027-01-01&end=2027-01-31"
ENTRY = {
    "month": "2027-01",
    "channel": "",
    "staff_cost": "20000.00",
    "acquisition_spend": "48.00",
    "note": "partner fees",
}


def _cell(page: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}">([^<]*)<', page)
    assert found, element_id
    return found.group(1)


@pytest.fixture
def january_loan(in_tenant_a):
    """One CNY 12,000 loan funded on 2027-01-15, the business date."""
    BusinessDate.objects.update_or_create(id=1, defaults={"current": date(2027, 1, 15)})
    return loan_active_make(contract_date=date(2027, 1, 15))


def test_finance_records_spend_and_the_pnl_and_cac_move_by_it(
    client_as, january_loan, tenant_a
):
    client = in_english(client_as("finance"))
    january = selectors.Period.month_of(date(2027, 1, 1))
    net_before = selectors.profit_and_loss(tenant_a, january).net
    before = client.get(f"/console/{JANUARY}").content.decode()
    assert "no acquisition spend recorded" in before

    response = client.post(URL, ENTRY)

    assert response.status_code == 302
    pnl = selectors.profit_and_loss(tenant_a, january)
    assert pnl.lines["staff_cost"] == Decimal("20000.00")
    assert pnl.lines["acquisition_spend"] == Decimal("48.00")
    assert pnl.net == net_before - Decimal("20048.00")
    cac = selectors.acquisition_cost(january)
    # 48.00 over one loan of 12,000.00: 48.00 a loan, 0.40% of amount lent.
    assert cac["per_loan"] == Decimal("48.00")
    assert cac["share"] == Decimal("0.004")
    assert cac["over_target"] is False
    page = client.get(f"/console/{JANUARY}").content.decode()
    assert _cell(page, "pnl-staff") == "-¥20,000.00"
    assert _cell(page, "pnl-acquisition") == "-¥48.00"
    assert _cell(page, "cac-per-loan") == "¥48.00"
    assert "0.40% of amount lent" in page
    assert 'id="cac-over"' not in page


def test_cac_at_the_target_is_flagged(client_as, january_loan):
    client = in_english(client_as("admin"))

    client.post(URL, {**ENTRY, "acquisition_spend": "60.00"})

    page = client.get(f"/console/{JANUARY}").content.decode()
    assert _cell(page, "cac-per-loan") == "¥60.00"
    assert 'id="cac-over"' in page


def test_a_refused_value_stays_typed_with_the_error_by_its_field(client_as):
    client = in_english(client_as("finance"))

    response = client.post(URL, {**ENTRY, "acquisition_spend": "-5"})

    page = response.content.decode()
    assert response.status_code == 200
    assert 'value="-5"' in page
    assert 'value="20000.00"' in page
    assert "greater than or equal to 0" in page
    assert not OperatingSpend.objects.exists()


@pytest.mark.parametrize("role", ["collector", "reviewer", "risk_analyst"])
def test_roles_without_finance_cannot_see_or_record_spend(client_as, role):
    client = client_as(role)

    assert client.get(URL).status_code == 403
    assert client.post(URL, ENTRY).status_code == 403
    assert not OperatingSpend.objects.exists()


def test_read_only_sees_the_list_but_cannot_record(client_as, staff):
    client_as("finance").post(URL, ENTRY)
    client = in_english(client_as("read_only"))

    page = client.get(URL)
    refused = client.post(URL, {**ENTRY, "month": "2027-02"})

    assert page.status_code == 200
    assert "partner fees" in page.content.decode()
    assert "Enter a month" not in page.content.decode()
    assert refused.status_code == 403
    assert OperatingSpend.objects.count() == 1


def test_spend_list_exports_as_csv(client_as):
    client = client_as("finance")
    client.post(URL, ENTRY)

    response = client.get(f"{URL}?format=csv")

    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 2
    assert rows[1][0] == "2027-01"
    assert rows[1][3] == "48.00"


def test_spend_entered_in_alpha_is_not_in_betas_dashboard(
    client_as, january_loan, tenant_b
):
    client_as("finance").post(URL, ENTRY)
    january = selectors.Period.month_of(date(2027, 1, 1))

    with tenant_context(tenant_b):
        pnl = selectors.profit_and_loss(tenant_b, january)
        cac = selectors.acquisition_cost(january)

    assert pnl.lines["acquisition_spend"] == Decimal("0.00")
    assert pnl.lines["staff_cost"] == Decimal("0.00")
    assert cac["recorded"] is False


def test_spend_screen_and_cac_card_speak_chinese_by_default(client_as, january_loan):
    client = client_as("finance")
    client.post(URL, ENTRY)

    screen = client.get(URL).content.decode()
    dashboard = client.get(f"/console/{JANUARY}").content.decode()

    assert "经营支出" in screen and "全部渠道" in screen
    assert "人员成本" in dashboard
    assert "占放款金额的 0.40%（目标低于 0.5%）" in dashboard


@pytest.mark.parametrize("month", ["9999-12", "1899-12"])
def test_a_month_the_dashboard_cannot_show_is_refused(client_as, month):
    client = in_english(client_as("finance"))

    response = client.post(URL, {**ENTRY, "month": month})

    assert response.status_code == 200
    assert "enter a month from 1900 to 9998" in response.content.decode()
    assert not OperatingSpend.objects.exists()
