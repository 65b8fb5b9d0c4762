"""Request and response schemas shared by the API's routers.

Inputs forbid unknown fields (422). Whole numbers are strict: a JSON
integer, not "6", 6.0 or true. Money is a Decimal with at most 14 digits
and 2 decimals; it is written as a string in responses.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any, Generic, Literal, TypeVar

from django.utils import timezone
from ninja import Schema
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    Strict,
    WithJsonSchema,
    model_validator,
)

from core.borrowers.consent import CONSENT_PURPOSES

CENT = Decimal("0.01")
RATE_PLACES = Decimal("0.000001")


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT)


def _rate_places(value: Decimal) -> Decimal:
    return value.quantize(RATE_PLACES)


_NUMBER_TEXT = re.compile(r"-?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", re.ASCII)


def _number_text(value: Any) -> Any:
    """Refuse amounts written other than as a plain number: Python's Decimal
    also reads "1_0000", " 10000 " and full-width digits."""
    if isinstance(value, str) and not _NUMBER_TEXT.fullmatch(value):
        raise ValueError("must be a number such as 10000.00")
    return value


# Inputs: "1e4", 10000 and "10000.0" all mean 10000.00 from here on.
Money = Annotated[
    Decimal,
    Field(gt=0, max_digits=14, decimal_places=2),
    BeforeValidator(_number_text),
    AfterValidator(_cents),
]
MoneyOrZero = Annotated[
    Decimal,
    Field(ge=0, max_digits=14, decimal_places=2),
    BeforeValidator(_number_text),
    AfterValidator(_cents),
]
Rate = Annotated[Decimal, Field(max_digits=12, decimal_places=6)]
# Outputs: money always with two decimals, rates with six ("0.180000").
MoneyOut = Annotated[
    Decimal, PlainSerializer(lambda v: str(_cents(v)), return_type=str)
]
RateOut = Annotated[
    Decimal, PlainSerializer(lambda v: str(_rate_places(v)), return_type=str)
]
Text = Annotated[str, Field(max_length=200)]

T = TypeVar("T")

EARLIEST, LATEST = date(2000, 1, 1), date(2099, 12, 31)
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_day(value: Any) -> Any:
    """Take a date only as ``YYYY-MM-DD`` text (pydantic also read a number
    as a Unix time: QA's ``received_on: 1795132800`` became 2026-11-20)."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _ISO_DAY.fullmatch(value):
        raise ValueError("must be a date as YYYY-MM-DD")
    return value


# A business date: bounded, so date arithmetic downstream cannot overflow.
Day = Annotated[
    date,
    Field(ge=EARLIEST, le=LATEST),
    BeforeValidator(_iso_day),
    WithJsonSchema({"type": "string", "format": "date"}),
]


def _moment(value: datetime) -> datetime:
    """Return an aware UTC datetime within the business range, or refuse."""
    if value.tzinfo is None:
        value = timezone.make_aware(value)
    try:
        value = value.astimezone(UTC)
    except OverflowError:
        raise ValueError("is out of range") from None
    if not EARLIEST <= value.date() <= LATEST:
        raise ValueError(f"must be from {EARLIEST} to {LATEST}")
    return value


# Batch items sent without a ref get one with this prefix (apiv1.services).
RESERVED_REF_PREFIX = "jq-batch-"
DECLARED_TEXT_MAX = 200


def _declared_value(value: Any) -> Any:
    """One stated feature as the body has it; its kind is checked against
    the feature's own by the service."""
    if value is None or isinstance(value, bool | int | Decimal):
        return value
    if isinstance(value, str):
        if len(value) > DECLARED_TEXT_MAX:
            raise ValueError(f"at most {DECLARED_TEXT_MAX} characters")
        return value
    raise ValueError("must be text, a number, true, false or null")


DeclaredValue = Annotated[
    str | int | bool | Decimal | None,
    PlainValidator(_declared_value),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "maxLength": DECLARED_TEXT_MAX},
                {"type": "integer"},
                {"type": "boolean"},
                {"type": "number"},
                {"type": "null"},
            ]
        }
    ),
]


def _ref_not_reserved(value: str) -> str:
    if value.lower().startswith(RESERVED_REF_PREFIX):
        raise ValueError(f"must not start with '{RESERVED_REF_PREFIX}' (reserved)")
    return value


# A timestamp filter: naive means Beijing time; any offset is normalised.
Moment = Annotated[datetime, AfterValidator(_moment)]


