"""Soak: concurrent API clients and importers for minutes, the projection worker killed twice.

Runs ``ledger serve --workers 2 --no-auth`` over a fresh ledger, then for ``--minutes``:

- ``--clients`` (8) API client threads, each a mix of ``POST /facts`` (new admissions,
  transfers-out that other clients race for the same members, transfers-in, dossier entries and
  deaths posted by several clients with the same id, re-submissions of its own accepted facts)
  and reads (a member, a roster, the annual report);
- ``--importers`` (2) loops of ``ledger import`` subprocesses of generated files, each file
  overlapping the other importer's (duplicates);
- ``ledger project --follow``, SIGKILLed at a third and at two thirds of the run and restarted.

Then it stops the writers, catches the read models up (``ledger project``) and checks that
every acknowledged fact is in the log exactly once (a POST answered 201 or 200, an import line
not refused), that no refused fact is, that the log holds nothing else, and that the read
models equal those ``ledger rebuild`` makes from the log (every ``rm_*`` table's rows, sorted).
It prints p50/p95/p99 latency per route, throughput and counts, and writes them as JSON with
``--json PATH``. Exit status 1 when a check fails. Usage::

    python -m benchmarks.soak --minutes 3 [--db postgresql://postgres@127.0.0.1:5432/ledger_test]

With a PostgreSQL URL it works in a fresh schema of that database, dropped afterwards (unless
``--keep``); with ``--db sqlite`` in a temporary file.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx

from benchmarks.http import free_port

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DB = "postgresql://postgres@127.0.0.1:5432/ledger_test"
COMMITTEES = [f"c{n:02d}" for n in range(20)]
BASE_MEMBERS = 2000
IMPORT_MEMBERS = 1500
IMPORT_OVERLAP = 150
IMPORT_ATTEMPTS = 20
LIVE_ON = (date.today() - timedelta(days=1)).isoformat()
"""``on`` of the live facts: yesterday, so that no time zone makes it a future date."""


# --- the database -----------------------------------------------------------------------------


@contextmanager
def fresh_ledger(url: str, keep: bool) -> Iterator[str]:
    """A URL of an empty ledger: a new schema of the PostgreSQL database, or a new SQLite file."""
    if not url.startswith("postgresql"):
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{folder}/soak.db"
        return
    import psycopg

    base = url.split("?")[0]
    schema = f"soak_{uuid.uuid4().hex[:10]}"
    try:
        yield f"{base}?schema={schema}"
    finally:
        if keep:
            print(f"kept: {base}?schema={schema}")
        else:
            with psycopg.connect(base, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def cli(db: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """``ledger ARGS --db DB`` as a subprocess."""
    command = [sys.executable, "-m", "api.cli", *args, "--db", db]
    return subprocess.run(command, check=check, capture_output=True, text=True, cwd=ROOT)


def fact_ids_in_log(db: str) -> list[str]:
    """Every fact id in the event log, in log order (one event per fact)."""
    from commands.application import LedgerApplication

    app = LedgerApplication(db, create_tables=False)
    try:
        ids: list[str] = []
        start, last = 1, app.recorder.max_notification_id() or 0
        while start <= last:
            page = app.recorder.select_notifications(start=start, limit=10_000)
            if not page:
                break
            ids += [app.mapper.to_domain_event(item).fact_id for item in page]  # type: ignore[attr-defined]
            start = page[-1].id + 1
        return ids
    finally:
        app.close()


def read_model_rows(db: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every ``rm_*`` table's rows, sorted: what a catch-up and a rebuild must agree on."""
    from projections.store import Store
    from storage.urls import parse_database_url

    store = Store(parse_database_url(db), migrate=False)
    try:
        if store.is_postgres:
            listing = (
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = current_schema() AND left(table_name, 3) = 'rm_'"
            )
        else:
            listing = (
                "SELECT name FROM sqlite_master WHERE type = 'table' AND substr(name, 1, 3) = 'rm_'"
            )
        tables = sorted(row[0] for row in store.fetchall(listing))
        return {t: sorted(store.fetchall(f"SELECT * FROM {t}"), key=repr) for t in tables}
    finally:
        store.close()


