"""HTTP API benchmark: throughput and latency of a few routes, each as a ratio to ``/health``.

Starts ``ledger serve`` on a free port over the given database with a fresh admin token, drives
it with ``--concurrency`` async clients (httpx) for ``--seconds`` per route, and prints requests
per second, p50 and p99 latency, and each route's throughput as a ratio to ``GET /health``
measured in the same run (the machines are shared and noisy: ratios, never absolute figures),
against the targets of the HTTP API issue. ``POST /facts`` records fresh facts (a dossier entry
for an existing member, with a unique id): run it on a copy of a database, never on one you
keep. With a PostgreSQL URL it also compares ``--workers 4`` with ``--workers 1``. Usage::

    python -m benchmarks.http --db sqlite:////tmp/copy/demo.db [--seconds 5] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import count

import httpx
import orjson

ANNUAL = "/orgs/hp/reports/annual/2021"
MEMBER = "/members/hp-m0000334"
TARGETS = {ANNUAL: 0.5, "POST /facts": 0.3}
"""The issue's targets: throughput at least this share of ``/health``'s."""


@dataclass(frozen=True)
class Figures:
    route: str
    requests: int
    errors: int
    seconds: float
    latencies: list[float]

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000 if ordered else 0


def cli(db: str, *args: str) -> str:
    """Run the command line (``python -m api.cli``) and return its output."""
    command = [sys.executable, "-m", "api.cli", *args, "--db", db]
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def server(db: str, workers: int) -> Iterator[str]:
    """``ledger serve`` on a free port; its base URL once ``/health`` answers."""
    port = free_port()
    command = [sys.executable, "-m", "api.cli", "serve", "--port", str(port)]
    command += ["--workers", str(workers), "--db", db]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise SystemExit(f"ledger serve exited: {process.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("ledger serve did not answer within 60 s")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def members(base: str, headers: dict[str, str]) -> list[str]:
    """Members of the demo city to record dossier entries for."""
    found = httpx.get(f"{base}/members", params={"name": "a", "limit": 200}, headers=headers)
    found.raise_for_status()
    ids = [str(row["member"]) for row in found.json()["members"]]
    return ids or [MEMBER.rsplit("/", 1)[1]]


async def drive(
    base: str, headers: dict[str, str], route: str, concurrency: int, seconds: float,
    body: Callable[[], bytes] | None,
) -> Figures:  # fmt: skip
    """``concurrency`` clients asking ``route`` (POSTing ``body()`` when given) for ``seconds``."""
    latencies: list[float] = []
    errors = 0
    path = route.split(" ", 1)[-1]
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits, timeout=60) as c:

        async def one() -> None:
            nonlocal errors
            start = time.perf_counter()
            if body is None:
                response = await c.get(path)
            else:
                response = await c.post(path, content=body())
            latencies.append(time.perf_counter() - start)
            if response.status_code >= 300:
                errors += 1
                if errors == 1:
                    print(f"  {route}: {response.status_code} {response.text[:300]}")

        async def client(until: float) -> None:
            while time.perf_counter() < until:
                await one()

        for _ in range(concurrency):  # warm up: connections, caches, read models
            await one()
        latencies.clear()
        errors = 0
        start = time.perf_counter()
        await asyncio.gather(*(client(start + seconds) for _ in range(concurrency)))
        elapsed = time.perf_counter() - start
    return Figures(route, len(latencies), errors, elapsed, latencies)


def fresh_dossiers(people: list[str]) -> Callable[[], bytes]:
    """A new fact each call: a dossier entry for an existing member, with a unique id."""
    run = uuid.uuid4().hex[:8]
    numbers = count()

    def body() -> bytes:
        n = next(numbers)
        fact = {
            "id": f"bench-{run}-{n}",
            "type": "member.dossier_recorded",
            "on": "2025-06-01",
            "member": people[n % len(people)],
        }
        return orjson.dumps(fact)

    return body


def run_routes(
    base: str, headers: dict[str, str], concurrency: int, seconds: float, posts: bool = True
) -> list[Figures]:
    people = members(base, headers)
    plan: list[tuple[str, Callable[[], bytes] | None]] = [
        ("GET /health", None),
        (f"GET {ANNUAL}", None),
        (f"GET {MEMBER}", None),
    ]
    if posts:
        plan.append(("POST /facts", fresh_dossiers(people)))
    return [
        asyncio.run(drive(base, headers, route, concurrency, seconds, body)) for route, body in plan
    ]


def report(figures: list[Figures]) -> None:
    health = figures[0].per_second
    print(f"{'route':<42} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6} "
          f"{'x health':>9}  target")  # fmt: skip
    for row in figures:
        ratio = row.per_second / health if health else 0.0
        key = row.route.split(" ", 1)[-1] if row.route.startswith("GET") else row.route
        target = TARGETS.get(key)
        verdict = "" if target is None else f"≥ {target} {'pass' if ratio >= target else 'short'}"
        print(f"{row.route:<42} {row.per_second:>8.0f} {row.percentile(0.5):>8.1f} "
              f"{row.percentile(0.99):>8.1f} {row.errors:>6} {ratio:>9.2f}  {verdict}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True, help="database URL (a copy: POST writes to it)")
    parser.add_argument("--seconds", type=float, default=5.0, help="per route (default 5)")
    parser.add_argument("--concurrency", type=int, default=8, help="clients (default 8)")
    parser.add_argument("--workers", type=int, default=1, help="ledger serve --workers")
    options = parser.parse_args()
    name = f"bench-{uuid.uuid4().hex[:8]}"
    created = json.loads(
        cli(options.db, "token", "create", "--name", name, "--role", "admin", "--json")
    )
    headers = {"authorization": f"Bearer {created['token']}"}
    setup = f"{options.concurrency} clients, {options.seconds:g} s per route"
    print(f"ledger serve --workers {options.workers}; {setup}; {os.cpu_count()} CPUs, shared")
    try:
        with server(options.db, options.workers) as base:
            report(run_routes(base, headers, options.concurrency, options.seconds))
        if options.db.startswith("postgres"):
            scaling = {}
            for workers in (1, 4):
                with server(options.db, workers) as base:
                    rows = run_routes(base, headers, options.concurrency, options.seconds, False)
                scaling[workers] = rows
            print("\nPostgreSQL: --workers 4 against --workers 1 (throughput ratio)")
            for one, four in zip(scaling[1], scaling[4], strict=True):
                print(f"{one.route:<42} {four.per_second / one.per_second:>6.2f}")
    finally:
        cli(options.db, "token", "revoke", "--name", name)


if __name__ == "__main__":
    main()
