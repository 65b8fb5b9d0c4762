from __future__ import annotations

import pytest

from core.ledger.selectors import trial_balance_difference
from core.ledger.services import ledger_reconcile


@pytest.fixture
def assert_books_agree():
    """Return a check that the trial balance is zero and subledger == ledger."""

    def check() -> None:
        result = ledger_reconcile()
        assert trial_balance_difference() == 0
        assert result.differences == ()

    return check
