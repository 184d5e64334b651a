"""The hash chain and ``verify``: raw-SQL tampering with the log, its keys or its links is caught
and named, a kept digest proves a prefix, and a log older than the chain is linked by migrate."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from commands.application import LedgerApplication
from commands.record import import_facts
from ledger.member import ORG_FIELDS
from storage.chain import GENESIS, Chain, Digest
from storage.packing import pack, unpack
from storage.urls import parse_database_url
from storage.verify import NoChain, Verdict, head, verify
from tests.api.example import EXAMPLE

LINES = EXAMPLE.read_text(encoding="utf-8").splitlines()


@contextlib.contextmanager
def raw(url: str) -> Iterator[tuple[object, dict[str, str]]]:
    """A plain connection to the ledger's database (outside the ledger), and its table names."""
    database = parse_database_url(url)
    if database.is_postgres:
        schema = database.env["POSTGRES_SCHEMA"]
        names = {"events": f'"{schema}".ledger_events', "pos": "notification_id",
                 "chain": f'"{schema}".ledger_chain', "facts": f'"{schema}".ledger_facts',
                 "links": f'"{schema}".ledger_links', "p": "%s"}  # fmt: skip
        with psycopg.connect(url.split("?")[0], autocommit=True) as connection:
            yield connection, names
        return
    names = {"events": "stored_events", "pos": "rowid", "chain": "ledger_chain",
             "facts": "ledger_facts", "links": "ledger_links", "p": "?"}  # fmt: skip
    connection = sqlite3.connect(database.env["SQLITE_DBNAME"], isolation_level=None)
    try:
        yield connection, names
    finally:
        connection.close()


def tamper(url: str, statement: str, *params: object) -> None:
    """Run ``statement`` (table names as ``{events}``, ``{pos}``…, placeholders ``{p}``)."""
    with raw(url) as (connection, names):
        connection.execute(statement.format(**names), params)  # type: ignore[attr-defined]


def fetch(url: str, statement: str, *params: object) -> list[tuple[object, ...]]:
    with raw(url) as (connection, names):
        return list(connection.execute(statement.format(**names), params).fetchall())  # type: ignore[attr-defined]


@pytest.fixture
def stored(app: LedgerApplication, database_url: str) -> str:
    """The example history imported; the database's URL."""
    summary = import_facts(app, LINES)
    assert summary.rejected == 0
    return database_url


def check(url: str, app: LedgerApplication, **options: object) -> Verdict:
    return verify(
        parse_database_url(url),
        Chain.of(app.mapper),
        org_fields=ORG_FIELDS,
        **options,  # type: ignore[arg-type]
    )


def kinds(verdict: Verdict) -> dict[str, int]:
    return dict(verdict.counts)


def position_of(url: str, fact_id: str) -> int:
    """The log position of a fact (found through the key table's subject and the log)."""
    rows = fetch(url, "SELECT {pos}, state FROM {events} ORDER BY {pos}")
    for position, state in rows:
        text = unpack(bytes(state)).decode()  # type: ignore[arg-type]
        if f'"fact_id":"{fact_id}"' in text:
            return int(position)  # type: ignore[call-overload]
    raise AssertionError(f"{fact_id} not in the log")


def test_an_untouched_log_verifies_and_its_head_is_the_stored_one(
    stored: str, app: LedgerApplication
) -> None:
    verdict = check(stored, app)
    assert verdict.ok, verdict.problems
    assert verdict.events == len(LINES)
    digest, end, linked_to = head(parse_database_url(stored))
    assert digest == verdict.head and digest.events == len(LINES) and end == linked_to
    assert digest.link != GENESIS


def test_a_fact_rewritten_in_the_database_is_named_as_altered(
    stored: str, app: LedgerApplication
) -> None:
    position = position_of(stored, "hp-f0040")
    (state,) = fetch(stored, "SELECT state FROM {events} WHERE {pos} = {p}", position)[0]
    text = unpack(bytes(state)).decode()  # type: ignore[arg-type]
    forged = text.replace('"on":{"_type_":"date","_data_":"', '"on":{"_type_":"date","_data_":"1')
    assert forged != text
    tamper(stored, "UPDATE {events} SET state = {p} WHERE {pos} = {p}",
           pack(forged.encode()), position)  # fmt: skip
    verdict = check(stored, app)
    assert kinds(verdict) == {"altered": 1}
    (problem,) = verdict.problems
    assert problem.position == position and problem.fact == "hp-f0040"


def test_a_deleted_event_is_named_with_its_orphaned_key_and_the_version_gap(
    stored: str, app: LedgerApplication
) -> None:
    position = position_of(stored, "hp-f0050")
    tamper(stored, "DELETE FROM {events} WHERE {pos} = {p}", position)
    verdict = check(stored, app)
    assert kinds(verdict) == {"missing_event": 1, "key_orphan": 1, "version_gap": 1}
    assert {p.fact for p in verdict.problems if p.kind == "key_orphan"} == {"hp-f0050"}
    assert [p.position for p in verdict.problems if p.kind == "missing_event"] == [position]


def test_an_event_deleted_with_its_link_leaves_a_gap_in_the_chain(
    stored: str, app: LedgerApplication
) -> None:
    position = position_of(stored, "hp-f0050")
    tamper(stored, "DELETE FROM {events} WHERE {pos} = {p}", position)
    tamper(stored, "DELETE FROM {chain} WHERE position = {p}", position)
    verdict = check(stored, app)
    assert verdict.counts["missing_event"] == 1
    gap = next(p for p in verdict.problems if p.kind == "missing_event")
    assert "1 event(s) missing" in gap.message


