"""Backtest figures: replay decisions against observed outcomes.

An outcome is ``True`` (or 1) when the loan went bad. Scores are read as
"higher is safer", so a good score ranks good applicants above bad ones.
Ratios are floats rounded to ``PLACES`` decimals; a ratio with an empty
denominator is ``None``, never a made-up zero.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Protocol

PLACES = 4


class Scored(Protocol):
    """Anything with an outcome and a score, such as ruleset.Decision."""

    @property
    def outcome(self) -> str: ...

    @property
    def score(self) -> int: ...


@dataclass(frozen=True)
class BacktestResult:
    applications: int
    approved: int
    manual_review: int
    rejected: int
    bad: int
    approval_rate: float | None
    review_rate: float | None
    reject_rate: float | None
    bad_rate_approved: float | None
    bad_rate_all: float | None
    ks: float | None
    auc: float | None
    score_distribution: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        """Return the figures as JSON-ready data."""
        return asdict(self)


def backtest(
    decisions: Sequence[Scored], outcomes: Sequence[bool | int], *, band: int = 50
) -> BacktestResult:
    """Compute approval, review and bad rates, KS, AUC and a score histogram.

    Raises ValueError if the two sequences differ in length.
    """
    if len(decisions) != len(outcomes):
        raise ValueError("decisions and outcomes differ in length")
    bads = [bool(outcome) for outcome in outcomes]
    counts = Counter(decision.outcome for decision in decisions)
    total = len(decisions)
    approved_bad = sum(
        bad
        for decision, bad in zip(decisions, bads, strict=True)
        if decision.outcome == "approve"
    )
    scores = [decision.score for decision in decisions]
    return BacktestResult(
        applications=total,
        approved=counts["approve"],
        manual_review=counts["review"],
        rejected=counts["reject"],
        bad=sum(bads),
        approval_rate=ratio(counts["approve"], total),
        review_rate=ratio(counts["review"], total),
        reject_rate=ratio(counts["reject"], total),
        bad_rate_approved=ratio(approved_bad, counts["approve"]),
        bad_rate_all=ratio(sum(bads), total),
        ks=ks(scores, bads),
        auc=auc(scores, bads),
        score_distribution=score_distribution(scores, bads, band=band),
    )


def ratio(numerator: float, denominator: float) -> float | None:
    """Return ``numerator / denominator`` rounded, or None when it is empty."""
    if denominator == 0:
        return None
    return round(numerator / denominator, PLACES)


def auc(scores: Sequence[float], bads: Sequence[bool]) -> float | None:
    """Return the chance a random good outscores a random bad; ties count half.

    Computed with the Mann-Whitney rank sum and average ranks for ties.
    """
    goods = len(bads) - sum(bads)
    bad_count = sum(bads)
    if goods == 0 or bad_count == 0:
        return None
    ranks = _average_ranks(scores)
    good_rank_sum = sum(rank for rank, bad in zip(ranks, bads, strict=True) if not bad)
    u_statistic = good_rank_sum - goods * (goods + 1) / 2
    return round(u_statistic / (goods * bad_count), PLACES)


def _average_ranks(scores: Sequence[float]) -> list[float]:
    order = sorted(range(len(scores)), key=lambda i: scores[i])
    ranks = [0.0] * len(scores)
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and scores[order[end + 1]] == scores[order[start]]:
            end += 1
        # Ranks are 1-based; a tie group shares the mean of its positions.
        shared = (start + end) / 2 + 1
        for position in range(start, end + 1):
            ranks[order[position]] = shared
        start = end + 1
    return ranks


def ks(scores: Sequence[float], bads: Sequence[bool]) -> float | None:
    """Return the largest gap between the bad and good score distributions.

    The cumulative shares are compared only after each distinct score, so
    tied scores are never split.
    """
    bad_total = sum(bads)
    good_total = len(bads) - bad_total
    if good_total == 0 or bad_total == 0:
        return None
    per_score: dict[float, list[int]] = {}
    for score, bad in zip(scores, bads, strict=True):
        per_score.setdefault(score, [0, 0])[0 if bad else 1] += 1
    bad_seen = good_seen = 0
    best = 0.0
    for score in sorted(per_score):
        bad_seen += per_score[score][0]
        good_seen += per_score[score][1]
        best = max(best, abs(bad_seen / bad_total - good_seen / good_total))
    return round(best, PLACES)


def score_distribution(
    scores: Sequence[int], bads: Sequence[bool], *, band: int = 50
) -> list[dict[str, Any]]:
    """Count applications and bads per score band of width ``band``."""
    rows: dict[int, list[int]] = {}
    for score, bad in zip(scores, bads, strict=True):
        low = (int(score) // band) * band
        rows.setdefault(low, [0, 0])
        rows[low][0] += 1
        rows[low][1] += int(bad)
    return [
        {
            "band": f"{low}-{low + band - 1}",
            "min_score": low,
            "applications": count,
            "bad": bad_count,
            "bad_rate": ratio(bad_count, count),
        }
        for low, (count, bad_count) in sorted(rows.items())
    ]
