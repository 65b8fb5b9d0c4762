"""Apply a repayment to a locked loan, or undo that, with its ledger entry.

Helpers of the services: the caller holds the loan's row lock inside one
transaction. ``allocation_apply`` records on ``repayment.allocation`` every
amount it moved, and ``allocation_undo`` subtracts exactly those amounts, so
undoing later repayments newest first and re-applying them oldest first
(a replay) restores a consistent history.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from decimal import Decimal

from core.errors import Conflict
from core.ledger.services import Line, journal_post, journal_reverse
from core.loans.models import Instalment, Loan, LoanStatus, Repayment, RepaymentKind
from core.pricing.allocation import Bucket, InstalmentDue, allocate
from core.pricing.rounding import ZERO

_RECEIVABLE = {
    Bucket.PRINCIPAL: ("1101", "principal_outstanding"),
    Bucket.INTEREST: ("1102", "interest_accrued_unpaid"),
    Bucket.FEE: ("1103", "fee_outstanding"),
    Bucket.PENALTY: ("1104", "penalty_outstanding"),
}


def signed_line(account: str, amount: Decimal, loan_id: int) -> Line:
    """Return a debit for a positive ``amount``, a credit for a negative one."""
    if amount >= 0:
        return Line(account, debit=amount, loan_id=loan_id)
    return Line(account, credit=-amount, loan_id=loan_id)


def instalment_dues(instalments: list[Instalment]) -> list[InstalmentDue]:
    """Return what is still unpaid on each of ``instalments``, per bucket."""
    return [
        InstalmentDue(
            number=i.number,
            penalty_due=i.penalty_due - i.penalty_paid,
            fee_due=i.fee_due - i.fee_paid,
            interest_due=i.interest_due - i.interest_paid,
            principal_due=i.principal_due - i.principal_paid,
        )
        for i in instalments
    ]


def principal_paid(allocation: dict) -> dict[int, Decimal]:
    """Return the principal a repayment's ``allocation`` record paid, per
    instalment number (those it paid none of left out)."""
    paid = {}
    for number, line in (allocation or {}).get("instalments", {}).items():
        principal = Decimal(line.get(Bucket.PRINCIPAL.value, "0"))
        if principal:
            paid[int(number)] = principal
    return paid


def _instalments_pay(
    instalments: list[Instalment], paid: dict[str, dict[str, str]], on: date
) -> dict[Bucket, Decimal]:
    totals = dict.fromkeys(Bucket, ZERO)
    for instalment in instalments:
        line = paid.get(str(instalment.number), {})
        for bucket in Bucket:
            amount = Decimal(line.get(bucket.value, "0"))
            field = f"{bucket.value}_paid"
            setattr(instalment, field, getattr(instalment, field) + amount)
            totals[bucket] += amount
        if not any(instalment_dues([instalment])[0].amount(b) for b in Bucket):
            instalment.paid_off_on = instalment.paid_off_on or on
        else:
            instalment.paid_off_on = None
        instalment.save()
    return totals


def allocation_apply(
    loan: Loan, repayment: Repayment, held: Mapping[int, Decimal] | None = None
) -> None:
    """Split ``repayment`` over what the loan owes, post it, maybe close the loan.

    ``held`` is penalty per instalment number that this repayment must not
    pay (charged for days from its back-dated receipt on: not owed yet
    when the money came; ``core.loans.relief``).
    """
    if repayment.kind == RepaymentKind.RECOVERY:
        _recovery_apply(loan, repayment)
        return
    instalments = list(
        loan.instalments.filter(paid_off_on__isnull=True).order_by("number")
    )
    order = [Bucket(name) for name in loan.allocation_order]
    dues = instalment_dues(instalments)
    if held:
        dues = [
            replace(due, penalty_due=due.penalty_due - held.get(due.number, ZERO))
            for due in dues
        ]
    split = allocate(repayment.amount, dues, order)
    paid = {
        str(line.number): {
            b.value: str(getattr(line, f"{b.value}_paid")) for b in Bucket
        }
        for line in split.paid
        if line.total_paid
    }
    totals = _instalments_pay(instalments, paid, repayment.received_on)
    lines = [Line("1001", debit=repayment.amount, loan_id=loan.pk)]
    for bucket, (account, field) in _RECEIVABLE.items():
        setattr(loan, field, getattr(loan, field) - totals[bucket])
        lines.append(Line(account, credit=totals[bucket], loan_id=loan.pk))
    loan.credit_balance += split.unallocated
    lines.append(Line("2101", credit=split.unallocated, loan_id=loan.pk))
    record = {"instalments": paid, "credit": str(split.unallocated)}
    for kept in ("settlement", "penalty_relief", "backdated"):  # set first, kept
        if kept in repayment.allocation:
            record[kept] = repayment.allocation[kept]
    record["prior_status"] = loan.status
    still_owed = loan.instalments.filter(paid_off_on__isnull=True).exists()
    if loan.status in (LoanStatus.ACTIVE, LoanStatus.OVERDUE) and not still_owed:
        lines += _loan_close(loan, repayment.received_on, record)
    repayment.allocation = record
    _post(loan, repayment, "repayment", lines)


def _loan_close(loan: Loan, on: date, record: dict) -> list[Line]:
    """Close a loan owing nothing: settle the accrual residue and the provision.

    Daily accruals are rounded per day, so at the end the interest
    receivable differs from the interest paid by cents (or by the interest
    paid ahead of accrual); that residue is taken to interest income.
    Per-instalment fees paid ahead of their due date are booked as fee
    income now, since no close will reach their due date on an open loan.
    """
    residue = loan.interest_accrued_unpaid
    release = loan.provision_balance
    early = loan.instalments.filter(fee_recognised_on__isnull=True)
    fees = sum(early.values_list("fee_due", flat=True), ZERO)
    record["fee_instalments"] = list(early.values_list("number", flat=True))
    early.update(fee_recognised_on=on)
    loan.interest_accrued_unpaid = ZERO
    loan.provision_balance = ZERO
    loan.fee_outstanding += fees
    loan.status = LoanStatus.CLOSED
    loan.closed_on = on
    loan.dpd = 0
    loan.bucket = "0"
    record["prior_classification"] = loan.classification
    loan.classification = "normal"
    record.update(
        true_up=str(residue),
        provision_release=str(release),
        fees_recognised=str(fees),
        closed=True,
    )
    return [
        signed_line("4001", residue, loan.pk),
        signed_line("1102", -residue, loan.pk),
        Line("1190", debit=release, loan_id=loan.pk),
        Line("5002", credit=release, loan_id=loan.pk),
        Line("1103", debit=fees, loan_id=loan.pk),
        Line("4002", credit=fees, loan_id=loan.pk),
    ]


def _recovery_apply(loan: Loan, repayment: Repayment) -> None:
    room = max(loan.written_off_amount - loan.recovered_amount, ZERO)
    recovered = min(repayment.amount, room)
    excess = repayment.amount - recovered
    loan.recovered_amount += recovered
    loan.credit_balance += excess
    repayment.allocation = {"recovered": str(recovered), "credit": str(excess)}
    lines = [
        Line("1001", debit=repayment.amount, loan_id=loan.pk),
        Line("4004", credit=recovered, loan_id=loan.pk),
        Line("2101", credit=excess, loan_id=loan.pk),
    ]
    _post(loan, repayment, "recovery", lines)


def _post(loan: Loan, repayment: Repayment, kind: str, lines: list[Line]) -> None:
    repayment.applications += 1
    repayment.entry = journal_post(
        entry_date=repayment.received_on,
        kind=kind,
        lines=lines,
        loan=loan,
        idempotency_key=f"repayment:{repayment.pk}:apply:{repayment.applications}",
    )
    repayment.save()
    loan.save()


def allocation_undo(loan: Loan, repayment: Repayment, on: date) -> None:
    """Reverse ``repayment``'s current application on the loan and the ledger."""
    record = repayment.allocation
    if repayment.kind == RepaymentKind.RECOVERY:
        loan.recovered_amount -= Decimal(record["recovered"])
    else:
        _instalments_unpay(loan, record["instalments"])
    loan.credit_balance -= Decimal(record["credit"])
    if loan.credit_balance < 0:
        raise Conflict(
            f"repayment {repayment.pk} left a credit that was since refunded: "
            "undoing it would owe the borrower a negative balance",
            code="credit_refunded",
            fields={"repayment_id": "its credit was refunded"},
        )
    if record.get("closed"):
        _loan_reopen(loan, record)
    if repayment.entry is None:
        raise Conflict(f"repayment {repayment.pk} was never posted")
    journal_reverse(
        entry=repayment.entry,
        entry_date=on,
        idempotency_key=f"repayment:{repayment.pk}:undo:{repayment.applications}",
    )
    loan.save()


def _loan_reopen(loan: Loan, record: dict) -> None:
    """Undo ``_loan_close``: the loan owes again and is open."""
    loan.interest_accrued_unpaid += Decimal(record["true_up"])
    loan.provision_balance += Decimal(record["provision_release"])
    loan.fee_outstanding -= Decimal(record.get("fees_recognised", "0"))
    loan.instalments.filter(number__in=record.get("fee_instalments", [])).update(
        fee_recognised_on=None
    )
    loan.classification = record.get("prior_classification", loan.classification)
    loan.status = record["prior_status"]
    loan.closed_on = None


def _instalments_unpay(loan: Loan, paid: dict[str, dict[str, str]]) -> None:
    numbers = [int(number) for number in paid]
    instalments = list(loan.instalments.filter(number__in=numbers))
    negated = {
        number: {bucket: str(-Decimal(amount)) for bucket, amount in line.items()}
        for number, line in paid.items()
    }
    totals = _instalments_pay(instalments, negated, loan.closed_on or date.min)
    for bucket, (_, field) in _RECEIVABLE.items():
        setattr(loan, field, getattr(loan, field) - totals[bucket])
