"""Rule sets: versioned data that scores and decides an application.

A rule set is a JSON-able dict (see docs/adr/0003-rule-engine.md)::

    {"name": "starter_policy", "version": 1,
     "scorecard": {"base_points": 400,
                   "features": {"bureau_score": {"missing_points": 0, "bins": [
                       {"max": 600, "points": 0},
                       {"min": 600, "points": 150}]}}},
     "rules": [{"id": "R001", "name": "score_too_low", "condition": "score < 550",
                "outcome": "reject", "reason": "R001"}],
     "default_outcome": "approve",
     "limits": {"round_down_to": 100,
                "bands": [{"min_score": null, "cap": "min(amount, 5000)"}]},
     "pricing": {"tiers": [{"min_score": null, "tier": "B",
                            "annual_rate": "0.18"}]}}

``validate_ruleset`` checks and compiles it once; ``evaluate`` decides one
applicant with it. Numeric bins are half-open: ``min`` inclusive, ``max``
exclusive, a missing bound is open.

Outcome logic: every rule is evaluated and recorded. If any ``reject`` rule
matched, the outcome is reject with the reasons of all matched reject rules
in rule order; else if any ``review`` rule matched, review with theirs; else
approve if any ``approve`` rule matched; else ``default_outcome`` with
``default_reason``. An approval whose limit or price tier cannot be computed
(a missing input, or a cap of zero or less) becomes a review with reason
``S001`` or ``S002``: the engine never approves what it cannot size.
"""

from __future__ import annotations

import copy
import itertools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal, InvalidOperation
from typing import Any

from core.errors import InvalidInput
from core.risk.expr import NUMBER, CompiledExpression, compile_expression
from core.risk.features import (
    BOOL,
    CATEGORY,
    FEATURES,
    PROTECTED,
    SCORE,
    SCORE_FEATURE,
    Feature,
    coerce_features,
)

OUTCOMES = ("reject", "review", "approve")
# Bounds that keep evaluation inside Decimal's range and the database's
# columns: points fit an IntegerField, amounts round to at least a cent.
MAX_POINTS = 100_000
ROUND_MIN, ROUND_MAX = Decimal("0.01"), Decimal(1_000_000)
MAX_MIN_SCORE = 10_000_000
# The platform's hard ceiling on annual rates when no policy row is at hand
# (the Django layer passes core.policy's ceiling in force today).
DEFAULT_RATE_CEILING = Decimal("0.24")
LIMIT_UNAVAILABLE = "S001"
NO_PRICE_TIER = "S002"
_CODE_RE = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")
_VARIABLES: dict[str, Feature] = {**FEATURES, SCORE: SCORE_FEATURE}


@dataclass(frozen=True, slots=True)
class Bin:
    """One scorecard bin: a numeric range or a set of values, and its points."""

    label: str
    points: int
    low: Decimal | None = None
    high: Decimal | None = None
    values: frozenset[object] | None = None

    def matches(self, value: object) -> bool:
        """Return whether ``value`` (never None) falls in this bin."""
        if self.values is not None:
            return value in self.values
        if self.low is not None and value < self.low:  # type: ignore[operator]
            return False
        return self.high is None or value < self.high  # type: ignore[operator]


@dataclass(frozen=True, slots=True)
class ScoredFeature:
    name: str
    bins: tuple[Bin, ...]
    missing_points: int

    def points_for(self, value: object) -> tuple[int, str]:
        """Return the points and the bin label for ``value``."""
        if value is not None:
            for candidate in self.bins:
                if candidate.matches(value):
                    return candidate.points, candidate.label
        return self.missing_points, "missing" if value is None else "unmatched"


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    name: str
    outcome: str
    reason: str | None
    condition: CompiledExpression
    inputs: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class LimitBand:
    min_score: int | None
    cap: CompiledExpression


@dataclass(frozen=True, slots=True)
class PriceTier:
    min_score: int | None
    tier: str
    annual_rate: Decimal


@dataclass(frozen=True)
class RuleSet:
    """A validated, compiled rule set; ``data`` is the stored source."""

    name: str
    version: int
    base_points: int
    scorecard: tuple[ScoredFeature, ...]
    rules: tuple[Rule, ...]
    default_outcome: str
    default_reason: str | None
    limit_bands: tuple[LimitBand, ...]
    round_down_to: Decimal
    price_tiers: tuple[PriceTier, ...]
    features: tuple[str, ...]
    data: dict[str, Any] = field(repr=False)


