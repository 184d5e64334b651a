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

from api.formats import l10n

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
    """The document as an XLSX workbook, one sheet per table (streamed: a roster of a whole
    city is a hundred thousand rows)."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    for table in document.tables:
        _sheet(book.create_sheet(table.sheet), document, table)
    book.save(stream)


def _sheet(sheet: Any, document: Document, table: Table) -> None:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    lang = document.lang
    bold, title = Font(bold=True), Font(bold=True, size=13)
    formats = {"date": "dd/mm/yyyy" if lang == "vi" else "yyyy-mm-dd", "percent": "0.00%"}

    def cell(value: Any, kind: ColumnKind = "text", font: Any = None) -> Any:
        if isinstance(value, bool):
            value = l10n.yes_no(value, lang)
        if font is None and (value is None or (isinstance(value, str) and _plain(value))):
            return value  # a plain value streams much faster than a styled cell
        made = WriteOnlyCell(sheet)
        _put(made, value, lang)
        if isinstance(value, date):
            made.number_format = formats["date"]
        elif isinstance(value, float) and kind == "percent":
            made.number_format = formats["percent"]
        elif isinstance(value, int):
            made.number_format = "#,##0"
        if font is not None:
            made.font = font
        return made

    # Widths first: a streamed sheet writes its columns before its rows.
    widths = [len(column.header) for column in table.columns]
    for row in table.rows:
        for i, (value, column) in enumerate(zip(row, table.columns, strict=True)):
            widths[i] = max(widths[i], len(csv_cell(value, column.kind, lang)))
    for i, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = min(width + 2, MAX_WIDTH)
    header = len(document.params) + 3  # the title, the parameters, one blank row
    last = get_column_letter(len(table.columns))
    sheet.freeze_panes = f"A{header + 1}"
    sheet.auto_filter.ref = f"A{header}:{last}{header + len(table.rows)}"

    sheet.append([cell(document.title, font=title)])
    for label, value in document.params:
        sheet.append([cell(label, font=bold), cell(value)])
    sheet.append([])
    sheet.append([cell(column.header, font=bold) for column in table.columns])
    for row in table.rows:
        sheet.append([cell(v, c.kind) for v, c in zip(row, table.columns, strict=True)])


def _plain(text: str) -> bool:
    """Text that the spreadsheet library stores as text by itself (no formula, no error)."""
    return not text.startswith(FORMULA_STARTS) and not text.startswith("#")


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
