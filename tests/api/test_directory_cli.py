"""``ledger orgs``, ``members`` and ``facts`` through the real command line (example history)."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from api.cli import app
from tests.api.example import EXAMPLE, run

SUBMITTED = [json.loads(line) for line in EXAMPLE.read_text(encoding="utf-8").splitlines()]
runner = CliRunner()


def refused(code: int, *args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, result.output
    return result.output


def test_orgs_json_counts_each_subtree_as_its_roster(db: str) -> None:
    tree = json.loads(run("orgs", "hp", "--as-of", "2021-12-31", "--json", "--db", db))
    assert set(tree) == {"org", "as_of", "known_at", "orgs"}
    assert tree["org"] == "hp" and tree["as_of"] == "2021-12-31"
    registered = [f for f in SUBMITTED if f["type"] == "organization.registered"]
    assert sorted(o["org"] for o in tree["orgs"]) == sorted(f["org"] for f in registered)
    assert tree["orgs"][0]["org"] == "hp" and tree["orgs"][0]["level"] == 0
    for node in tree["orgs"]:
        assert set(node) == {
            "org", "name", "parent", "level", "registered_on", "dissolved_on", "members",
        }  # fmt: skip
        roster = json.loads(
            run("roster", node["org"], "--as-of", "2021-12-31", "--json", "--db", db)
        )
        assert node["members"] == roster["count"], node
    renamed = {f["org"]: f["name"] for f in SUBMITTED if f["type"] == "organization.renamed"}
    for node in tree["orgs"]:
        if node["org"] in renamed:
            assert node["name"] == renamed[node["org"]]
    dissolved = {f["org"] for f in SUBMITTED if f["type"] == "organization.dissolved"}
    assert {o["org"] for o in tree["orgs"] if o["dissolved_on"]} == dissolved


def test_orgs_text_is_an_indented_tree_with_names_and_counts(db: str) -> None:
    text = run("orgs", "--as-of", "2021-12-31", "--lang", "en", "--db", db)
    lines = text.splitlines()
    assert lines[0] == "ORG TREE — every tree"
    assert lines[1].startswith("As of 2021-12-31 (known at ")
    roster = json.loads(run("roster", "hp", "--as-of", "2021-12-31", "--json", "--db", db))
    assert lines[2] == f"  hp  Đảng bộ thành phố Hải Phòng  {roster['count']} members"
    assert lines[3].startswith("    hp.d01  Đảng bộ quận Hồng Bàng  ")
    assert lines[4].startswith("      hp.d01.c01  ")
    vietnamese = run("orgs", "hp", "--as-of", "2021-12-31", "--db", db).splitlines()
    assert vietnamese[0] == "CÂY TỔ CHỨC — hp"
    assert vietnamese[1].startswith("Tính đến ngày 31/12/2021 (số liệu biết đến ")
    assert vietnamese[2] == f"  hp  Đảng bộ thành phố Hải Phòng  {roster['count']} đảng viên"


def test_orgs_and_facts_export_one_table_in_the_language(db: str, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    text = run("orgs", "hp", "--as-of", "2021-12-31", "--format", "csv", "--db", db)
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert text.startswith("\ufeff") and rows[0][:3] == ["Mã tổ chức", "Tên tổ chức", "Cấp"]
    assert rows[1][:3] == ["hp", "Đảng bộ thành phố Hải Phòng", "0"]
    assert len({len(row) for row in rows}) == 1
    out = tmp_path / "facts.xlsx"
    run("facts", "--member", "hp-0014", "--lang", "en", "--format", "xlsx", "--out", str(out),
        "--db", db)  # fmt: skip
    book = load_workbook(out)
    assert book.sheetnames == ["Facts"]
    sheet = book.active
    assert sheet is not None
    table = list(sheet.iter_rows(values_only=True))
    header = next(i for i, row in enumerate(table) if row[0] == "Recorded at")
    body = table[header + 1 :]
    assert len(body) == len(submitted_of("hp-0014"))
    assert all(isinstance(row[1], datetime) for row in body)  # real dates
    assert {row[5] for row in body} == {"Vũ Văn Bình"}


def test_orgs_refuses_an_unknown_org_and_a_bad_date(db: str) -> None:
    assert "org nope is not registered" in refused(1, "orgs", "nope", "--db", db)
    assert "is not a date" in refused(2, "orgs", "hp", "--as-of", "2021-02-30", "--db", db)


def test_members_finds_names_without_accents(db: str) -> None:
    found = json.loads(run("members", "--name", "nguyen", "--json", "--db", db))
    assert found["query"] == "nguyen"
    names = [m["name"] for m in found["members"]]
    assert names and all("nguyễn" in n.lower() for n in names)
    admitted = {f["member"]: f["person"]["name"] for f in SUBMITTED if f.get("person")}
    assert {m["member"]: m["name"] for m in found["members"]} == {
        k: v for k, v in admitted.items() if "Nguyễn" in v
    }
    text = run("members", "--name", "Nguyễn Văn", "--db", db)
    assert "Nguyễn Văn Hùng" in text and "Nguyễn Thị" not in text
    assert "letter or a digit" in refused(2, "members", "--name", " ", "--db", db)
    refused(2, "members", "--name", "an", "--limit", "0", "--db", db)


def submitted_of(member: str) -> list[dict[str, Any]]:
    """The member's submitted facts, retractions included, in recording order."""
    mine = {f["id"] for f in SUBMITTED if f.get("member") == member}
    facts = [f for f in SUBMITTED if f["id"] in mine or f.get("fact") in mine]
    return sorted(facts, key=lambda f: datetime.fromisoformat(f["recorded_at"]))


