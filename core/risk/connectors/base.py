"""The connector interface and the errors a source can end in.

Plain Python: imports no Django. A connector turns an applicant into a
dict of registered risk features or raises ConnectorError; the service
records the call, caches good answers and sends the application to manual
review when a source fails.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import ClassVar

from core.borrowers.consent import CREDIT_REPORT

BUREAU, IDENTITY, TURNOVER = "bureau", "identity", "turnover"
FAILED, TIMEOUT, MALFORMED = "failed", "timeout", "malformed"

# Reason codes by source kind and failure: C001 'bureau_unavailable'...
REASON_CODES: dict[tuple[str, str], tuple[str, str]] = {
    (BUREAU, FAILED): ("C001", "bureau_unavailable"),
    (BUREAU, TIMEOUT): ("C002", "bureau_timeout"),
    (BUREAU, MALFORMED): ("C003", "bureau_malformed"),
    (IDENTITY, FAILED): ("C011", "identity_unavailable"),
    (IDENTITY, TIMEOUT): ("C012", "identity_timeout"),
    (IDENTITY, MALFORMED): ("C013", "identity_malformed"),
    (TURNOVER, FAILED): ("C021", "turnover_unavailable"),
    (TURNOVER, TIMEOUT): ("C022", "turnover_timeout"),
    (TURNOVER, MALFORMED): ("C023", "turnover_malformed"),
}
IDENTITY_MISMATCH = ("C010", "identity_mismatch")
# A source that may be asked only with the borrower's consent to a purpose:
# the bureau with a credit-report consent (征信业管理条例 art. 18).
CONSENT_NEEDED = {BUREAU: CREDIT_REPORT}
NO_CONSENT = "no_consent"
BUREAU_NO_CONSENT = ("C004", "bureau_no_consent")


@dataclass(frozen=True)
class Applicant:
    """What a connector may know about the person applying.

    Plain personal values are fetched only by a live connector, through
    ``reveal`` (never logged); sandboxes read the blind indexes.
    """

    borrower_id: int
    name: str
    id_number_index: str
    mobile_index: str
    bank_card_index: str
    monthly_income: Decimal | None
    reveal: Callable[[str], str] = field(repr=False, compare=False)


class ConnectorError(Exception):
    """A source failed: ``status`` is failed, timeout or malformed."""

    def __init__(self, status: str, detail: str) -> None:
        super().__init__(f"{status}: {detail}")
        self.status = status
        self.detail = detail[:200]


class Connector:
    """A data source: ``fetch`` returns registered feature values."""

    name: ClassVar[str]
    kind: ClassVar[str]
    cost: ClassVar[Decimal]  # CNY per call

    def fetch(self, applicant: Applicant) -> dict[str, object]:
        raise NotImplementedError


def reason_for(kind: str, status: str) -> tuple[str, str]:
    """Return the review reason (code, label) for a failed source."""
    return REASON_CODES[(kind, status)]
