"""The registry of named features a rule set may read.

A feature has a kind (``number``, ``bool`` or ``category``), a description,
and for numbers optional bounds, for categories the closed set of values.
Rule sets may name only registered features, and applicant data is coerced
here (numbers to ``Decimal``) before any rule sees it. A value of ``None`` or
an absent key means the feature is missing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from typing import Any

from core.errors import InvalidInput

NUMBER, BOOL, CATEGORY = "number", "bool", "category"
OWN, DECLARED = "own", "declared"
BUREAU, IDENTITY, TURNOVER = "bureau", "identity", "turnover"

# ``score`` is what the scorecard computes; rules read it, applicants cannot
# supply it.
SCORE = "score"


@dataclass(frozen=True, slots=True)
class Feature:
    """One named input to the risk rules."""

    name: str
    kind: str
    description: str
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    values: frozenset[str] | None = None
    # Where the value comes from: OWN (our records), a connector kind
    # (bureau, identity, turnover) or DECLARED (the applicant's form).
    source: str = "declared"
    # Only declarable features may come from ``declared``; everything else
    # is computed or sourced by the lender and missing when it cannot be.
    declarable: bool = False
    # Protected attributes: kept for fairness analysis, refused in rules.
    protected: bool = False


def _number(
    name: str,
    description: str,
    minimum: str | None = "0",
    maximum: str | None = None,
    **flags: Any,
) -> Feature:
    low = None if minimum is None else Decimal(minimum)
    high = None if maximum is None else Decimal(maximum)
    return Feature(name, NUMBER, description, low, high, **flags)


def _flag(name: str, description: str, **flags: Any) -> Feature:
    return Feature(name, BOOL, description, **flags)


def _category(
    name: str, description: str, values: Iterable[str], **flags: Any
) -> Feature:
    return Feature(name, CATEGORY, description, values=frozenset(values), **flags)


_APPLICATION_COUNTS = [
    _number(
        f"applications_{days}d_by_{key}",
        f"Applications seen in the last {days} days with the same {what}.",
        source=OWN,
    )
    for key, what in (("id", "ID number"), ("phone", "phone"), ("card", "bank card"))
    for days in (7, 30)
]

GENERIC_FEATURES = [
    _number(
        "bureau_score",
        "Credit bureau score (e.g. 300-900).",
        "0",
        "1000",
        source=BUREAU,
    ),
    _number(
        "overdue_count", "Past overdue episodes on the credit report.", source=BUREAU
    ),
    _number("max_overdue_days", "Longest past overdue, in days.", source=BUREAU),
    _flag(
        "has_overdue_history",
        "The credit report shows any past overdue.",
        source=BUREAU,
    ),
    _number("verified_income", "Verified monthly income, CNY.", source=TURNOVER),
    _number(
        "debt_to_income", "Monthly debt service over monthly income.", source=BUREAU
    ),
    *_APPLICATION_COUNTS,
    _number(
        "profile_completeness",
        "Share of profile fields filled, 0-1.",
        "0",
        "1",
        source=OWN,
    ),
    _number("age", "Applicant age in whole years.", "0", "130", source=OWN),
    _flag(
        "region_in_licence", "The applicant lives in the licensed province.", source=OWN
    ),
    _number("amount", "Requested principal, CNY.", source=OWN),
    _number("term_months", "Requested term, months.", source=OWN),
    _number("amount_to_income", "Requested principal over monthly income.", source=OWN),
    _number(
        "employment_years",
        "Years with the current employer (our record, else as stated).",
        "0",
        "80",
        declarable=True,
    ),
    _number(
        "declared_income",
        "Monthly income the applicant stated, CNY (unverified).",
        "0",
        "10000000",
        declarable=True,
    ),
    _flag(
        "income_stable", "Income was steady over the verified period.", source=TURNOVER
    ),
    _flag(
        "identity_verified",
        "Name, ID number and phone or card matched the identity source.",
        source=IDENTITY,
    ),
]

# German-credit attributes; the category codes are the ones german_credit.py
# maps the decoded text to.
_GERMAN = [
    _category(
        "checking_status",
        "Checking account balance band (DM).",
        ["below_0", "0_to_200", "200_or_more", "no_account"],
    ),
    _number("duration_months", "Loan duration, months.", "1", "120"),
    _category(
        "credit_history",
        "Past credit behaviour.",
        [
            "no_credits_all_paid",
            "all_paid_this_bank",
            "existing_paid_duly",
            "past_delay",
            "critical_account",
        ],
    ),
    _category(
        "purpose",
        "What the loan is for.",
        [
            "car_new",
            "car_used",
            "furniture_equipment",
            "radio_tv",
            "domestic_appliances",
            "repairs",
            "education",
            "retraining",
            "business",
            "others",
        ],
    ),
    _number(
        "credit_amount", "Requested amount, CNY (scaled from DM).", "1", "10000000"
    ),
    _category(
        "savings",
        "Savings account and bonds band (DM).",
        ["below_100", "100_to_500", "500_to_1000", "1000_or_more", "unknown_none"],
    ),
    _category(
        "employment_since",
        "Time in present employment.",
        ["unemployed", "below_1y", "1_to_4y", "4_to_7y", "7y_or_more"],
    ),
    _number(
        "installment_rate", "Instalment as a share of disposable income, 1-4.", "1", "4"
    ),
    _category(
        "personal_status",
        "Sex and marital status (protected: never scored).",
        [
            "male_divorced_separated",
            "female_divorced_separated_married",
            "male_single",
            "male_married_widowed",
        ],
        protected=True,
    ),
    _category(
        "other_debtors",
        "Other debtors or guarantors.",
        ["none", "co_applicant", "guarantor"],
    ),
    _number("residence_since", "Years at present residence, 1-4.", "1", "4"),
    _category(
        "property",
        "Most valuable property.",
        ["real_estate", "savings_insurance", "car_other", "unknown_none"],
    ),
    _category(
        "other_installment_plans", "Other instalment plans.", ["bank", "stores", "none"]
    ),
    _category("housing", "Housing.", ["rent", "own", "for_free"]),
    _number("existing_credits", "Existing credits at this bank.", "0", "100"),
    _category(
        "job",
        "Job class.",
        ["unskilled_nonresident", "unskilled_resident", "skilled", "highly_qualified"],
    ),
    _number("dependants", "People the applicant maintains.", "0", "100"),
    _flag("telephone", "A telephone is registered in the applicant's name."),
    _flag(
        "foreign_worker", "Foreign worker (protected: never scored).", protected=True
    ),
]

# What the applicant states on the form; protected attributes are never
# taken from an application (they stay in imported history for fairness
# analysis only).
GERMAN_FEATURES = [
    feature if feature.protected else replace(feature, declarable=True)
    for feature in _GERMAN
]

FEATURES: dict[str, Feature] = {f.name: f for f in GENERIC_FEATURES + GERMAN_FEATURES}
SCORE_FEATURE = _number(
    SCORE, "Scorecard score computed by the rule set.", None, source=OWN
)
DECLARABLE = frozenset(name for name, f in FEATURES.items() if f.declarable)
PROTECTED = frozenset(name for name, f in FEATURES.items() if f.protected)


def get_feature(name: str) -> Feature:
    """Return the registered feature ``name``; raise InvalidInput if unknown."""
    feature = FEATURES.get(name)
    if feature is None:
        raise InvalidInput.for_field(name, f"unknown feature {name!r}")
    return feature


def coerce_features(
    raw: Mapping[str, object], names: Iterable[str] | None = None
) -> dict[str, Decimal | str | bool | None]:
    """Check and convert applicant data; keep only ``names`` when given.

    Raises InvalidInput naming every unknown or ill-typed feature.
    """
    errors: dict[str, str] = {}
    for name in raw:
        if name not in FEATURES:
            errors[name] = f"unknown feature {name!r}"
    wanted = FEATURES.keys() if names is None else names
    values: dict[str, Decimal | str | bool | None] = {}
    for name in wanted:
        if name not in FEATURES:
            continue  # refused above
        try:
            values[name] = coerce_value(FEATURES[name], raw.get(name))
        except (TypeError, ValueError) as exc:
            errors[name] = str(exc)
    if errors:
        raise InvalidInput("invalid features", fields=errors)
    return values


def declared_check(raw: object) -> dict[str, Decimal | str | bool | None]:
    """Check what an applicant stated: declarable features only.

    Raises InvalidInput naming ``declared`` or each refused feature.
    """
    if not isinstance(raw, Mapping):
        raise InvalidInput.for_field("declared", "must be an object of features")
    errors: dict[str, str] = {}
    for name in raw:
        if not isinstance(name, str) or name not in FEATURES:
            errors[f"declared.{name}"] = "unknown feature"
        elif name not in DECLARABLE:
            errors[f"declared.{name}"] = (
                "is computed or sourced by the lender; an applicant cannot state it"
            )
    if errors:
        raise InvalidInput(
            "declared: features the applicant may not state", fields=errors
        )
    try:
        return coerce_features(raw, list(raw))
    except InvalidInput as error:
        fields = {f"declared.{name}": reason for name, reason in error.fields.items()}
        raise InvalidInput("declared: invalid features", fields=fields) from None


def coerce_value(feature: Feature, value: object) -> Decimal | str | bool | None:
    """Convert one value to the feature's kind; raise ValueError/TypeError."""
    if value is None:
        return None
    if feature.kind == BOOL:
        if not isinstance(value, bool):
            raise TypeError("expected true or false")
        return value
    if feature.kind == CATEGORY:
        if not isinstance(value, str) or value not in (feature.values or {value}):
            raise ValueError(f"{value!r} is not an allowed value")
        return value
    return _coerce_number(feature, value)


# A number written as text: ASCII digits, an optional sign, fraction and
# exponent. Decimal() would also read "1_0000", " 10000 " and other
# scripts' digits; an applicant's stated income must not be one of those.
_NUMBER_TEXT = re.compile(r"[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?", re.ASCII)


def _coerce_number(feature: Feature, value: object) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise TypeError("expected a number")
    if isinstance(value, str) and not _NUMBER_TEXT.fullmatch(value):
        raise ValueError("expected a number such as 9000.00")
    try:
        # repr() of a float is its shortest round-trip text: 0.1 -> "0.1".
        number = Decimal(repr(value) if isinstance(value, float) else value)
    except InvalidOperation:
        raise ValueError("expected a number") from None
    if not number.is_finite():
        raise ValueError("expected a finite number")
    if feature.minimum is not None and number < feature.minimum:
        raise ValueError(f"below the minimum {feature.minimum}")
    if feature.maximum is not None and number > feature.maximum:
        raise ValueError(f"above the maximum {feature.maximum}")
    return number