# --- facts ------------------------------------------------------------------------------------


def person(name: str) -> dict[str, Any]:
    return {"name": name, "gender": "female", "birth_date": "1990-05-01"}


def admission(fact_id: str, member: str, org: str, on: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": fact_id,
        "type": "member.admitted",
        "on": on,
        "member": member,
        "org": org,
        "person": person(f"Person {member}"),
        "youth_union": False,
        "occupation": "other",
        **extra,
    }


def setup_history() -> list[dict[str, Any]]:
    """The committees and the base members every client works on."""
    registered = {"on": "1990-01-01", "recorded_at": "1990-01-01T09:00:00+07:00"}
    facts: list[dict[str, Any]] = [
        {
            "id": "reg-hp",
            "type": "organization.registered",
            "org": "hp",
            "name": "HP",
            "parent": None,
            **registered,
        },
        *(
            {
                "id": f"reg-{c}",
                "type": "organization.registered",
                "org": c,
                "name": c.upper(),
                "parent": "hp",
                **registered,
            }
            for c in COMMITTEES
        ),
    ]
    rng = random.Random(0)
    for n in range(BASE_MEMBERS):
        facts.append(
            admission(
                f"adm-b{n:04d}",
                f"b{n:04d}",
                rng.choice(COMMITTEES),
                "2020-01-02",
                recorded_at="2020-01-02T09:00:00+07:00",
            )
        )
    return facts


def import_file(importer: int, round_: int) -> list[dict[str, Any]]:
    """An importer's file for one round: new admissions and their dossier entries, and the
    first admissions of the other importer's file of the same round (duplicates or accepted,
    whichever importer gets there first)."""

    def admissions(who: int) -> list[dict[str, Any]]:
        return [
            admission(
                f"adm-i{who}r{round_}-{n}",
                f"i{who}r{round_}-{n}",
                COMMITTEES[n % len(COMMITTEES)],
                LIVE_ON,
            )
            for n in range(IMPORT_MEMBERS)
        ]

    own = admissions(importer)
    dossiers = [
        {
            "id": f"dos-{a['member']}",
            "type": "member.dossier_recorded",
            "on": LIVE_ON,
            "member": a["member"],
        }
        for a in own
    ]
    return admissions(1 - importer)[:IMPORT_OVERLAP] + own + dossiers


# --- what the clients saw ---------------------------------------------------------------------


