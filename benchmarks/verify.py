"""``ledger verify`` at city scale, against reading and hashing the same log in the same run.

The baseline is the least any verification must do: read every stored event (one SELECT in
commit order) and SHA-256 its state. ``verify`` also decodes each event, builds its canonical
content, compares its link, notes its fact for the key-table and link checks, and runs them.
Usage (on a ledger, e.g. the demo's)::

    python -m benchmarks.verify --db sqlite:///demo.db [--repeat 3] [--json PATH]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import time
from pathlib import Path

from commands.application import LedgerApplication
from ledger.member import ORG_FIELDS
from storage.chain import Chain
from storage.logsql import connect
from storage.urls import parse_database_url
from storage.verify import verify


def read_and_hash(url: str) -> int:
    """The baseline: every event's state read in commit order and hashed."""
    digest = hashlib.sha256()
    events = 0
    with connect(parse_database_url(url)) as sql:
        after = 0
        while True:
            rows = sql.all(
                "SELECT {pos}, state FROM {events} WHERE {pos} > ? ORDER BY {pos} LIMIT 10000",
                (after,),
            )
            if not rows:
                return events
            for _, state in rows:
                digest.update(bytes(state))
            events += len(rows)
            after = rows[-1][0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="the ledger to verify")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    app = LedgerApplication(args.db, create_tables=False)
    chain = Chain.of(app.mapper)
    database = parse_database_url(args.db)
    baseline, full, resumed = [], [], []
    events = 0
    for _ in range(args.repeat):
        started = time.perf_counter()
        events = read_and_hash(args.db)
        baseline.append(time.perf_counter() - started)
        started = time.perf_counter()
        verdict = verify(database, chain, org_fields=ORG_FIELDS)
        full.append(time.perf_counter() - started)
        assert verdict.ok, verdict.problems[:5]
        kept = verdict.head._replace(events=max(verdict.head.events - 1000, 1))
        kept = kept._replace(link=_link_at(args.db, kept.events))
        started = time.perf_counter()
        tail = verify(database, chain, org_fields=ORG_FIELDS, digest=kept, resume=True)
        resumed.append(time.perf_counter() - started)
        assert tail.ok, tail.problems[:5]
    app.close()
    figures = {
        "events": events,
        "baseline_seconds": statistics.median(baseline),
        "verify_seconds": statistics.median(full),
        "verify_ratio": statistics.median(full) / statistics.median(baseline),
        "resume_last_1000_seconds": statistics.median(resumed),
        "events_per_second": events / statistics.median(full),
    }
    print(f"events                          {events:>12,}")
    print(f"read and hash (baseline)        {figures['baseline_seconds']:>10.2f} s")
    print(
        f"verify (full)                   {figures['verify_seconds']:>10.2f} s   "
        f"{figures['verify_ratio']:.1f}x baseline, {figures['events_per_second']:,.0f} events/s"
    )
    print(f"verify --resume (last 1,000)    {figures['resume_last_1000_seconds']:>10.2f} s")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")


def _link_at(url: str, seq: int) -> bytes:
    with connect(parse_database_url(url)) as sql:
        return bytes(sql.one("SELECT link FROM {chain} WHERE seq = ?", (seq,))[0])


if __name__ == "__main__":
    main()
