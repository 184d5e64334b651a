"""Write-path benchmark: import throughput and what the unique fact-id key costs.

Every figure is printed with its ratio to a baseline measured in the same run, because the
machines are shared and noisy. Usage::

    python -m benchmarks.write_path [--facts N] [--postgres URL]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import psycopg
from eventsourcing.domain import Aggregate

from commands.application import Encoded, LedgerApplication
from commands.record import import_facts
from ledger.member import Member
from ledger.organization import Organization


class FactIndex(Aggregate):
    """The library's index-aggregate pattern: one aggregate per fact id (for comparison)."""

    def __init__(self, fact_id: str) -> None:
        self.fact_id = fact_id

    @staticmethod
    def create_id(fact_id: str) -> uuid.UUID:
        return uuid.uuid5(uuid.NAMESPACE_URL, f"/facts/{fact_id}")


class WithoutKeys(LedgerApplication):
    """Baseline: the same events, no uniqueness key at all."""

    def commit(
        self,
        aggregates: Sequence[Member | Organization],
        order: Sequence[uuid.UUID] | None = None,
        **keys: Any,
    ) -> None:
        keys["fact_rows"] = []
        super().commit(aggregates, order, **keys)


class WithIndexAggregates(LedgerApplication):
    """Uniqueness by one extra index aggregate (one extra event) per fact."""

    def commit(
        self,
        aggregates: Sequence[Member | Organization],
        order: Sequence[uuid.UUID] | None = None,
        **keys: Any,
    ) -> None:
        indexes = [FactIndex(fact_id=row[0]) for row in keys["fact_rows"]]
        keys["fact_rows"] = []
        # The batch's own events (encoded before the lock, or now) and one index event per
        # fact, stored in the same transaction.
        encoded = keys.pop("encoded", None) or self.encode(aggregates, order)
        extra = [self.mapper.to_stored_event(e) for i in indexes for e in i.collect_events()]
        chain = self.keys.chain
        assert chain is not None
        both = Encoded(encoded.events + extra, encoded.contents + chain.contents(extra))
        super().commit(aggregates, order, encoded=both, **keys)


def synthetic_history(facts: int, seed: int = 7) -> list[str]:
    """A plausible history of about ``facts`` facts: a small tree, admissions, probation..."""
    import random

    rng = random.Random(seed)
    lines: list[dict[str, Any]] = [
        {"type": "organization.registered", "on": "1990-01-01", "org": "hp", "name": "HP",
         "parent": None}
    ]  # fmt: skip
    cells = []
    for d in range(10):
        lines.append({"type": "organization.registered", "on": "1990-01-01", "org": f"d{d}",
                      "name": f"D{d}", "parent": "hp"})  # fmt: skip
        for c in range(10):
            cells.append(f"d{d}.c{c}")
            lines.append({"type": "organization.registered", "on": "1990-01-01",
                          "org": cells[-1], "name": cells[-1], "parent": f"d{d}"})  # fmt: skip
    n = 0
    while len(lines) < facts:
        member = f"m{n:07d}"
        n += 1
        admitted = date(2000, 1, 1) + timedelta(days=rng.randrange(7000))
        org = rng.choice(cells)
        recorded = f"{admitted.isoformat()}T09:00:00+07:00"
        lines.append({"type": "member.admitted", "on": admitted.isoformat(), "member": member,
                      "org": org, "youth_union": rng.random() < 0.5, "occupation": "other",
                      "person": {"name": f"P {member}", "gender": rng.choice(["female", "male"]),
                                 "birth_date": "1970-01-01"},
                      "recorded_at": recorded})  # fmt: skip
        official = admitted + timedelta(days=400)
        lines.append({"type": "member.probation_completed", "on": official.isoformat(),
                      "member": member,
                      "recorded_at": f"{official.isoformat()}T09:00:00+07:00"})  # fmt: skip
        lines.append({"type": "member.dossier_recorded", "on": official.isoformat(),
                      "member": member,
                      "recorded_at": f"{official.isoformat()}T10:00:00+07:00"})  # fmt: skip
        if rng.random() < 0.3:
            moved = official + timedelta(days=100)
            target = rng.choice([c for c in cells if c != org])
            lines.append({"type": "member.transferred_out", "on": moved.isoformat(),
                          "member": member, "to_org": target,
                          "recorded_at": f"{moved.isoformat()}T09:00:00+07:00"})  # fmt: skip
            lines.append({"type": "member.transferred_in", "on": moved.isoformat(),
                          "member": member, "org": target,
                          "recorded_at": f"{moved.isoformat()}T11:00:00+07:00"})  # fmt: skip
    return [json.dumps(line) for line in lines[:facts]]


def timed(run: Callable[[], Any]) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def measure(
    label: str, make_url: Callable[[], str], app_class: type[LedgerApplication],
    lines: list[str], batch_size: int,
) -> float:  # fmt: skip
    app = app_class(make_url())
    try:
        seconds = timed(lambda: import_facts(app, lines, batch_size=batch_size))
    finally:
        app.close()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--facts", type=int, default=10_000)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/ledger_test")
    args = parser.parse_args()
    lines = synthetic_history(args.facts)
    workdir = Path(tempfile.mkdtemp(prefix="ledger-bench-"))
    schemas: list[str] = []

    def sqlite_url() -> str:
        return f"sqlite:///{workdir / (uuid.uuid4().hex + '.db')}"

    def postgres_url() -> str:
        schemas.append(f"bench_{uuid.uuid4().hex[:10]}")
        return f"{args.postgres}?schema={schemas[-1]}"

    backends: list[tuple[str, Callable[[], str]]] = [("sqlite", sqlite_url)]
    try:
        psycopg.connect(args.postgres, connect_timeout=3).close()
        backends.append(("postgres", postgres_url))
    except psycopg.Error as err:
        print(f"(PostgreSQL skipped: {err})")

    print(f"{len(lines)} facts per run; ratios are against the first row of each backend\n")
    for backend, make_url in backends:
        variants = [
            ("no uniqueness key (baseline)", WithoutKeys, 500),
            ("unique key table, same transaction", LedgerApplication, 500),
            ("index aggregate per fact", WithIndexAggregates, 500),
            ("unique key table, batch of 1", LedgerApplication, 1),
        ]
        baseline = None
        for label, cls, batch in variants:
            subset = lines if batch > 1 else lines[: max(len(lines) // 10, 100)]
            seconds = measure(label, make_url, cls, subset, batch)
            rate = len(subset) / seconds
            baseline = baseline or rate
            print(f"{backend:8} {label:38} {rate:9,.0f} facts/s   x{rate / baseline:5.2f}")
        print()
    if schemas:
        with psycopg.connect(args.postgres, autocommit=True) as conn:
            for schema in schemas:
                conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


if __name__ == "__main__":
    main()
