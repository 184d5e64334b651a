"""The docs keep up with the code: every fact type, error code and command is documented,
every documented example is a fact the parser accepts, and the example history is importable.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import typer

from api.cli import app as cli_app
from commands.schema import REJECT_KEYS, canonical_json, content_digest, parse_line
from ledger.errors import ERRORS
from ledger.facts import FACT_TYPES

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
FACTS_MD = DOCS / "facts.md"
ARCHITECTURE_MD = DOCS / "architecture.md"
HISTORY = DOCS / "examples" / "history.jsonl"
PACKAGES = ("ledger/", "commands/", "projections/", "api/")

# The example of fact id derivation given in docs/facts.md.
ID_EXAMPLE = {
    "type": "organization.renamed",
    "on": "1994-12-20",
    "org": "hp.d05",
    "name": "Đảng bộ quận Kiến An",
}


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _all_docs() -> str:
    return "\n".join(_read(path) for path in sorted(DOCS.rglob("*.md")))


def _cli_commands() -> list[str]:
    """Every leaf command of the CLI as typed, e.g. ``ledger import``, ``ledger report annual``."""
    found: list[str] = []

    def walk(command: Any, path: list[str]) -> None:
        subcommands = getattr(command, "commands", None)
        if not subcommands:
            found.append(" ".join(path))
            return
        for name, sub in sorted(subcommands.items()):
            walk(sub, [*path, name])

    walk(typer.main.get_command(cli_app), ["ledger"])
    return found


def _json_examples() -> list[str]:
    """The lines of the ```json blocks of docs/facts.md (fact examples, one per line)."""
    lines: list[str] = []
    inside = False
    for line in _read(FACTS_MD).splitlines():
        if line.startswith("```"):
            inside = line.strip() == "```json" if not inside else False
            continue
        if inside and line.strip():
            lines.append(line)
    return lines


def _history_lines() -> list[str]:
    return [line for line in _read(HISTORY).splitlines() if line.strip()]


def _section_headings(text: str) -> set[str]:
    return {m.group(1) for m in re.finditer(r"^#{2,4} `([^`]+)`\s*$", text, re.MULTILINE)}


@pytest.mark.parametrize("fact_type", FACT_TYPES)
def test_every_fact_type_has_its_own_section_in_facts_md(fact_type: str) -> None:
    assert fact_type in _section_headings(_read(FACTS_MD))


@pytest.mark.parametrize("code", sorted(ERRORS))
def test_every_error_code_is_a_row_of_the_error_table_in_facts_md(code: str) -> None:
    assert re.search(rf"^\| `{re.escape(code)}` \|", _read(FACTS_MD), re.MULTILINE)


def test_the_cli_has_commands_to_document() -> None:
    assert "ledger import" in _cli_commands()


@pytest.mark.parametrize("command", _cli_commands())
def test_every_cli_command_is_documented(command: str) -> None:
    assert command in _all_docs()


@pytest.mark.parametrize("line", _json_examples())
def test_every_json_example_in_facts_md_is_a_fact_the_parser_accepts(line: str) -> None:
    parse_line(line)


def test_every_fact_type_has_an_example_in_facts_md() -> None:
    documented = {parse_line(line).type for line in _json_examples()}
    assert set(FACT_TYPES) - documented == set()


def test_every_example_under_a_fact_type_heading_is_of_that_type() -> None:
    heading = None
    inside = False
    for line in _read(FACTS_MD).splitlines():
        found = re.match(r"^#{2,4} `([^`]+)`\s*$", line)
        if found:
            heading = found.group(1)
        elif line.startswith("#"):
            heading = None
        elif line.startswith("```"):
            inside = line.strip() == "```json" if not inside else False
        elif inside and line.strip() and heading in FACT_TYPES:
            assert parse_line(line).type == heading, line


def test_examples_taken_from_the_history_are_identical_to_it() -> None:
    history = {json.loads(line)["id"]: json.loads(line) for line in _history_lines()}
    for line in _json_examples():
        example = json.loads(line)
        if example.get("id") in history:
            assert example == history[example["id"]]


def test_the_documented_fact_id_example_matches_the_derivation() -> None:
    text = _read(FACTS_MD)
    assert f"`{canonical_json(ID_EXAMPLE)}`" in text
    assert f"sha256:{content_digest(ID_EXAMPLE)}" in text
    assert parse_line(json.dumps(ID_EXAMPLE)).id == f"sha256:{content_digest(ID_EXAMPLE)}"


def test_the_rejects_file_example_has_exactly_the_keys_import_accepts() -> None:
    text = _read(FACTS_MD)
    block = text[text.index("```jsonl\n") + len("```jsonl\n") :]
    lines = block[: block.index("```")].splitlines()
    assert lines
    for line in lines:
        assert set(json.loads(line)) == REJECT_KEYS


@pytest.mark.parametrize("line", _history_lines(), ids=lambda line: str(json.loads(line).get("id")))
def test_every_line_of_the_example_history_parses(line: str) -> None:
    parse_line(line)


def test_the_example_history_has_explicit_unique_ids_and_recording_times() -> None:
    facts = [json.loads(line) for line in _history_lines()]
    assert 60 <= len(facts) <= 150
    ids = [fact.get("id") for fact in facts]
    assert None not in ids
    assert len(set(ids)) == len(ids)
    assert all(fact.get("recorded_at", "").endswith("+07:00") for fact in facts)
    assert max(fact["on"] for fact in facts) <= "2022-12-31"
    assert max(fact["recorded_at"][:10] for fact in facts) <= "2022-12-31"


def test_the_example_history_covers_every_fact_type_the_demo_needs() -> None:
    types = {json.loads(line)["type"] for line in _history_lines()}
    wanted = {
        "organization.registered",
        "organization.count_declared",
        "member.admitted",
        "member.probation_completed",
        "member.transferred_out",
        "member.transferred_in",
        "member.badge_awarded",
        "member.died",
        "member.dossier_recorded",
        "member.went_away",
        "member.exempted",
        "fact.retracted",
    }
    assert wanted - types == set()


@pytest.mark.parametrize("package", PACKAGES)
def test_architecture_md_mentions_each_top_level_package(package: str) -> None:
    assert (ROOT / package).is_dir()
    assert package in _read(ARCHITECTURE_MD)
