"""Loans, their instalments, repayments and payment instructions (tenant schema).

A loan row carries its running balances (principal outstanding, interest
accrued and unpaid, fees, penalty, credit balance, provision) so that reading
a loan never scans its history. Every change to them is posted to the ledger
in the same transaction; ``manage.py reconcile`` proves they agree.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import models
from django.db.models import Q

ZERO = Decimal("0.00")


def _money(**kwargs: Any) -> models.DecimalField:
    return models.DecimalField(max_digits=14, decimal_places=2, default=ZERO, **kwargs)


def _rate(**kwargs: Any) -> models.DecimalField:
    return models.DecimalField(max_digits=9, decimal_places=6, **kwargs)


class LoanStatus(models.TextChoices):
    APPROVED = "approved"
    ACTIVE = "active"
    OVERDUE = "overdue"
    CLOSED = "closed"
    WRITTEN_OFF = "written_off"
    REVERSED = "reversed"


class Classification(models.TextChoices):
    """Five-tier loan classification (五级分类)."""

    NORMAL = "normal"
    SPECIAL_MENTION = "special_mention"
    SUBSTANDARD = "substandard"
    DOUBTFUL = "doubtful"
    LOSS = "loss"


class Loan(models.Model):
    borrower = models.ForeignKey(
        "borrowers.Borrower", on_delete=models.PROTECT, related_name="loans"
    )
    product_version = models.ForeignKey(
        "products.ProductVersion", on_delete=models.PROTECT, related_name="loans"
    )
    # Terms, copied from the product version when the loan is made.
    principal = _money()
    annual_rate = _rate()
    term = models.PositiveIntegerField()
    term_unit = models.CharField(max_length=5)
    method = models.CharField(max_length=20)
    day_count = models.CharField(max_length=10)
    rounding = models.CharField(max_length=10)
    penalty_rate = _rate(default=Decimal(0))
    grace_days = models.PositiveIntegerField(default=0)
    fees = models.JSONField(default=list, blank=True)
    # The product's late fees for one late instalment, priced at creation.
    late_fee = models.DecimalField(
        max_digits=14, decimal_places=2, default=Decimal(0), db_default=Decimal(0)
    )
    allocation_order = models.JSONField(default=list)
    funding_source = models.CharField(max_length=60, default="own_capital")

    status = models.CharField(
        max_length=12, choices=LoanStatus.choices, default=LoanStatus.APPROVED
    )
    contract_date = models.DateField()
    disbursed_on = models.DateField(null=True, blank=True)
    maturity_date = models.DateField(null=True, blank=True)
    closed_on = models.DateField(null=True, blank=True)

    # Pricing snapshot: the annualised rate and the LPR in force at contract.
    annualised_rate = _rate()
    apr_method = models.CharField(max_length=60)
    lpr_rate = _rate()
    lpr_date = models.DateField()

    # Running balances (the loan subledger), in CNY.
    principal_outstanding = _money()
    interest_accrued_unpaid = _money()  # negative: interest paid before accrual
    fee_outstanding = _money()
    penalty_outstanding = _money()
    credit_balance = _money()  # owed to the borrower (overpayments)
    provision_balance = _money()
    written_off_amount = _money()
    recovered_amount = _money()

    dpd = models.PositiveIntegerField(default=0)
    # The business date the current overdue episode began (None while the
    # loan is current); it keys the episode's one loan.overdue event.
    overdue_since = models.DateField(null=True, blank=True)
    bucket = models.CharField(max_length=6, default="0")
    classification = models.CharField(
        max_length=16, choices=Classification.choices, default=Classification.NORMAL
    )
    last_accrual_date = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["status"]),
            # The close's late-fee pass starts from the few loans with one.
            models.Index(
                fields=["id"], name="loan_late_fee_idx", condition=Q(late_fee__gt=0)
            ),
        ]
        constraints = [
            models.CheckConstraint(
                name="loan_principal_positive", condition=Q(principal__gt=0)
            ),
            models.CheckConstraint(
                name="loan_principal_outstanding_in_range",
                condition=Q(principal_outstanding__gte=0)
                & Q(principal_outstanding__lte=models.F("principal")),
            ),
            models.CheckConstraint(
                name="loan_credit_balance_not_negative",
                condition=Q(credit_balance__gte=0),
            ),
        ]

    def __str__(self) -> str:
        return f"loan {self.pk} {self.status}"


class Instalment(models.Model):
    """One scheduled instalment; number 0 is the upfront fee due at disbursement."""

    loan = models.ForeignKey(Loan, on_delete=models.CASCADE, related_name="instalments")
    number = models.PositiveIntegerField()
    period_start = models.DateField()
    due_date = models.DateField()
    principal_due = _money()
    interest_due = _money()
    fee_due = _money()
    penalty_due = _money()
    principal_paid = _money()
    interest_paid = _money()
    fee_paid = _money()
    penalty_paid = _money()
    paid_off_on = models.DateField(null=True, blank=True)
    # When the close charged this instalment's late fee (once at most).
    late_fee_charged_on = models.DateField(null=True, blank=True)
    # When the scheduled fee was booked as income (due date, or closure).
    fee_recognised_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["loan", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["loan", "number"], name="instalment_number_unique"
            ),
        ]
        indexes = [
            models.Index(
                fields=["loan", "due_date"],
                name="instalment_unpaid_idx",
                condition=Q(paid_off_on__isnull=True),
            ),
            models.Index(
                fields=["due_date"],
                name="instalment_due_unpaid_idx",
                condition=Q(paid_off_on__isnull=True),
            ),
            # Scheduled fees the close has still to book as income.
            models.Index(
                fields=["due_date"],
                name="instalment_fee_unbooked_idx",
                condition=Q(fee_recognised_on__isnull=True, fee_due__gt=0),
            ),
        ]

    def __str__(self) -> str:
        return f"loan {self.loan_id} #{self.number} due {self.due_date}"


class RepaymentKind(models.TextChoices):
    REGULAR = "regular"
    SETTLEMENT = "settlement"
    RECOVERY = "recovery"
    REVERSAL = "reversal"


class RepaymentStatus(models.TextChoices):
    POSTED = "posted"
    REVERSED = "reversed"


class Repayment(models.Model):
    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="repayments")
    kind = models.CharField(
        max_length=12, choices=RepaymentKind.choices, default=RepaymentKind.REGULAR
    )
    amount = _money()
    received_on = models.DateField()
    channel = models.CharField(max_length=30, default="sandbox")
    external_ref = models.CharField(max_length=100, blank=True)
    idempotency_key = models.CharField(max_length=200, unique=True)
    request_fingerprint = models.CharField(max_length=64, blank=True, db_default="")
    # Per instalment number, per bucket, plus 'credit' and 'interest_true_up'.
    allocation = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        max_length=10, choices=RepaymentStatus.choices, default=RepaymentStatus.POSTED
    )
    reversal_of = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversal",
    )
    entry = models.ForeignKey(
        "ledger.JournalEntry",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    applications = models.PositiveIntegerField(default=0)  # replays bump it
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["loan", "received_on", "id"]
        constraints = [
            models.CheckConstraint(
                name="repayment_amount_positive", condition=Q(amount__gt=0)
            ),
        ]

    def __str__(self) -> str:
        return f"repayment {self.pk} {self.amount} on {self.received_on}"


class PaymentInstruction(models.Model):
    """A payment we asked a channel to make (disbursements, credit refunds)."""

    class Status(models.TextChoices):
        SENT = "sent"
        SETTLED = "settled"
        FAILED = "failed"

    loan = models.ForeignKey(
        Loan, on_delete=models.PROTECT, related_name="payment_instructions"
    )
    kind = models.CharField(max_length=20, default="disbursement")
    amount = _money()
    channel = models.CharField(max_length=30)
    idempotency_key = models.CharField(max_length=200, unique=True)
    request_fingerprint = models.CharField(max_length=64, blank=True, db_default="")
    external_ref = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["loan", "kind"],
                name="one_disbursement_per_loan",
                condition=Q(kind="disbursement"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} for loan {self.loan_id}"
