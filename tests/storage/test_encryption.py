"""Encryption at rest (``LEDGER_CIPHER_KEY``): no name nor birth date in clear anywhere in the
database, the same answers as without a key, and a clear refusal of a missing or wrong key, or
of a key turned on over clear events. Both backends."""

from __future__ import annotations

import contextlib
import json
import sqlite3
import zlib
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner, Result

from api.cli import app as cli
from api.http.app import create_app
from projections.text import search_key
from storage.cipher import EncryptionRefused, new_key
from storage.packing import PACKED_1, unpack
from storage.urls import parse_database_url
from tests.api.example import EXAMPLE
from tests.conftest import POSTGRES_URL, fresh_schema

KEY = new_key()
OTHER_KEY = new_key()
NOW = datetime.fromisoformat("2026-01-01T12:00:00+07:00")
runner = CliRunner()


def ledger(url: str, key: str | None, *args: str) -> Result:
    """``ledger ARGS --db url`` in-process, with ``LEDGER_CIPHER_KEY`` set to ``key`` or unset."""
    return runner.invoke(cli, [*args, "--db", url], env={"LEDGER_CIPHER_KEY": key})


def output(url: str, key: str | None, *args: str) -> str:
    result = ledger(url, key, *args)
    assert result.exit_code == 0, result.output
    return result.stdout


def personal_texts() -> list[str]:
    """Every name of the example history (as given and accent-folded, as the clear search key
    holds it) and every birth date that is no other date of the history."""
    lines = [json.loads(line) for line in EXAMPLE.read_text(encoding="utf-8").splitlines()]
    whole = EXAMPLE.read_text(encoding="utf-8")
    names = {f["person"]["name"] for f in lines if "person" in f}
    births = {f["person"]["birth_date"] for f in lines if "birth_date" in f.get("person", {})}
    texts = sorted(names | {search_key(n) for n in names})
    texts += sorted(b for b in births if whole.count(b) == 1)
    assert len(names) >= 20 and len(births) >= 10
    return texts


def imported(url: str, key: str | None) -> str:
    """``url`` holding the example history, imported with ``key``, its read models caught up
    (every table the ledger writes has its rows)."""
    output(url, key, "import", str(EXAMPLE))
    output(url, key, "members", "--name", "van")
    output(url, key, "report", "quality", "hp", "--as-of", "2022-12-31")
    return url


def stored_bytes(url: str) -> list[bytes]:
    """Everything the database holds: SQLite, every byte of its files (main, WAL); PostgreSQL,
    every value of every column of every table of the ledger's schema."""
    database = parse_database_url(url)
    if not database.is_postgres:
        name = database.env["SQLITE_DBNAME"]
        files = [Path(f).read_bytes() for f in (name, f"{name}-wal") if Path(f).exists()]
        with contextlib.closing(sqlite3.connect(name)) as conn:
            states = [row[0] for row in conn.execute("SELECT state FROM stored_events")]
        return files + [unpacked for state in states if (unpacked := _unpacked(state))]
    schema = database.env["POSTGRES_SCHEMA"]
    found: list[bytes] = []
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        tables = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (schema,)
        ).fetchall()
        assert len(tables) >= 10
        for (table,) in tables:
            for row in conn.execute(f'SELECT * FROM "{schema}"."{table}"').fetchall():
                found.extend(_as_bytes(value) for value in row)
    return found + [unpacked for value in found if (unpacked := _unpacked(value))]


def _unpacked(value: bytes) -> bytes | None:
    """A packed event state's JSON (storage.packing: deflated, not encrypted, so it counts as
    clear); None for anything else, an encrypted state among them."""
    if not value or value[0] != PACKED_1:
        return None
    try:
        return unpack(value)
    except (ValueError, zlib.error):
        return None  # ciphertext that happens to start with the packed byte


def _as_bytes(value: Any) -> bytes:
    if isinstance(value, bytes | memoryview):
        return bytes(value)
    return str(value).encode("utf-8")


def in_clear(url: str) -> list[str]:
    """The names and birth dates of the example history that the database holds in clear."""
    stored = stored_bytes(url)
    return [t for t in personal_texts() if any(t.encode("utf-8") in b for b in stored)]


