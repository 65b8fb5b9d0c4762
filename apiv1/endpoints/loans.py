"""Loans: quote, read, disburse, schedule, repayments, early settlement,
statement."""

from __future__ import annotations

import hashlib
import uuid
from datetime import date
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status
from pydantic import Field

from apiv1 import services
from apiv1.auth import key_actor
from apiv1.idempotency import HEADER, idempotent
from apiv1.pagination import ListQuery, paginate
from apiv1.schemas import (
    Day,
    DisburseIn,
    DisbursementOut,
    LoanCreateIn,
    LoanInstalmentOut,
    LoanOut,
    Moment,
    Page,
    QuoteIn,
    QuoteOut,
    RepaymentIn,
    RepaymentOut,
    SettleIn,
    SettlementOut,
    SettlementQuoteOut,
    StatementOut,
    responses,
)
from apiv1.selectors import (
    loan_get,
    loan_instalments,
    loan_quote,
    loan_repayments,
    loan_statement,
)
from core.errors import Conflict, IdempotencyKeyReused, InvalidInput, NotFound
from core.loans.models import (
    Instalment,
    Loan,
    LoanStatus,
    RepaymentKind,
    RepaymentStatus,
)
from core.loans.selectors import loan_settlement_quote
from core.loans.services import (
    business_date_current,
    loan_settle_early,
    repayment_record,
)
from core.pricing.schedule import Instalment as PlannedInstalment
from core.risk.models import Application
from core.risk.services import application_to_loan

router = Router(tags=["loans"])


class LoanFilters(ListQuery):
    status: LoanStatus | None = None
    borrower_id: int | None = Field(None, ge=1, le=2**62)
    created_after: Moment | None = None
    created_before: Moment | None = None


def _today(value: date | None) -> date:
    """Return ``value`` or the lender's business date (the open day).

    Not the wall-clock date: between midnight and the daily close the
    business date is still yesterday, and money dated after it is refused.
    """
    return value or business_date_current()


def _service_key(request: HttpRequest, default: str) -> str:
    """Return the key the core service dedupes on for this call.

    The services take keys of at most 200 characters; a header that long
    with our prefix is hashed instead, so every header the API accepts fits.
    """
    header = request.headers.get(HEADER, "").strip()
    if not header:
        return default
    if len(header) > 190:
        return "api:#" + hashlib.sha256(header.encode()).hexdigest()
    return f"api:{header}"


def _planned(instalment: PlannedInstalment) -> dict[str, Any]:
    return {
        f: getattr(instalment, f)
        for f in (
            "number",
            "period_start",
            "due_date",
            "principal_due",
            "interest_due",
            "fee_due",
            "total_due",
        )
    }


def _instalment_out(i: Instalment) -> dict[str, Any]:
    total = i.principal_due + i.interest_due + i.fee_due + i.penalty_due
    return {**i.__dict__, "total_due": total}


@router.post(
    "/loans/quote",
    response=responses(200, QuoteOut),
    summary="Quote a loan: schedule and annualised rate, no borrower needed",
)
def loans_quote(request: HttpRequest, payload: QuoteIn) -> dict[str, Any]:
    with services.fields_renamed({"contract_date": "start_date"}):
        quote = loan_quote(
            product_code=payload.product_code,
            principal=payload.principal,
            term=payload.term,
            start=_today(payload.start_date),
        )
    schedule, check = quote.schedule, quote.check
    return {
        "product_code": payload.product_code,
        "product_version": quote.version.version,
        "principal": payload.principal,
        "term": payload.term,
        "term_unit": quote.version.term_unit,
        "method": quote.version.method,
        "annual_rate": quote.version.annual_rate,
        "annualised_rate": check.annualised_rate,
        "apr_method": check.method,
        "over_warning": check.over_warning,
        "hard_ceiling": check.hard_ceiling,
        "upfront_fee_due": schedule.upfront_fee_due,
        "total_interest_due": schedule.total_interest_due,
        "total_fee_due": schedule.total_fee_due,
        "total_payable": schedule.total_payable,
        "maturity_date": schedule.maturity_date,
        "instalments": [_planned(i) for i in schedule.instalments],
    }