@dataclass(frozen=True)
class Decision:
    """The explained result of evaluating one applicant.

    ``approved_amount`` and the price are set for approve and, as a proposal
    for the reviewer, for review; both are None for reject.
    """

    outcome: str
    score: int
    approved_amount: Decimal | None
    price_tier: str | None
    annual_rate: Decimal | None
    reasons: tuple[str, ...]
    rule_results: tuple[dict[str, Any], ...]
    scorecard_points: dict[str, int]
    scorecard_bins: dict[str, str]
    ruleset_name: str
    ruleset_version: int

    def as_dict(self) -> dict[str, Any]:
        """Return the decision as JSON-ready data (decimals as strings)."""
        return {
            "outcome": self.outcome,
            "score": self.score,
            "approved_amount": _text(self.approved_amount),
            "price_tier": self.price_tier,
            "annual_rate": _text(self.annual_rate),
            "reasons": list(self.reasons),
            "rule_results": [dict(result) for result in self.rule_results],
            "scorecard_points": dict(self.scorecard_points),
            "scorecard_bins": dict(self.scorecard_bins),
            "ruleset_name": self.ruleset_name,
            "ruleset_version": self.ruleset_version,
        }


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


# --------------------------------------------------------------- validation


class _Refused(ValueError):
    """One part of a rule set was refused; the message says why."""


class _Errors:
    """Collect every problem so the editor sees them all at once."""

    def __init__(self) -> None:
        self.fields: dict[str, str] = {}

    def add(self, key: str, reason: str) -> None:
        self.fields.setdefault(key, reason)

    def raise_if_any(self) -> None:
        if self.fields:
            first = next(iter(self.fields.items()))
            message = f"invalid rule set: {first[0]}: {first[1]}"
            raise InvalidInput(message, fields=self.fields)


def validate_ruleset(
    data: Mapping[str, Any], *, rate_ceiling: Decimal = DEFAULT_RATE_CEILING
) -> RuleSet:
    """Check and compile rule-set data; price tiers may not exceed
    ``rate_ceiling``.

    Raises InvalidInput whose ``fields`` name each offending part, e.g.
    ``{"rules[3] high_dti": "position 0: unknown feature 'dti2'"}``.
    """
    if not isinstance(data, Mapping):
        raise InvalidInput.for_field("ruleset", "must be an object")
    errors = _Errors()
    name = _checked(errors, "name", data.get("name"), _name)
    version = _checked(errors, "version", data.get("version"), _version)
    base, scorecard = _scorecard(errors, data.get("scorecard"))
    rules = _rules(errors, data.get("rules"))
    default_outcome, default_reason = _default(errors, data)
    bands, round_to = _limits(errors, data.get("limits"))
    tiers = _pricing(errors, data.get("pricing"), rate_ceiling)
    used = _used_features(scorecard, rules, bands)
    _check_declared(errors, data.get("features"), used)
    errors.raise_if_any()
    return RuleSet(
        name=name,
        version=version,
        base_points=base,
        scorecard=scorecard,
        rules=rules,
        default_outcome=default_outcome,
        default_reason=default_reason,
        limit_bands=bands,
        round_down_to=round_to,
        price_tiers=tiers,
        features=used,
        data=copy.deepcopy(dict(data)),
    )


def _checked(errors: _Errors, key: str, value: Any, check: Any) -> Any:
    try:
        return check(value)
    except (TypeError, ValueError, InvalidOperation) as exc:
        errors.add(key, str(exc) or "invalid value")
    except InvalidInput as exc:
        errors.add(key, exc.message)
    return None


def _name(value: Any) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > 100:
        raise _Refused("must be a non-empty text of at most 100 characters")
    return value


