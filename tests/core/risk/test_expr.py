"""The closed expression grammar: precedence, null logic, refusals."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.risk.expr import ExpressionError, compile_expression, parse
from core.risk.features import FEATURES, SCORE_FEATURE

VARIABLES = {**FEATURES, "score": SCORE_FEATURE}


def run(source: str, kind: str = "bool", **env: object) -> object:
    values = {k: Decimal(v) if isinstance(v, int) else v for k, v in env.items()}
    return compile_expression(source, VARIABLES, kind=kind).evaluate(values)


def test_multiplication_binds_tighter_than_addition() -> None:
    assert run("1 + 2 * 3", kind="number") == Decimal(7)
    assert run("(1 + 2) * 3", kind="number") == Decimal(9)


def test_unary_minus_and_subtraction_are_left_associative() -> None:
    assert run("10 - 4 - 3", kind="number") == Decimal(3)
    assert run("-2 * -3", kind="number") == Decimal(6)


def test_and_binds_tighter_than_or_and_not_tighter_than_and() -> None:
    # true or (false and false) -> true; (true or false) and false would be false.
    assert run("age > 1 or age > 100 and age > 200", age=50) is True
    assert run("not age > 100 and age > 1", age=50) is True


def test_decimal_arithmetic_has_no_float_surprises() -> None:
    assert run("0.1 + 0.2 == 0.3") is True
    assert run("verified_income / 3", kind="number", verified_income=10) == Decimal(
        "3.333333333333333333333333333"
    )


def test_in_between_and_functions() -> None:
    assert run("purpose in ['car_new', 'car_used']", purpose="car_used") is True
    assert run("purpose not in ['car_new']", purpose="car_used") is True
    assert run("age between 18 and 60", age=60) is True
    assert run("age between 18 and 60", age=61) is False
    assert run("age not between 18 and 60", age=61) is True
    assert run("max(1, abs(-5), min(9, 7)) == 7") is True


def test_comparison_with_a_missing_feature_is_unknown_not_false() -> None:
    assert run("age > 18") is None
    assert run("not (age > 18)") is None


def test_kleene_logic_decides_when_the_known_side_is_enough() -> None:
    assert run("age > 18 or score > 1", score=5) is True
    assert run("age > 18 and score > 1", score=0) is False
    assert run("age > 18 and score > 1", score=5) is None


def test_division_by_zero_gives_null() -> None:
    assert run("amount / verified_income > 2", amount=10, verified_income=0) is None
    assert run("(amount / verified_income) is null", amount=1, verified_income=0)


def test_is_null_tests_presence_and_is_never_unknown() -> None:
    assert run("verified_income is null") is True
    assert run("verified_income is not null", verified_income=0) is True


def test_compiled_expression_lists_the_features_it_reads() -> None:
    compiled = compile_expression("age > 18 and score < 600", VARIABLES)
    assert compiled.features == {"age", "score"}


@pytest.mark.parametrize(
    ("source", "position", "reason"),
    [
        ("age >", 5, "expected a value"),
        ("(age > 1", 8, "expected ')'"),
        ("age > 1 age", 8, "expected an operator"),
        ("age >> 1", 5, "expected a value"),
        ("age > 1 ;", 8, "unexpected character ';'"),
        ("", 0, "empty expression"),
    ],
)
def test_parse_errors_report_position_and_reason(
    source: str, position: int, reason: str
) -> None:
    with pytest.raises(ExpressionError) as caught:
        compile_expression(source, VARIABLES)
    assert caught.value.position == position
    assert reason in caught.value.reason


@pytest.mark.parametrize(
    "source",
    [
        "__import__('os').system('id')",
        "age.__class__",
        "open('/etc/passwd')",
        "eval('1')",
        "[c for c in ()]",
        "lambda: 1",
        "age if age else 1",
        "{'a': 1}",
        "age[0]",
        "exec",
    ],
)
def test_python_constructs_are_refused(source: str) -> None:
    with pytest.raises(ExpressionError):
        compile_expression(source, VARIABLES)


def test_unknown_feature_and_function_are_refused_by_name() -> None:
    with pytest.raises(ExpressionError, match="unknown feature 'dti2'"):
        compile_expression("dti2 > 0.5", VARIABLES)
    with pytest.raises(ExpressionError, match="unknown function 'round'"):
        compile_expression("round(age) > 1", VARIABLES)


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("age + 1", "expected a bool"),
        ("age == 'x'", "cannot compare a number with a string"),
        ("purpose < 'car_new'", "needs numbers"),
        ("purpose == 'boat'", "'boat' is not a value of 'purpose'"),
        ("age == null", "is null"),
        ("income_stable + 1 > 0", "needs a number"),
        ("age > 1 and 5", "needs a bool"),
        ("1 < 2 < 3", "expected an operator"),
    ],
)
def test_ill_typed_conditions_are_refused(source: str, reason: str) -> None:
    with pytest.raises(ExpressionError, match=reason):
        compile_expression(source, VARIABLES)


def test_deep_nesting_is_refused_instead_of_crashing() -> None:
    with pytest.raises(ExpressionError, match="nesting deeper"):
        parse("(" * 200 + "1" + ")" * 200)


@given(st.text(max_size=60))
def test_any_text_either_compiles_or_raises_expression_error(source: str) -> None:
    try:
        compile_expression(source, VARIABLES)
    except ExpressionError:
        pass


def _chain(terms: int) -> str:
    return "verified_income" + " + 1" * (terms - 1)


def test_long_operator_chain_is_refused_with_expression_error() -> None:
    # Left-associative chains parse in a loop but build a tree as deep as
    # the chain, which compiling and evaluating would recurse through.
    with pytest.raises(ExpressionError) as caught:
        compile_expression(_chain(150), VARIABLES, kind="number")

    assert "more than 100 operations in one chain" in str(caught.value)


def test_chain_of_fifty_terms_compiles_and_evaluates() -> None:
    assert run(_chain(50), kind="number", verified_income=1) == Decimal(50)


@pytest.mark.parametrize("terms", [150, 1000, 5000])
def test_long_chains_never_raise_recursion_error(terms: int) -> None:
    for source in (_chain(terms), "age > 1" + " and age > 1" * terms):
        with pytest.raises(ExpressionError):
            parse(source)
