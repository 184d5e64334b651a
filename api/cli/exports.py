"""Spreadsheet exports (CSV, XLSX) of the roster, annual and quality reports.

A committee files its reports as spreadsheets: each report becomes one or more tables of plain
cells, with the report's parameters in the first rows.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import IO, Any

from pydantic import BaseModel

from projections.reports.annual import AnnualReport
from projections.reports.quality import QualityReport
from projections.reports.roster import Roster

Table = tuple[str, list[list[Any]]]  # a sheet name and its rows (the first row is the header)


def tables(kind: str, report: BaseModel) -> list[Table]:
    """The report as named tables."""
    if isinstance(report, Roster):
        return [
            ("roster", [["member", "org", "status", "since"]]
             + [[m["member"], m["org"], m["status"], m["since"]] for m in report.members]),
        ]  # fmt: skip
    if isinstance(report, AnnualReport):
        now, previous = report.model_dump(), report.previous_year.model_dump()
        rows = [["figure", str(report.year), str(report.previous_year.year)]]
        rows += [[name, value, before] for name, value, before in _figures(now, previous)]
        return [("annual", rows)]
    if isinstance(report, QualityReport):
        findings = [["kind", "org", "member", "fact", "detail"]] + [
            [f["kind"], f["org"], f["member"], f["fact"], f["detail"]] for f in report.findings
        ]
        counts = [["kind", "count"]] + [[k, n] for k, n in report.counts.items()]
        return [("findings", findings), ("counts", counts)]
    raise ValueError(f"no spreadsheet export for {kind}")


def _figures(report: dict[str, Any], previous: dict[str, Any]) -> Iterable[tuple[str, Any, Any]]:
    for key, value in report.items():
        if key in ("org", "year", "known_at", "previous_year"):
            continue
        if isinstance(value, dict):
            for sub, sub_value in value.items():
                if isinstance(sub_value, dict):
                    for leaf, leaf_value in sub_value.items():
                        yield f"{key}.{sub}.{leaf}", leaf_value, previous[key][sub][leaf]
                else:
                    yield f"{key}.{sub}", sub_value, previous[key][sub]
        else:
            yield key, value, previous[key]


def _preamble(kind: str, report: BaseModel) -> list[list[Any]]:
    fields = type(report).model_fields
    keys = [k for k in ("org", "as_of", "on", "year", "known_at") if k in fields]
    return [[f"{kind} report"]] + [[k, getattr(report, k)] for k in keys] + [[]]


def to_csv(kind: str, report: BaseModel) -> str:
    """The report as CSV: parameters first, then each table after a blank line."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerows(_preamble(kind, report))
    for index, (_, rows) in enumerate(tables(kind, report)):
        if index:
            writer.writerow([])
        writer.writerows(rows)
    return out.getvalue()


def to_xlsx(kind: str, report: BaseModel, stream: IO[bytes]) -> None:
    """The report as an XLSX workbook: a sheet of parameters, then one sheet per table."""
    from openpyxl import Workbook

    book = Workbook()
    about = book.active
    assert about is not None
    about.title = "report"
    for row in _preamble(kind, report):
        about.append(row)
    for name, rows in tables(kind, report):
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    book.save(stream)
