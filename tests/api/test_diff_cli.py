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
from api.cli.diff_text import render
from projections.reports.diff import AnnualDiff, ChangedFigure
from projections.reports.names import Names

runner = CliRunner()
_OFFSET = datetime(2022, 1, 15).astimezone().strftime("%z")
LOCAL = f"({_OFFSET[:3]}:{_OFFSET[3:5]})"
"""The machine's offset as the text prints it: a date given on the command line is local."""


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
    assert vietnamese[:3] == [
        "SO SÁNH BÁO CÁO NĂM 2021 — HP (hp)",
        f"Số liệu biết đến 15/01/2022 {LOCAL} so với nay",
        "5 chỉ tiêu thay đổi.",
    ]
    assert "Đảng viên cuối năm (members_at_end): 2 → 0 (-2)" in vietnamese
    assert "Từ trần (died): 0 → 1 (+1)" in vietnamese
    assert (
        "    01/04/2021 09:00 (+07:00)  kết nạp  m2 Person m2  01/04/2021  adm-m2  (rút lại)"
        in vietnamese
    )
    english = run(*DIFF, "--against", "2022-01-31", "--lang", "en", "--db", db).splitlines()
    assert english[:3] == [
        "ANNUAL REPORT THEN AND NOW 2021 — HP (hp)",
        f"Known at 2022-01-15 {LOCAL} against 2022-01-31 {LOCAL}",
        "5 figures changed.",
    ]
    assert "Admitted: students (admitted_by.occupation.student): 1 → 0 (-1)" in english
    assert any(line.endswith("adm-m2  (retracted)") for line in english)
    assert "No figure changed." in run(*DIFF, "--against", "2022-01-16", "--lang", "en",
                                       "--db", db)  # fmt: skip


def test_text_numbers_use_each_languages_thousands_separator() -> None:
    report = AnnualDiff.model_construct(
        org="hp", year=2021, then="2022-01-15T09:30:00+07:00", now="2026-01-01T00:00:00+07:00",
        figures=[ChangedFigure.model_construct(figure="previous_year.members_at_end",
                                               then=127585, now=127455, facts=[])],
    )  # fmt: skip
    names = Names(orgs={"hp": "Đảng bộ thành phố Hải Phòng"})
    vietnamese = render(report, names, "vi", live=False).splitlines()
    assert vietnamese[:2] == [
        "SO SÁNH BÁO CÁO NĂM 2021 — Đảng bộ thành phố Hải Phòng (hp)",
        "Số liệu biết đến 15/01/2022 09:30 (+07:00) so với 01/01/2026 00:00 (+07:00)",
    ]
    assert vietnamese[4] == (
        "Đảng viên cuối năm (năm trước) (previous_year.members_at_end): 127.585 → 127.455 (-130)"
    )
    english = render(report, names, "en", live=True).splitlines()
    assert english[1] == "Known at 2022-01-15 09:30 (+07:00) against now"
    assert english[4] == (
        "Members at the end of the year (previous year) (previous_year.members_at_end): "
        "127,585 → 127,455 (-130)"
    )
    assert english[5] == "    (no fact recorded in between)"


def test_xlsx_is_one_table_with_names_real_dates_and_the_header_block(
    db: str, tmp_path: Path
) -> None:
    from openpyxl import load_workbook

    out = tmp_path / "diff.xlsx"
    run(*DIFF, "--lang", "en", "--format", "xlsx", "--out", str(out), "--db", db)
    book = load_workbook(out)
    assert book.sheetnames == ["Changes"]
    sheet = book.active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "ANNUAL REPORT THEN AND NOW 2021 — HP (hp)"
    header = rows.index(("Figure", "Key", "Then", "Now", "Change", "Fact id", "Fact type",
                         "Member id", "Name", "Org id", "Org name", "On", "Recorded at",
                         "Retracted"))  # fmt: skip
    assert all(cell.font.bold for cell in sheet[header + 1])
    assert sheet.freeze_panes == f"A{header + 2}"
    body = rows[header + 1 :]
    assert body[0] == ("Members at the end of the year", "members_at_end", 2, 0, -2, "adm-m2",
                       "admitted", "m2", "Person m2", "hp.d1.c1", "HP.D1.C1",
                       datetime(2021, 4, 1), "2021-04-01 09:00 (+07:00)", "yes")  # fmt: skip
    assert body[-1][:8] == ("Died", "died", 0, 1, 1, "death-m1", "died", "m1")
    assert len(body) == 6
    vietnamese = tmp_path / "diff-vi.xlsx"
    run(*DIFF, "--format", "xlsx", "--out", str(vietnamese), "--db", db)
    assert load_workbook(vietnamese).sheetnames == ["So sánh"]


def test_csv_is_one_table_with_the_rows_of_the_xlsx(db: str) -> None:
    text = run(*DIFF, "--lang", "en", "--format", "csv", "--db", db)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert rows[0][:3] == ["Figure", "Key", "Then"] and len(rows) == 1 + 6
    assert len({len(row) for row in rows}) == 1
    assert rows[-1][:9] == ["Died", "died", "0", "1", "1", "death-m1", "died", "m1", "Person m1"]


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
