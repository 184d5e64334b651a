"""SPEC §5 through the real command: ``ledger import`` and ``ledger member``.

The command runs with the machine's real clock, so every fact here is dated in the past.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any

from typer.testing import CliRunner, Result

from api.cli import app
from tests.support import admitted, at, fact

ROOT = Path(__file__).resolve().parents[2]
SUMMARY_KEYS = {"accepted", "duplicates", "rejected", "rejects"}
REJECT_KEYS = {"line", "id", "error", "message"}
VIEW_KEYS = {"member", "as_of", "known_at", "status", "standing", "org", "to_org",
             "party_age_years", "badges", "exempt", "away", "facts"}  # fmt: skip

runner = CliRunner()


def ledger(*args: str, env: dict[str, str | None] | None = None) -> Result:
    """Run ``ledger ARGS`` in-process."""
    return runner.invoke(app, list(args), env=env)


def org(org_id: str, parent: str | None) -> dict[str, Any]:
    return {"type": "organization.registered", "on": "2000-01-01", "org": org_id,
            "name": org_id.upper(), "parent": parent, "recorded_at": at("2000-01-01"),
            "id": f"reg-{org_id}"}  # fmt: skip


def write_lines(path: Path, lines: list[dict[str, Any] | str]) -> Path:
    """One line per item: dicts as JSON (non-ASCII kept), strings as they are."""
    text = [json.dumps(x, ensure_ascii=False) if isinstance(x, dict) else x for x in lines]
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    return path


DUC = {"name": "Trần Văn Đức", "gender": "male"}
BAD_M2 = admitted("m2", "c1", "2020-04-01", id="adm-m2", youth_union="yes")
MIXED: list[dict[str, Any] | str] = [
    org("hp", None),  # 1
    org("c1", "hp"),  # 2
    admitted("m1", "c1", "2020-03-01", id="adm-m1", person=DUC),  # 3
    '{"type": "member.died", "on": ',  # 4: not JSON
    fact("probation_completed", "m1", "2020-06-01", id="prob-early"),  # 5: too early
    "",  # 6: blank, skipped
    fact("probation_completed", "m1", "2021-03-01", id="prob-m1"),  # 7
    BAD_M2,  # 8: youth_union is not a bool
]
"""4 facts accepted; lines 4, 5 and 8 refused."""


def summary_of(result: Result) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads(result.stdout)
    assert set(payload) == SUMMARY_KEYS
    for reject in payload["rejects"]:
        assert set(reject) == REJECT_KEYS
        assert isinstance(reject["message"], str) and reject["message"]
    return payload


def brief(summary: dict[str, Any]) -> list[tuple[int, str | None, str]]:
    return [(r["line"], r["id"], r["error"]) for r in summary["rejects"]]


def member_json(db: str, member: str, *extra: str) -> dict[str, Any]:
    result = ledger("member", member, "--json", "--db", db, *extra)
    assert result.exit_code == 0, result.output
    view: dict[str, Any] = json.loads(result.stdout)
    return view


# --- ledger import ----------------------------------------------------------------------------


def test_an_import_reports_each_refused_line_and_stores_the_others(
    database_url: str, tmp_path: Path
) -> None:
    path = write_lines(tmp_path / "facts.jsonl", MIXED)
    result = ledger("import", str(path), "--json", "--db", database_url)
    assert result.exit_code == 1, result.output
    summary = summary_of(result)
    assert (summary["accepted"], summary["duplicates"], summary["rejected"]) == (4, 0, 3)
    assert brief(summary) == [
        (4, None, "invalid_fact"),
        (5, "prob-early", "too_early"),
        (8, "adm-m2", "invalid_fact"),
    ]
    # the line after the malformed one, and the one after the refused one, were stored
    view = member_json(database_url, "m1", "--as-of", "2021-12-31")
    assert view["status"] == "official"
    assert [f["id"] for f in view["facts"]] == ["adm-m1", "prob-m1"]
    assert member_json(database_url, "m2", "--as-of", "2021-12-31")["status"] == "not_member"


def test_an_import_with_nothing_refused_exits_0(database_url: str, tmp_path: Path) -> None:
    path = write_lines(tmp_path / "clean.jsonl", [*MIXED[:3], MIXED[6]])
    result = ledger("import", str(path), "--json", "--db", database_url)
    assert result.exit_code == 0, result.output
    assert summary_of(result) == {"accepted": 4, "duplicates": 0, "rejected": 0, "rejects": []}


def test_importing_the_same_file_again_stores_nothing_twice(
    database_url: str, tmp_path: Path
) -> None:
    path = write_lines(tmp_path / "facts.jsonl", MIXED)
    assert ledger("import", str(path), "--json", "--db", database_url).exit_code == 1
    again = ledger("import", str(path), "--json", "--db", database_url)
    assert again.exit_code == 1
    summary = summary_of(again)
    assert (summary["accepted"], summary["duplicates"], summary["rejected"]) == (0, 4, 3)
    assert [r["line"] for r in summary["rejects"]] == [4, 5, 8]
    view = member_json(database_url, "m1", "--as-of", "2021-12-31")
    assert [f["id"] for f in view["facts"]] == ["adm-m1", "prob-m1"]
    clean = write_lines(tmp_path / "clean.jsonl", MIXED[:3])
    third = ledger("import", str(clean), "--json", "--db", database_url)
    assert third.exit_code == 0
    assert summary_of(third) == {"accepted": 0, "duplicates": 3, "rejected": 0, "rejects": []}


def test_the_rejects_file_holds_each_refused_line_and_imports_once_fixed(
    database_url: str, tmp_path: Path
) -> None:
    path = write_lines(tmp_path / "facts.jsonl", MIXED)
    rejects = tmp_path / "rejects.jsonl"
    result = ledger("import", str(path), "--json", "--rejects", str(rejects), "--db", database_url)
    assert result.exit_code == 1
    records = [json.loads(line) for line in rejects.read_text(encoding="utf-8").splitlines()]
    assert [set(r) for r in records] == [REJECT_KEYS | {"fact"}] * 3
    assert [(r["line"], r["id"], r["error"]) for r in records] == brief(summary_of(result))
    assert records[0]["fact"] == MIXED[3]  # the raw text of a line that is not JSON
    assert records[1]["fact"] == MIXED[4]
    assert records[2]["fact"] == BAD_M2

    # the registrar fixes two facts in place (one was raw text) and imports the file as it is
    records[0]["fact"] = json.dumps(fact("dossier_recorded", "m1", "2021-04-01", id="dos-m1"))
    records[2]["fact"]["youth_union"] = False
    write_lines(rejects, list(records))
    fixed = ledger("import", str(rejects), "--json", "--db", database_url)
    assert fixed.exit_code == 1  # prob-early is still wrong
    summary = summary_of(fixed)
    assert (summary["accepted"], summary["duplicates"], summary["rejected"]) == (2, 0, 1)
    # prob-early is now also recorded before m1's last fact (prob-m1): recording order first
    assert brief(summary) == [(2, "prob-early", "conflict")]
    view = member_json(database_url, "m2", "--as-of", "2021-12-31")
    assert (view["status"], view["org"]) == ("probationary", "c1")
    assert [f["id"] for f in view["facts"]] == ["adm-m2"]
    m1 = member_json(database_url, "m1", "--as-of", "2021-12-31")
    assert [f["id"] for f in m1["facts"]] == ["adm-m1", "prob-m1", "dos-m1"]


def test_a_fact_repeated_in_one_file_is_a_duplicate_and_a_reused_id_is_duplicate_fact(
    database_url: str, tmp_path: Path
) -> None:
    no_id = fact("went_away", "m1", "2021-05-01")
    lines: list[dict[str, Any] | str] = [
        *MIXED[:3],
        no_id,  # 4
        no_id,  # 5: same content, so the same id
        {**admitted("m3", "c1", "2020-03-01"), "id": "adm-m1"},  # 6: adm-m1 with other content
        "[1, 2]",  # 7: JSON, but not an object
        "42",  # 8
    ]
    path = write_lines(tmp_path / "facts.jsonl", lines)
    result = ledger("import", str(path), "--json", "--db", database_url)
    assert result.exit_code == 1
    summary = summary_of(result)
    assert (summary["accepted"], summary["duplicates"], summary["rejected"]) == (4, 1, 3)
    assert [(r["line"], r["error"]) for r in summary["rejects"]] == [
        (6, "duplicate_fact"),
        (7, "invalid_fact"),
        (8, "invalid_fact"),
    ]
    assert summary["rejects"][0]["id"] == "adm-m1"
    view = member_json(database_url, "m1", "--as-of", "2021-12-31")
    assert view["away"] is True
    assert [f["type"] for f in view["facts"]] == ["member.admitted", "member.went_away"]
    assert view["facts"][1]["id"].startswith("sha256:")
    assert member_json(database_url, "m3", "--as-of", "2021-12-31")["status"] == "not_member"


def test_an_import_prints_readable_counts_without_json(database_url: str, tmp_path: Path) -> None:
    path = write_lines(tmp_path / "facts.jsonl", MIXED)
    result = ledger("import", str(path), "--db", database_url)
    assert result.exit_code == 1
    text = result.stdout
    assert not text.lstrip().startswith("{")
    assert re.search(r"accepted\D{0,3}4\b", text), text
    assert re.search(r"duplicates\D{0,3}0\b", text), text
    assert re.search(r"rejected\D{0,3}3\b", text), text
    assert "too_early" in text and "prob-early" in text


def test_importing_a_missing_file_exits_2_with_a_message(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.jsonl"
    result = ledger("import", str(missing), "--json", "--db", f"sqlite:///{tmp_path}/x.db")
    assert result.exit_code == 2
    assert "nowhere.jsonl" in result.stderr
    assert result.stdout == ""


def test_the_database_is_chosen_by_ledger_database_url(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path}/env.db"
    path = write_lines(tmp_path / "facts.jsonl", MIXED[:3])
    result = ledger("import", str(path), "--json", env={"LEDGER_DATABASE_URL": db})
    assert result.exit_code == 0, result.output
    assert summary_of(result)["accepted"] == 3
    assert member_json(db, "m1", "--as-of", "2021-12-31")["status"] == "probationary"


def test_the_installed_command_imports_and_exits_1_on_refusals(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "facts.jsonl", MIXED)
    db = f"sqlite:///{tmp_path}/x.db"
    command = [str(ROOT / ".venv" / "bin" / "ledger"), "import", str(path), "--json", "--db", db]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 1, done.stderr
    summary = json.loads(done.stdout)
    assert (summary["accepted"], summary["rejected"]) == (4, 3)
    missing = [*command[:2], str(tmp_path / "nowhere.jsonl"), *command[3:]]
    gone = subprocess.run(missing, capture_output=True, text=True, timeout=60, check=False)
    assert gone.returncode == 2
    assert "nowhere.jsonl" in gone.stderr


# --- ledger member ----------------------------------------------------------------------------


def test_ledger_member_prints_the_member_view_as_of_a_date_as_known_at_a_time(
    database_url: str, tmp_path: Path
) -> None:
    path = write_lines(tmp_path / "facts.jsonl", MIXED)
    ledger("import", str(path), "--db", database_url)
    known_at = "2025-01-01T00:00:00+07:00"
    view = member_json(database_url, "m1", "--as-of", "2021-06-30", "--known-at", known_at)
    assert set(view) == VIEW_KEYS
    assert (view["member"], view["as_of"]) == ("m1", "2021-06-30")
    assert datetime.fromisoformat(view["known_at"]) == datetime.fromisoformat(known_at)
    assert (view["status"], view["standing"], view["org"], view["to_org"]) == (
        "official", "official", "c1", None,
    )  # fmt: skip
    assert (view["party_age_years"], view["badges"], view["exempt"], view["away"]) == (
        1, [], False, False,
    )  # fmt: skip
    assert view["facts"][1] == {
        "id": "prob-m1", "type": "member.probation_completed", "on": "2021-03-01",
        "recorded_at": view["facts"][1]["recorded_at"], "retracted": False, "anomaly": False,
    }  # fmt: skip
    assert datetime.fromisoformat(view["facts"][1]["recorded_at"]) == datetime.fromisoformat(
        at("2021-03-01")
    )
    # before the completion was recorded (02:00 UTC), m1 was still probationary
    earlier = member_json(
        database_url, "m1", "--as-of", "2021-06-30", "--known-at", "2021-03-01T01:59:00Z"
    )
    assert earlier["status"] == "probationary"
    assert [f["id"] for f in earlier["facts"]] == ["adm-m1"]
    by_date = member_json(database_url, "m1", "--as-of", "2021-06-30", "--known-at", "2021-02-27")
    assert by_date["status"] == "probationary"
    before = member_json(database_url, "m1", "--as-of", "2020-02-29")
    assert (before["status"], before["party_age_years"], before["facts"]) == (
        "not_member", None, [],
    )  # fmt: skip


def test_ledger_member_for_an_unknown_member_prints_the_not_member_view(
    database_url: str, tmp_path: Path
) -> None:
    ledger("import", str(write_lines(tmp_path / "facts.jsonl", MIXED[:1])), "--db", database_url)
    view = member_json(database_url, "ghost", "--as-of", "2021-06-30")
    assert set(view) == VIEW_KEYS
    assert member_json(database_url, "ghost")["as_of"] == date.today().isoformat()
    assert (view["status"], view["standing"], view["org"], view["facts"]) == (
        "not_member", None, None, [],
    )  # fmt: skip


def test_ledger_member_without_json_prints_readable_text(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path}/x.db"
    ledger("import", str(write_lines(tmp_path / "facts.jsonl", MIXED)), "--db", db)
    result = ledger("member", "m1", "--as-of", "2021-06-30", "--db", db)
    assert result.exit_code == 0
    assert not result.stdout.lstrip().startswith("{")
    assert "m1" in result.stdout and "chính thức" in result.stdout and "c1" in result.stdout
    assert "prob-m1" in result.stdout and "01/03/2021" in result.stdout
    english = ledger("member", "m1", "--as-of", "2021-06-30", "--lang", "en", "--db", db).stdout
    assert "official" in english and "2021-03-01" in english and "prob-m1" in english


def test_the_first_read_after_a_large_import_says_it_is_catching_up(tmp_path: Path) -> None:
    # import stores facts only; the first read derives them, and says so on stderr when
    # there are many (a silent wait of tens of seconds looks like a hang).
    facts: list[dict[str, Any] | str] = [org("hp", None), org("c1", "hp")]
    facts += [admitted(f"m{i}", "c1", "2020-03-01", id=f"adm-{i}") for i in range(5_000)]
    history = write_lines(tmp_path / "many.jsonl", facts)
    url = f"sqlite:///{tmp_path / 'many.db'}"
    assert ledger("import", str(history), "--db", url).exit_code == 0
    command = [sys.executable, "-m", "api.cli", "roster", "c1", "--as-of", "2021-01-01"]
    first = subprocess.run([*command, "--db", url], capture_output=True, text=True, check=False)
    assert first.returncode == 0, first.stderr
    assert "bringing the read models up to date (5,002 new events)" in first.stderr
    assert ": 5.000 đảng viên" in first.stdout
    again = subprocess.run([*command, "--db", url], capture_output=True, text=True, check=False)
    assert again.returncode == 0 and again.stderr == ""
