"""CSV and XLSX downloads of any list the console shows."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from openpyxl import Workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# A text cell starting with one of these is read as a formula by Excel,
# LibreOffice or Sheets (CSV injection); a leading apostrophe keeps it text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    """Return ``value`` as a spreadsheet cell: local times, inert text.

    Aware datetimes are shown in the current (the lender's) time zone,
    without the offset, which neither format can carry.
    """
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            return timezone.localtime(value).replace(tzinfo=None)
        return value
    if isinstance(value, (Decimal, date, int, float)) or value is None:
        return value
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def export_response(
    fmt: str, name: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]
) -> HttpResponse:
    """Return ``rows`` as a CSV (UTF-8 with BOM, for Excel) or XLSX file."""
    if fmt == "xlsx":
        book = Workbook()
        sheet = book.active
        sheet.title = name[:31]
        sheet.append(list(headers))
        for row in rows:
            sheet.append([_cell(v) for v in row])
        buffer = io.BytesIO()
        book.save(buffer)
        response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    else:
        text = io.StringIO()
        writer = csv.writer(text)
        writer.writerow(headers)
        for row in rows:
            writer.writerow(["" if v is None else _cell(v) for v in row])
        response = HttpResponse(
            "\ufeff" + text.getvalue(), content_type="text/csv; charset=utf-8"
        )
        fmt = "csv"
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response
