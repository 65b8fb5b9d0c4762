"""Double-entry ledger of one lender (tenant schema).

Every amount is NUMERIC(14,2). A journal line has exactly one positive side
(a CHECK constraint), and every entry's debits equal its credits: a deferred
constraint trigger checks that at commit (migration 0002), so an unbalanced
entry can never be committed, whoever writes it.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class AccountKind(models.TextChoices):
    ASSET = "asset", "Asset"
    CONTRA_ASSET = "contra_asset", "Contra asset"
    LIABILITY = "liability", "Liability"
    EQUITY = "equity", "Equity"
    INCOME = "income", "Income"
    EXPENSE = "expense", "Expense"


class AccountCode(models.TextChoices):
    """The chart of accounts every lender starts with (seeded, 0003 and 0004)."""

    CASH = "1001", "Cash at bank"
    PRINCIPAL_RECEIVABLE = "1101", "Loan principal receivable"
    INTEREST_RECEIVABLE = "1102", "Interest receivable"
    FEE_RECEIVABLE = "1103", "Fee receivable"
    PENALTY_RECEIVABLE = "1104", "Penalty interest receivable"
    LOAN_LOSS_PROVISION = "1190", "Loan-loss provision"
    BORROWER_CREDIT = "2101", "Borrower credit balances"
    BANK_BORROWINGS = "2201", "Borrowings from banks"
    PAID_IN_CAPITAL = "3001", "Paid-in capital"
    INTEREST_INCOME = "4001", "Interest income"
    FEE_INCOME = "4002", "Fee income"
    PENALTY_INCOME = "4003", "Penalty interest income"
    RECOVERIES_INCOME = "4004", "Recoveries of written-off loans"
    WRITE_OFF_EXPENSE = "5001", "Write-off expense"
    PROVISION_EXPENSE = "5002", "Loan-loss provision expense"


ACCOUNT_KINDS: dict[str, str] = {
    AccountCode.CASH: AccountKind.ASSET,
    AccountCode.PRINCIPAL_RECEIVABLE: AccountKind.ASSET,
    AccountCode.INTEREST_RECEIVABLE: AccountKind.ASSET,
    AccountCode.FEE_RECEIVABLE: AccountKind.ASSET,
    AccountCode.PENALTY_RECEIVABLE: AccountKind.ASSET,
    AccountCode.LOAN_LOSS_PROVISION: AccountKind.CONTRA_ASSET,
    AccountCode.BORROWER_CREDIT: AccountKind.LIABILITY,
    AccountCode.BANK_BORROWINGS: AccountKind.LIABILITY,
    AccountCode.PAID_IN_CAPITAL: AccountKind.EQUITY,
    AccountCode.INTEREST_INCOME: AccountKind.INCOME,
    AccountCode.FEE_INCOME: AccountKind.INCOME,
    AccountCode.PENALTY_INCOME: AccountKind.INCOME,
    AccountCode.RECOVERIES_INCOME: AccountKind.INCOME,
    AccountCode.WRITE_OFF_EXPENSE: AccountKind.EXPENSE,
    AccountCode.PROVISION_EXPENSE: AccountKind.EXPENSE,
}


class Account(models.Model):
    code = models.CharField(max_length=10, unique=True)
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=20, choices=AccountKind.choices)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class JournalEntry(models.Model):
    """One business event, posted once (``idempotency_key`` is unique)."""

    entry_date = models.DateField(db_index=True)  # the business date
    kind = models.CharField(max_length=40)  # e.g. 'disbursement', 'accrual'
    loan_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    idempotency_key = models.CharField(max_length=200, unique=True)
    memo = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["entry_date", "id"]
        verbose_name_plural = "journal entries"

    def __str__(self) -> str:
        return f"{self.entry_date} {self.kind} {self.idempotency_key}"


class JournalLine(models.Model):
    entry = models.ForeignKey(
        JournalEntry, on_delete=models.PROTECT, related_name="lines"
    )
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+")
    loan_id = models.BigIntegerField(null=True, blank=True)
    debit = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    credit = models.DecimalField(max_digits=14, decimal_places=2, default=0)

    class Meta:
        indexes = [models.Index(fields=["loan_id", "account"])]
        constraints = [
            models.CheckConstraint(
                name="journal_line_one_side_positive",
                condition=(Q(debit__gt=0) & Q(credit=0))
                | (Q(credit__gt=0) & Q(debit=0)),
            )
        ]

    def __str__(self) -> str:
        return f"{self.account_id} Dr {self.debit} Cr {self.credit}"
