"""A small closed expression language for tenant risk rules.

Tenant input is never handed to Python's ``eval``, ``exec`` or ``ast``: a
tokenizer and a recursive-descent parser build our own tree, a type checker
refuses ill-typed conditions before they are saved, and the tree is compiled
once into nested closures that evaluate fast.

Grammar (lowest precedence first)::

    expr       := or_expr
    or_expr    := and_expr ("or" and_expr)*
    and_expr   := not_expr ("and" not_expr)*
    not_expr   := "not" not_expr | comparison
    comparison := sum [ ("==" | "!=" | "<" | "<=" | ">" | ">=") sum
                      | ["not"] "in" "[" literal ("," literal)* "]"
                      | ["not"] "between" sum "and" sum
                      | "is" ["not"] "null" ]
    sum        := product (("+" | "-") product)*
    product    := unary (("*" | "/") unary)*
    unary      := "-" unary | primary
    primary    := NUMBER | STRING | "true" | "false" | "null"
                | NAME | FUNCTION "(" sum ("," sum)* ")" | "(" expr ")"

Numbers are digits with an optional fraction (``12``, ``0.35``); strings are
in single or double quotes without escapes; names are registered features.

Missing values (three-valued logic, as in SQL): a feature whose value is
missing is ``null``; arithmetic, functions and comparisons touching a null
give null, and so does division by zero. ``and``/``or``/``not`` follow
Kleene logic (``false and null`` is false, ``true or null`` is true). A
condition whose final value is null does not match; the rule engine records
the missing features. ``x is null`` / ``x is not null`` test presence and are
never null themselves.

Numbers are exact ``Decimal`` values computed in a fixed context, so the
result never depends on floats or on a caller's decimal context.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Context, Decimal
from typing import Any, Protocol

from core.errors import InvalidInput

Value = Decimal | str | bool | None
Env = Mapping[str, Value]
Evaluator = Callable[[Env], Value]

MAX_LENGTH = 2000
MAX_DEPTH = 40
# Chains such as ``a + 1 + 1 ...`` parse without recursion but build a tree
# as deep as the chain, and compiling and evaluating it recurse; cap them.
MAX_TREE_DEPTH = 100

# Types the checker knows. "null" is only the type of the literal ``null``.
NUMBER, STRING, BOOL, NULL = "number", "string", "bool", "null"

KEYWORDS = frozenset(
    {"and", "or", "not", "in", "between", "is", "true", "false", "null"}
)
FUNCTIONS = frozenset({"min", "max", "abs"})
COMPARISONS = frozenset({"==", "!=", "<", "<=", ">", ">="})

_CTX = Context(prec=28, rounding=ROUND_HALF_EVEN)

_TOKEN_RE = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<number>[0-9]+(?:\.[0-9]+)?)
  | (?P<string>'[^'\\]*'|"[^"\\]*")
  | (?P<name>[A-Za-z][A-Za-z0-9_]*)
  | (?P<op>==|!=|<=|>=|<|>|\+|-|\*|/|\(|\)|\[|\]|,)
    """,
    re.VERBOSE | re.ASCII,
)


class VariableSpec(Protocol):
    """What the checker needs to know about a name an expression may use."""

    @property
    def kind(self) -> str: ...

    @property
    def values(self) -> frozenset[str] | None: ...


class ExpressionError(InvalidInput):
    """An expression was refused; ``position`` is the 0-based offset."""

    code = "invalid_expression"

    def __init__(self, reason: str, position: int) -> None:
        super().__init__(f"position {position}: {reason}")
        self.reason = reason
        self.position = position


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # number, string, name, keyword, op, end
    text: str
    position: int


@dataclass(frozen=True, slots=True)
class Node:
    """One node of the syntax tree: ``op`` names it, ``args`` are children."""

    op: str
    args: tuple[object, ...]
    position: int


@dataclass(frozen=True, slots=True)
class CompiledExpression:
    """A checked, compiled expression ready to evaluate many times."""

    source: str
    kind: str
    features: frozenset[str]
    evaluate: Evaluator


def tokenize(source: str) -> list[Token]:
    """Split ``source`` into tokens, refusing any character outside the grammar."""
    if len(source) > MAX_LENGTH:
        raise ExpressionError(f"expression longer than {MAX_LENGTH} characters", 0)
    tokens: list[Token] = []
    position = 0
    while position < len(source):
        match = _TOKEN_RE.match(source, position)
        if match is None:
            char = source[position]
            raise ExpressionError(f"unexpected character {char!r}", position)
        kind = match.lastgroup or ""
        text = match.group()
        if kind == "name" and text in KEYWORDS:
            kind = "keyword"
        if kind != "space":
            tokens.append(Token(kind, text, position))
        position = match.end()
    tokens.append(Token("end", "", len(source)))
    return tokens


