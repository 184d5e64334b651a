"""The demo city at a given scale on PostgreSQL: every figure the national-scale question needs.

At ``--scale F`` (1: the seed city, 127,455 members and 505,744 facts; 43: about a country's
membership) it generates the history into a file (``python -m demo --scale F``), then, in a
schema of its own (dropped at the end unless ``--keep``), measures:

* the import (validation on, projections off) against COPY of the same lines into a table of
  ``(n, line)``, 5,000 per transaction, in the same run;
* the projection catch-up against reading and decoding the same events;
* ``ledger verify`` (``storage.verify.verify``) against reading and hashing the same log;
* the reports of the whole city and of one committee (annual, quality, badges, roster, member),
  each computed afresh, against a full scan of ``rm_spans``;
* the HTTP API's throughput (``ledger serve``, as ``benchmarks.http``) on a few routes, as a
  ratio to ``GET /health``;
* the disk used: the ``pg_total_relation_size`` of every table of the schema (indexes and TOAST
  included), per fact.

Given the JSON of a smaller run (``--against``), it adds each figure's growth: this run's time
over that run's, next to the growth of the number of facts. The machines are shared and noisy:
compare ratios measured in one run, and growths of the same figure. Usage::

    python -m benchmarks.national --scale 1 --json national-1x.json
    python -m benchmarks.national --scale 10 --against national-1x.json --json national-10x.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import psycopg

from benchmarks.http import cli, drive, server
from benchmarks.suite import median_seconds, read_and_decode
from benchmarks.verify import read_and_hash
from commands.application import LedgerApplication
from commands.record import import_facts
from ledger.member import ORG_FIELDS
from projections.queries import ReadModels
from storage.chain import Chain
from storage.urls import parse_database_url
from storage.verify import verify

ROOT = Path(__file__).resolve().parents[1]
POSTGRES = "postgresql://postgres@127.0.0.1:5432/ledger_test"
CITY, COMMITTEE, MEMBER = "hp", "hp.d05", "hp-m0000404"
"""The committee measured: Kiến An, 4.5 % of the city's members (a mid-sized one)."""


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def generate(scale: float, seed: int | None, path: Path) -> dict[str, Any]:
    """``python -m demo --scale F`` into ``path``: its time, size and the generator's peak
    memory (the largest resident set of this process's children so far: it is the first)."""
    command = [sys.executable, "-m", "demo", "--scale", repr(scale)]
    command += [] if seed is None else [str(seed)]
    started = time.perf_counter()
    with path.open("wb") as out:
        subprocess.run(command, cwd=ROOT, stdout=out, check=True)
    seconds = time.perf_counter() - started
    with path.open("rb") as handle:
        facts = sum(1 for _ in handle)
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {
        "facts": facts,
        "generate_seconds": seconds,
        "generator_peak_mb": peak_kib / 1024,
        "history_bytes": path.stat().st_size,
    }


