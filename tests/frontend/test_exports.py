"""Exports: no formula reaches a spreadsheet; times are the lender's."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from frontend.exports import export_response

HOSTILE = ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]


def _rows(fmt: str, rows: list[list]) -> list[list]:
    response = export_response(fmt, "t", ["a"], rows)
    if fmt == "csv":
        text = response.content.decode("utf-8-sig")
        return list(csv.reader(io.StringIO(text, newline="")))[1:]
    sheet = load_workbook(io.BytesIO(response.content)).active
    return [list(r) for r in sheet.iter_rows(min_row=2, values_only=True)]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_text_that_looks_like_a_formula_is_exported_as_text(fmt):
    cells = [row[0] for row in _rows(fmt, [[value] for value in HOSTILE])]

    # XML (XLSX) stores a carriage return as a line feed.
    assert [c.replace("\n", "\r") for c in cells] == ["'" + v for v in HOSTILE]


def test_xlsx_holds_no_formula_cell():
    response = export_response("xlsx", "t", ["a"], [[value] for value in HOSTILE])
    sheet = load_workbook(io.BytesIO(response.content)).active

    assert all(cell.data_type == "s" for (cell,) in sheet.iter_rows(min_row=2))


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_negative_numbers_stay_numbers(fmt):
    (cell,) = _rows(fmt, [[Decimal("-29.44")]])[0]

    assert cell in ("-29.44", -29.44)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_datetimes_are_exported_in_the_lenders_time_zone(fmt):
    at = datetime(2027, 3, 31, 20, 30, tzinfo=UTC)  # 04:30 next day in Shanghai

    (cell,) = _rows(fmt, [[at]])[0]

    assert str(cell).startswith("2027-04-01 04:30")