class _Parser:
    """Recursive-descent parser over a token list."""

    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.index = 0
        self.depth = 0

    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def accept(self, *texts: str) -> Token | None:
        token = self.current
        if token.kind in ("op", "keyword") and token.text in texts:
            self.index += 1
            return token
        return None

    def expect(self, text: str) -> Token:
        token = self.accept(text)
        if token is None:
            raise self.error(f"expected {text!r}")
        return token

    def error(self, reason: str) -> ExpressionError:
        token = self.current
        found = "end of expression" if token.kind == "end" else repr(token.text)
        return ExpressionError(f"{reason}, found {found}", token.position)

    def parse(self) -> Node:
        node = self.or_expr()
        if self.current.kind != "end":
            raise self.error("expected an operator or the end")
        return node

    def or_expr(self) -> Node:
        node = self.and_expr()
        while token := self.accept("or"):
            node = Node("or", (node, self.and_expr()), token.position)
        return node

    def and_expr(self) -> Node:
        node = self.not_expr()
        while token := self.accept("and"):
            node = Node("and", (node, self.not_expr()), token.position)
        return node

    def not_expr(self) -> Node:
        if token := self.accept("not"):
            with _Nested(self):
                return Node("not", (self.not_expr(),), token.position)
        return self.comparison()

    def comparison(self) -> Node:
        left = self.sum()
        token = self.current
        if token.kind == "op" and token.text in COMPARISONS:
            self.index += 1
            return Node(token.text, (left, self.sum()), token.position)
        if token.kind != "keyword":
            return left
        if token.text == "between":
            return self.comparison_between(left)
        if token.text == "is":
            self.index += 1
            op = "is not null" if self.accept("not") else "is null"
            self.expect("null")
            return Node(op, (left,), token.position)
        return self.membership(left)

    def comparison_between(self, left: Node) -> Node:
        token = self.expect("between")
        low = self.sum()
        self.expect("and")
        return Node("between", (left, low, self.sum()), token.position)

    def membership(self, left: Node) -> Node:
        start = self.index
        negate = self.accept("not") is not None
        if negate and self.current.text == "between":
            return Node("not", (self.comparison_between(left),), self.current.position)
        token = self.accept("in")
        if token is None:
            self.index = start
            return left
        self.expect("[")
        items = [self.list_item()]
        while self.accept(","):
            items.append(self.list_item())
        self.expect("]")
        return Node("not in" if negate else "in", (left, *items), token.position)

    def list_item(self) -> Node:
        token = self.current
        negative = self.accept("-")
        item = self.primary()
        if item.op != "literal":
            raise ExpressionError("list items must be literals", item.position)
        if negative:
            value = item.args[0]
            if not isinstance(value, Decimal):
                raise ExpressionError("'-' needs a number", token.position)
            return Node("literal", (-value,), token.position)
        return item

    def sum(self) -> Node:
        node = self.product()
        while token := self.accept("+", "-"):
            node = Node(token.text, (node, self.product()), token.position)
        return node

    def product(self) -> Node:
        node = self.unary()
        while token := self.accept("*", "/"):
            node = Node(token.text, (node, self.unary()), token.position)
        return node

    def unary(self) -> Node:
        if token := self.accept("-"):
            with _Nested(self):
                return Node("neg", (self.unary(),), token.position)
        return self.primary()

    def primary(self) -> Node:
        token = self.current
        if token.kind == "number":
            self.index += 1
            return Node("literal", (Decimal(token.text),), token.position)
        if token.kind == "string":
            self.index += 1
            return Node("literal", (token.text[1:-1],), token.position)
        if token.kind == "keyword" and token.text in ("true", "false", "null"):
            self.index += 1
            value = {"true": True, "false": False, "null": None}[token.text]
            return Node("literal", (value,), token.position)
        if token.kind == "name":
            return self.name_or_call()
        if self.accept("("):
            with _Nested(self):
                node = self.or_expr()
            self.expect(")")
            return node
        raise self.error("expected a value")

    def name_or_call(self) -> Node:
        token = self.current
        self.index += 1
        if not self.accept("("):
            return Node("name", (token.text,), token.position)
        if token.text not in FUNCTIONS:
            raise ExpressionError(f"unknown function {token.text!r}", token.position)
        with _Nested(self):
            args = [self.sum()]
            while self.accept(","):
                args.append(self.sum())
        self.expect(")")
        return Node("call", (token.text, *args), token.position)


class _Nested:
    """Bound the nesting depth so hostile input cannot exhaust the stack."""

    def __init__(self, parser: _Parser) -> None:
        self.parser = parser

    def __enter__(self) -> None:
        self.parser.depth += 1
        if self.parser.depth > MAX_DEPTH:
            raise self.parser.error(f"nesting deeper than {MAX_DEPTH}")

    def __exit__(self, *exc: object) -> None:
        self.parser.depth -= 1


