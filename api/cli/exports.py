"""Spreadsheets a committee can hand in: CSV and XLSX writers for the reports' documents.

A ``Document`` is a report made ready for a spreadsheet (see ``sheets``): its title, its
parameters and one or more rectangular tables with typed columns, every word in the reader's
language.

- **CSV**: the document's first table and nothing else (one rectangular table per file: a
  header row, then one row per line; a CSV file has no room for a title block, so the
  parameters are in the XLSX only and in the file name the user chose). UTF-8 with a byte-order
  mark, so that Excel reads Vietnamese correctly; comma-separated, CRLF line ends. Counts are
  plain integers (no thousands separator: they stay numbers in any spreadsheet), percentages
  and days are text in the language (``63,04%``, ``15/01/2022``).
- **XLSX**: one sheet per table, named in the language. Each sheet starts with a header block
  (the title, then the parameters: org id and name, as of / on / year, known at), then the
  table: a bold header row frozen with everything above it, an auto-filter over the table,
  column widths fitted to their content, days as real dates (``dd/mm/yyyy`` or
  ``yyyy-mm-dd``), counts as numbers (``#,##0``) and shares as numbers (``0.00%``).

Names come from user input: a text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return could be run as a formula by a spreadsheet. CSV cells get a leading ``'``
(OWASP's advice); XLSX cells are stored as text with Excel's quote prefix, never as formulas.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date
from typing import IO, Any, Literal

from api.cli import l10n

ColumnKind = Literal["text", "number", "percent", "date"]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"
MAX_WIDTH = 60


@dataclass(frozen=True, slots=True)
class Column:
    """A column of a table: its header in the language and the kind of its values."""

    header: str
    kind: ColumnKind = "text"


@dataclass(frozen=True, slots=True)
class Table:
    """A rectangular table: values are text, int, a share (float, 0.6304) or a date."""

    sheet: str
    columns: list[Column]
    rows: list[list[Any]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Document:
    """A report ready for a spreadsheet: title, parameters (label, value) and tables."""

    lang: str
    title: str
    params: list[tuple[str, Any]]
    tables: list[Table]


def guarded(text: str) -> str:
    """Text a spreadsheet will not run as a formula: a leading ``'`` when it could be one."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_cell(value: Any, kind: ColumnKind, lang: str) -> str:
    """A value as CSV text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return l10n.yes_no(value, lang)
    if isinstance(value, date):
        return l10n.day(value, lang)
    if isinstance(value, float) and kind == "percent":
        text = f"{100 * value:.2f}%"
        return text.replace(".", ",") if lang == "vi" else text
    if isinstance(value, int | float):
        return str(value)
    return guarded(str(value))


def to_csv(document: Document) -> str:
    """The document's first table as CSV text, starting with the byte-order mark."""
    table = document.tables[0]
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([guarded(c.header) for c in table.columns])
    for row in table.rows:
        writer.writerow(
            [csv_cell(v, c.kind, document.lang) for v, c in zip(row, table.columns, strict=True)]
        )
    return out.getvalue()


def to_xlsx(document: Document, stream: IO[bytes]) -> None:
    """The document as an XLSX workbook, one sheet per table."""
    from openpyxl import Workbook

    book = Workbook()
    first = book.active
    assert first is not None
    book.remove(first)
    for table in document.tables:
        _sheet(book.create_sheet(table.sheet), document, table)
    book.save(stream)


def _sheet(sheet: Any, document: Document, table: Table) -> None:
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    bold, lang = Font(bold=True), document.lang
    date_format = "dd/mm/yyyy" if lang == "vi" else "yyyy-mm-dd"
    _put(sheet.cell(row=1, column=1), document.title, lang).font = Font(bold=True, size=13)
    for index, (label, value) in enumerate(document.params, start=2):
        _put(sheet.cell(row=index, column=1), label, lang).font = bold
        cell = _put(sheet.cell(row=index, column=2), value, lang)
        if isinstance(value, date):
            cell.number_format = date_format
        elif isinstance(value, int) and not isinstance(value, bool):
            cell.number_format = "#,##0"
    header = len(document.params) + 3  # the title, the parameters, one blank row
    widths = [len(column.header) for column in table.columns]
    for col, column in enumerate(table.columns, start=1):
        _put(sheet.cell(row=header, column=col), column.header, lang).font = bold
    for r, row in enumerate(table.rows, start=header + 1):
        for col, (value, column) in enumerate(zip(row, table.columns, strict=True), start=1):
            cell = _put(sheet.cell(row=r, column=col), value, lang)
            if isinstance(value, date):
                cell.number_format = date_format
            elif isinstance(value, float) and column.kind == "percent":
                cell.number_format = "0.00%"
            elif isinstance(value, int) and not isinstance(value, bool):
                cell.number_format = "#,##0"
            shown = csv_cell(value, column.kind, lang)
            widths[col - 1] = max(widths[col - 1], len(shown))
    last = get_column_letter(len(table.columns))
    sheet.freeze_panes = f"A{header + 1}"
    sheet.auto_filter.ref = f"A{header}:{last}{header + len(table.rows)}"
    for col, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(col)].width = min(width + 2, MAX_WIDTH)


def _put(cell: Any, value: Any, lang: str) -> Any:
    """Write ``value``; text is always stored as text (never a formula or an error code)."""
    if isinstance(value, bool):
        value = l10n.yes_no(value, lang)
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"
        if value.startswith(FORMULA_STARTS):
            cell.quotePrefix = True
    return cell
