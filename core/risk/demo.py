"""Seed a demo lender from the German credit data (make run's seed).

What it does, in the current tenant, every step idempotent:

1. installs the product and rule-set templates if missing;
2. imports the CSV as the history data set ``german_credit``;
3. activates the German-credit rule set through maker-checker (``system``
   submits, ``system-checker`` approves; both audited);
4. replays the first ``applications`` rows through ``application_submit``
   as new applications. Each row gets a synthetic borrower whose ID number,
   mobile and bank card are checksum-valid and derived from the CSV line
   (so re-running finds the same people), aged as in the row. Amounts are
   1 DM = 1 CNY. Every row uses the working-capital product, the template
   closest to the data: the amount is clamped to CNY 5,000-30,000 and the
   duration to 1-6 months (the row's own amount and duration still reach
   the rules as ``credit_amount`` and ``duration_months``);
5. walks a timeline of ``weeks`` weeks ending yesterday. Approved loans are
   disbursed spread over its first four weeks; each day, borrowers whose
   observed outcome is good pay what falls due, bad ones pay the upfront
   fee and no instalment; the daily close runs for the
   day, so interest, arrears, classification and provisions build up.

The observed outcome drives only the simulated repayment behaviour, never
the decision.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import connection
from django.db.models import Q
from django.utils import timezone

from core.borrowers.models import Borrower
from core.borrowers.services import borrower_register
from core.close.models import BusinessDate
from core.close.services import business_date_set, close_run
from core.ledger.funding import funding_record
from core.ledger.models import JournalEntry
from core.loans.models import Instalment, Loan
from core.loans.services import loan_disburse, repayment_record
from core.products.models import ProductVersion
from core.products.selectors import product_version_active
from core.products.templates import product_templates_install
from core.risk.features import DECLARABLE
from core.risk.history import HistoryRow, history_rows
from core.risk.models import Application, ApplicationStatus, VersionStatus
from core.risk.selectors import ruleset_version_resolve
from core.risk.services import (
    application_submit,
    application_to_loan,
    history_import,
    ruleset_templates_install,
    ruleset_version_approve,
    ruleset_version_submit,
)
from core.risk.synthetic import person_for

logger = logging.getLogger(__name__)

# The demo lender's own money: what it lends comes out of this.
DEMO_CAPITAL = Decimal("3000000.00")

DATASET = "german_credit"
MAKER, CHECKER = "system", "system-checker"
PRODUCT = "working-capital"


# Our own data (or the product) sets these; the row must not.
@dataclass
class SeedSummary:
    imported: int = 0
    submitted: int = 0
    approved: int = 0
    in_review: int = 0
    rejected: int = 0
    disbursed: int = 0
    repayments: int = 0
    days_closed: int = 0
    notes: list[str] = field(default_factory=list)


def demo_lending_seed(
    *,
    csv_path: Path,
    applications: int = 300,
    weeks: int = 8,
    say: Callable[[str], None] = lambda text: None,
) -> SeedSummary:
    """Seed the current tenant; see the module docstring."""
    summary = SeedSummary()
    product_templates_install()
    ruleset_templates_install()
    report = history_import(dataset=DATASET, path=str(csv_path), actor=MAKER)
    summary.imported = report.imported + report.already_there
    say(f"history: {summary.imported} rows in {DATASET}")
    _german_activate(say)
    rows = [r for r in history_rows(csv_path) if isinstance(r, HistoryRow)]
    product = product_version_active(code=PRODUCT)
    submitted = [_replay(row, product) for row in rows[:applications]]
    _count(summary, submitted)
    say(
        f"applications: {summary.submitted} ({summary.approved} approved, "
        f"{summary.in_review} in review, {summary.rejected} rejected)"
    )
    outcomes = {f"demo-german-{row.line}": row.bad for row in rows}
    _timeline(summary, submitted, outcomes, weeks, say)
    return summary


def _german_activate(say: Callable[[str], None]) -> None:
    version = ruleset_version_resolve(DATASET)
    if version.status == VersionStatus.ACTIVE:
        return
    if version.status == VersionStatus.DRAFT:
        ruleset_version_submit(version_id=version.pk, actor=MAKER)
    if version.status in (VersionStatus.DRAFT, VersionStatus.PENDING_APPROVAL):
        ruleset_version_approve(version_id=version.pk, actor=CHECKER)
        say(f"rule set {DATASET} v{version.version} active")


def _borrower(row: HistoryRow) -> Borrower:
    person = person_for(row.line, age=int(str(row.features["age"])), today=_today())
    return borrower_register(
        kind="individual",
        name=f"演示借款人{row.line:04d}",
        id_number=person.id_number,
        mobile=person.mobile,
        bank_card=person.bank_card,
        province=_licence("province") or "北京市",
        city=_licence("city"),
        monthly_income=Decimal(4000 + (row.line * 37) % 20 * 500),
        employment_years=row.line % 12,
        consents=[
            {"purpose": "credit_report", "text_version": "demo", "channel": "demo"}
        ],
        actor=MAKER,
    ).borrower


def _licence(field_name: str) -> str:
    """Return the tenant's licensed province or city: borrowers live there."""
    return str(getattr(getattr(connection, "tenant", None), field_name, "") or "")