@pytest.fixture
def second_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """Another fresh database on the same backend as ``database_url``."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'second.db'}"
        return
    with fresh_schema() as url:
        yield url


def test_an_encrypted_ledger_holds_no_name_nor_birth_date_in_clear(database_url: str) -> None:
    assert in_clear(imported(database_url, KEY)) == []


def test_the_scan_finds_every_name_and_birth_date_of_a_clear_ledger(database_url: str) -> None:
    assert in_clear(imported(database_url, None)) == personal_texts()


QUESTIONS = [
    ("roster", "hp", "--as-of", "2021-12-31", "--known-at", "2025-01-01", "--json"),
    (
        "roster",
        "hp",
        "--as-of",
        "2021-12-31",
        "--known-at",
        "2025-01-01",
        "--format",
        "csv",
        "--lang",
        "en",
    ),
    ("report", "annual", "hp", "--year", "2021", "--known-at", "2025-01-01", "--json"),
    ("report", "annual", "hp.d03", "--year", "2021", "--known-at", "2025-01-01"),
    ("report", "quality", "hp", "--as-of", "2022-12-31", "--known-at", "2025-01-01", "--json"),
    ("report", "badges", "hp", "--on", "2022-12-31", "--json"),
    ("member", "hp-0001", "--as-of", "2022-12-31", "--known-at", "2025-01-01", "--json"),
    ("member", "hp-0001", "--as-of", "2022-12-31", "--known-at", "2025-01-01"),
    ("members", "--name", "van", "--json"),
    ("members", "--name", "NGUYEN", "--json"),
    ("members", "--name", "thị", "--limit", "2", "--json"),
    ("members", "--name", "hùng"),
    ("facts", "--json"),
    ("facts", "--member", "hp-0011"),
    ("orgs", "--as-of", "2021-12-31", "--known-at", "2025-01-01", "--json"),
]


def test_an_encrypted_ledger_answers_as_the_same_history_in_clear(
    database_url: str, second_url: str
) -> None:
    encrypted, clear = imported(database_url, KEY), imported(second_url, None)
    for question in QUESTIONS:
        assert output(encrypted, KEY, *question) == output(clear, None, *question), question
    # A search that finds many members, beyond the first of them: the same ones, in order.
    found = json.loads(output(encrypted, KEY, "members", "--name", "n", "--json"))
    assert len(found["members"]) > 10


def test_the_http_api_of_an_encrypted_ledger_answers_as_the_clear_one(
    database_url: str, second_url: str
) -> None:
    encrypted, clear = imported(database_url, KEY), imported(second_url, None)
    paths = [
        "/members?name=van",
        "/facts?member=hp-0001",
        "/members/hp-0001?as_of=2022-12-31&known_at=2025-01-01",
        "/orgs/hp/roster?as_of=2021-12-31&known_at=2025-01-01&format=csv",
    ]
    answers = []
    for url, key in ((encrypted, KEY), (clear, None)):
        with TestClient(create_app(url, clock=lambda: NOW, auth=False, cipher_key=key)) as client:
            answers.append([(p, client.get(p).text) for p in paths])
    assert answers[0] == answers[1]
    assert "Nguyễn Văn Hùng" in answers[0][0][1]


def test_an_encrypted_ledger_opened_without_its_key_is_refused(database_url: str) -> None:
    url = imported(database_url, KEY)
    count = _event_count(url)
    for args in (("roster", "hp"), ("import", str(EXAMPLE)), ("members", "--name", "van")):
        result = ledger(url, None, *args)
        assert result.exit_code == 2, result.output
        assert "encrypted: set LEDGER_CIPHER_KEY" in result.stderr
        assert "Traceback" not in result.output
    assert _event_count(url) == count
    assert in_clear(url) == []


def test_the_http_api_without_the_key_of_an_encrypted_ledger_answers_503(
    database_url: str,
) -> None:
    url = imported(database_url, KEY)
    count = _event_count(url)
    fact = {"type": "organization.registered", "on": "2024-01-01", "org": "x", "name": "X",
            "parent": None}  # fmt: skip
    with TestClient(create_app(url, clock=lambda: NOW, auth=False)) as client:
        for answer in (client.get("/members?name=van"), client.post("/facts", json=fact)):
            assert answer.status_code == 503, answer.text
            assert answer.json()["error"] == "encryption_refused"
    assert _event_count(url) == count


def test_an_encrypted_ledger_opened_with_another_key_is_refused(database_url: str) -> None:
    url = imported(database_url, KEY)
    count = _event_count(url)
    for args in (("roster", "hp"), ("import", str(EXAMPLE)), ("migrate",)):
        result = ledger(url, OTHER_KEY, *args)
        assert result.exit_code == 2, result.output
        assert "not the key this ledger was encrypted with" in result.stderr
    assert _event_count(url) == count


def test_a_key_is_not_turned_on_for_a_ledger_of_clear_events(
    database_url: str, tmp_path: Path
) -> None:
    url = imported(database_url, None)
    count = _event_count(url)
    more = tmp_path / "more.jsonl"
    more.write_text(
        '{"type": "organization.registered", "on": "2024-01-01", "org": "x", "name": "X", '
        '"parent": null}\n',
        encoding="utf-8",
    )
    for args in (("import", str(more)), ("roster", "hp")):
        result = ledger(url, KEY, *args)
        assert result.exit_code == 2, result.output
        assert "holds events stored in clear" in result.stderr
    assert _event_count(url) == count


def test_a_writer_is_refused_under_the_lock_when_the_key_changed_since_it_opened(
    database_url: str,
) -> None:
    """A clear writer that opened the ledger while its log was empty must not add clear events
    after another process turned the key on and wrote."""
    from api.bootstrap import Ledger
    from commands.record import import_facts

    lines = EXAMPLE.read_text(encoding="utf-8").splitlines(keepends=True)
    clear = Ledger(database_url, migrate=True)
    try:
        encrypted = Ledger(database_url, migrate=True, cipher_key=KEY)
        try:
            assert import_facts(encrypted.app, lines[:5]).accepted == 5
        finally:
            encrypted.close()
        with pytest.raises(EncryptionRefused, match="encrypted: set LEDGER_CIPHER_KEY"):
            import_facts(clear.app, lines[5:10])
    finally:
        clear.close()
    assert _event_count(database_url) == 5


def test_an_empty_ledger_takes_the_key_of_its_first_writer(database_url: str) -> None:
    output(database_url, None, "migrate")
    url = imported(database_url, KEY)
    assert in_clear(url) == []
    assert ledger(url, None, "roster", "hp").exit_code == 2


def test_a_key_that_is_not_an_aes_key_is_refused_without_being_quoted(database_url: str) -> None:
    for bad in ("not base64!", "c2hvcnQ="):
        result = ledger(database_url, bad, "import", str(EXAMPLE))
        assert result.exit_code == 2, result.output
        assert "LEDGER_CIPHER_KEY" in result.stderr and bad not in result.stderr


def test_ledger_key_new_prints_a_fresh_aes_256_key() -> None:
    first, second = (runner.invoke(cli, ["key", "new"]).stdout.strip() for _ in range(2))
    assert first != second
    from base64 import b64decode

    assert len(b64decode(first)) == 32


def _event_count(url: str) -> int:
    database = parse_database_url(url)
    if database.is_postgres:
        schema = database.env["POSTGRES_SCHEMA"]
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            row = conn.execute(f'SELECT count(*) FROM "{schema}".ledger_events').fetchone()
    else:
        with sqlite3.connect(database.env["SQLITE_DBNAME"]) as conn:
            row = conn.execute("SELECT count(*) FROM stored_events").fetchone()
    assert row is not None
    return int(row[0])


def test_an_encrypted_ledger_keeps_keyed_digests_and_still_knows_a_duplicate(
    database_url: str,
) -> None:
    """A clear SHA-256 of a fact's content would confirm a guess of its name and birth date."""
    from commands.schema import content_digest

    url = imported(database_url, KEY)
    lines = [json.loads(line) for line in EXAMPLE.read_text(encoding="utf-8").splitlines()]
    digests = [content_digest(fact).encode() for fact in lines if "person" in fact]
    stored = stored_bytes(url)
    assert [d for d in digests if any(d in b for b in stored)] == []
    again = json.loads(output(url, KEY, "import", str(EXAMPLE), "--json"))
    assert (again["accepted"], again["duplicates"]) == (0, len(lines))


def test_an_encrypted_ledger_verifies_and_keeps_the_clear_ledgers_chain_head(
    database_url: str, second_url: str
) -> None:
    """The chain is over the decrypted events: the same history under a key and in clear has
    the same head, and ``ledger verify`` reads an encrypted log with its key (and not without)."""
    encrypted, clear = imported(database_url, KEY), imported(second_url, None)
    head = json.loads(output(encrypted, KEY, "digest", "--json"))["head"]
    assert head == json.loads(output(clear, None, "digest", "--json"))["head"]
    verdict = json.loads(output(encrypted, KEY, "verify", "--digest", head, "--json"))
    assert verdict["ok"] and verdict["head"] == head
    refused = ledger(encrypted, None, "verify")
    assert refused.exit_code == 2 and "Traceback" not in refused.output
