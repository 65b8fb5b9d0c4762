"""The loan resources end to end: quote, disburse, repay, settle, statement."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django_tenants.utils import tenant_context

from apiv1.models import OutboxEvent
from core.loans.models import Loan
from tests.apiv1.factories import loan_approved_make

pytestmark = pytest.mark.django_db


def _loan(tenant) -> Loan:
    with tenant_context(tenant):
        return loan_approved_make()


def test_quote_prices_a_product_without_a_borrower(api_a):
    response = api_a.post(
        "/loans/quote",
        {"product_code": "working-capital", "principal": "10000.00", "term": 6},
    )

    assert response.status_code == 200, response.content
    quote = response.json()
    assert len(quote["instalments"]) == 6
    assert Decimal(quote["annualised_rate"]) > 0
    principal_parts = sum(Decimal(i["principal_due"]) for i in quote["instalments"])
    assert principal_parts == Decimal("10000.00")


@pytest.mark.parametrize("principal", ["1e4", 10000, "10000", "10000.0"])
def test_money_is_written_with_two_decimals_however_it_was_sent(api_a, principal):
    response = api_a.post(
        "/loans/quote",
        {"product_code": "working-capital", "principal": principal, "term": 6},
    )

    assert response.status_code == 200, response.content
    quote = response.json()
    assert quote["principal"] == "10000.00"
    assert len(quote["annual_rate"].split(".")[1]) == 6
    assert all(len(i["interest_due"].split(".")[1]) == 2 for i in quote["instalments"])


def test_quote_outside_the_product_limits_names_the_field(api_a):
    response = api_a.post(
        "/loans/quote",
        {"product_code": "working-capital", "principal": "100.00", "term": 6},
    )

    assert response.status_code == 422
    assert "principal" in response.json()["error"]["fields"]


def test_a_quote_refused_for_its_start_date_names_start_date(api_a):
    response = api_a.post(
        "/loans/quote",
        {
            "product_code": "working-capital",
            "principal": "10000.00",
            "term": 6,
            "start_date": "2000-01-01",
        },
    )

    assert response.status_code == 422
    fields = response.json()["error"]["fields"]
    assert list(fields) == ["start_date"]
    assert response.json()["error"]["message"].startswith("start_date:")


def test_a_loan_is_disbursed_repaid_and_settled(api_a, tenant_a):
    loan = _loan(tenant_a)

    disbursed = api_a.post(f"/loans/{loan.pk}/disburse", {})
    schedule = api_a.get(f"/loans/{loan.pk}/schedule")
    repaid = api_a.post(
        f"/loans/{loan.pk}/repayments",
        {"amount": "500.00"},
        **{"Idempotency-Key": "r1"},
    )
    quote = api_a.get(f"/loans/{loan.pk}/settlement-quote")
    settled = api_a.post(f"/loans/{loan.pk}/settle", {"amount": quote.json()["total"]})
    statement = api_a.get(f"/loans/{loan.pk}/statement")

    assert disbursed.status_code == 200, disbursed.content
    assert disbursed.json()["amount"] == "10000.00"
    assert schedule.status_code == 200 and len(schedule.json()) >= 6
    assert repaid.status_code == 201, repaid.content
    assert quote.status_code == 200, quote.content
    assert settled.status_code == 200, settled.content
    assert settled.json()["loan"]["status"] == "closed"
    assert statement.status_code == 200
    assert len(statement.json()["repayments"]) == 2
    with tenant_context(tenant_a):
        types = set(OutboxEvent.objects.values_list("type", flat=True))
    assert {"loan.disbursed", "repayment.received", "loan.closed"} <= types


@pytest.mark.parametrize("retry_key", [None, "another-key"])
def test_a_disbursement_retry_with_another_or_no_key_returns_the_first(
    api_a, tenant_a, retry_key
):
    from core.loans.models import PaymentInstruction

    loan = _loan(tenant_a)
    first = api_a.post(f"/loans/{loan.pk}/disburse", {}, **{"Idempotency-Key": "d1"})

    headers = {"Idempotency-Key": retry_key} if retry_key else {}
    again = api_a.post(f"/loans/{loan.pk}/disburse", {}, **headers)

    assert first.status_code == again.status_code == 200, again.content
    assert again.json()["instruction_id"] == first.json()["instruction_id"]
    with tenant_context(tenant_a):
        assert PaymentInstruction.objects.filter(loan_id=loan.pk).count() == 1


def test_a_disbursement_retry_for_another_date_is_a_conflict_naming_on(api_a, tenant_a):
    from core.loans.models import PaymentInstruction

    loan = _loan(tenant_a)
    first = api_a.post(f"/loans/{loan.pk}/disburse", {})
    disbursed_on = first.json()["disbursed_on"]

    again = api_a.post(
        f"/loans/{loan.pk}/disburse",
        {"on": "2026-01-05"},
        **{"Idempotency-Key": "fresh"},
    )

    assert again.status_code == 409
    assert disbursed_on in again.json()["error"]["fields"]["on"]
    with tenant_context(tenant_a):
        assert PaymentInstruction.objects.filter(loan_id=loan.pk).count() == 1


def test_loans_list_filters_by_status_and_pages_with_a_cursor(api_a, tenant_a):
    loans = [_loan(tenant_a) for _ in range(3)]

    first = api_a.get("/loans?status=approved&limit=2")
    second = api_a.get(
        f"/loans?status=approved&limit=2&cursor={first.json()['next_cursor']}"
    )

    assert first.status_code == 200, first.content
    ids = [x["id"] for x in first.json()["items"] + second.json()["items"]]
    assert set(ids) >= {loan.pk for loan in loans}
    assert ids == sorted(ids, reverse=True)


def test_a_suspended_lender_reads_but_cannot_disburse(api_a, tenant_a):
    loan = _loan(tenant_a)
    tenant_a.status, tenant_a.status_reason = "suspended", "licence under review"
    tenant_a.save()

    read = api_a.get(f"/loans/{loan.pk}")
    refused = api_a.post(f"/loans/{loan.pk}/disburse", {})

    assert read.status_code == 200
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "tenant_suspended"
    assert "licence under review" in refused.json()["error"]["message"]
    with tenant_context(tenant_a):
        assert Loan.objects.get(pk=loan.pk).status == "approved"


def test_portfolio_summarises_the_book(api_a, tenant_a):
    _loan(tenant_a)

    response = api_a.get("/portfolio")

    assert response.status_code == 200
    assert response.json()["loans_by_status"]["approved"] >= 1


@pytest.mark.parametrize("term", [True, "6", 6.0])
def test_a_term_must_be_a_json_integer(api_a, term):
    response = api_a.post(
        "/loans/quote",
        {"product_code": "working-capital", "principal": "10000.00", "term": term},
    )

    assert response.status_code == 422
    assert "term" in response.json()["error"]["fields"]


def test_dates_left_out_default_to_the_business_date_not_the_clock(api_a, tenant_a):
    from datetime import timedelta

    from django.utils import timezone

    from core.close.services import business_date_set

    loan = _loan(tenant_a)
    with tenant_context(tenant_a):
        open_day = loan.contract_date + timedelta(days=1)
        business_date_set(on=open_day)
    assert open_day != timezone.localdate()

    disbursed = api_a.post(f"/loans/{loan.pk}/disburse", {})
    repaid = api_a.post(
        f"/loans/{loan.pk}/repayments", {"amount": "10.00"}, **{"Idempotency-Key": "r"}
    )

    assert disbursed.status_code == 200, disbursed.content
    assert disbursed.json()["disbursed_on"] == open_day.isoformat()
    assert repaid.status_code == 201, repaid.content
    assert repaid.json()["received_on"] == open_day.isoformat()


def test_a_200_character_idempotency_key_is_accepted(api_a, tenant_a):
    loan = _loan(tenant_a)
    api_a.post(f"/loans/{loan.pk}/disburse", {})

    key = "k" * 200
    first = api_a.post(
        f"/loans/{loan.pk}/repayments", {"amount": "10.00"}, **{"Idempotency-Key": key}
    )
    again = api_a.post(
        f"/loans/{loan.pk}/repayments", {"amount": "10.00"}, **{"Idempotency-Key": key}
    )

    assert first.status_code == again.status_code == 201, first.content
    assert first.json()["id"] == again.json()["id"]


def test_a_disbursement_retried_after_the_business_date_moved_returns_the_first(
    api_a, tenant_a
):
    from datetime import timedelta

    from core.close.services import business_date_set

    loan = _loan(tenant_a)
    first = api_a.post(f"/loans/{loan.pk}/disburse", {})
    with tenant_context(tenant_a):
        business_date_set(on=loan.contract_date + timedelta(days=1))

    again = api_a.post(f"/loans/{loan.pk}/disburse", {})

    assert again.status_code == 200, again.content
    assert again.json()["instruction_id"] == first.json()["instruction_id"]


def test_a_repayment_received_on_the_due_date_is_charged_no_penalty(api_a, tenant_a):
    from datetime import timedelta

    from core.close.services import business_date_set, close_run

    loan = _loan(tenant_a)
    with tenant_context(tenant_a):
        business_date_set(on=loan.contract_date)
    api_a.post(f"/loans/{loan.pk}/disburse", {})
    with tenant_context(tenant_a):
        first = loan.instalments.get(number=1)
        close_run(through=first.due_date + timedelta(days=loan.grace_days + 7))
        loan.refresh_from_db()
        assert loan.penalty_outstanding > 0 and loan.status == "overdue"
        # The upfront fee (instalment 0) is older, so it is paid first.
        upfront = loan.instalments.filter(number=0).first()
    owed = first.principal_due + first.interest_due + first.fee_due
    owed += upfront.fee_due if upfront else Decimal(0)
    body = {
        "amount": str(owed),
        "received_on": first.due_date.isoformat(),
    }

    repaid = api_a.post(
        f"/loans/{loan.pk}/repayments", body, **{"Idempotency-Key": "on-due"}
    )
    again = api_a.post(
        f"/loans/{loan.pk}/repayments", body, **{"Idempotency-Key": "on-due"}
    )
    current = api_a.get(f"/loans/{loan.pk}")

    assert repaid.status_code == again.status_code == 201, repaid.content
    assert again.json()["id"] == repaid.json()["id"]
    allocation = repaid.json()["allocation"]
    assert Decimal(allocation["instalments"]["1"]["penalty"]) == 0
    assert Decimal(allocation["instalments"]["1"]["principal"]) == first.principal_due
    assert Decimal(allocation["penalty_relief"]["total"]) > 0
    shown = current.json()
    assert (shown["status"], shown["dpd"], shown["classification"]) == (
        "active",
        0,
        "normal",
    )
    with tenant_context(tenant_a):
        loan.refresh_from_db()
        assert loan.penalty_outstanding == 0


def _settled(api, tenant) -> tuple[Loan, str]:
    loan = _loan(tenant)
    api.post(f"/loans/{loan.pk}/disburse", {})
    total = api.get(f"/loans/{loan.pk}/settlement-quote").json()["total"]
    settled = api.post(f"/loans/{loan.pk}/settle", {"amount": total})
    assert settled.status_code == 200, settled.content
    return loan, total


def test_settling_a_settled_loan_again_without_a_key_is_a_conflict(api_a, tenant_a):
    loan, total = _settled(api_a, tenant_a)

    again = api_a.post(f"/loans/{loan.pk}/settle", {"amount": "20000.00"})

    assert again.status_code == 409, again.content
    error = again.json()["error"]
    assert error["code"] == "conflict"
    assert "closed" in error["message"]
    assert "idempotency_key" not in error["fields"]


def test_a_settlement_retried_without_a_key_returns_the_first(api_a, tenant_a):
    loan, total = _settled(api_a, tenant_a)

    again = api_a.post(f"/loans/{loan.pk}/settle", {"amount": total})

    assert again.status_code == 200, again.content
    assert again.json()["loan"]["status"] == "closed"


def test_a_settlement_under_a_reused_key_for_another_amount_is_still_422(
    api_a, tenant_a
):
    loan = _loan(tenant_a)
    api_a.post(f"/loans/{loan.pk}/disburse", {})
    total = api_a.get(f"/loans/{loan.pk}/settlement-quote").json()["total"]
    api_a.post(
        f"/loans/{loan.pk}/settle", {"amount": total}, **{"Idempotency-Key": "s"}
    )

    again = api_a.post(
        f"/loans/{loan.pk}/settle", {"amount": "20000.00"}, **{"Idempotency-Key": "s"}
    )

    assert again.status_code == 422
    assert again.json()["error"]["code"] == "idempotency_key_reused"


def test_a_repayment_without_a_key_on_a_settled_loan_is_a_conflict(api_a, tenant_a):
    loan, _ = _settled(api_a, tenant_a)

    again = api_a.post(f"/loans/{loan.pk}/repayments", {"amount": "100.00"})

    assert again.status_code == 409, again.content
    assert again.json()["error"]["code"] == "conflict"
    assert "closed" in again.json()["error"]["message"]


def test_a_settlement_quote_after_the_business_date_is_refused_naming_on(
    api_a, tenant_a
):
    from datetime import timedelta

    from core.close.services import business_date_set

    loan = _loan(tenant_a)
    api_a.post(f"/loans/{loan.pk}/disburse", {})
    with tenant_context(tenant_a):
        loan.refresh_from_db()
        business_date_set(on=loan.disbursed_on + timedelta(days=3))
        tomorrow = loan.disbursed_on + timedelta(days=4)

    quote = api_a.get(f"/loans/{loan.pk}/settlement-quote?on={tomorrow}")
    settle = api_a.post(
        f"/loans/{loan.pk}/settle", {"amount": "1.00", "on": str(tomorrow)}
    )

    assert quote.status_code == settle.status_code == 422, quote.content
    assert "business date" in quote.json()["error"]["fields"]["on"]
    assert "on" in settle.json()["error"]["fields"]