def _version(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise _Refused("must be a whole number of at least 1")
    return value


def _points(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Refused("points must be a whole number")
    if not -MAX_POINTS <= value <= MAX_POINTS:
        raise _Refused(f"points must be from -{MAX_POINTS} to {MAX_POINTS}")
    return value


def _decimal(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise _Refused("must be a number")
    if isinstance(value, str) and not value.strip().isascii():
        raise _Refused("must be written with ASCII digits")
    number = Decimal(repr(value) if isinstance(value, float) else value)
    if not number.is_finite():
        raise _Refused("must be a finite number")
    # Far beyond any amount or score: refuse before arithmetic overflows.
    if number != 0 and not Decimal("1E-12") <= abs(number) <= Decimal("1E+15"):
        raise _Refused("must be between 1E-12 and 1E+15 in size")
    return number


def _protected_check(names: Any) -> None:
    used = sorted(PROTECTED & set(names))
    if used:
        raise _Refused(
            f"protected attribute {used[0]!r} may be analysed in backtests "
            "but not used in decisions"
        )


def _code(value: Any) -> str:
    if not isinstance(value, str) or not _CODE_RE.match(value):
        raise _Refused("must be a code of letters, digits, '_', '.', '-'")
    return value


def _scorecard(errors: _Errors, data: Any) -> tuple[int, tuple[ScoredFeature, ...]]:
    if not isinstance(data, Mapping):
        errors.add("scorecard", "must be an object")
        return 0, ()
    base = _checked(errors, "scorecard.base_points", data.get("base_points"), _points)
    features = data.get("features", {})
    if not isinstance(features, Mapping):
        errors.add("scorecard.features", "must be an object")
        return base or 0, ()
    scored = []
    for name, spec in features.items():
        key = f"scorecard.features.{name}"
        item = _checked(errors, key, (name, spec), _scored_feature)
        if item is not None:
            scored.append(item)
    return base or 0, tuple(scored)


def _scored_feature(pair: tuple[str, Any]) -> ScoredFeature:
    name, spec = pair
    feature = FEATURES.get(name)
    if feature is None:
        raise _Refused(f"unknown feature {name!r}")
    _protected_check([name])
    if not isinstance(spec, Mapping) or not isinstance(spec.get("bins"), list):
        raise _Refused("needs a list of bins")
    missing = _points(spec.get("missing_points", 0))
    bins = [_bin(feature, index, raw) for index, raw in enumerate(spec["bins"])]
    if not bins:
        raise _Refused("needs at least one bin")
    _check_disjoint(feature, bins)
    return ScoredFeature(name, tuple(bins), missing)


def _bin(feature: Feature, index: int, raw: Any) -> Bin:
    if not isinstance(raw, Mapping):
        raise _Refused(f"bins[{index}] must be an object")
    try:
        points = _points(raw.get("points"))
        if feature.kind == NUMBER:
            return _range_bin(raw, points)
        return _value_bin(feature, raw, points)
    except (ValueError, InvalidOperation) as exc:
        raise _Refused(f"bins[{index}]: {exc}") from None


def _range_bin(raw: Mapping[str, Any], points: int) -> Bin:
    low = None if raw.get("min") is None else _decimal(raw["min"])
    high = None if raw.get("max") is None else _decimal(raw["max"])
    if low is not None and high is not None and low >= high:
        raise _Refused("min must be below max")
    label = f"[{'-inf' if low is None else low}, {'inf' if high is None else high})"
    return Bin(label, points, low=low, high=high)


def _value_bin(feature: Feature, raw: Mapping[str, Any], points: int) -> Bin:
    values = raw.get("values")
    if not isinstance(values, list) or not values:
        raise _Refused("needs a non-empty list of values")
    for value in values:
        if feature.kind == BOOL and not isinstance(value, bool):
            raise _Refused(f"{value!r} is not true or false")
        if feature.kind == CATEGORY and value not in (feature.values or {value}):
            raise _Refused(f"{value!r} is not a value of {feature.name!r}")
    label = ",".join(str(v).lower() for v in values)
    return Bin(label, points, values=frozenset(values))


def _check_disjoint(feature: Feature, bins: list[Bin]) -> None:
    if feature.kind != NUMBER:
        seen: set[object] = set()
        for item in bins:
            if seen & set(item.values or ()):
                raise _Refused(f"a value appears in two bins ({item.label})")
            seen |= set(item.values or ())
        return
    ordered = sorted(bins, key=lambda b: (b.low is not None, b.low or 0))
    for before, after in itertools.pairwise(ordered):
        if before.high is None or (after.low is not None and after.low < before.high):
            raise _Refused(f"bins {before.label} and {after.label} overlap")
        if after.low is None:
            raise _Refused(f"bins {before.label} and {after.label} overlap")


def _rules(errors: _Errors, data: Any) -> tuple[Rule, ...]:
    if not isinstance(data, list):
        errors.add("rules", "must be a list")
        return ()
    rules: list[Rule] = []
    seen: set[str] = set()
    for index, raw in enumerate(data):
        label = raw.get("name") or raw.get("id") if isinstance(raw, Mapping) else None
        key = f"rules[{index}] {label}" if label else f"rules[{index}]"
        rule = _checked(errors, key, raw, _rule)
        if rule is None:
            continue
        if rule.id in seen:
            errors.add(key, f"duplicate rule id {rule.id!r}")
        seen.add(rule.id)
        rules.append(rule)
    return tuple(rules)


def _rule(raw: Any) -> Rule:
    if not isinstance(raw, Mapping):
        raise _Refused("must be an object")
    rule_id = _code(raw.get("id"))
    name = _code(raw.get("name"))
    outcome = raw.get("outcome")
    if outcome not in OUTCOMES:
        raise _Refused(f"outcome must be one of {', '.join(OUTCOMES)}")
    reason = raw.get("reason")
    if outcome != "approve" or reason is not None:
        reason = _code(reason)
    condition = compile_expression(raw.get("condition"), _VARIABLES)
    _protected_check(condition.features)
    inputs = tuple(sorted(condition.features - {SCORE}))
    return Rule(rule_id, name, outcome, reason, condition, inputs)


def _default(errors: _Errors, data: Mapping[str, Any]) -> tuple[str, str | None]:
    outcome = data.get("default_outcome")
    if outcome not in OUTCOMES:
        errors.add("default_outcome", f"must be one of {', '.join(OUTCOMES)}")
        return "reject", None
    reason = data.get("default_reason")
    if outcome == "approve" and reason is None:
        return outcome, None
    return outcome, _checked(errors, "default_reason", reason, _code)


def _limits(errors: _Errors, data: Any) -> tuple[tuple[LimitBand, ...], Decimal]:
    if not isinstance(data, Mapping) or not isinstance(data.get("bands"), list):
        errors.add("limits", "needs a list of bands")
        return (), Decimal(1)
    round_to = _checked(
        errors, "limits.round_down_to", data.get("round_down_to", 1), _decimal
    )
    if round_to is not None and not ROUND_MIN <= round_to <= ROUND_MAX:
        errors.add("limits.round_down_to", f"must be from {ROUND_MIN} to {ROUND_MAX}")
        round_to = None
    bands = []
    for index, raw in enumerate(data["bands"]):
        band = _checked(errors, f"limits.bands[{index}]", raw, _limit_band)
        if band is not None:
            bands.append(band)
    _check_descending(errors, "limits.bands", [b.min_score for b in bands])
    return tuple(bands), round_to or Decimal(1)


def _limit_band(raw: Any) -> LimitBand:
    if not isinstance(raw, Mapping):
        raise _Refused("must be an object")
    min_score = _min_score(raw.get("min_score"))
    cap = compile_expression(raw.get("cap"), _VARIABLES, kind=NUMBER)
    _protected_check(cap.features)
    return LimitBand(min_score, cap)


def _pricing(errors: _Errors, data: Any, ceiling: Decimal) -> tuple[PriceTier, ...]:
    if not isinstance(data, Mapping) or not isinstance(data.get("tiers"), list):
        errors.add("pricing", "needs a list of tiers")
        return ()
    tiers = []
    for index, raw in enumerate(data["tiers"]):
        tier = _checked(errors, f"pricing.tiers[{index}]", (raw, ceiling), _price_tier)
        if tier is not None:
            tiers.append(tier)
    _check_descending(errors, "pricing.tiers", [t.min_score for t in tiers])
    return tuple(tiers)


def _price_tier(pair: tuple[Any, Decimal]) -> PriceTier:
    raw, ceiling = pair
    if not isinstance(raw, Mapping):
        raise _Refused("must be an object")
    rate = _decimal(raw.get("annual_rate"))
    if not Decimal(0) <= rate <= ceiling:
        raise _Refused(
            f"annual_rate must be a fraction from 0 to the ceiling {ceiling}"
        )
    return PriceTier(_min_score(raw.get("min_score")), _code(raw.get("tier")), rate)


def _min_score(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Refused("min_score must be a whole number or null")
    if not -MAX_MIN_SCORE <= value <= MAX_MIN_SCORE:
        raise _Refused(f"min_score must be within +-{MAX_MIN_SCORE}")
    return value


def _check_descending(errors: _Errors, key: str, scores: list[int | None]) -> None:
    bounded = [s for s in scores if s is not None]
    if bounded != sorted(set(bounded), reverse=True):
        errors.add(key, "min_score must strictly decrease")
    if None in scores[:-1]:
        errors.add(key, "only the last entry may have min_score null")


def _used_features(
    scorecard: tuple[ScoredFeature, ...],
    rules: tuple[Rule, ...],
    bands: tuple[LimitBand, ...],
) -> tuple[str, ...]:
    used = {item.name for item in scorecard}
    for expression in [r.condition for r in rules] + [b.cap for b in bands]:
        used |= expression.features
    used.discard(SCORE)
    used.add("amount")
    return tuple(sorted(used))


def _check_declared(errors: _Errors, declared: Any, used: tuple[str, ...]) -> None:
    if declared is None:
        return
    if not isinstance(declared, list):
        errors.add("features", "must be a list of feature names")
        return
    for name in declared:
        if name not in FEATURES:
            errors.add("features", f"unknown feature {name!r}")
    undeclared = sorted(set(used) - set(declared))
    if undeclared:
        errors.add("features", f"used but not declared: {', '.join(undeclared)}")


# --------------------------------------------------------------- evaluation


def evaluate(ruleset: RuleSet, features: Mapping[str, object]) -> Decision:
    """Score and decide one applicant; same input, same decision.

    Raises InvalidInput if ``features`` names an unknown feature or holds a
    value of the wrong kind.
    """
    env: dict[str, Any] = coerce_features(features, ruleset.features)
    score, points, bins = _score(ruleset, env)
    env[SCORE] = Decimal(score)
    results = tuple(_rule_result(rule, env) for rule in ruleset.rules)
    outcome, reasons = _outcome(ruleset, results)
    amount = tier = None
    if outcome != "reject":
        amount = _approved_amount(ruleset, score, env)
        tier = _price_tier_for(ruleset, score)
        if outcome == "approve" and (amount is None or tier is None):
            outcome = "review"
            reasons = (LIMIT_UNAVAILABLE if amount is None else NO_PRICE_TIER,)
    return Decision(
        outcome=outcome,
        score=score,
        approved_amount=amount,
        price_tier=tier.tier if tier else None,
        annual_rate=tier.annual_rate if tier else None,
        reasons=reasons,
        rule_results=results,
        scorecard_points=points,
        scorecard_bins=bins,
        ruleset_name=ruleset.name,
        ruleset_version=ruleset.version,
    )


def _score(
    ruleset: RuleSet, env: Mapping[str, Any]
) -> tuple[int, dict[str, int], dict[str, str]]:
    points: dict[str, int] = {}
    bins: dict[str, str] = {}
    for item in ruleset.scorecard:
        points[item.name], bins[item.name] = item.points_for(env.get(item.name))
    return ruleset.base_points + sum(points.values()), points, bins


def _rule_result(rule: Rule, env: Mapping[str, Any]) -> dict[str, Any]:
    value = rule.condition.evaluate(env)
    missing = [name for name in rule.inputs if env.get(name) is None]
    return {
        "id": rule.id,
        "name": rule.name,
        "outcome": rule.outcome,
        "matched": value is True,
        "unknown": value is None,
        "missing_features": missing,
    }


def _outcome(
    ruleset: RuleSet, results: tuple[dict[str, Any], ...]
) -> tuple[str, tuple[str, ...]]:
    for outcome in OUTCOMES:
        matched = [
            (rule, result)
            for rule, result in zip(ruleset.rules, results, strict=True)
            if result["matched"] and rule.outcome == outcome
        ]
        if matched:
            reasons = [rule.reason for rule, _ in matched if rule.reason]
            return outcome, tuple(
                dict.fromkeys(reasons)
            ) if outcome != "approve" else ()
    default = ruleset.default_reason
    return ruleset.default_outcome, (default,) if default else ()


def _approved_amount(
    ruleset: RuleSet, score: int, env: Mapping[str, Any]
) -> Decimal | None:
    band = next(
        (b for b in ruleset.limit_bands if b.min_score is None or score >= b.min_score),
        None,
    )
    cap = band.cap.evaluate(env) if band else None
    if not isinstance(cap, Decimal):
        return None
    requested = env.get("amount")
    amount = cap if requested is None else min(requested, cap)
    step = ruleset.round_down_to
    amount = (amount / step).to_integral_value(rounding=ROUND_FLOOR) * step
    return amount if amount > 0 else None


def _price_tier_for(ruleset: RuleSet, score: int) -> PriceTier | None:
    return next(
        (t for t in ruleset.price_tiers if t.min_score is None or score >= t.min_score),
        None,
    )