def _replay(row: HistoryRow, product: ProductVersion) -> Application:
    features = row.features
    amount = min(
        max(Decimal(str(features["amount"])), product.amount_min), product.amount_max
    )
    term = min(
        max(int(str(features["duration_months"])), product.term_min), product.term_max
    )
    # What the applicant states on the form: protected attributes stay in
    # the history for fairness analysis and are never sent to a decision.
    declared = {k: v for k, v in features.items() if k in DECLARABLE}
    return application_submit(
        borrower=_borrower(row),
        product_version=product,
        amount=amount.quantize(Decimal("0.01")),
        term=term,
        purpose=str(features["purpose"]),
        channel="demo",
        actor=MAKER,
        external_ref=f"demo-german-{row.line}",
        declared=declared,
    )


def _count(summary: SeedSummary, submitted: list[Application]) -> None:
    summary.submitted = len(submitted)
    for application in submitted:
        if application.status == ApplicationStatus.APPROVED:
            summary.approved += 1
        elif application.status == ApplicationStatus.IN_REVIEW:
            summary.in_review += 1
        elif application.status == ApplicationStatus.REJECTED:
            summary.rejected += 1


def _today() -> date:
    return timezone.localdate()


def _timeline(
    summary: SeedSummary,
    submitted: list[Application],
    outcomes: dict[str, bool],
    weeks: int,
    say: Callable[[str], None],
) -> None:
    """Disburse, repay and close day by day up to yesterday."""
    yesterday = _today() - timedelta(days=1)
    start = yesterday - timedelta(weeks=weeks) + timedelta(days=1)
    business = BusinessDate.objects.filter(id=1).first()
    if business is not None and business.current > start:
        start = business.current
    if business is None:
        # Open the first day before anything happens on it: without a
        # business date, loans are aged against the wall clock (QA: loans
        # disbursed on the first day announced loan.overdue at once).
        business_date_set(on=start)
    approved = [a for a in submitted if a.status == ApplicationStatus.APPROVED]
    loans: dict[int, tuple[Any, bool]] = {
        a.loan_id: (Loan.objects.get(pk=a.loan_id), outcomes[str(a.external_ref)])
        for a in approved
        if a.loan_id
    }
    approved = [a for a in approved if not a.loan_id]
    _capital_pay_in(start)
    spread = max(1, min(28, (yesterday - start).days + 1))
    schedule = {
        a.pk: start + timedelta(days=i % spread) for i, a in enumerate(approved)
    }
    day = start
    while day <= yesterday:
        for application in approved:
            if schedule[application.pk] == day:
                loan = _disburse(application, day, summary)
                loans[loan.pk] = (loan, outcomes[str(application.external_ref)])
        summary.repayments += _repay_due(loans, day)
        summary.days_closed += len(close_run(through=day, actor=MAKER))
        day += timedelta(days=1)
    say(
        f"timeline {start} to {yesterday}: {summary.disbursed} loans disbursed, "
        f"{summary.repayments} repayments, {summary.days_closed} days closed"
    )


def _capital_pay_in(on: date) -> None:
    """Pay the demo capital in once, on the first day the seed runs."""
    if not JournalEntry.objects.filter(kind="funding.capital").exists():
        funding_record(
            kind="capital",
            amount=DEMO_CAPITAL,
            on=on,
            reference="demo: paid-in capital",
            idempotency_key="demo-capital",
            actor=MAKER,
        )


def _disburse(application: Application, day: date, summary: SeedSummary) -> Any:
    loan = application_to_loan(
        application_id=application.pk, actor=MAKER, contract_date=day
    )
    loan_disburse(
        loan_id=loan.pk, on=day, idempotency_key=f"demo-disburse-{application.pk}"
    )
    summary.disbursed += 1
    return loan


def _repay_due(loans: dict[int, tuple[Any, bool]], day: date) -> int:
    """Pay what falls due today for good payers; bad ones pay the fee only."""
    paid = 0
    due = Instalment.objects.filter(
        loan_id__in=list(loans), due_date=day, paid_off_on__isnull=True
    ).filter(Q(loan__status="active") | Q(loan__status="overdue"))
    for instalment in due:
        _, bad = loans[instalment.loan_id]
        if bad and instalment.number > 0:
            continue
        owed = (
            instalment.principal_due
            + instalment.interest_due
            + instalment.fee_due
            + instalment.penalty_due
            - instalment.principal_paid
            - instalment.interest_paid
            - instalment.fee_paid
            - instalment.penalty_paid
        )
        if owed > 0:
            repayment_record(
                loan_id=instalment.loan_id,
                amount=owed,
                received_on=day,
                idempotency_key=f"demo-repay-{instalment.loan_id}-{instalment.number}",
                actor=MAKER,
            )
            paid += 1
    return paid