@router.post(
    "/loans",
    response=responses(201, LoanOut),
    summary="Create the loan of an approved application (once per application)",
)
def loans_create(request: HttpRequest, payload: LoanCreateIn) -> Status[Any]:
    def work() -> Loan:
        return application_to_loan(
            application_id=payload.application_id,
            actor=key_actor(request),
            contract_date=_today(payload.contract_date),
        )

    if not Application.objects.filter(pk=payload.application_id).exists():
        raise NotFound(f"application {payload.application_id} does not exist")
    return idempotent(request, 201, LoanOut, work)


@router.get("/loans", response=responses(200, Page[LoanOut]), summary="List loans")
def loans_list(request: HttpRequest, query: Query[LoanFilters]) -> dict[str, Any]:
    loans = Loan.objects.all()
    if query.status:
        loans = loans.filter(status=query.status)
    if query.borrower_id:
        loans = loans.filter(borrower_id=query.borrower_id)
    if query.created_after:
        loans = loans.filter(created_at__gt=query.created_after)
    if query.created_before:
        loans = loans.filter(created_at__lt=query.created_before)
    return paginate(loans, query)


@router.get(
    "/loans/{int:loan_id}", response=responses(200, LoanOut), summary="Get a loan"
)
def loans_get(request: HttpRequest, loan_id: int) -> Loan:
    return loan_get(loan_id=loan_id)


@router.post(
    "/loans/{int:loan_id}/disburse",
    response=responses(200, DisbursementOut),
    summary="Disburse an approved loan (once, whatever the retries)",
)
def loans_disburse(
    request: HttpRequest, loan_id: int, payload: DisburseIn
) -> Status[Any]:
    loan = loan_get(loan_id=loan_id)
    # A retry after the business date moved on means the first date.
    on = payload.on or loan.disbursed_on or _today(None)

    def work() -> dict[str, Any]:
        try:
            instruction = services.api_loan_disburse(
                loan_id=loan_id,
                on=on,
                # One disbursement per loan: a retry with or without the
                # header, or under another one, gets the first instruction.
                idempotency_key=f"loan:{loan_id}:disbursement",
                actor=key_actor(request),
            )
        except IdempotencyKeyReused:
            # The loan's one disbursement was for another date (a retry, or
            # a concurrent request that came first).
            raise _disbursed_on_conflict(loan_get(loan_id=loan_id)) from None
        loan = loan_get(loan_id=loan_id)
        return {
            "loan_id": loan_id,
            "instruction_id": instruction.pk,
            "amount": instruction.amount,
            "channel": instruction.channel,
            "external_ref": instruction.external_ref,
            "status": instruction.status,
            "disbursed_on": loan.disbursed_on,
        }

    return idempotent(request, 200, DisbursementOut, work)


def _disbursed_on_conflict(loan: Loan) -> Conflict:
    return Conflict(
        f"loan {loan.pk} was disbursed on {loan.disbursed_on}",
        fields={"on": f"the loan was disbursed on {loan.disbursed_on}"},
    )


@router.get(
    "/loans/{int:loan_id}/schedule",
    response=responses(200, list[LoanInstalmentOut]),
    summary="Get a loan's instalments, paid and owed",
)
def loans_schedule(request: HttpRequest, loan_id: int) -> list[dict[str, Any]]:
    loan = loan_get(loan_id=loan_id)
    return [_instalment_out(i) for i in loan_instalments(loan)]


@router.post(
    "/loans/{int:loan_id}/repayments",
    response=responses(201, RepaymentOut),
    summary="Record a repayment (send Idempotency-Key so retries post once)",
)
def repayments_create(
    request: HttpRequest, loan_id: int, payload: RepaymentIn
) -> Status[Any]:
    loan_get(loan_id=loan_id)

    def work() -> Any:
        return repayment_record(
            loan_id=loan_id,
            amount=payload.amount,
            received_on=_today(payload.received_on),
            idempotency_key=_service_key(request, f"api-random:{uuid.uuid4()}"),
            channel=payload.channel,
            external_ref=payload.external_ref,
            actor=key_actor(request),
        )

    return idempotent(request, 201, RepaymentOut, work)