def parse(source: str) -> Node:
    """Parse ``source`` into a syntax tree or raise ExpressionError."""
    tokens = tokenize(source)
    if tokens[0].kind == "end":
        raise ExpressionError("empty expression", 0)
    tree = _Parser(tokens).parse()
    _depth_check(tree)
    return tree


def _depth_check(tree: Node) -> None:
    """Refuse a tree deeper than MAX_TREE_DEPTH, measured without recursion."""
    stack = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_TREE_DEPTH:
            raise ExpressionError(
                f"more than {MAX_TREE_DEPTH} operations in one chain; "
                "split the expression",
                node.position,
            )
        stack.extend((arg, depth + 1) for arg in node.args if isinstance(arg, Node))


def compile_expression(
    source: object, variables: Mapping[str, VariableSpec], *, kind: str = BOOL
) -> CompiledExpression:
    """Parse, type-check and compile ``source``; its result must be ``kind``.

    Raises ExpressionError naming the position and the reason.
    """
    if not isinstance(source, str):
        raise ExpressionError("expression must be a string", 0)
    tree = parse(source)
    compiler = Compiler(variables)
    result_kind, evaluator = compiler.compile(tree)
    if result_kind != kind:
        raise ExpressionError(
            f"expression gives a {result_kind}, expected a {kind}", tree.position
        )
    return CompiledExpression(source, kind, frozenset(compiler.used), evaluator)


def decimal_context() -> Context:
    """Return the fixed context every expression computes in."""
    return _CTX


_ARITHMETIC: dict[str, Callable[[Decimal, Decimal], Decimal | None]] = {
    "+": _CTX.add,
    "-": _CTX.subtract,
    "*": _CTX.multiply,
    "/": lambda a, b: None if b == 0 else _CTX.divide(a, b),
}
_FUNCTIONS: dict[str, Callable[[list[Any]], Decimal]] = {
    "min": min,
    "max": max,
    "abs": lambda values: _CTX.abs(values[0]),
}
_ORDERING: dict[str, Callable[[Value, Value], bool]] = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,  # type: ignore[operator]
    "<=": lambda a, b: a <= b,  # type: ignore[operator]
    ">": lambda a, b: a > b,  # type: ignore[operator]
    ">=": lambda a, b: a >= b,  # type: ignore[operator]
}


