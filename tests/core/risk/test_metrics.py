"""Backtest figures equal hand-computed values on small fixed data sets."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from core.risk.metrics import auc, backtest, ks


@dataclass(frozen=True)
class Decided:
    outcome: str
    score: int


# Ten applications: (score, outcome, bad).
TEN = [
    (720, "approve", False),
    (690, "approve", False),
    (650, "approve", True),
    (640, "approve", False),
    (610, "approve", False),
    (580, "review", True),
    (570, "review", False),
    (540, "reject", True),
    (520, "reject", False),
    (500, "reject", True),
]


def ten_backtest():
    decisions = [Decided(outcome, score) for score, outcome, _ in TEN]
    return backtest(decisions, [bad for *_, bad in TEN])


def test_counts_and_rates_match_the_hand_computation() -> None:
    result = ten_backtest()

    # 5 approved, 2 reviewed, 3 rejected out of 10.
    assert (result.applications, result.approved) == (10, 5)
    assert (result.manual_review, result.rejected) == (2, 3)
    assert (result.approval_rate, result.review_rate) == (0.5, 0.2)
    # Bads: 650, 580, 540, 500 -> 4 of 10; among approved only 650 -> 1 of 5.
    assert result.bad_rate_all == 0.4
    assert result.bad_rate_approved == 0.2


def test_auc_and_ks_match_the_hand_computation() -> None:
    result = ten_backtest()

    # Goods 720 690 640 610 570 520; bads 650 580 540 500; 6 x 4 = 24 pairs.
    # Goods above each bad: 650 -> 2, 580 -> 4, 540 -> 5, 500 -> 6; 17/24.
    assert result.auc == 0.7083
    # Cumulative bad share minus good share, ascending scores:
    # 500 .25-0, 520 .25-1/6, 540 .5-1/6, 570 .5-2/6, 580 .75-2/6 = 5/12 (max).
    assert result.ks == 0.4167


def test_score_distribution_counts_bands_of_fifty() -> None:
    bands = ten_backtest().score_distribution

    assert [(b["band"], b["applications"], b["bad"]) for b in bands] == [
        ("500-549", 3, 2),
        ("550-599", 2, 1),
        ("600-649", 2, 0),
        ("650-699", 2, 1),
        ("700-749", 1, 0),
    ]


def test_tied_scores_count_half_in_auc_and_are_never_split_in_ks() -> None:
    # Goods 3, 2, 2; bads 2, 1. Pairs: bad 2 vs goods -> 1 + 0.5 + 0.5,
    # bad 1 -> 3; AUC = 5 / 6. KS: after 1 -> 1/2 - 0 = 0.5; after 2 ->
    # 1 - 2/3; after 3 -> 0. Max 0.5.
    scores = [3, 2, 2, 2, 1]
    bads = [False, False, False, True, True]

    assert auc(scores, bads) == 0.8333
    assert ks(scores, bads) == 0.5


def test_perfect_and_inverted_rankings_give_auc_one_and_zero() -> None:
    assert auc([9, 8, 1, 0], [False, False, True, True]) == 1.0
    assert auc([0, 1, 8, 9], [False, False, True, True]) == 0.0


def test_ratios_with_empty_denominators_are_none() -> None:
    result = backtest([Decided("reject", 500)], [True])

    assert result.bad_rate_approved is None
    assert result.auc is None and result.ks is None


def test_mismatched_lengths_are_refused() -> None:
    with pytest.raises(ValueError, match="differ in length"):
        backtest([Decided("approve", 600)], [])