@dataclass
class Seen:
    """Every answer, kept by the client threads and the importers."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    transport_errors: list[str] = field(default_factory=list)
    accepted: list[str] = field(default_factory=list)  # answered 201
    duplicates: set[str] = field(default_factory=set)  # answered 200
    refused: dict[str, str] = field(default_factory=dict)  # answered 409/422: id -> code
    imported: set[str] = field(default_factory=set)  # import lines accepted or duplicates
    import_accepted: int = 0
    import_runs: list[dict[str, Any]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)  # a client or importer that crashed
    import_interruptions: list[str] = field(default_factory=list)  # runs stopped, run again
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, route: str, status: int, seconds: float) -> None:
        with self.lock:
            self.latencies.setdefault(route, []).append(seconds)
            self.statuses[(route, status)] += 1


def guarded(work: Any, *args: Any) -> None:
    """Run a client's or importer's loop; a crash is kept (and fails the run), not lost."""
    seen: Seen = args[-1]
    try:
        work(*args)
    except BaseException as err:
        with seen.lock:
            seen.failures.append(f"{work.__name__}: {err!r}")


def client(base: str, number: int, until: float, seen: Seen) -> None:
    """One API client: writes and reads at random until ``until``."""
    rng = random.Random(number)
    year = date.today().year
    mine: list[dict[str, Any]] = []  # facts this client got 201 for, to post again
    moved: list[tuple[str, str]] = []  # (member, to_org) this client transferred out
    serial = 0
    with httpx.Client(base_url=base, timeout=120) as http:
        while time.monotonic() < until:
            serial += 1
            tag = f"k{number}-{serial}"
            member = f"b{rng.randrange(BASE_MEMBERS):04d}"
            pick = rng.random()
            fact: dict[str, Any] | None = None
            if pick < 0.15:
                fact = admission(f"adm-{tag}", tag, rng.choice(COMMITTEES), LIVE_ON)
            elif pick < 0.33:
                fact = {
                    "id": f"out-{tag}",
                    "type": "member.transferred_out",
                    "on": LIVE_ON,
                    "member": member,
                    "to_org": rng.choice(COMMITTEES),
                }
            elif pick < 0.43 and moved:
                gone, to_org = moved.pop(rng.randrange(len(moved)))
                fact = {
                    "id": f"in-{tag}",
                    "type": "member.transferred_in",
                    "on": LIVE_ON,
                    "member": gone,
                    "org": to_org,
                }
            elif pick < 0.50:
                fact = {
                    "id": f"dossier-{member}",
                    "type": "member.dossier_recorded",
                    "on": LIVE_ON,
                    "member": member,
                }
            elif pick < 0.51:
                fact = {
                    "id": f"died-{member}",
                    "type": "member.died",
                    "on": LIVE_ON,
                    "member": member,
                }
            elif pick < 0.55 and mine:
                fact = rng.choice(mine)
            if fact is not None:
                route, request = "POST /facts", ("POST", "/facts", json.dumps(fact))
            elif pick < 0.75:
                route, request = "GET /members/{m}", ("GET", f"/members/{member}", None)
            elif pick < 0.92:
                org = rng.choice(COMMITTEES)
                route, request = "GET /orgs/{org}/roster", ("GET", f"/orgs/{org}/roster", None)
            else:
                path = f"/orgs/hp/reports/annual/{year}"
                route, request = "GET /orgs/hp/reports/annual/{y}", ("GET", path, None)
            started = time.perf_counter()
            try:
                answer = http.request(request[0], request[1], content=request[2])
            except httpx.TransportError as err:
                with seen.lock:
                    seen.transport_errors.append(f"{route}: {err!r}")
                continue
            seen.answer(route, answer.status_code, time.perf_counter() - started)
            if fact is None:
                continue
            with seen.lock:
                if answer.status_code == 201:
                    seen.accepted.append(fact["id"])
                    mine.append(fact)
                    if fact["type"] == "member.transferred_out":
                        moved.append((fact["member"], fact["to_org"]))
                elif answer.status_code == 200:
                    seen.duplicates.add(fact["id"])
                elif answer.status_code in (409, 422):
                    seen.refused[fact["id"]] = answer.json()["error"]


def importer(db: str, number: int, until: float, folder: Path, seen: Seen) -> None:
    """``ledger import`` of one generated file after another until ``until``."""
    round_ = 0
    while time.monotonic() < until:
        facts = import_file(number, round_)
        path = folder / f"import-{number}-{round_}.jsonl"
        path.write_text("".join(json.dumps(f) + "\n" for f in facts), encoding="utf-8")
        started = time.perf_counter()
        for _attempt in range(IMPORT_ATTEMPTS):
            done = cli(db, "import", str(path), "--json", check=False)
            if done.returncode != 2:
                break
            # The environment failed (the shared server out of connections…): as an operator
            # would, run the same file again; what the failed run committed is a duplicate now.
            with seen.lock:
                seen.import_interruptions.append(done.stderr.strip()[-300:])
            time.sleep(2)
        seconds = time.perf_counter() - started
        if done.returncode not in (0, 1):
            raise SystemExit(f"ledger import failed ({done.returncode}): {done.stderr[-2000:]}")
        summary = json.loads(done.stdout)
        refused = {r["id"] for r in summary["rejects"]}
        with seen.lock:
            seen.imported.update(f["id"] for f in facts if f["id"] not in refused)
            seen.import_accepted += summary["accepted"]
            seen.import_runs.append(
                {
                    "importer": number,
                    "round": round_,
                    "lines": len(facts),
                    "seconds": round(seconds, 2),
                    **{k: summary[k] for k in ("accepted", "duplicates", "rejected")},
                }
            )
        round_ += 1


# --- the processes ----------------------------------------------------------------------------


@contextmanager
def serving(db: str, log: Path) -> Iterator[str]:
    """``ledger serve --workers 2 --no-auth`` on a free port, its output to ``log``; its base
    URL once it answers."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "api.cli",
        "serve",
        "--port",
        str(port),
        "--workers",
        "2",
        "--no-auth",
        "--db",
        db,
    ]
    output = log.open("wb")
    process = subprocess.Popen(command, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("ledger serve did not start")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(30)
        output.close()


def projector(db: str) -> subprocess.Popen[bytes]:
    """``ledger project --follow``."""
    command = [sys.executable, "-m", "api.cli", "project", "--follow", "--db", db]
    return subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000 if ordered else 0.0


# --- the run ----------------------------------------------------------------------------------


def soak(db: str, minutes: float, clients: int, importers: int) -> dict[str, Any]:
    """Run the soak on the empty ledger ``db``; its figures and checks."""
    folder = Path(tempfile.mkdtemp(prefix="soak-"))
    setup = setup_history()
    (folder / "setup.jsonl").write_text("".join(json.dumps(f) + "\n" for f in setup))
    cli(db, "import", str(folder / "setup.jsonl"))
    seen = Seen()
    kills: list[float] = []
    server_log = folder / "serve.log"
    with serving(db, server_log) as base:
        worker = projector(db)
        started = time.monotonic()
        until = started + minutes * 60
        threads = [
            threading.Thread(target=guarded, args=(client, base, n, until, seen))
            for n in range(clients)
        ]
        threads += [
            threading.Thread(target=guarded, args=(importer, db, n, until, folder, seen))
            for n in range(importers)
        ]
        for thread in threads:
            thread.start()
        for share in (1 / 3, 2 / 3):
            time.sleep(max(0.0, started + share * minutes * 60 - time.monotonic()))
            worker.send_signal(signal.SIGKILL)  # the projection worker dies mid-batch
            worker.wait()
            kills.append(round(time.monotonic() - started, 1))
            worker = projector(db)
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
        worker.send_signal(signal.SIGKILL)
        worker.wait()
    caught_up_at = time.monotonic()
    cli(db, "project")
    catch_up_seconds = time.monotonic() - caught_up_at
    projected = read_model_rows(db)
    cli(db, "rebuild")
    rebuilt = read_model_rows(db)
    log = fact_ids_in_log(db)
    setup_ids = {f["id"] for f in setup}
    result = figures(seen, log, setup_ids, projected, rebuilt, elapsed, kills, catch_up_seconds)
    # uvicorn's supervisor replaces a worker that died or missed its ping ("Child process died").
    result["api_workers_replaced"] = server_log.read_text(errors="replace").count(" died")
    return result


def figures(
    seen: Seen,
    log: list[str],
    setup_ids: set[str],
    projected: dict[str, list[tuple[Any, ...]]],
    rebuilt: dict[str, list[tuple[Any, ...]]],
    elapsed: float,
    kills: list[float],
    catch_up_seconds: float,
) -> dict[str, Any]:
    """The figures of the run and its checks."""
    in_log = Counter(log)
    setup = len(setup_ids)
    acknowledged = set(seen.accepted) | seen.duplicates | seen.imported
    refused_stored = {f for f in seen.refused if f in in_log and f not in acknowledged}
    checks = {
        "no fact twice in the log": not [f for f, n in in_log.items() if n > 1],
        "every acknowledged fact in the log": acknowledged <= set(in_log),
        "no refused fact in the log": not refused_stored,
        "the log holds nothing unacknowledged": set(in_log) <= setup_ids | acknowledged,
        "no 5xx answer": not any(status >= 500 for _, status in seen.statuses),
        "no transport error": not seen.transport_errors,
        "no client or importer crashed": not seen.failures,
        "read models equal a rebuild": projected == rebuilt,
    }
    if not seen.import_interruptions:
        # Every import ran to its summary: the counts the writers were given add up to the log.
        checks["the answers' counts add up to the log"] = (
            len(log) == setup + len(seen.accepted) + seen.import_accepted
        )
    routes = {}
    for route, values in sorted(seen.latencies.items()):
        statuses = {str(s): n for (r, s), n in sorted(seen.statuses.items()) if r == route}
        routes[route] = {
            "requests": len(values),
            "per_second": round(len(values) / elapsed, 1),
            "p50_ms": round(percentile(values, 0.50), 1),
            "p95_ms": round(percentile(values, 0.95), 1),
            "p99_ms": round(percentile(values, 0.99), 1),
            "statuses": statuses,
        }
    return {
        "seconds": round(elapsed, 1),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "routes": routes,
        "requests_per_second": round(sum(len(v) for v in seen.latencies.values()) / elapsed, 1),
        "facts": {
            "setup": setup,
            "http_accepted": len(seen.accepted),
            "http_duplicates": len(seen.duplicates),
            "http_refused": len(seen.refused),
            "refused_codes": dict(Counter(seen.refused.values()).most_common()),
            "import_runs": len(seen.import_runs),
            "import_accepted": seen.import_accepted,
            "in_log": len(log),
            "per_second": round((len(log) - setup) / elapsed, 1),
        },
        "imports": seen.import_runs,
        "projector_killed_at_s": kills,
        "final_catch_up_s": round(catch_up_seconds, 1),
        "read_model_tables": {t: len(rows) for t, rows in rebuilt.items()},
        "tables_differing": sorted(
            t for t in set(projected) | set(rebuilt) if projected.get(t) != rebuilt.get(t)
        ),
        "transport_errors": seen.transport_errors[:20],
        "import_interruptions": seen.import_interruptions,
        "failures": seen.failures,
        "checks": checks,
    }


def report(result: dict[str, Any], clients: int, importers: int) -> None:
    """The table of figures and the checks."""
    facts = result["facts"]
    print(
        f"soak: {result['seconds']} s, {clients} API clients, {importers} importers, "
        f"ledger serve --workers 2, projector SIGKILLed at {result['projector_killed_at_s']} s; "
        f"{result['machine']['cpus']} CPUs, shared"
    )
    heading = ("route", "requests", "req/s", "p50 ms", "p95 ms", "p99 ms")
    print(f"{heading[0]:36} " + " ".join(f"{h:>8}" for h in heading[1:]) + "  statuses")
    for route, row in result["routes"].items():
        print(
            f"{route:36} {row['requests']:>8} {row['per_second']:>8} {row['p50_ms']:>8} "
            f"{row['p95_ms']:>8} {row['p99_ms']:>8}  {row['statuses']}"
        )
    print(f"all routes: {result['requests_per_second']} req/s")
    print(
        f"facts: {facts['in_log']} in the log ({facts['setup']} setup + {facts['http_accepted']} "
        f"POST 201 + {facts['import_accepted']} imported in {facts['import_runs']} runs), "
        f"{facts['per_second']} facts/s; POST 200 duplicates {facts['http_duplicates']}, "
        f"refused {facts['http_refused']} {facts['refused_codes']}"
    )
    print(
        f"final catch-up after the run: {result['final_catch_up_s']} s; "
        f"API workers replaced by uvicorn: {result['api_workers_replaced']}; "
        f"import runs interrupted and run again: {len(result['import_interruptions'])}"
    )
    for check, ok in result["checks"].items():
        print(f"  {'ok  ' if ok else 'FAIL'} {check}")
    if result["tables_differing"]:
        print(f"  read model tables differing from the rebuild: {result['tables_differing']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--db", default=DEFAULT_DB, help="a PostgreSQL database URL, or 'sqlite'")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--importers", type=int, default=2, choices=[0, 1, 2])
    parser.add_argument("--json", type=Path, help="write the figures as JSON to this file")
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL schema")
    options = parser.parse_args()
    with fresh_ledger(options.db, options.keep) as db:
        result = soak(db, options.minutes, options.clients, options.importers)
    report(result, options.clients, options.importers)
    if options.json:
        options.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    raise SystemExit(0 if all(result["checks"].values()) else 1)


if __name__ == "__main__":
    main()
