"""Read-path benchmark at city scale: ~127k members, ~1M facts.

Imports a generated history, brings the read models up to date, then times the queries of
SPEC §4. Each query time is printed with its ratio to a full scan of the roster table measured
in the same run (the machines are shared and noisy). Usage::

    python -m benchmarks.read_path [--members N] [--db URL]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from commands.application import LedgerApplication
from commands.record import import_facts
from ledger.dates import add_months, add_years
from projections.knowledge import EVERYTHING
from projections.queries import ReadModels

END = date(2022, 12, 31)


def city_history(members: int, seed: int = 2021) -> Iterator[str]:
    """A city of 35 committees x 10 grassroots orgs x 4 cells and ``members`` members."""
    rng = random.Random(seed)
    last = [date.min]  # a member's facts are recorded in non-decreasing order

    def line(kind: str, on: date, **fields: Any) -> str:
        recorded = max(on + timedelta(days=rng.choice((0, 1, 3, 10))), last[0])
        last[0] = recorded = min(recorded, END)
        stamp = f"{recorded.isoformat()}T09:00:00+07:00"
        return json.dumps({"type": kind, "on": on.isoformat(), "recorded_at": stamp, **fields})

    founded = date(1946, 1, 1)
    yield line("organization.registered", founded, org="hp", name="Hải Phòng", parent=None)
    cells: list[str] = []
    for d in range(1, 36):
        committee = f"hp.d{d:02d}"
        yield line("organization.registered", founded, org=committee, name=committee, parent="hp")
        for g in range(1, 11):
            grassroots = f"{committee}.g{g:02d}"
            yield line(
                "organization.registered", founded, org=grassroots, name=grassroots,
                parent=committee,
            )  # fmt: skip
            for c in range(1, 5):
                cells.append(f"{grassroots}.c{c}")
                yield line(
                    "organization.registered", founded, org=cells[-1], name=cells[-1],
                    parent=grassroots,
                )  # fmt: skip
    for n in range(members):
        member = f"hp-{n:07d}"
        last[0] = date.min
        admitted = date(1950, 1, 1) + timedelta(days=int(rng.triangular(0, 26_300, 21_000)))
        org = rng.choice(cells)
        birth = add_years(admitted, -rng.randint(18, 40))
        yield line(
            "member.admitted", admitted, member=member, org=org,
            person={"name": f"Đảng viên {n}", "gender": rng.choice(["female", "male"]),
                    "birth_date": birth.isoformat()},
            youth_union=rng.random() < 0.5,
            occupation=rng.choice(["enterprise", "student", "other"]),
        )  # fmt: skip
        steps: list[tuple[str, date, dict[str, Any]]] = [
            ("member.probation_completed", add_months(admitted, 12 + rng.randint(0, 2)), {}),
            ("member.dossier_recorded", add_months(admitted, 14), {}),
            ("member.card_issued", add_months(admitted, 16), {}),
        ]
        if rng.random() < 0.3:
            target = rng.choice(cells)
            if target != org:
                moved = add_months(admitted, 30)
                steps.append(("member.transferred_out", moved, {"to_org": target}))
                steps.append(("member.transferred_in", moved + timedelta(days=20), {"org": target}))
        for years in (30, 40, 45, 50):
            steps.append(("member.badge_awarded", add_years(admitted, years), {"years": years}))
        if rng.random() < 0.1:
            steps.append(("member.went_away", add_months(admitted, 40), {}))
            steps.append(("member.returned", add_months(admitted, 46), {}))
        death = add_years(birth, rng.randint(60, 95))
        for kind, on, fields in steps:
            if on > END or on >= death:
                break
            yield line(kind, on, member=member, **fields)
        if death <= END:
            yield line("member.died", death, member=member)


def timed_ms(run: Callable[[], Any], repeat: int = 7) -> float:
    """Median wall time of ``run`` in milliseconds."""
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, default=127_455)
    parser.add_argument("--db", default=None, help="database URL (default: a fresh SQLite file)")
    parser.add_argument(
        "--queries-only", action="store_true", help="time the queries on --db as it is"
    )
    args = parser.parse_args()
    url = args.db or f"sqlite:///{Path(tempfile.mkdtemp(prefix='ledger-read-')) / 'city.db'}"
    print(f"database: {url}")
    app = LedgerApplication(url)
    if not args.queries_only:
        started = time.perf_counter()
        summary = import_facts(app, city_history(args.members))
        imported = time.perf_counter() - started
        print(f"import: {summary.accepted:,} accepted, {summary.rejected:,} refused in "
              f"{imported:.0f} s = {summary.accepted / imported:,.0f} facts/s")  # fmt: skip
        for reject in summary.rejects[:5]:
            print("  refused:", reject.as_json())
    models = ReadModels(app.event_log)
    started = time.perf_counter()
    events = models.runner.catch_up()
    models.store.analyze()  # as ReadModels.fresh does after a large catch-up
    projected = time.perf_counter() - started
    print(
        f"projections: {events:,} events in {projected:.0f} s = {events / projected:,.0f} events/s"
    )

    store = models.store
    spans = store.fetchone("SELECT count(*) FROM rm_spans")
    print(f"read-model rows: {spans[0] if spans else 0:,} spans\n")
    baseline = 0.0
    city = models.org_path("hp")
    committee = models.org_path("hp.d07")
    everything = EVERYTHING
    rng = random.Random(1)
    days = [date(1960, 1, 1) + timedelta(days=rng.randrange(22_000)) for _ in range(7)]
    queries: list[tuple[str, Callable[[], Any]]] = [
        ("full scan of the roster table (baseline)",
         lambda: store.fetchone("SELECT count(*), max(since) FROM rm_spans")),
        ("roster count, whole city, 31-12-2021",
         lambda: models.roster_counts(city, ["2021-12-31"], everything, tallied=True)),
        ("roster count, whole city, random dates",
         lambda: [models.roster_counts(city, [d.isoformat()], everything) for d in days[:1]]),
        ("roster count, one committee, 31-12-2021",
         lambda: models.roster_counts(committee, ["2021-12-31"], everything, tallied=True)),
        ("annual report 2021, whole city (with 2020)",
         lambda: models.annual("hp", year=2021, known_at=None, label="now")),
        ("member view",
         lambda: models.member("hp-0000042", as_of=END, known_at=None, label="now")),
    ]  # fmt: skip
    for label, run in queries:
        ms = timed_ms(run)
        baseline = baseline or ms
        print(f"{label:45} {ms:9.1f} ms   x{ms / baseline:5.2f} of the full scan")
    answer = models.annual("hp", year=2021, known_at=None, label="now").model_dump()
    print(f"\n2021: {answer['members_at_start']:,} → {answer['members_at_end']:,} members, "
          f"balanced={answer['balanced']}")  # fmt: skip
    models.close()
    app.close()


if __name__ == "__main__":
    main()