class Compiler:
    """Type-check a syntax tree and turn it into nested closures."""

    def __init__(self, variables: Mapping[str, VariableSpec]) -> None:
        self.variables = variables
        self.used: set[str] = set()

    def compile(self, node: Node) -> tuple[str, Evaluator]:
        """Return the result type of ``node`` and a function computing it."""
        if node.op in ("and", "or", "not"):
            return self.logic(node)
        if node.op in COMPARISONS:
            return self.compare(node)
        if node.op in _ARITHMETIC or node.op == "neg":
            return self.arithmetic(node)
        handler = {
            "literal": self.literal,
            "name": self.name,
            "call": self.call,
            "between": self.between,
            "in": self.membership,
            "not in": self.membership,
            "is null": self.presence,
            "is not null": self.presence,
        }[node.op]
        return handler(node)

    def typed(self, node: object, kind: str, what: str) -> Evaluator:
        """Compile ``node`` and refuse it unless its type is ``kind``."""
        assert isinstance(node, Node)
        found, evaluator = self.compile(node)
        if found != kind:
            raise ExpressionError(
                f"{what} needs a {kind}, got a {found}", node.position
            )
        return evaluator

    def literal(self, node: Node) -> tuple[str, Evaluator]:
        value = node.args[0]
        return _kind_of(value), lambda env: value  # type: ignore[return-value]

    def name(self, node: Node) -> tuple[str, Evaluator]:
        name = str(node.args[0])
        spec = self.variables.get(name)
        if spec is None:
            raise ExpressionError(f"unknown feature {name!r}", node.position)
        self.used.add(name)
        kind = STRING if spec.kind == "category" else spec.kind

        def lookup(env: Env) -> Value:
            return env.get(name)

        return kind, lookup

    def logic(self, node: Node) -> tuple[str, Evaluator]:
        parts = [self.typed(arg, BOOL, f"'{node.op}'") for arg in node.args]
        if node.op == "not":
            return BOOL, _kleene_not(parts[0])
        if node.op == "and":
            return BOOL, _kleene_and(parts[0], parts[1])
        return BOOL, _kleene_or(parts[0], parts[1])

    def compare(self, node: Node) -> tuple[str, Evaluator]:
        left_node, right_node = node.args
        assert isinstance(left_node, Node) and isinstance(right_node, Node)
        left_kind, left = self.compile(left_node)
        right_kind, right = self.compile(right_node)
        if NULL in (left_kind, right_kind):
            raise ExpressionError("compare with null using 'is null'", node.position)
        if left_kind != right_kind:
            reason = f"cannot compare a {left_kind} with a {right_kind}"
            raise ExpressionError(reason, node.position)
        if node.op not in ("==", "!=") and left_kind != NUMBER:
            reason = f"'{node.op}' needs numbers, got {left_kind}s"
            raise ExpressionError(reason, node.position)
        self.check_categories(left_node, [right_node])
        self.check_categories(right_node, [left_node])
        return BOOL, _null_safe(_ORDERING[node.op], left, right)

    def arithmetic(self, node: Node) -> tuple[str, Evaluator]:
        parts = [self.typed(arg, NUMBER, f"'{node.op}'") for arg in node.args]
        if node.op == "neg":
            operand = parts[0]
            return NUMBER, lambda env: _negate(operand(env))
        return NUMBER, _null_safe(_ARITHMETIC[node.op], parts[0], parts[1])

    def call(self, node: Node) -> tuple[str, Evaluator]:
        name, *arg_nodes = node.args
        if name == "abs" and len(arg_nodes) != 1:
            raise ExpressionError("abs takes exactly one argument", node.position)
        parts = [self.typed(arg, NUMBER, f"{name}()") for arg in arg_nodes]
        function = _FUNCTIONS[str(name)]

        def apply(env: Env) -> Value:
            values = [part(env) for part in parts]
            if None in values:
                return None
            return function(values)

        return NUMBER, apply

    def between(self, node: Node) -> tuple[str, Evaluator]:
        value, low, high = (self.typed(a, NUMBER, "'between'") for a in node.args)

        def check(env: Env) -> Value:
            x, a, b = value(env), low(env), high(env)
            if x is None or a is None or b is None:
                return None
            return a <= x <= b  # type: ignore[operator]

        return BOOL, check

    def membership(self, node: Node) -> tuple[str, Evaluator]:
        subject, *items = node.args
        assert isinstance(subject, Node)
        kind, value = self.compile(subject)
        if kind not in (NUMBER, STRING):
            raise ExpressionError(
                f"'in' needs a number or a string, got a {kind}", node.position
            )
        for item in items:
            self.typed(item, kind, "list item")
        self.check_categories(subject, items)
        choices = frozenset(item.args[0] for item in items)  # type: ignore[attr-defined]
        negate = node.op == "not in"

        def contains(env: Env) -> Value:
            x = value(env)
            return None if x is None else (x in choices) != negate

        return BOOL, contains

    def presence(self, node: Node) -> tuple[str, Evaluator]:
        _kind, value = self.compile(node.args[0])  # type: ignore[arg-type]
        if node.op == "is null":
            return BOOL, lambda env: value(env) is None
        return BOOL, lambda env: value(env) is not None

    def check_categories(self, subject: Node, literals: list[object]) -> None:
        """Refuse a string that a category feature can never take."""
        if subject.op != "name":
            return
        spec = self.variables[str(subject.args[0])]
        if spec.kind != "category" or spec.values is None:
            return
        for item in literals:
            if isinstance(item, Node) and item.op == "literal":
                text = item.args[0]
                if text not in spec.values:
                    reason = f"{text!r} is not a value of {subject.args[0]!r}"
                    raise ExpressionError(reason, item.position)


def _kind_of(value: object) -> str:
    if value is None:
        return NULL
    if isinstance(value, bool):
        return BOOL
    return NUMBER if isinstance(value, Decimal) else STRING


def _negate(value: Value) -> Value:
    return None if value is None else _CTX.minus(value)  # type: ignore[arg-type]


def _null_safe(
    operation: Callable[[Any, Any], Value],
    left: Evaluator,
    right: Evaluator,
) -> Evaluator:
    def apply(env: Env) -> Value:
        a = left(env)
        if a is None:
            return None
        b = right(env)
        if b is None:
            return None
        return operation(a, b)

    return apply


def _kleene_not(operand: Evaluator) -> Evaluator:
    def apply(env: Env) -> Value:
        value = operand(env)
        return None if value is None else not value

    return apply


def _kleene_and(left: Evaluator, right: Evaluator) -> Evaluator:
    def apply(env: Env) -> Value:
        a = left(env)
        if a is False:
            return False
        b = right(env)
        if b is False:
            return False
        return None if a is None or b is None else True

    return apply


def _kleene_or(left: Evaluator, right: Evaluator) -> Evaluator:
    def apply(env: Env) -> Value:
        a = left(env)
        if a is True:
            return True
        b = right(env)
        if b is True:
            return True
        return None if a is None or b is None else False

    return apply