def test_two_events_swapped_are_caught_as_moved(stored: str, app: LedgerApplication) -> None:
    first, second = position_of(stored, "hp-f0070"), position_of(stored, "hp-f0071")
    rows = fetch(stored, "SELECT {pos}, state FROM {events} WHERE {pos} IN ({p}, {p})",
                 first, second)  # fmt: skip
    states = {int(p): s for p, s in rows}  # type: ignore[call-overload]
    tamper(stored, "UPDATE {events} SET state = {p} WHERE {pos} = {p}", states[second], first)
    tamper(stored, "UPDATE {events} SET state = {p} WHERE {pos} = {p}", states[first], second)
    verdict = check(stored, app)
    assert verdict.counts["altered"] == 2
    assert [p.position for p in verdict.problems if p.kind == "altered"] == [first, second]


def test_a_deleted_key_and_a_forged_key_are_caught(stored: str, app: LedgerApplication) -> None:
    tamper(stored, "DELETE FROM {facts} WHERE fact_id = {p}", "hp-f0007")
    tamper(stored, "INSERT INTO {facts} VALUES ({p}, {p}, {p}, {p})", "forged", "member:hp-0001",
           "member.died", "sha256:0")  # fmt: skip
    verdict = check(stored, app)
    assert kinds(verdict) == {"key_missing": 1, "key_orphan": 1}
    assert {p.fact for p in verdict.problems} == {"hp-f0007", "forged"}


def test_a_deleted_link_and_a_forged_link_are_caught(stored: str, app: LedgerApplication) -> None:
    (org, subject) = fetch(stored, "SELECT org, subject FROM {links} ORDER BY org, subject")[0]
    tamper(stored, "DELETE FROM {links} WHERE org = {p} AND subject = {p}", org, subject)
    tamper(stored, "INSERT INTO {links} VALUES ({p}, {p})", "hp", "member:nobody")
    verdict = check(stored, app)
    assert kinds(verdict) == {"link_missing": 1, "link_orphan": 1}


def test_a_kept_digest_is_proved_a_prefix_and_a_rewritten_past_breaks_it(
    stored: str, app: LedgerApplication
) -> None:
    import_facts(app, LINES)  # nothing new: the head stays
    kept = check(stored, app).head
    more = '{"type":"organization.registered","on":"2023-01-01","org":"x1","name":"X","parent":"hp","recorded_at":"2023-01-02T09:00:00+07:00"}'  # noqa: E501
    assert import_facts(app, [more]).accepted == 1
    verdict = check(stored, app, digest=kept)
    assert verdict.ok and verdict.head.events == kept.events + 1
    resumed = check(stored, app, digest=kept, resume=True)
    assert resumed.ok and resumed.events == 1 and resumed.head == verdict.head

    forged = Digest(kept.events, bytes(32))
    assert kinds(check(stored, app, digest=forged)) == {"digest_mismatch": 1}
    assert kinds(check(stored, app, digest=forged, resume=True)) == {"digest_mismatch": 1}
    assert kinds(check(stored, app, digest=Digest(10_000, kept.link))) == {"digest_mismatch": 1}

    position = position_of(stored, "hp-f0003")
    tamper(stored, "DELETE FROM {events} WHERE {pos} = {p}", position)
    tamper(stored, "DELETE FROM {chain} WHERE position = {p}", position)
    broken = check(stored, app, digest=kept)
    assert "digest_mismatch" in broken.counts and "missing_event" in broken.counts


def test_a_log_older_than_the_chain_is_linked_by_migrating_and_then_verifies(
    stored: str, app: LedgerApplication
) -> None:
    head_before = check(stored, app).head
    tamper(stored, "DELETE FROM {chain}")
    assert kinds(check(stored, app)) == {"unlinked_event": len(LINES)}
    reopened = LedgerApplication(stored)  # a writer links what is not linked yet
    try:
        assert reopened.newly_linked == len(LINES)
        assert check(stored, reopened).head == head_before
    finally:
        reopened.close()


def test_a_database_without_a_chain_table_says_to_migrate(
    stored: str, app: LedgerApplication
) -> None:
    tamper(stored, "DROP TABLE {chain}")
    with pytest.raises(NoChain, match="ledger migrate"):
        check(stored, app)


def test_digest_text_round_trips_and_nonsense_is_refused() -> None:
    digest = Digest(12, bytes(range(32)))
    assert Digest.parse(str(digest)) == digest
    for text in ("", "12", "x:" + "0" * 64, "12:" + "zz" * 32, "12:abcd"):
        with pytest.raises(ValueError, match="digest"):
            Digest.parse(text)


def test_the_chain_covers_content_not_the_librarys_timestamp(tmp_path: Path) -> None:
    """Two databases given the same facts in the same order have the same head, although the
    library stamps each event with the moment it was made."""
    heads = []
    for name in ("a", "b"):
        url = f"sqlite:///{tmp_path / name}.db"
        application = LedgerApplication(url)
        try:
            import_facts(application, LINES, batch_size=7 if name == "a" else 5000)
        finally:
            application.close()
        heads.append(head(parse_database_url(url))[0])
    assert heads[0] == heads[1]