def lines(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        yield from handle


def copy_baseline(postgres: str, schema: str, path: Path) -> float:
    """The lines written by COPY into a table of ``(n, line)``, 5,000 per transaction (the
    table is dropped afterwards: its disk is not the ledger's)."""
    table = f'"{schema}".copy_baseline'
    with psycopg.connect(postgres, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
        conn.execute(f"CREATE TABLE {table} (n bigint PRIMARY KEY, line bytea NOT NULL)")
        started = time.perf_counter()
        source = enumerate(lines(path))
        done = False
        while not done:
            statement = f"COPY {table} (n, line) FROM STDIN"
            with conn.transaction(), conn.cursor() as cur, cur.copy(statement) as copy:
                for _ in range(5000):
                    item = next(source, None)
                    if item is None:
                        done = True
                        break
                    copy.write_row((item[0], item[1].rstrip(b"\n")))
        seconds = time.perf_counter() - started
        conn.execute(f"DROP TABLE {table}")
    return seconds


def query_times(models: ReadModels, repeat: int) -> dict[str, float]:
    """The reports of the city and of ``COMMITTEE``, each computed afresh, and a full scan."""
    models.fresh()
    models.store.analyze()

    def fresh(run: Callable[[], Any]) -> Callable[[], Any]:
        def again() -> Any:
            models._answers.clear()  # measure the queries, not the answer kept between calls
            return run()

        return again

    times = {
        # A full scan of the table (count(*) alone would walk its smallest index instead).
        "scan": median_seconds(
            lambda: models.store.fetchone("SELECT count(*), max(since) FROM rm_spans"), repeat
        ),
        "member": median_seconds(
            fresh(lambda: models.member(MEMBER, as_of=date(2021, 12, 31), known_at=None, label="")),
            repeat,
        ),
    }
    for where, org in (("city", CITY), ("committee", COMMITTEE)):
        for name, run in reports(models, org).items():
            times[f"{name}_{where}"] = median_seconds(fresh(run), repeat)
    return times


def reports(models: ReadModels, org: str) -> dict[str, Callable[[], Any]]:
    """The reports of ``org``'s subtree the benchmark times."""
    return {
        "annual": lambda: models.annual(org, year=2021, known_at=None, label=""),
        "quality": lambda: models.quality(org, as_of=date(2022, 1, 31), known_at=None, label=""),
        "badges": lambda: models.badges_due(org, on=date(2022, 2, 3)),
        "roster": lambda: models.roster(org, as_of=date(2021, 12, 31), known_at=None, label=""),
    }


def disk_bytes(postgres: str, schema: str) -> dict[str, int]:
    """``pg_total_relation_size`` of each table of the schema (indexes and TOAST included)."""
    with psycopg.connect(postgres) as conn:
        rows = conn.execute(
            "SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND c.relkind = 'r' ORDER BY 2 DESC",
            (schema,),
        ).fetchall()
    return {str(name): int(size) for name, size in rows}


def http_throughput(url: str, seconds: float, concurrency: int) -> dict[str, dict[str, float]]:
    """Requests per second and p50/p99 of a few routes through ``ledger serve --workers 1``."""
    name = f"bench-{uuid.uuid4().hex[:8]}"
    created = json.loads(cli(url, "token", "create", "--name", name, "--role", "admin", "--json"))
    headers = {"authorization": f"Bearer {created['token']}"}
    routes = [
        "GET /health",
        f"GET /orgs/{CITY}/reports/annual/2021",
        f"GET /orgs/{COMMITTEE}/reports/annual/2021",
        f"GET /members/{MEMBER}",
    ]
    figures: dict[str, dict[str, float]] = {}
    try:
        with server(url, 1) as base:
            for route in routes:
                row = asyncio.run(drive(base, headers, route, concurrency, seconds, None))
                figures[route] = {
                    "per_second": row.per_second,
                    "p50_ms": row.percentile(0.5),
                    "p99_ms": row.percentile(0.99),
                    "errors": row.errors,
                }
    finally:
        cli(url, "token", "revoke", "--name", name)
    health = figures["GET /health"]["per_second"]
    for entry in figures.values():
        entry["x_health"] = entry["per_second"] / health if health else 0.0
    return figures


def growth(now: dict[str, Any], before: dict[str, Any]) -> dict[str, float]:
    """Each figure of this run over the same figure of the smaller run (times: how much
    longer; ``facts``: how much more history)."""
    ratios: dict[str, float] = {"facts": now["facts"] / before["facts"]}
    for key in ("import_seconds", "copy_seconds", "catch_up_seconds", "verify_seconds",
                "read_and_hash_seconds", "generate_seconds", "generator_peak_mb",
                "disk_total_bytes"):  # fmt: skip
        if before.get(key):
            ratios[key] = now[key] / before[key]
    for key, value in now["queries"].items():
        if before["queries"].get(key):
            ratios[f"query_{key}"] = value / before["queries"][key]
    for route, row in now.get("http", {}).items():
        if before.get("http", {}).get(route, {}).get("per_second"):
            ratios[f"http {route} per_second"] = (
                row["per_second"] / before["http"][route]["per_second"]
            )
    return ratios


def report(raw: dict[str, Any]) -> None:
    facts = raw["facts"]
    print(
        f"\nscale {raw['scale']:g}: {facts:,} facts, "
        f"{raw['history_bytes'] / 1e6:,.0f} MB of JSON Lines"
    )
    print(f"generator: {raw['generate_seconds']:.0f} s, peak {raw['generator_peak_mb']:,.0f} MB")
    print(
        f"import:    {raw['import_seconds']:.0f} s, {facts / raw['import_seconds']:,.0f} facts/s; "
        f"COPY {facts / raw['copy_seconds']:,.0f}/s; ratio {raw['import_ratio']:.3f}"
    )
    print(
        f"catch-up:  {raw['catch_up_seconds']:.0f} s, "
        f"{facts / raw['catch_up_seconds']:,.0f} events/s; "
        f"read+decode {raw['read_decode_seconds']:.0f} s; ratio {raw['catch_up_ratio']:.2f}"
    )
    print(
        f"verify:    {raw['verify_seconds']:.0f} s, {facts / raw['verify_seconds']:,.0f} events/s; "
        f"read+hash {raw['read_and_hash_seconds']:.1f} s; {raw['verify_ratio']:.1f}x baseline"
    )
    scan = raw["queries"]["scan"]
    print(f"queries (ms, and / full scan of rm_spans {scan * 1000:.0f} ms):")
    for key, value in raw["queries"].items():
        print(f"  {key:18} {value * 1000:10.1f}  {value / scan:8.2f}")
    for route, row in raw.get("http", {}).items():
        print(
            f"  {route:42} {row['per_second']:8.0f}/s  p50 {row['p50_ms']:7.1f} ms  "
            f"p99 {row['p99_ms']:7.1f} ms  x health {row['x_health']:.2f}"
        )
    total = raw["disk_total_bytes"]
    print(f"disk:      {total / 1e9:.2f} GB, {total / facts:,.0f} B/fact")
    for name, size in list(raw["disk_bytes"].items())[:6]:
        print(f"  {name:24} {size / 1e6:10,.0f} MB")
    if "growth" in raw:
        print(f"growth against the run of {raw['against']}:")
        for key, value in raw["growth"].items():
            print(f"  {key:40} {value:8.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="the city's scale (default 1)")
    parser.add_argument("--seed", type=int, help="the demo's seed (default: as python -m demo)")
    parser.add_argument("--postgres", default=POSTGRES, help=f"database (default {POSTGRES})")
    parser.add_argument("--keep", action="store_true", help="keep the schema (and say its name)")
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument("--against", type=Path, help="the JSON of a smaller run: growth ratios")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each query (median)")
    parser.add_argument("--http-seconds", type=float, default=5.0, help="per route; 0: none")
    parser.add_argument("--concurrency", type=int, default=8, help="HTTP clients")
    args = parser.parse_args()
    before = json.loads(args.against.read_text(encoding="utf-8")) if args.against else None
    schema = f"national_{uuid.uuid4().hex[:10]}"
    url = f"{args.postgres}?schema={schema}"
    folder = Path(tempfile.mkdtemp(prefix="ledger-national-"))
    history = folder / "history.jsonl"
    raw: dict[str, Any] = {
        "scale": args.scale,
        "machine": f"{platform.node()}, {os.cpu_count()} cores (shared), Python "
        f"{platform.python_version()}",
        "postgres": args.postgres,
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    started = time.perf_counter()
    try:
        say(f"generating the history at scale {args.scale:g} into {history}")
        raw.update(generate(args.scale, args.seed, history))
        facts = raw["facts"]
        say(f"{facts:,} facts; COPY baseline")
        raw["copy_seconds"] = copy_baseline(args.postgres, schema, history)
        say(f"COPY {raw['copy_seconds']:.1f} s; importing into schema {schema}")
        app = LedgerApplication(url)
        try:
            begun = time.perf_counter()
            summary = import_facts(app, lines(history))
            raw["import_seconds"] = time.perf_counter() - begun
            if summary.rejected:
                raise SystemExit(f"{summary.rejected} facts refused: {summary.rejects[:3]}")
            raw["import_ratio"] = raw["copy_seconds"] / raw["import_seconds"]
            say(f"imported in {raw['import_seconds']:.0f} s; projection catch-up")
            models = ReadModels(app.event_log)
            try:
                begun = time.perf_counter()
                models.runner.catch_up()
                raw["catch_up_seconds"] = time.perf_counter() - begun
                say(f"caught up in {raw['catch_up_seconds']:.0f} s; read and decode baseline")
                raw["read_decode_seconds"] = read_and_decode(app)
                raw["catch_up_ratio"] = raw["read_decode_seconds"] / raw["catch_up_seconds"]
                say("queries")
                raw["queries"] = query_times(models, args.repeat)
            finally:
                models.close()
            say("verify")
            database = parse_database_url(url)
            begun = time.perf_counter()
            verdict = verify(database, Chain.of(app.mapper), org_fields=ORG_FIELDS)
            raw["verify_seconds"] = time.perf_counter() - begun
            if not verdict.ok:
                raise SystemExit(f"verify failed: {verdict.problems[:5]}")
        finally:
            app.close()
        begun = time.perf_counter()
        read_and_hash(url)
        raw["read_and_hash_seconds"] = time.perf_counter() - begun
        raw["verify_ratio"] = raw["verify_seconds"] / raw["read_and_hash_seconds"]
        raw["disk_bytes"] = disk_bytes(args.postgres, schema)
        raw["disk_total_bytes"] = sum(raw["disk_bytes"].values())
        raw["bytes_per_fact"] = raw["disk_total_bytes"] / facts
        if args.http_seconds > 0:
            say("HTTP")
            raw["http"] = http_throughput(url, args.http_seconds, args.concurrency)
        if before is not None:
            raw["against"] = str(args.against)
            raw["growth"] = growth(raw, before)
    finally:
        raw["seconds"] = time.perf_counter() - started
        history.unlink(missing_ok=True)
        folder.rmdir()
        if args.keep:
            say(f"kept schema {schema}: {url}")
        else:
            with psycopg.connect(args.postgres, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        if args.json:
            args.json.write_text(json.dumps(raw, indent=2) + "\n", encoding="utf-8")
    report(raw)
    print(f"\n{raw['seconds']:.0f} s in all" + (f"; written to {args.json}" if args.json else ""))


if __name__ == "__main__":
    main()
