from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.errors import InvalidInput
from core.pricing.allocation import (
    Bucket,
    InstalmentDue,
    InstalmentPaid,
    Strategy,
    allocate,
)


def _due(number: int, penalty: str, fee: str, interest: str, principal: str):
    return InstalmentDue(
        number,
        penalty_due=Decimal(penalty),
        fee_due=Decimal(fee),
        interest_due=Decimal(interest),
        principal_due=Decimal(principal),
    )


def test_partial_payment_goes_to_penalty_then_fee_then_interest_then_principal():
    # 100.00 against 10 + 5 + 50 + 500: 10, 5, 50, then 35 of principal.
    dues = [_due(1, "10.00", "5.00", "50.00", "500.00")]

    allocation = allocate(Decimal("100.00"), dues)

    assert allocation.paid == (
        InstalmentPaid(
            1,
            penalty_paid=Decimal("10.00"),
            fee_paid=Decimal("5.00"),
            interest_paid=Decimal("50.00"),
            principal_paid=Decimal("35.00"),
        ),
    )
    assert allocation.unallocated == 0


def test_oldest_instalment_is_cleared_before_the_next():
    # 600.00: instalment 1 takes 10 + 50 + 500 = 560, instalment 2 gets 40
    # (its penalty 2.00 first, then 38.00 of interest).
    dues = [
        _due(1, "10.00", "0", "50.00", "500.00"),
        _due(2, "2.00", "0", "45.00", "505.00"),
    ]

    allocation = allocate(Decimal("600.00"), dues)

    second = allocation.paid[1]
    assert allocation.paid[0].total_paid == Decimal("560.00")
    assert (second.penalty_paid, second.interest_paid) == (
        Decimal("2.00"),
        Decimal("38.00"),
    )
    assert second.principal_paid == 0


def test_bucket_first_pays_every_penalty_before_any_interest():
    # 15.00: penalties 10 + 2 first, then fee 3 on instalment 1; no interest.
    dues = [
        _due(1, "10.00", "3.00", "50.00", "500.00"),
        _due(2, "2.00", "0", "45.00", "505.00"),
    ]

    allocation = allocate(Decimal("15.00"), dues, strategy=Strategy.BUCKET_FIRST)

    assert [line.penalty_paid for line in allocation.paid] == [
        Decimal("10.00"),
        Decimal("2.00"),
    ]
    assert allocation.paid[0].fee_paid == Decimal("3.00")
    assert sum(line.interest_paid for line in allocation.paid) == 0


def test_custom_order_pays_principal_first():
    dues = [_due(1, "10.00", "0", "50.00", "500.00")]
    order = (Bucket.PRINCIPAL, Bucket.INTEREST, Bucket.FEE, Bucket.PENALTY)

    allocation = allocate(Decimal("505.00"), dues, order)

    assert allocation.paid[0].principal_paid == Decimal("500.00")
    assert allocation.paid[0].interest_paid == Decimal("5.00")


def test_overpayment_is_returned_unallocated_never_lost():
    dues = [_due(1, "0", "0", "10.00", "100.00")]

    allocation = allocate(Decimal("150.00"), dues)

    assert allocation.allocated == Decimal("110.00")
    assert allocation.unallocated == Decimal("40.00")


@pytest.mark.parametrize(
    ("amount", "order", "field"),
    [
        (Decimal("-1.00"), None, "amount"),
        (Decimal("1.005"), None, "amount"),
        (Decimal("1.00"), (Bucket.PRINCIPAL, Bucket.PRINCIPAL, Bucket.FEE), "order"),
    ],
)
def test_invalid_allocation_input_is_refused_naming_the_field(amount, order, field):
    dues = [_due(1, "0", "0", "10.00", "100.00")]
    arguments = (amount, dues) if order is None else (amount, dues, order)

    with pytest.raises(InvalidInput) as refused:
        allocate(*arguments)

    assert field in refused.value.fields


def test_negative_due_is_refused():
    with pytest.raises(InvalidInput) as refused:
        _due(1, "0", "0", "-1.00", "0")

    assert "interest_due" in refused.value.fields


cents = st.integers(0, 10_000_000).map(lambda value: Decimal(value) / 100)
dues_lists = st.lists(
    st.builds(
        InstalmentDue,
        number=st.integers(1, 36),
        penalty_due=cents,
        fee_due=cents,
        interest_due=cents,
        principal_due=cents,
    ),
    max_size=6,
)


@settings(max_examples=200, deadline=None)
@given(
    amount=cents,
    dues=dues_lists,
    order=st.permutations(list(Bucket)),
    strategy=st.sampled_from(list(Strategy)),
)
def test_allocation_conserves_money_and_never_overpays_a_bucket(
    amount, dues, order, strategy
):
    allocation = allocate(amount, dues, order, strategy)

    assert allocation.allocated + allocation.unallocated == amount
    assert allocation.unallocated >= 0
    owed = sum(
        due.penalty_due + due.fee_due + due.interest_due + due.principal_due
        for due in dues
    )
    assert allocation.allocated == min(amount, owed)
    for due, paid in zip(dues, allocation.paid, strict=True):
        assert 0 <= paid.penalty_paid <= due.penalty_due
        assert 0 <= paid.fee_paid <= due.fee_due
        assert 0 <= paid.interest_paid <= due.interest_due
        assert 0 <= paid.principal_paid <= due.principal_due
