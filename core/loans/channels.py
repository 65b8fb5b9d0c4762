"""Payment channels that pay a disbursement out (bank, payment institution).

A channel is handed the loan, never an amount: it pays ``loan.principal``,
so netting a fee out of a disbursement (砍头息) cannot be expressed. A
refund of a credit balance is the one payout that names an amount.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from core.loans.models import Loan


@dataclass(frozen=True, slots=True)
class ChannelReceipt:
    external_ref: str
    amount_paid: Decimal


class PaymentChannel(Protocol):
    name: str

    def disburse(self, *, loan: Loan, idempotency_key: str) -> ChannelReceipt:
        """Pay the loan's full principal to the borrower; idempotent per key."""
        ...

    def refund(
        self, *, loan: Loan, amount: Decimal, idempotency_key: str
    ) -> ChannelReceipt:
        """Pay ``amount`` of the borrower's credit back; idempotent per key."""
        ...


@dataclass
class SandboxChannel:
    """Pays nothing; remembers each payout once per key, as a real bank would."""

    name: str = "sandbox"
    payouts: dict[str, Decimal] = field(default_factory=dict)

    def disburse(self, *, loan: Loan, idempotency_key: str) -> ChannelReceipt:
        self.payouts.setdefault(idempotency_key, loan.principal)
        return ChannelReceipt(f"SBX-{idempotency_key}", self.payouts[idempotency_key])

    def refund(
        self, *, loan: Loan, amount: Decimal, idempotency_key: str
    ) -> ChannelReceipt:
        self.payouts.setdefault(idempotency_key, amount)
        return ChannelReceipt(f"SBX-{idempotency_key}", self.payouts[idempotency_key])
