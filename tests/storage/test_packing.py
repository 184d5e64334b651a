"""Packed event states (storage.packing): smaller, the same chain, and old logs still read."""

from __future__ import annotations

import hashlib
import sqlite3
import zlib
from datetime import date
from pathlib import Path

import orjson
import pytest

from commands.application import LedgerApplication
from commands.record import import_facts
from ledger.member import ORG_FIELDS
from projections.queries import ReadModels
from storage.chain import Chain
from storage.packing import DICTIONARY_1, PACKED_1, pack, unpack
from storage.transcoder import OrjsonTranscoder
from storage.urls import parse_database_url
from storage.verify import head, verify
from tests.api.example import EXAMPLE

LINES = EXAMPLE.read_text(encoding="utf-8").splitlines()


def test_the_dictionary_is_part_of_the_stored_format_and_never_changes() -> None:
    # Every packed state ever written inflates only against these exact bytes.
    assert hashlib.sha256(DICTIONARY_1).hexdigest() == (
        "1ecfccc69423630a196a8fcde003ebf25a5b9dd960a6ae176b85b695c9e6a20e"
    )


def test_a_state_is_packed_smaller_and_unpacks_to_the_same_json() -> None:
    transcoder = OrjsonTranscoder()
    state = {
        "timestamp": None,
        "fact_id": "f-1",
        "on": date(2021, 3, 4),
        "data": {"member": "m1", "org": "hp", "person": {"name": "Lê Văn Tài"}},
        "ref": None,
        "note": None,
        "recorded_by": None,
    }
    stored = transcoder.encode(state)
    plain = orjson.dumps({**state, "on": {"_type_": "date", "_data_": "2021-03-04"}})
    assert stored[0] == PACKED_1 and len(stored) < len(plain) / 2
    assert unpack(stored) == plain
    assert transcoder.decode(stored) == state


def test_a_state_written_before_packing_reads_as_it_is() -> None:
    plain = b'{"fact_id":"f-1","on":{"_type_":"date","_data_":"2021-03-04"},"data":{}}'
    assert unpack(plain) == plain
    assert OrjsonTranscoder().decode(plain)["on"] == date(2021, 3, 4)


def test_a_state_that_packing_would_not_shrink_is_stored_plain() -> None:
    assert pack(b"{}") == b"{}"


def test_a_cut_packed_state_is_refused() -> None:
    stored = pack(orjson.dumps({"fact_id": "f-1", "data": {"member": "m1"}, "note": None}))
    with pytest.raises((ValueError, zlib.error)):
        unpack(stored[:-3])


def test_a_log_written_before_packing_reads_and_chains_as_a_packed_one(tmp_path: Path) -> None:
    # The same history stored packed, then with every state rewritten as the plain JSON an
    # earlier version wrote: the same chain head, a clean verify, the same member view.
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    app = LedgerApplication(url)
    assert import_facts(app, LINES).rejected == 0
    chain = Chain.of(app.mapper)
    database = parse_database_url(url)
    packed_head = head(database)[0]
    models = ReadModels(app.event_log)
    packed_view = models.member("hp-0001", as_of=date(2022, 1, 1), known_at=None, label="now")
    models.close()
    app.close()
    with sqlite3.connect(tmp_path / "ledger.db") as conn:
        rows = conn.execute("SELECT rowid, state FROM stored_events").fetchall()
        assert any(state[0] == PACKED_1 for _, state in rows)
        for rowid, state in rows:
            conn.execute(
                "UPDATE stored_events SET state = ? WHERE rowid = ?", (unpack(state), rowid)
            )
        conn.execute("DROP TABLE rm_layout")  # the read models derived afresh from the log
    verdict = verify(database, chain, org_fields=ORG_FIELDS)
    assert verdict.ok, verdict.problems
    assert verdict.head == packed_head
    app = LedgerApplication(url)
    models = ReadModels(app.event_log)
    try:
        view = models.member("hp-0001", as_of=date(2022, 1, 1), known_at=None, label="now")
        assert view == packed_view
    finally:
        models.close()
        app.close()
