"""The report commands of SPEC §5 through the real command line: JSON, text, CSV and XLSX."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from typer.testing import CliRunner

from api.cli import app
from api.cli.annual_text import change
from api.formats.l10n import number, percent
from tests.api.example import run

runner = CliRunner()


def test_annual_json_has_every_key_of_the_spec(db: str) -> None:
    report = json.loads(run("report", "annual", "hp", "--year", "2021", "--json", "--db", db))
    keys = {
        "org", "year", "known_at", "members_at_start", "members_at_end", "admitted",
        "readmitted", "admitted_by", "probation_completed", "transferred_in", "transferred_out",
        "internal_moves", "badges_awarded", "badges_by_years", "expelled", "removed", "resigned",
        "died", "in_transit_at_end", "dossiers_recorded_at_end", "admitted_with_dossier",
        "balanced", "previous_year",
    }  # fmt: skip
    assert set(report) == keys
    assert set(report["previous_year"]) == keys - {"previous_year"}
    assert set(report["admitted_by"]) == {
        "female", "youth_union", "private_business_owner", "population_policy_violation",
        "occupation",
    }  # fmt: skip
    assert len(report["admitted_by"]["occupation"]) == 9
    assert list(report["badges_by_years"]) == [
        "30", "40", "45", "50", "55", "60", "65", "70", "75", "80", "85", "90",
    ]  # fmt: skip
    assert report["balanced"] is True
    assert report["previous_year"]["year"] == 2020


def test_annual_text_states_figures_in_vietnamese_and_english(db: str) -> None:
    vietnamese = run("report", "annual", "hp", "--year", "2021", "--db", db)
    english = run("report", "annual", "hp", "--year", "2021", "--lang", "en", "--db", db)
    assert "BÁO CÁO CÔNG TÁC ĐẢNG VIÊN NĂM 2021" in vietnamese
    assert "Kết nạp được" in vietnamese and "so với năm 2020" in vietnamese
    assert "MEMBERSHIP REPORT 2021" in english and "on 2020" in english
    assert "(khớp)" in vietnamese and "(balanced)" in english


def test_numbers_follow_each_language(db: str) -> None:
    assert number(127455, "vi") == "127.455"
    assert number(127455, "en") == "127,455"
    assert percent(2079, 3298, "vi") == "63,04%"
    assert percent(2079, 3298, "en") == "63.04%"
    assert change(2079, 1691, 2020, "vi") == "tăng 388 người so với năm 2020"
    assert change(134, 158, 2020, "en") == "down 24 on 2020"
    assert percent(1, 0, "en") == "—"


def test_roster_json_and_csv_agree(db: str) -> None:
    roster = json.loads(run("roster", "hp", "--as-of", "2021-12-31", "--json", "--db", db))
    assert set(roster) == {"org", "as_of", "known_at", "count", "members"}
    assert roster["count"] == len(roster["members"]) > 0
    assert [m["member"] for m in roster["members"]] == sorted(
        m["member"] for m in roster["members"]
    )
    text = run("roster", "hp", "--as-of", "2021-12-31", "--format", "csv", "--lang", "en",
               "--db", db)  # fmt: skip
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert rows[0] == ["Member id", "Name", "Org id", "Org name", "Status", "Since"]
    assert [r[0] for r in rows[1:]] == [m["member"] for m in roster["members"]]
    assert [r[4] for r in rows[1:]] == [m["status"].replace("_", " ") for m in roster["members"]]


def test_quality_exports_to_xlsx_with_findings_and_counts(db: str, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    out = tmp_path / "quality.xlsx"
    run("report", "quality", "hp", "--as-of", "2022-12-31", "--format", "xlsx", "--out", str(out),
        "--db", db)  # fmt: skip
    report = json.loads(run("report", "quality", "hp", "--as-of", "2022-12-31", "--json",
                            "--db", db))  # fmt: skip
    book = load_workbook(out)
    assert book.sheetnames == ["Phát hiện", "Tổng hợp"]
    findings = list(book["Phát hiện"].iter_rows(values_only=True))
    header = findings.index(("Loại", "Mã loại", "Mã tổ chức", "Tên tổ chức", "Mã đảng viên",
                             "Họ và tên", "Mã sự kiện", "Chi tiết"))  # fmt: skip
    assert [row[1] for row in findings[header + 1 :]] == [f["kind"] for f in report["findings"]]
    counts = list(book["Tổng hợp"].iter_rows(values_only=True))
    start = counts.index(("Loại", "Mã loại", "Số lượng")) + 1
    assert {key: n for _, key, n in counts[start:]} == report["counts"]


def test_annual_csv_lists_each_figure_with_the_previous_year(db: str) -> None:
    report = json.loads(run("report", "annual", "hp", "--year", "2021", "--json", "--db", db))
    text = run("report", "annual", "hp", "--year", "2021", "--format", "csv", "--db", db)
    table = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert table[0][:3] == ["Chỉ tiêu", "Mã chỉ tiêu", "2021"] and table[0][5] == "2020"
    rows = {row[1]: row[2:] for row in table[1:]}
    assert rows["members_at_end"][0] == str(report["members_at_end"])
    assert rows["members_at_end"][3] == str(report["previous_year"]["members_at_end"])
    assert rows["admitted_by.occupation.student"][0] == str(
        report["admitted_by"]["occupation"]["student"]
    )


def test_badges_report_json_shape(db: str) -> None:
    report = json.loads(run("report", "badges", "hp", "--on", "2030-06-01", "--json", "--db", db))
    assert set(report) == {"org", "on", "due"}
    assert report["on"] == "2030-06-01"
    assert report["due"], "by 2030 the example's members of the 1970s reach new milestones"
    for row in report["due"]:
        assert set(row) == {"member", "years", "party_age_years"}
        assert row["years"] <= row["party_age_years"]


def test_an_unknown_org_is_refused_with_its_code(db: str) -> None:
    result = runner.invoke(app, ["roster", "nowhere", "--as-of", "2021-12-31", "--db", db])
    assert result.exit_code == 1
    assert "unknown_org" in result.output


def test_xlsx_without_an_output_file_is_a_usage_error(db: str) -> None:
    result = runner.invoke(app, ["report", "quality", "hp", "--format", "xlsx", "--db", db])
    assert result.exit_code == 2
    assert "--out" in result.output


def test_a_database_that_cannot_be_opened_is_named_without_its_password() -> None:
    url = "postgresql://ledger:s3cret@127.0.0.1:1/nowhere"
    result = runner.invoke(app, ["roster", "hp", "--db", url])
    assert result.exit_code == 2
    assert "cannot open the database postgresql://ledger:***@127.0.0.1:1/nowhere" in result.output
    assert "s3cret" not in result.output
