"""Read historical applications with known outcomes from a CSV file.

Plain Python: imports no Django. Two layouts are accepted:

- the Statlog German Credit columns (``creditability`` good/bad), mapped by
  ``german_credit.row_to_features``;
- our generic layout: one column per registered feature (empty = missing)
  and a ``bad`` column (1/0, true/false, yes/no).

Each row is read on its own: a bad row becomes a ``RowError`` with its line
number and reason, and the good rows around it are kept. The outcome is
returned apart from the features, which never contain it.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from core.errors import InvalidInput
from core.risk import german_credit
from core.risk.features import BOOL, FEATURES, coerce_features

OUTCOME_COLUMN = "bad"
_TRUE = {"1", "true", "yes", "bad"}
_FALSE = {"0", "false", "no", "good"}


@dataclass(frozen=True, slots=True)
class HistoryRow:
    line: int
    features: dict[str, object]
    bad: bool


@dataclass(frozen=True, slots=True)
class RowError:
    line: int
    reason: str


def history_rows(path: Path | str) -> Iterator[HistoryRow | RowError]:
    """Yield each data row of ``path`` (the header is line 1).

    Each row's features are checked against the registered ranges, so a
    row the rules could not read is a RowError, not a crash later.
    Raises InvalidInput when the header fits neither layout, or when the
    file is not UTF-8 text (call count_rows first to refuse it before any
    row is used).
    """
    with _text_errors(), open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        parse = _layout(reader.fieldnames or [])
        for line, row in enumerate(reader, start=2):
            try:
                features, bad = parse(row)
            except InvalidInput as exc:
                yield RowError(line, _reason(exc))
            else:
                yield HistoryRow(line, features, bad)


def count_rows(path: Path | str) -> int:
    """Return how many data rows ``path`` holds (for a progress indicator).

    Reads the whole file, so it refuses (InvalidInput) a file that is not
    UTF-8 text or not CSV.
    """
    with _text_errors(), open(path, newline="", encoding="utf-8-sig") as handle:
        return sum(1 for _ in csv.DictReader(handle))


@contextmanager
def _text_errors() -> Iterator[None]:
    """Turn an undecodable or binary file into InvalidInput naming ``csv``."""
    try:
        yield
    except UnicodeDecodeError as exc:
        raise InvalidInput.for_field(
            "csv",
            f"is not UTF-8 text (byte {exc.start}): save it as UTF-8 CSV",
        ) from None
    except csv.Error as exc:
        raise InvalidInput.for_field("csv", f"is not a CSV file: {exc}") from None


RowParser = Callable[[Mapping[str, str]], tuple[dict[str, object], bool]]


def _layout(columns: Sequence[str]) -> RowParser:
    if german_credit.OUTCOME_COLUMN in columns:
        return _german_row
    if OUTCOME_COLUMN not in columns:
        raise InvalidInput.for_field(
            "csv",
            f"needs a '{OUTCOME_COLUMN}' column (or the German credit layout)",
        )
    unknown = [c for c in columns if c != OUTCOME_COLUMN and c not in FEATURES]
    if unknown:
        raise InvalidInput.for_field("csv", f"unknown columns: {', '.join(unknown)}")
    return _generic_row


def _german_row(row: Mapping[str, str]) -> tuple[dict[str, object], bool]:
    bad = german_credit.row_outcome(row)
    features = german_credit.row_to_features(row)
    coerce_features(features)  # refuses out-of-range values (age 200...)
    return features, bad


def _generic_row(row: Mapping[str, str]) -> tuple[dict[str, object], bool]:
    bad = _flag(OUTCOME_COLUMN, row.get(OUTCOME_COLUMN))
    raw: dict[str, object] = {}
    for name, text in row.items():
        if name == OUTCOME_COLUMN or name is None:
            continue
        text = (text or "").strip()
        if text == "":
            raw[name] = None
        elif FEATURES[name].kind == BOOL:
            raw[name] = _flag(name, text)
        else:
            raw[name] = text
    coerce_features(raw)  # refuses ill-typed values, naming the column
    return raw, bad


def _flag(name: str, text: str | None) -> bool:
    lowered = (text or "").strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise InvalidInput.for_field(name, f"expected 1/0 or true/false, got {text!r}")


def _reason(exc: InvalidInput) -> str:
    if exc.fields:
        return "; ".join(f"{k}: {v}" for k, v in exc.fields.items())
    return exc.message