def test_facts_json_is_the_spec_s_with_each_fact_as_submitted(db: str) -> None:
    log = json.loads(run("facts", "--member", "hp-0014", "--json", "--db", db))
    assert set(log) == {"facts"}
    expected = submitted_of("hp-0014")
    assert [f["fact"] for f in log["facts"]] == expected
    keys = {"id", "type", "member", "org", "on", "recorded_at", "retracted", "anomaly", "fact"}
    assert all(set(f) == keys for f in log["facts"])
    retracted = {f["fact"] for f in expected if f["type"] == "fact.retracted"}
    assert {f["id"] for f in log["facts"] if f["retracted"]} == retracted
    assert all(f["member"] == "hp-0014" for f in log["facts"])


def test_facts_filters_by_org_window_and_type(db: str) -> None:
    everything = json.loads(run("facts", "--json", "--db", db))["facts"]
    assert len(everything) == len(SUBMITTED)
    window = json.loads(
        run("facts", "--since", "2021-01-01", "--until", "2021-06-30", "--json", "--db", db)
    )["facts"]
    assert [f["id"] for f in window] == [
        f["id"] for f in everything if "2021-01-01" <= f["recorded_at"][:10] <= "2021-06-30"
    ]
    retractions = json.loads(
        run("facts", "--type", "fact.retracted", "--type", "member.died", "--json", "--db", db)
    )["facts"]
    assert {f["type"] for f in retractions} == {"fact.retracted", "member.died"}
    committee = json.loads(run("facts", "--org", "hp.d01", "--json", "--db", db))["facts"]
    assert committee and all(
        (f["org"] or "").startswith("hp.d01")
        or (f["fact"].get("to_org") or "").startswith("hp.d01")
        for f in committee
    )
    assert json.loads(run("facts", "--limit", "2", "--json", "--db", db))["facts"] == everything[:2]


def test_facts_text_shows_one_line_per_fact_with_names(db: str) -> None:
    text = run("facts", "--member", "hp-0014", "--lang", "en", "--db", db)
    lines = text.splitlines()
    assert lines[0] == f"{len(submitted_of('hp-0014'))} facts"
    went_away = next(line for line in lines if "hp-f0088" in line)
    assert went_away.startswith("2021-03-16 09:00 (+07:00)  2021-03-15  went away  ")
    assert "hp-0014 (Vũ Văn Bình)" in went_away and went_away.endswith("[retracted]")
    vietnamese = run("facts", "--member", "hp-0014", "--db", db).splitlines()
    assert vietnamese[0] == f"{len(submitted_of('hp-0014'))} sự kiện"
    went_away = next(line for line in vietnamese if "hp-f0088" in line)
    assert went_away.startswith("16/03/2021 09:00 (+07:00)  15/03/2021  ")
    assert went_away.endswith("[đã rút lại]")


def test_facts_refuses_bad_filters(db: str) -> None:
    assert "org nope is not registered" in refused(1, "facts", "--org", "nope", "--db", db)
    assert "--since" in refused(2, "facts", "--since", "yesterday", "--db", db)
    assert "unknown fact type" in refused(2, "facts", "--type", "member.nope", "--db", db)
    assert "is after" in refused(
        2, "facts", "--since", "2022-01-01", "--until", "2021-01-01", "--db", db
    )