@router.get(
    "/loans/{int:loan_id}/repayments",
    response=responses(200, list[RepaymentOut]),
    summary="List a loan's repayments, oldest first",
)
def repayments_list(request: HttpRequest, loan_id: int) -> list[Any]:
    return loan_repayments(loan_get(loan_id=loan_id))


@router.get(
    "/loans/{int:loan_id}/settlement-quote",
    response=responses(200, SettlementQuoteOut),
    summary="Quote early settlement on a date (interest to that date only)",
    description=(
        "`on` defaults to the lender's business date. A date after it is "
        "refused (422 naming `on`), as `/settle` refuses it: the quote is what "
        "settles the loan on that day, not a projection (penalty and interest "
        "of days not yet closed are unknown)."
    ),
)
def settlement_quote(
    request: HttpRequest, loan_id: int, on: Day | None = None
) -> dict[str, Any]:
    loan = loan_get(loan_id=loan_id)
    business = _today(None)
    if on is not None and on > business:
        raise InvalidInput.for_field(
            "on", f"is after the business date {business.isoformat()}"
        )
    quote = loan_settlement_quote(loan, on=on or business)
    return {
        "loan_id": loan.pk,
        **{
            f: getattr(quote, f)
            for f in SettlementQuoteOut.model_fields
            if f != "loan_id"
        },
    }


@router.post(
    "/loans/{int:loan_id}/settle",
    response=responses(200, SettlementOut),
    summary="Settle a loan early with at least the quoted amount",
)
def loans_settle(request: HttpRequest, loan_id: int, payload: SettleIn) -> Status[Any]:
    loan = loan_get(loan_id=loan_id)
    # Without the header a loan settles once per opening: a settlement that
    # was reversed (a bounced payoff) does not answer for the next one.
    reversed_before = loan.repayments.filter(
        kind=RepaymentKind.SETTLEMENT, status=RepaymentStatus.REVERSED
    ).count()
    default_key = f"loan:{loan_id}:settlement:{reversed_before}"

    def work() -> dict[str, Any]:
        try:
            repayment = loan_settle_early(
                loan_id=loan_id,
                amount=payload.amount,
                on=_today(payload.on),
                idempotency_key=_service_key(request, default_key),
                actor=key_actor(request),
            )
        except IdempotencyKeyReused:
            if request.headers.get(HEADER, "").strip():
                raise  # the caller's key, used for another request
            # No key was sent: the loan's one settlement of this opening
            # was for another amount or date, and the loan is closed.
            raise _settled_conflict(loan_id, default_key) from None
        return {"repayment": repayment, "loan": loan_get(loan_id=loan_id)}

    return idempotent(request, 200, SettlementOut, work)


def _settled_conflict(loan_id: int, key: str) -> Conflict:
    loan = loan_get(loan_id=loan_id)
    settled = loan.repayments.get(idempotency_key=key)
    return Conflict(
        f"loan {loan_id} is {loan.status}: it was settled on "
        f"{settled.received_on} with {settled.amount}",
        fields={"status": loan.status},
    )


@router.get(
    "/loans/{int:loan_id}/statement",
    response=responses(200, StatementOut),
    summary="Get a loan statement: instalments, repayments, totals",
)
def loans_statement(request: HttpRequest, loan_id: int) -> dict[str, Any]:
    statement = loan_statement(loan_id=loan_id)
    return {
        "loan": statement.loan,
        "as_of": statement.as_of,
        "instalments": [_instalment_out(i) for i in statement.instalments],
        "repayments": statement.repayments,
        "total_paid": statement.total_paid,
        "total_outstanding": statement.total_outstanding,
    }
