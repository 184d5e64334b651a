"""The auditor's diff as one table (one row per fact of each changed figure), for CSV and XLSX.

Self-contained on purpose: the other reports' exports live in ``exports``; this one folds in
there once both settle.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from typing import IO, Any

from projections.reports.diff import AnnualDiff

HEADERS = {
    "en": ["figure", "then", "now", "change", "fact id", "type", "member", "org", "on",
           "recorded_at", "retracted"],
    "vi": ["chỉ tiêu", "trước", "nay", "thay đổi", "mã sự kiện", "loại", "đảng viên",
           "tổ chức", "ngày", "ghi nhận lúc", "rút lại"],
}  # fmt: skip
"""The columns, in the language of the export."""


def rows(report: AnnualDiff) -> list[list[Any]]:
    """One row per fact of each changed figure (a figure without facts: one row, no fact);
    dates as ``date``, recording times as ``datetime`` with their offset."""
    table: list[list[Any]] = []
    for figure in report.figures:
        head = [figure.figure, figure.then, figure.now, figure.now - figure.then]
        if not figure.facts:
            table.append([*head, None, None, None, None, None, None, None])
        for fact in figure.facts:
            table.append(
                [*head, fact["id"], fact["type"], fact["member"], fact["org"],
                 date.fromisoformat(fact["on"]), datetime.fromisoformat(fact["recorded_at"]),
                 fact["retracted"]]
            )  # fmt: skip
    return table


def to_csv(report: AnnualDiff, lang: str) -> str:
    """The table as CSV, header first (ISO dates and times)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADERS[lang])
    for row in rows(report):
        writer.writerow([v.isoformat() if isinstance(v, date) else v for v in row])
    return out.getvalue()


def to_xlsx(report: AnnualDiff, lang: str, stream: IO[bytes]) -> None:
    """The table as a one-sheet workbook: bold frozen header, real dates and times.

    Excel has no time zones: a recording time is written as the wall-clock time of the offset
    it was recorded with (the offset is in the CSV and the JSON).
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = f"diff {report.year}"
    sheet.append(HEADERS[lang])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for row in rows(report):
        sheet.append([v.replace(tzinfo=None) if isinstance(v, datetime) else v for v in row])
    for column, width in zip(
        "ABCDEFGHIJK", (34, 10, 10, 10, 16, 26, 16, 18, 12, 20, 10), strict=True
    ):
        sheet.column_dimensions[column].width = width
    for cells in sheet.iter_rows(min_row=2, min_col=9, max_col=10):
        cells[0].number_format = "yyyy-mm-dd"
        cells[1].number_format = "yyyy-mm-dd hh:mm:ss"
    book.save(stream)
