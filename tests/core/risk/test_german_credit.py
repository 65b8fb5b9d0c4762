"""German credit rows map to features without the outcome; the card holds up."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import pytest

from core.errors import InvalidInput
from core.risk.features import coerce_features
from core.risk.german_credit import OUTCOME_COLUMN, row_outcome, row_to_features
from core.risk.metrics import backtest
from core.risk.ruleset import evaluate, validate_ruleset
from tests.core.risk.factories import load_template

DATA = Path(__file__).resolve().parents[3] / "data" / "german_credit.csv"


def first_row() -> dict[str, str]:
    with DATA.open(newline="") as handle:
        return next(csv.DictReader(handle))


def test_row_maps_every_attribute_and_never_the_outcome() -> None:
    row = first_row()

    features = row_to_features(row)

    assert len(set(features) - {"amount", "term_months"}) == 20
    assert OUTCOME_COLUMN not in features
    assert "good" not in features.values() and "bad" not in features.values()
    assert features["credit_amount"] == features["amount"] == Decimal(1169)
    assert features["checking_status"] == "below_0"
    coerce_features(features)


def test_outcome_is_returned_separately_bad_is_true() -> None:
    assert row_outcome({OUTCOME_COLUMN: "bad"}) is True
    assert row_outcome({OUTCOME_COLUMN: "good"}) is False


def test_unrecognised_values_are_named_by_column() -> None:
    row = first_row() | {"housing": "castle", "age_in_years": "old"}

    with pytest.raises(InvalidInput) as caught:
        row_to_features(row)

    assert set(caught.value.fields) == {"housing", "age_in_years"}


def test_shipped_german_card_ranks_the_whole_file_better_than_chance() -> None:
    ruleset = validate_ruleset(load_template("german_credit"))
    with DATA.open(newline="") as handle:
        rows = list(csv.DictReader(handle))

    decisions = [evaluate(ruleset, row_to_features(row)) for row in rows]
    result = backtest(decisions, [row_outcome(row) for row in rows])

    assert result.applications == 1000
    assert result.auc is not None and result.auc > 0.7
    assert result.bad_rate_approved < result.bad_rate_all
