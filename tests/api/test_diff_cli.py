"""``ledger report diff`` through the real command line: JSON, text (vi, en), CSV, XLSX, errors."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

from api.cli import app
from api.cli.diff import render
from projections.reports.diff import AnnualDiff, ChangedFigure

runner = CliRunner()


def at(day: str) -> str:
    return f"{day}T09:00:00+07:00"


def org(org_id: str, parent: str | None) -> dict[str, Any]:
    return {"type": "organization.registered", "on": "1990-01-01", "org": org_id,
            "name": org_id.upper(), "parent": parent, "recorded_at": at("1990-01-01")}  # fmt: skip


def admitted(member: str, cell: str, on: str, fact_id: str, **extra: Any) -> dict[str, Any]:
    return {"id": fact_id, "type": "member.admitted", "on": on, "member": member, "org": cell,
            "person": {"name": f"Person {member}", "gender": "male"}, "youth_union": True,
            "occupation": "farmer", "recorded_at": at(on), **extra}  # fmt: skip


HISTORY = [
    org("hp", None), org("hp.d1", "hp"), org("hp.d1.c1", "hp.d1"),
    admitted("m1", "hp.d1.c1", "2020-03-01", "adm-m1"),
    admitted("m2", "hp.d1.c1", "2021-04-01", "adm-m2", occupation="student"),
    {"id": "death-m1", "type": "member.died", "on": "2021-11-20", "member": "m1",
     "recorded_at": at("2022-01-20")},
    {"id": "undo-m2", "type": "fact.retracted", "on": "2022-01-25", "fact": "adm-m2",
     "reason": "wrong person", "recorded_at": at("2022-01-25")},
]  # fmt: skip


@pytest.fixture
def db(database_url: str, tmp_path: Path) -> str:
    """A database holding a late death (recorded 2022-01-20) and a retraction (2022-01-25)."""
    source = tmp_path / "history.jsonl"
    source.write_bytes(b"\n".join(orjson.dumps(item) for item in HISTORY) + b"\n")
    result = runner.invoke(app, ["import", str(source), "--db", database_url])
    assert result.exit_code == 0, result.output
    return database_url


def run(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def refused(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    assert result.exit_code != 0, result.output
    return result.exit_code, result.output


DIFF = ("report", "diff", "hp", "--year", "2021", "--known-at", "2022-01-15")

DEATH = {
    "id": "death-m1",
    "type": "member.died",
    "member": "m1",
    "org": "hp.d1.c1",
    "on": "2021-11-20",
    "recorded_at": "2022-01-20T09:00:00+07:00",
    "retracted": False,
}
UNDONE = {
    "id": "adm-m2",
    "type": "member.admitted",
    "member": "m2",
    "org": "hp.d1.c1",
    "on": "2021-04-01",
    "recorded_at": "2021-04-01T09:00:00+07:00",
    "retracted": True,
}


def test_json_is_exactly_the_diff_of_the_spec(db: str) -> None:
    report = json.loads(run(*DIFF, "--against", "2022-01-31T00:00:00+07:00", "--json",
                            "--db", db))  # fmt: skip
    assert report == {
        "org": "hp",
        "year": 2021,
        "then": datetime.fromisoformat(report["then"]).isoformat(),
        "now": "2022-01-31T00:00:00+07:00",
        "figures": [
            {"figure": "members_at_end", "then": 2, "now": 0, "facts": [UNDONE, DEATH]},
            {"figure": "admitted", "then": 1, "now": 0, "facts": [UNDONE]},
            {"figure": "admitted_by.youth_union", "then": 1, "now": 0, "facts": [UNDONE]},
            {"figure": "admitted_by.occupation.student", "then": 1, "now": 0, "facts": [UNDONE]},
            {"figure": "died", "then": 0, "now": 1, "facts": [DEATH]},
        ],
    }  # fmt: skip
    then = datetime.fromisoformat(report["then"])
    assert then.date().isoformat() == "2022-01-15" and then.hour == 23  # a date: its end


def test_without_against_the_diff_runs_to_now(db: str) -> None:
    report = json.loads(run(*DIFF, "--json", "--db", db))
    assert [f["figure"] for f in report["figures"]][-1] == "died"
    assert datetime.fromisoformat(report["now"]) > datetime.fromisoformat(report["then"])
    before_retraction = json.loads(run(*DIFF, "--against", "2022-01-22", "--json", "--db", db))
    assert [(f["figure"], f["facts"]) for f in before_retraction["figures"]] == [
        ("members_at_end", [DEATH]),
        ("died", [DEATH]),
    ]


def test_text_in_vietnamese_and_english(db: str) -> None:
    vietnamese = run(*DIFF, "--db", db).splitlines()
    assert vietnamese[:2] == [
        "Báo cáo năm 2021 — hp: biết đến 15/01/2022 so với nay",
        "5 chỉ tiêu thay đổi.",
    ]
    assert "members_at_end — đảng viên cuối năm: 2 → 0 (-2)" in vietnamese
    assert "died — từ trần: 0 → 1 (+1)" in vietnamese
    assert (
        "    2021-04-01T09:00:00+07:00  member.admitted  m2  2021-04-01  adm-m2  (rút lại)"
        in vietnamese
    )
    english = run(*DIFF, "--against", "2022-01-31", "--lang", "en", "--db", db).splitlines()
    assert english[:2] == [
        "Annual report 2021 — hp: known at 2022-01-15 against 2022-01-31",
        "5 figures changed.",
    ]
    assert "admitted_by.occupation.student — students (admitted): 1 → 0 (-1)" in english
    assert any(line.endswith("adm-m2  (retracted)") for line in english)
    assert "No figure changed." in run(*DIFF, "--against", "2022-01-16", "--lang", "en",
                                       "--db", db)  # fmt: skip


def test_text_numbers_use_each_languages_thousands_separator() -> None:
    report = AnnualDiff.model_construct(
        org="hp", year=2021, then="2022-01-15T09:30:00+07:00", now="2026-01-01T00:00:00+07:00",
        figures=[ChangedFigure.model_construct(figure="previous_year.members_at_end",
                                               then=127585, now=127455, facts=[])],
    )  # fmt: skip
    vietnamese = render(report, "vi", live=False).splitlines()
    assert (
        vietnamese[0] == "Báo cáo năm 2021 — hp: biết đến 15/01/2022 09:30 so với 01/01/2026 00:00"
    )
    assert vietnamese[3] == (
        "previous_year.members_at_end — đảng viên cuối năm (năm trước): 127.585 → 127.455 (-130)"
    )
    english = render(report, "en", live=True).splitlines()
    assert english[3] == (
        "previous_year.members_at_end — members at the end (previous year): "
        "127,585 → 127,455 (-130)"
    )
    assert english[4] == "    (no fact recorded in between)"


def test_xlsx_has_a_bold_frozen_header_and_real_dates(db: str, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    out = tmp_path / "diff.xlsx"
    run(*DIFF, "--lang", "en", "--format", "xlsx", "--out", str(out), "--db", db)
    book = load_workbook(out)
    assert len(book.sheetnames) == 1
    sheet = book.active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("figure", "then", "now", "change", "fact id", "type", "member", "org",
                       "on", "recorded_at", "retracted")  # fmt: skip
    assert all(cell.font.bold for cell in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert rows[1] == ("members_at_end", 2, 0, -2, "adm-m2", "member.admitted", "m2",
                       "hp.d1.c1", datetime(2021, 4, 1), datetime(2021, 4, 1, 9), True)  # fmt: skip
    assert rows[-1] == ("died", 0, 1, 1, "death-m1", "member.died", "m1", "hp.d1.c1",
                        datetime(2021, 11, 20), datetime(2022, 1, 20, 9), False)  # fmt: skip
    assert len(rows) == 1 + 6
    vietnamese = tmp_path / "diff_vi.xlsx"
    run(*DIFF, "--format", "xlsx", "--out", str(vietnamese), "--db", db)
    header = next(load_workbook(vietnamese).active.iter_rows(values_only=True))  # type: ignore[union-attr]
    assert header[0] == "chỉ tiêu" and header[-1] == "rút lại"


def test_csv_has_the_same_rows_as_text(db: str) -> None:
    rows = list(csv.reader(io.StringIO(run(*DIFF, "--lang", "en", "--format", "csv", "--db", db))))
    assert rows[0][0] == "figure" and len(rows) == 1 + 6
    assert rows[-1] == ["died", "0", "1", "1", "death-m1", "member.died", "m1", "hp.d1.c1",
                        "2021-11-20", "2022-01-20T09:00:00+07:00", "False"]  # fmt: skip


def test_against_before_known_at_is_a_usage_error(db: str) -> None:
    code, output = refused(*DIFF, "--against", "2022-01-10", "--db", db)
    assert code == 2
    assert "--known-at 2022-01-15 is after --against 2022-01-10" in output


def test_bad_options_are_named(db: str) -> None:
    code, output = refused("report", "diff", "hp", "--year", "2021", "--db", db)
    assert code == 2 and "--known-at" in output
    code, output = refused(*DIFF, "--lang", "fr", "--db", db)
    assert code == 2 and "--lang must be vi or en" in output
    code, output = refused(*DIFF, "--against", "yesterday", "--db", db)
    assert code == 2 and "'yesterday' is not an ISO 8601 date or date-time" in output
    code, output = refused(*DIFF, "--format", "xlsx", "--db", db)
    assert code == 2 and "--format xlsx needs --out FILE" in output
    code, output = refused(*DIFF, "--known-at", "2999-01-01", "--db", db)
    assert code == 2 and "is after now" in output


def test_an_unknown_org_is_refused(db: str) -> None:
    code, output = refused("report", "diff", "nowhere", "--year", "2021", "--known-at",
                           "2022-01-15", "--db", db)  # fmt: skip
    assert code == 1 and "nowhere" in output
