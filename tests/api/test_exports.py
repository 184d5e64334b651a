"""Exports a committee can hand in, and text in the reader's language, through the command line
(both backends) and through the renderers with names given by hand."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from api.cli import app, render
from api.formats import exports, l10n, sheets
from projections.reports.names import Names
from projections.reports.quality import QualityReport
from projections.reports.roster import Roster
from tests.api.example import run

CITY = "Đảng bộ thành phố Hải Phòng"
runner = CliRunner()


def words(lang: str, *keys: str) -> list[str]:
    return [l10n.word(key, lang) for key in keys]


# report → (its arguments, its sheets, the columns of its first table)
REPORTS: dict[str, tuple[list[str], list[str], list[str]]] = {
    "roster": (["roster", "hp", "--as-of", "2021-12-31"], ["sheet.roster"],
               ["col.member", "col.member_name", "col.org", "col.org_name", "col.status",
                "col.since"]),
    "annual": (["report", "annual", "hp", "--year", "2021"], ["sheet.annual"],
               ["col.figure", "col.key", "2021", "col.share", "col.base", "2020", "col.change"]),
    "quality": (["report", "quality", "hp", "--as-of", "2022-12-31"],
                ["sheet.findings", "sheet.counts"],
                ["col.kind", "col.kind_key", "col.org", "col.org_name", "col.member",
                 "col.member_name", "col.fact", "col.detail"]),
    "badges": (["report", "badges", "hp", "--on", "2030-06-01"], ["sheet.badges"],
               ["col.member", "col.member_name", "col.years", "col.party_age"]),
    "member": (["member", "hp-0001", "--as-of", "2022-12-31"], ["sheet.member"],
               ["col.on", "col.type", "col.type_key", "col.fact", "col.recorded_at",
                "col.retracted", "col.anomaly"]),
}  # fmt: skip


def csv_rows(text: str) -> list[list[str]]:
    assert text.startswith("\ufeff"), "Excel needs the byte-order mark to read UTF-8"
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


@pytest.mark.parametrize("report", list(REPORTS))
def test_each_report_exports_one_rectangular_csv_table_in_the_language(
    db: str, report: str
) -> None:
    args, _, columns = REPORTS[report]
    for lang in l10n.LANGS:
        rows = csv_rows(run(*args, "--format", "csv", "--lang", lang, "--db", db))
        assert rows[0] == words(lang, *columns)
        assert len(rows) > 1
        assert {len(row) for row in rows} == {len(columns)}
    vietnamese = csv_rows(run(*args, "--format", "csv", "--db", db))
    english = csv_rows(run(*args, "--format", "csv", "--lang", "en", "--db", db))
    assert vietnamese[0] != english[0] and len(vietnamese) == len(english)


def table_of(sheet: Any) -> tuple[int, list[tuple[Any, ...]]]:
    """The header row's number (the row above the frozen pane) and the table's rows."""
    header = int(sheet.freeze_panes[1:]) - 1
    return header, list(sheet.iter_rows(min_row=header, values_only=True))


@pytest.mark.parametrize("report", list(REPORTS))
def test_each_report_exports_xlsx_with_a_header_block_and_a_bold_frozen_filtered_table(
    db: str, report: str, tmp_path: Path
) -> None:
    args, sheet_keys, columns = REPORTS[report]
    for lang in l10n.LANGS:
        out = tmp_path / f"{report}-{lang}.xlsx"
        run(*args, "--format", "xlsx", "--out", str(out), "--lang", lang, "--db", db)
        book = load_workbook(out)
        assert book.sheetnames == words(lang, *sheet_keys)
        for sheet in book.worksheets:
            title = sheet["A1"].value
            assert sheet["A1"].font.b and title.startswith(l10n.word(f"title.{report}", lang))
            assert (CITY in title) if report != "member" else ("hp-0001" in title)
            header, rows = table_of(sheet)
            assert all(cell.font.b for cell in sheet[header])
            assert sheet.auto_filter.ref == f"A{header}:{sheet[header][-1].column_letter}" + str(
                header + len(rows) - 1
            )
            for cell in sheet[header]:
                assert sheet.column_dimensions[cell.column_letter].width >= len(cell.value)
            known = [r for r in sheet.iter_rows(max_row=header, values_only=True)
                     if r[0] == l10n.word("param.known_at", lang)]  # fmt: skip
            if report != "badges":
                assert known and ("(+" in known[0][1] or "(-" in known[0][1])
        assert list(table_of(book.worksheets[0])[1][0]) == words(lang, *columns)


def test_roster_xlsx_has_real_dates_and_names_beside_ids(db: str, tmp_path: Path) -> None:
    roster = json.loads(run("roster", "hp", "--as-of", "2021-12-31", "--json", "--db", db))
    for lang, date_format in (("vi", "dd/mm/yyyy"), ("en", "yyyy-mm-dd")):
        out = tmp_path / f"roster-{lang}.xlsx"
        run("roster", "hp", "--as-of", "2021-12-31", "--format", "xlsx", "--out", str(out),
            "--lang", lang, "--db", db)  # fmt: skip
        sheet = load_workbook(out).worksheets[0]
        as_of = sheet["B3"]
        assert as_of.value == datetime(2021, 12, 31) and as_of.number_format == date_format
        assert sheet["B5"].value == roster["count"] and sheet["B5"].number_format == "#,##0"
        header = int(sheet.freeze_panes[1:]) - 1
        body = list(sheet.iter_rows(min_row=header + 1))
        assert [r[0].value for r in body] == [m["member"] for m in roster["members"]]
        for row, member in zip(body, roster["members"], strict=True):
            assert row[5].value == datetime.fromisoformat(member["since"])
            assert row[5].number_format == date_format
            assert row[3].value and row[3].value.startswith("Chi bộ")  # the org's name
            assert row[4].value == l10n.status(member["status"], lang)


def test_annual_xlsx_has_counts_as_numbers_and_shares_as_percentages(
    db: str, tmp_path: Path
) -> None:
    report = json.loads(run("report", "annual", "hp", "--year", "2021", "--json", "--db", db))
    out = tmp_path / "annual.xlsx"
    run("report", "annual", "hp", "--year", "2021", "--format", "xlsx", "--out", str(out),
        "--db", db)  # fmt: skip
    sheet = load_workbook(out)["Báo cáo năm"]
    header = int(sheet.freeze_panes[1:]) - 1
    rows = {r[1].value: r for r in sheet.iter_rows(min_row=header + 1)}
    end = rows["members_at_end"]
    assert end[2].value == report["members_at_end"] and isinstance(end[2].value, int)
    assert end[2].number_format == "#,##0"
    assert end[5].value == report["previous_year"]["members_at_end"]
    assert end[6].value == report["members_at_end"] - report["previous_year"]["members_at_end"]
    female = rows["admitted_by.female"]
    assert isinstance(female[3].value, float) and female[3].number_format == "0.00%"
    assert female[3].value == pytest.approx(report["admitted_by"]["female"] / report["admitted"])
    assert female[4].value == "Kết nạp"
    assert rows["balanced"][2].value == "có"
    assert {"committees", "committees_recording"} <= set(rows)


def test_annual_csv_puts_the_share_beside_the_count_in_the_language(db: str) -> None:
    report = json.loads(run("report", "annual", "hp", "--year", "2021", "--json", "--db", db))
    for lang in l10n.LANGS:
        rows = csv_rows(run("report", "annual", "hp", "--year", "2021", "--format", "csv",
                            "--lang", lang, "--db", db))  # fmt: skip
        female = next(r for r in rows if r[1] == "admitted_by.female")
        assert female[2] == str(report["admitted_by"]["female"])
        share = l10n.percent(report["admitted_by"]["female"], report["admitted"], lang)
        assert female[3] == share
        balanced = next(r for r in rows if r[1] == "balanced")
        assert balanced[2] == l10n.yes_no(report["balanced"], lang)


def test_every_report_takes_lang_and_its_json_is_the_same_in_both(db: str) -> None:
    for args, _, _ in REPORTS.values():
        known = [] if "badges" in args else ["--known-at", "2023-01-01T00:00:00+07:00"]
        vietnamese = run(*args, *known, "--json", "--db", db)
        assert vietnamese == run(*args, *known, "--json", "--lang", "en", "--db", db)
        refused = runner.invoke(app, [*args, "--lang", "fr", "--db", db])
        assert refused.exit_code == 2 and "--lang must be vi or en" in refused.output


def test_text_reports_name_orgs_and_use_local_numbers_and_times(db: str) -> None:
    known = ("--known-at", "2022-01-15T09:00:00+07:00")
    roster = run("roster", "hp", "--as-of", "2021-12-31", *known, "--db", db)
    assert CITY in roster and "15/01/2022 09:00 (+07:00)" in roster and "chính thức" in roster
    english = run("roster", "hp", "--as-of", "2021-12-31", *known, "--lang", "en", "--db", db)
    assert "2022-01-15 09:00 (+07:00)" in english and "official" in english
    annual = run("report", "annual", "hp", "--year", "2021", *known, "--db", db)
    assert CITY in annual and "(số liệu biết đến 15/01/2022 09:00 (+07:00))" in annual
    for args in (["report", "quality", "hp", "--as-of", "2022-12-31"],
                 ["report", "badges", "hp", "--on", "2030-06-01"]):  # fmt: skip
        assert CITY in run(*args, "--db", db)


def test_the_annual_text_counts_the_subordinate_committees_recording(db: str) -> None:
    from api.bootstrap import Ledger
    from projections.reports.committees import committees

    ledger = Ledger(db, migrate=False)
    try:
        year = committees(ledger.models, "hp", 2021)
    finally:
        ledger.close()
    assert year.committees, "the example's city has subordinate committees"
    ratio = f"{len(year.recording)}/{len(year.committees)}"
    vietnamese = run("report", "annual", "hp", "--year", "2021", "--db", db)
    english = run("report", "annual", "hp", "--year", "2021", "--lang", "en", "--db", db)
    assert f"tại {ratio} (" in vietnamese and "đảng bộ trực thuộc" in vietnamese
    assert f"Subordinate committees recording in 2021: {ratio} (" in english


# --- names given by hand, and the formula guard --------------------------------------------

HOSTILE = '=HYPERLINK("http://example.invalid","click")'
NAMES = Names(
    orgs={"hp": "Đảng bộ thành phố", "c1": "@SUM(A1)"},
    members={"m1": HOSTILE, "m2": "Nguyễn Thị Lan", "m3": "-2+3"},
)
ROSTER = Roster.model_construct(
    org="hp", as_of="2021-12-31", known_at="2022-01-15T09:00:00+07:00", count=3,
    members=[
        {"member": "m1", "org": "c1", "status": "official", "since": "2020-01-01"},
        {"member": "m2", "org": "c1", "status": "probationary", "since": "2021-05-02"},
        {"member": "m3", "org": "c1", "status": "in_transit", "since": "2021-07-03"},
    ],
)  # fmt: skip


def test_member_names_stand_beside_member_ids_in_text_and_exports() -> None:
    text = render.roster(ROSTER, NAMES, "vi")
    assert any("m2" in line and "Nguyễn Thị Lan" in line and "dự bị" in line
               for line in text.splitlines())  # fmt: skip
    rows = csv_rows(exports.to_csv(sheets.roster(ROSTER, NAMES, "vi")))
    assert rows[2] == ["m2", "Nguyễn Thị Lan", "c1", "'@SUM(A1)", "dự bị", "02/05/2021"]
    quality = QualityReport.model_construct(
        org="hp", as_of="2021-12-31", known_at="2022-01-15T09:00:00+07:00",
        counts={"missing_dossier": 1},
        findings=[{"kind": "missing_dossier", "member": "m2", "org": "c1", "fact": None,
                   "detail": "no dossier recorded in the database"}],
    )  # fmt: skip
    assert "m2 (Nguyễn Thị Lan)" in render.quality(quality, NAMES, "vi")
    found = csv_rows(exports.to_csv(sheets.quality(quality, NAMES, "en")))
    assert found[1][4:6] == ["m2", "Nguyễn Thị Lan"]


def test_text_that_could_be_a_formula_is_never_one(tmp_path: Path) -> None:
    rows = csv_rows(exports.to_csv(sheets.roster(ROSTER, NAMES, "en")))
    assert rows[1][1] == "'" + HOSTILE and rows[3][1] == "'-2+3"
    assert exports.guarded("+1") == "'+1" and exports.guarded("Lan") == "Lan"
    out = tmp_path / "roster.xlsx"
    with out.open("wb") as stream:
        exports.to_xlsx(sheets.roster(ROSTER, NAMES, "en"), stream)
    sheet = load_workbook(out).worksheets[0]
    header = int(sheet.freeze_panes[1:]) - 1
    name, org_name = sheet.cell(header + 1, 2), sheet.cell(header + 1, 4)
    assert (name.value, name.data_type, name.quotePrefix) == (HOSTILE, "s", True)
    assert (org_name.value, org_name.data_type, org_name.quotePrefix) == ("@SUM(A1)", "s", True)
    plain = sheet.cell(header + 2, 2)
    assert (plain.value, plain.data_type) == ("Nguyễn Thị Lan", "s")
