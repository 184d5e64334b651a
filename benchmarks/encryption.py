"""Encryption at rest: what ``LEDGER_CIPHER_KEY`` costs, at city scale (127,455 members).

Imports the same admissions (one fact per member, with a Vietnamese name and a birth date) into
a clear and an encrypted SQLite ledger, brings their read models up to date, then times a search
by name (``ledger members --name``): the clear ledger's indexed LIKE on the folded names, the
encrypted ledger's scan of every name decrypted in Python, first (each name decrypted) and again
(names kept decrypted in memory until the read models move; then only changed names are
decrypted again: timed after one more fact), and the whole ``ledger members``
command, which decrypts every name in each run. Usage::

    python -m benchmarks.encryption [--members N]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from api.bootstrap import Ledger
from commands.record import import_facts
from demo.orgs import FAMILY_NAMES, GIVEN_NAMES, MIDDLE_NAMES
from storage.cipher import new_key

QUERIES = ("nguyen van hung", "thi lan", "ngoc")


def admissions(members: int, seed: int = 2021) -> Iterator[str]:
    """An org tree (35 committees x 10 grassroots x 4 cells) and one admission per member."""
    rng = random.Random(seed)
    stamp = "2022-01-10T09:00:00+07:00"

    def line(kind: str, on: date, **fields: Any) -> str:
        body = {"type": kind, "on": on.isoformat(), "recorded_at": stamp, **fields}
        return json.dumps(body, ensure_ascii=False)

    founded = date(1946, 1, 1)
    yield line("organization.registered", founded, org="hp", name="Hải Phòng", parent=None)
    cells: list[str] = []
    for d in range(1, 36):
        committee = f"hp.d{d:02d}"
        yield line("organization.registered", founded, org=committee, name=committee, parent="hp")
        for g in range(1, 11):
            grassroots = f"{committee}.g{g:02d}"
            yield line("organization.registered", founded, org=grassroots, name=grassroots,
                       parent=committee)  # fmt: skip
            for c in range(1, 5):
                cells.append(f"{grassroots}.c{c}")
                yield line("organization.registered", founded, org=cells[-1], name=cells[-1],
                           parent=grassroots)  # fmt: skip
    families = [f for f, _ in FAMILY_NAMES]
    weights = [w for _, w in FAMILY_NAMES]
    for n in range(members):
        female = rng.random() < 0.6
        name = " ".join((rng.choices(families, weights)[0], rng.choice(MIDDLE_NAMES[female]),
                         rng.choice(GIVEN_NAMES[female])))  # fmt: skip
        admitted = date(1960, 1, 1) + timedelta(days=rng.randrange(22_000))
        birth = admitted - timedelta(days=rng.randrange(18 * 366, 40 * 365))
        person = {"name": name, "gender": "female" if female else "male",
                  "birth_date": birth.isoformat()}  # fmt: skip
        yield line("member.admitted", admitted, member=f"hp-{n:07d}", org=rng.choice(cells),
                   person=person, youth_union=False, occupation="other")  # fmt: skip


def timed_ms(run: Callable[[], Any], repeat: int = 5) -> float:
    """Median wall time of ``run`` in milliseconds."""
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def measure(url: str, cipher_key: str | None, members: int) -> dict[str, list[Any]]:
    """Import, project and search one ledger; print the times; return the search answers."""
    label = "encrypted" if cipher_key else "clear"
    ledger = Ledger(url, migrate=True, cipher_key=cipher_key)
    started = time.perf_counter()
    summary = import_facts(ledger.app, admissions(members))
    imported = time.perf_counter() - started
    started = time.perf_counter()
    ledger.models.fresh()
    projected = time.perf_counter() - started
    rate = summary.accepted / imported
    print(f"{label}: import {summary.accepted:,} facts in {imported:.1f} s ({rate:,.0f}/s), "
          f"read models in {projected:.1f} s")  # fmt: skip
    models = ledger.models
    answers: dict[str, list[Any]] = {}
    for query in QUERIES:

        def search(q: str = query) -> Any:
            return models.members(q, limit=50).members

        if cipher_key is not None:
            models._names, models._plain = None, {}  # a process's first search decrypts all
            first, again = timed_ms(search, repeat=1), timed_ms(search)
            print(f"  search {query!r}: first {first:,.0f} ms, again {again:,.1f} ms")
        else:
            print(f"  search {query!r}: {timed_ms(search):,.1f} ms")
        answers[query] = search()
    if cipher_key is not None:
        # One more fact moves the read models: the next search decrypts only the changed names.
        more = admissions(1, seed=7)
        extra = [line.replace("hp-0000000", "hp-extra") for line in more][-1]
        import_facts(ledger.app, [extra])
        ms = timed_ms(lambda: models.members(QUERIES[0], limit=50), repeat=1)
        print(f"  search {QUERIES[0]!r} after one more fact: {ms:,.0f} ms")
    ledger.close()
    # The command line decrypts every name in each process: its whole run, as a user sees it.
    env = {**os.environ, "LEDGER_DATABASE_URL": url, "LEDGER_CIPHER_KEY": cipher_key or ""}
    command = [sys.executable, "-m", "api.cli", "members", "--name", QUERIES[0]]
    ms = timed_ms(lambda: subprocess.run(command, env=env, check=True, capture_output=True))
    print(f"  ledger members --name {QUERIES[0]!r}: {ms:,.0f} ms (whole command)")
    return answers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, default=127_455)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="ledger-encryption-"))
    clear = measure(f"sqlite:///{folder / 'clear.db'}", None, args.members)
    encrypted = measure(f"sqlite:///{folder / 'encrypted.db'}", new_key(), args.members)
    assert clear == encrypted, "the clear and the encrypted ledger answer differently"
    print("the clear and the encrypted ledger give the same answers")


if __name__ == "__main__":
    main()
