"""Sandbox connectors: deterministic answers from the applicant's data.

A tenant testing its rules gets the same answer for the same applicant
every time, with no network and no cost. Values come from a hash of the
blind index, so they spread over the whole range of each feature.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal

from core.risk.connectors.base import (
    BUREAU,
    IDENTITY,
    TURNOVER,
    Applicant,
    Connector,
)
from core.risk.connectors.live import bureau_features, turnover_features


def _draw(*parts: str) -> int:
    """Return a stable 64-bit number from ``parts``."""
    digest = hashlib.sha256("|".join(parts).encode()).digest()
    return int.from_bytes(digest[:8], "big")


class _SandboxBureau(Connector):
    kind = BUREAU
    cost = Decimal("0")

    def fetch(self, applicant: Applicant) -> dict[str, object]:
        draw = _draw(self.name, applicant.id_number_index)
        score = 480 + draw % 321  # 480-800
        overdue = 0 if score >= 600 else (draw >> 16) % 4
        max_days = 0 if overdue == 0 else 5 + (draw >> 24) % 60
        income = applicant.monthly_income
        debt = (income or Decimal(0)) * Decimal((draw >> 32) % 60) / 100
        return bureau_features(
            score=score,
            overdue_count=overdue,
            max_overdue_days=max_days,
            monthly_debt_service=debt.quantize(Decimal("0.01")),
            monthly_income=income,
        )


class SandboxPbocConnector(_SandboxBureau):
    name = "pboc"


class SandboxBaihangConnector(_SandboxBureau):
    name = "baihang"


class SandboxIdentityConnector(Connector):
    """Every applicant matches: the sandbox has no register to differ from."""

    name = "identity"
    kind = IDENTITY
    cost = Decimal("0")

    def fetch(self, applicant: Applicant) -> dict[str, object]:
        return {"identity_verified": True}


class SandboxTurnoverConnector(Connector):
    """Six months around the declared income (or a drawn one), +-35%."""

    name = "turnover"
    kind = TURNOVER
    cost = Decimal("0")

    def fetch(self, applicant: Applicant) -> dict[str, object]:
        draw = _draw(self.name, applicant.id_number_index)
        base = applicant.monthly_income or Decimal(3000 + draw % 12000)
        swing = (draw >> 16) % 36  # 0-35 %
        amounts = [
            base * (100 + swing * (1 if month % 2 else -1)) / 100 for month in range(6)
        ]
        return turnover_features([a.quantize(Decimal("0.01")) for a in amounts])
