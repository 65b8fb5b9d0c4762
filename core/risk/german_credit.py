"""Map rows of the Statlog German Credit data set to risk features.

Each CSV row becomes a features dict for the rule engine and, separately,
the observed outcome (``True`` = bad). The ``creditability`` column is read
only into that outcome: it never enters the features, so no rule can see it.

Amounts: ``credit_amount`` is in Deutsche Mark (250 to 18,424). We scale
1 DM to ``DM_TO_CNY`` = 1 CNY. This is not a currency conversion; it keeps
the amounts inside our product templates (CNY 1,000-30,000 loans) so the
demo can disburse them. The same amount is also given as the generic
``amount`` feature and the duration as ``term_months``, so limit rules read
the requested loan the same way for every data source.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from core.errors import InvalidInput

DM_TO_CNY = Decimal(1)
OUTCOME_COLUMN = "creditability"

_CATEGORIES: dict[str, tuple[str, dict[str, str]]] = {
    "status_of_existing_checking_account": (
        "checking_status",
        {
            "... < 0 DM": "below_0",
            "0 <= ... < 200 DM": "0_to_200",
            "... >= 200 DM / salary assignments for at least 1 year": "200_or_more",
            "no checking account": "no_account",
        },
    ),
    "credit_history": (
        "credit_history",
        {
            "no credits taken/ all credits paid back duly": "no_credits_all_paid",
            "all credits at this bank paid back duly": "all_paid_this_bank",
            "existing credits paid back duly till now": "existing_paid_duly",
            "delay in paying off in the past": "past_delay",
            "critical account/ other credits existing (not at this bank)": (
                "critical_account"
            ),
        },
    ),
    "purpose": (
        "purpose",
        {
            "car (new)": "car_new",
            "car (used)": "car_used",
            "furniture/equipment": "furniture_equipment",
            "radio/television": "radio_tv",
            "domestic appliances": "domestic_appliances",
            "repairs": "repairs",
            "education": "education",
            "retraining": "retraining",
            "business": "business",
            "others": "others",
        },
    ),
    "savings_account_and_bonds": (
        "savings",
        {
            "... < 100 DM": "below_100",
            "100 <= ... < 500 DM": "100_to_500",
            "500 <= ... < 1000 DM": "500_to_1000",
            "... >= 1000 DM": "1000_or_more",
            "unknown/ no savings account": "unknown_none",
        },
    ),
    "present_employment_since": (
        "employment_since",
        {
            "unemployed": "unemployed",
            "... < 1 year": "below_1y",
            "1 <= ... < 4 years": "1_to_4y",
            "4 <= ... < 7 years": "4_to_7y",
            "... >= 7 years": "7y_or_more",
        },
    ),
    "personal_status_and_sex": (
        "personal_status",
        {
            "male : divorced/separated": "male_divorced_separated",
            "female : divorced/separated/married": "female_divorced_separated_married",
            "male : single": "male_single",
            "male : married/widowed": "male_married_widowed",
        },
    ),
    "other_debtors_or_guarantors": (
        "other_debtors",
        {"none": "none", "co-applicant": "co_applicant", "guarantor": "guarantor"},
    ),
    "property": (
        "property",
        {
            "real estate": "real_estate",
            "building society savings agreement/ life insurance": "savings_insurance",
            "car or other, not in attribute Savings account/bonds": "car_other",
            "unknown / no property": "unknown_none",
        },
    ),
    "other_installment_plans": (
        "other_installment_plans",
        {"bank": "bank", "stores": "stores", "none": "none"},
    ),
    "housing": ("housing", {"rent": "rent", "own": "own", "for free": "for_free"}),
    "job": (
        "job",
        {
            "unemployed/ unskilled - non-resident": "unskilled_nonresident",
            "unskilled - resident": "unskilled_resident",
            "skilled employee / official": "skilled",
            "management/ self-employed/ highly qualified employee/ officer": (
                "highly_qualified"
            ),
        },
    ),
}

_NUMBERS = {
    "duration_in_month": "duration_months",
    "installment_rate_in_percentage_of_disposable_income": "installment_rate",
    "present_residence_since": "residence_since",
    "age_in_years": "age",
    "number_of_existing_credits_at_this_bank": "existing_credits",
    "number_of_people_being_liable_to_provide_maintenance_for": "dependants",
}

_FLAGS = {
    "telephone": ("telephone", "yes, registered under the customers name", "none"),
    "foreign_worker": ("foreign_worker", "yes", "no"),
}

_OUTCOMES = {"bad": True, "good": False}


@dataclass(frozen=True, slots=True)
class Application:
    """One historical application: its CSV line, features and outcome."""

    line: int
    features: dict[str, object]
    bad: bool


def row_to_features(row: Mapping[str, str]) -> dict[str, object]:
    """Map one CSV row to a features dict, leaving the outcome out.

    Raises InvalidInput naming each column whose value is not recognised.
    """
    features: dict[str, object] = {}
    errors: dict[str, str] = {}
    for column, (name, codes) in _CATEGORIES.items():
        _put(features, errors, column, name, lambda text, c=codes: c[text], row)
    for column, name in _NUMBERS.items():
        _put(features, errors, column, name, _whole_number, row)
    for column, (name, yes, no) in _FLAGS.items():
        flags = {yes: True, no: False}
        _put(features, errors, column, name, lambda text, f=flags: f[text], row)
    _put(features, errors, "credit_amount", "credit_amount", _cny, row)
    if errors:
        raise InvalidInput("unrecognised German credit row", fields=errors)
    features["amount"] = features["credit_amount"]
    features["term_months"] = features["duration_months"]
    return features


def _put(
    features: dict[str, object],
    errors: dict[str, str],
    column: str,
    name: str,
    convert: object,
    row: Mapping[str, str],
) -> None:
    text = (row.get(column) or "").strip()
    try:
        features[name] = convert(text)  # type: ignore[operator]
    except (KeyError, ValueError, ArithmeticError):
        errors[column] = f"unrecognised value {text!r}"


def _whole_number(text: str) -> int:
    return int(text)


def _cny(text: str) -> Decimal:
    return Decimal(int(text)) * DM_TO_CNY


def row_outcome(row: Mapping[str, str]) -> bool:
    """Return True when the row's observed outcome is bad."""
    text = (row.get(OUTCOME_COLUMN) or "").strip()
    if text not in _OUTCOMES:
        raise InvalidInput.for_field(OUTCOME_COLUMN, f"unrecognised value {text!r}")
    return _OUTCOMES[text]


def read_applications(path: Path | str) -> Iterator[Application]:
    """Yield each row of the CSV at ``path``; raise InvalidInput on a bad row.

    Line numbers count the header as line 1.
    """
    with open(path, newline="", encoding="utf-8") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            try:
                yield Application(line, row_to_features(row), row_outcome(row))
            except InvalidInput as exc:
                fields = {f"line {line}: {k}": v for k, v in exc.fields.items()}
                raise InvalidInput(
                    f"line {line}: {exc.message}", fields=fields
                ) from None