class In(BaseModel):
    """A request body: JSON objects only, unknown fields refused.

    A plain pydantic model, not ninja's Schema: Schema reads Django objects
    through a wrapper and, when extra fields are forbidden, validates every
    level twice (four times for a nested model, eight for one nested in
    that): bodies are plain JSON, so none of that is needed.
    """

    model_config = ConfigDict(extra="forbid")


class ErrorBody(Schema):
    code: str
    message: str
    fields: dict[str, str]


class ErrorOut(Schema):
    error: ErrorBody


ERRORS: dict[int, type] = {
    status: ErrorOut for status in (400, 401, 403, 404, 409, 415, 422, 429)
}


def responses(status: int, schema: Any) -> dict[int, Any]:
    """Return the documented responses of an operation: its own and errors."""
    return {status: schema, **ERRORS}


class Page(Schema, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(
        None, description="Pass as ?cursor= for the next page; null at the end."
    )


class Accepted(Schema):
    id: int
    status: str


# ------------------------------------------------------------------ products


class FeeOut(BaseModel):
    """A product fee: a fixed fee has an ``amount``, a percentage fee a ``rate``."""

    name: str
    kind: str = Field(description="fixed (an amount in CNY) or percent")
    when: str = Field(description="upfront, per_instalment or late")
    amount: MoneyOut | None = Field(description="CNY, for a fixed fee; else null")
    rate: RateOut | None = Field(
        description="share of the contract principal, for a percent fee "
        "(0.003000 = 0.3%); else null"
    )

    @model_validator(mode="before")
    @classmethod
    def _from_stored(cls, data: Any) -> Any:
        """Split the stored ``amount`` (CNY or a share) by the fee's kind."""
        if not isinstance(data, dict) or "rate" in data:
            return data
        fixed = data.get("kind") == "fixed"
        value = Decimal(str(data.get("amount", "0")))
        return {
            "name": data.get("name", ""),
            "kind": data.get("kind"),
            "when": data.get("when"),
            "amount": value if fixed else None,
            "rate": None if fixed else value,
        }


class ProductVersionOut(Schema):
    version: int
    status: str
    currency: str
    amount_min: MoneyOut
    amount_max: MoneyOut
    term_unit: str
    term_min: int
    term_max: int
    method: str
    annual_rate: RateOut
    day_count: str
    rounding: str
    fees: list[FeeOut]
    penalty_rate: RateOut
    grace_days: int
    worst_case_apr: RateOut | None


class ProductOut(Schema):
    id: int
    code: str
    name: str
    active_version: ProductVersionOut | None


# ----------------------------------------------------------------- borrowers


class ConsentIn(In):
    purpose: Annotated[
        Literal[CONSENT_PURPOSES],  # type: ignore[valid-type]
        Field(description="credit_report is needed for a bureau query"),
    ]
    text_version: Annotated[str, Field(min_length=1, max_length=40)]
    channel: Annotated[str, Field(min_length=1, max_length=30)]
    granted_at: Moment | None = None


class BorrowerIn(In):
    kind: Annotated[str, Field(pattern="^(individual|business)$")]
    name: Annotated[str, Field(min_length=1, max_length=200)]
    id_number: Annotated[str, Field(min_length=1, max_length=40)]
    mobile: Annotated[str, Field(min_length=1, max_length=20)]
    consents: Annotated[list[ConsentIn], Field(min_length=1, max_length=10)]
    bank_card: Annotated[str, Field(max_length=30)] | None = None
    province: Annotated[str, Field(max_length=40)] = ""
    city: Annotated[str, Field(max_length=60)] = ""
    address: Annotated[str, Field(max_length=300)] = ""
    monthly_income: MoneyOrZero | None = None
    employer: Text = ""
    employment_years: Annotated[int, Strict(), Field(ge=0, le=70)] | None = None


ABSENT: Any = None


class BorrowerPatch(In):
    """Fields to change; a field left out is kept. Text fields take no null
    (send "" to clear one that may be empty); null clears ``bank_card``,
    ``monthly_income`` and ``employment_years``."""

    # Optional but not nullable: the default (ABSENT, None typed as Any) is
    # never validated, an explicit null is refused (the OpenAPI document
    # says so), and exclude_unset leaves a field not sent out of the changes.
    name: Annotated[str, Field(min_length=1, max_length=200)] = ABSENT
    mobile: Annotated[str, Field(min_length=1, max_length=20)] = ABSENT
    bank_card: Annotated[str, Field(max_length=30)] | None = None
    province: Annotated[str, Field(max_length=40)] = ABSENT
    city: Annotated[str, Field(max_length=60)] = ABSENT
    address: Annotated[str, Field(max_length=300)] = ABSENT
    monthly_income: MoneyOrZero | None = None
    employer: Text = ABSENT
    employment_years: Annotated[int, Strict(), Field(ge=0, le=70)] | None = None


class BorrowerOut(Schema):
    id: int
    kind: str
    name: str
    id_number: str
    mobile: str
    bank_card: str
    masked: bool = Field(description="False only for keys with the 'pii' scope")
    province: str
    city: str
    address: str
    monthly_income: MoneyOut | None
    employer: str
    employment_years: int | None
    created_at: datetime
    updated_at: datetime


class BorrowerCreated(BorrowerOut):
    repeat_applicant: bool


# --------------------------------------------------------------------- loans


class InstalmentOut(Schema):
    number: int
    period_start: date
    due_date: date
    principal_due: MoneyOut
    interest_due: MoneyOut
    fee_due: MoneyOut
    total_due: MoneyOut


class LoanInstalmentOut(InstalmentOut):
    penalty_due: MoneyOut
    principal_paid: MoneyOut
    interest_paid: MoneyOut
    fee_paid: MoneyOut
    penalty_paid: MoneyOut
    paid_off_on: date | None


class QuoteIn(In):
    product_code: Annotated[str, Field(min_length=1, max_length=40)]
    principal: Money
    term: Annotated[int, Strict(), Field(ge=1, le=3660)]
    start_date: Day | None = Field(
        None, description="Defaults to the lender's business date."
    )


class QuoteOut(Schema):
    product_code: str
    product_version: int
    principal: MoneyOut
    term: int
    term_unit: str
    method: str
    annual_rate: RateOut
    annualised_rate: RateOut = Field(description="IRR of every cash flow, fees in")
    apr_method: str
    over_warning: bool
    hard_ceiling: RateOut
    upfront_fee_due: MoneyOut
    total_interest_due: MoneyOut
    total_fee_due: MoneyOut
    total_payable: MoneyOut
    maturity_date: date
    instalments: list[InstalmentOut]


class LoanOut(Schema):
    id: int
    borrower_id: int
    product_version_id: int
    status: str
    principal: MoneyOut
    annual_rate: RateOut
    annualised_rate: RateOut
    term: int
    term_unit: str
    method: str
    contract_date: date
    disbursed_on: date | None
    maturity_date: date | None
    closed_on: date | None
    principal_outstanding: MoneyOut
    interest_accrued_unpaid: MoneyOut
    fee_outstanding: MoneyOut
    penalty_outstanding: MoneyOut
    credit_balance: MoneyOut
    dpd: int
    classification: str
    created_at: datetime


class DisburseIn(In):
    on: Day | None = Field(None, description="Defaults to the lender's business date.")


class DisbursementOut(Schema):
    loan_id: int
    instruction_id: int
    amount: MoneyOut
    channel: str
    external_ref: str
    status: str
    disbursed_on: date


class RepaymentIn(In):
    amount: Money
    received_on: Day | None = Field(
        None, description="Defaults to the lender's business date."
    )
    channel: Annotated[str, Field(min_length=1, max_length=30)] = "sandbox"
    external_ref: Annotated[str, Field(max_length=100)] = ""


class RepaymentOut(Schema):
    id: int
    loan_id: int
    kind: str
    amount: MoneyOut
    received_on: date
    channel: str
    external_ref: str
    status: str
    allocation: dict[str, Any]
    created_at: datetime


class SettlementQuoteOut(Schema):
    loan_id: int
    payoff_date: date
    principal_not_yet_due: MoneyOut
    accrued_interest: MoneyOut
    unpaid_principal_due: MoneyOut
    unpaid_interest_due: MoneyOut
    unpaid_fee_due: MoneyOut
    unpaid_penalty_due: MoneyOut
    prepaid_interest_credit: MoneyOut = Field(
        description="interest paid ahead beyond what is earned on the payoff date"
    )
    prepaid_fee_credit: MoneyOut = Field(
        description="per-instalment fees paid ahead on instalments not yet due"
    )
    total: MoneyOut


class SettleIn(In):
    amount: Money
    on: Day | None = Field(None, description="Defaults to the lender's business date.")


class SettlementOut(Schema):
    repayment: RepaymentOut
    loan: LoanOut


class StatementOut(Schema):
    loan: LoanOut
    as_of: date
    instalments: list[LoanInstalmentOut]
    repayments: list[RepaymentOut]
    total_paid: MoneyOut
    total_outstanding: MoneyOut


class PortfolioOut(Schema):
    as_of: date
    loans_by_status: dict[str, int]
    principal_outstanding: MoneyOut
    overdue_principal: MoneyOut
    borrowers: int
    disbursed_total: MoneyOut


# ------------------------------------------------------------------ webhooks


class EndpointIn(In):
    url: Annotated[str, Field(min_length=8, max_length=500, pattern="^https?://")]
    events: Annotated[list[str], Field(min_length=1, max_length=20)]
    description: Annotated[str, Field(max_length=200)] = ""


class EndpointOut(Schema):
    id: int
    url: str
    events: list[str]
    active: bool
    description: str
    created_at: datetime


class EndpointCreated(EndpointOut):
    secret: str = Field(description="Signing secret; shown once")


class EventOut(Schema):
    id: int
    type: str
    payload: dict[str, Any]
    created_at: datetime
    dispatched_at: datetime | None


class DeliveryOut(Schema):
    id: int
    endpoint_id: int
    attempt: int = Field(
        description="1, 2, ... in the retry chain; a replay counts replays alone."
    )
    replay: bool = Field(description="A manual replay: no retry follows it.")
    status_code: int | None
    duration_ms: int
    error: str
    succeeded: bool
    next_attempt_at: datetime | None
    created_at: datetime


class ReplayOut(Schema):
    event_id: int
    endpoint_ids: list[int]


# -------------------------------------------------------------- applications


class ApplicationTermsIn(In):
    product_code: Annotated[str, Field(min_length=1, max_length=40)]
    amount: Money
    term: Annotated[int, Strict(), Field(ge=1, le=3660)]
    purpose: Annotated[str, Field(max_length=60)] = ""
    channel: Annotated[str, Field(max_length=30)] = "api"
    external_ref: (
        Annotated[
            str, Field(min_length=1, max_length=80), AfterValidator(_ref_not_reserved)
        ]
        | None
    ) = Field(
        None,
        description="Your reference; a repeat returns the first application. "
        "Refs starting with 'jq-batch-' are reserved for batch items sent "
        "without one.",
    )
    declared: dict[Annotated[str, Field(max_length=60)], DeclaredValue] = Field(
        default_factory=dict,
        description=(
            "Features the applicant stated on the form: declared_income, "
            "employment_years and the German-credit form fields. Bureau, "
            "income-verification and identity features come only from the "
            "lender's data sources; stating one is refused (422)."
        ),
        max_length=40,
    )


class ApplicationIn(ApplicationTermsIn):
    borrower_id: Annotated[int, Strict(), Field(ge=1, le=2**62)]


class DecisionOut(BaseModel):  # built from dicts: no Django-object reading
    outcome: str
    score: int
    reasons: list[str]
    ruleset: str


class ApplicationOut(BaseModel):
    id: int
    borrower_id: int
    product_version_id: int
    amount: MoneyOut
    term: int
    purpose: str
    channel: str
    external_ref: str | None
    status: str = Field(
        description="approved, rejected, in_review (pending: poll or await the "
        "application.decided webhook), deciding, withdrawn, expired"
    )
    submitted_at: datetime
    decided_at: datetime | None
    approved_amount: MoneyOut | None
    price_tier: str
    annual_rate: RateOut | None
    loan_id: int | None
    decision: DecisionOut | None


class InstantIn(In):
    borrower: BorrowerIn
    application: ApplicationTermsIn


class InstantOut(BaseModel):
    borrower_id: int
    repeat_applicant: bool
    application: ApplicationOut


class BatchIn(In):
    applications: Annotated[list[InstantIn], Field(min_length=1, max_length=500)]


class BatchOut(Schema):
    id: int
    status: str
    total: int
    decided: int
    results: list[dict[str, Any]] = Field(
        description="Per item: index, application_id, borrower_id, status, "
        "approved_amount; or index and error"
    )
    created_at: datetime
    completed_at: datetime | None


class LoanCreateIn(In):
    application_id: Annotated[int, Strict(), Field(ge=1, le=2**62)]
    contract_date: Day | None = Field(
        None, description="Defaults to the lender's business date."
    )
