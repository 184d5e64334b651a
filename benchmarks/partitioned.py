"""Two partitions of the demo city on one machine: the import of two halves at once against one
ledger, and the city's annual report combined from the two partitions' annual reports.

The city's committees are split into two partitions of about half the members each (``split``),
each partition a ledger of its own (a PostgreSQL schema), as a country's provinces would be on
PostgreSQL nodes (docs/operations.md, "Past one machine"). Every partition holds every org (the
reference table of the design); a member's facts go to the partition of the member's org when
the fact happens. A transfer between two committees of different partitions becomes what a
transfer between two provinces is today: in the source partition a ``transferred_out`` with
``to_external`` (the other partition), in the destination a ``transferred_in`` with
``from_external`` that carries the person, youth union, occupation, standing and admission
date (and, when the member had a dossier, its entry on the day of the arrival).

It measures (on PostgreSQL, ``--postgres``) the whole history imported into one ledger by one
``ledger import`` process, against the two partitions' histories imported by two processes at
once, in the same run; then checks the combined annual report of the city for 2021 and 2020:
each figure summed over the partitions, against the one ledger's, with the adjustment that the
transfers between the partitions make (``expected``). Usage::

    python -m benchmarks.partitioned [--scale 1] [--json PATH] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import psycopg

from commands.application import LedgerApplication
from demo.orgs import COMMITTEES
from projections.queries import ReadModels

ROOT = Path(__file__).resolve().parents[1]
POSTGRES = "postgresql://postgres@127.0.0.1:5432/ledger_test"
CITY = "hp"
NAMES = ("partition A", "partition B")
"""What each partition calls the other in ``to_external`` and ``from_external``."""
EXITS = ("member.died", "member.expelled", "member.removed", "member.resigned")
COUNTED = {
    **{kind: kind.split(".")[1] for kind in EXITS},
    "member.badge_awarded": "badges_awarded",
    "member.probation_completed": "probation_completed",
}
"""Facts the annual report counts for the org the member was in just before them."""
ADDED = ("admitted", "readmitted", "probation_completed", "badges_awarded", "expelled",
         "removed", "resigned", "died", "admitted_with_dossier")  # fmt: skip
"""The figures of the annual report that are plain sums over the partitions (before the
adjustments for the members who crossed, see ``expected``)."""


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- the split -----------------------------------------------------------------------------


def committees_split() -> dict[str, int]:
    """Each committee's partition (0 or 1): the largest first, each to the lighter partition."""
    weights = {f"{CITY}.d{n:02d}": w for n, (_, _, w, _) in enumerate(COMMITTEES, start=1)}
    load = [0.0, 0.0]
    parts: dict[str, int] = {}
    for code in sorted(weights, key=lambda c: (-weights[c], c)):
        part = 0 if load[0] <= load[1] else 1
        parts[code] = part
        load[part] += weights[code]
    return parts


def partition_of(org: str, parts: dict[str, int]) -> int:
    return parts[".".join(org.split(".")[:2])]


@dataclass
class Member:
    """What the split keeps of a member to rewrite the facts of a crossing."""

    part: int | None = None  # the partition of the member's org (the source while crossing)
    known: set[int] = field(default_factory=set)  # partitions that have seen the member
    person: Any = None
    youth_union: bool = False
    occupation: str = "other"
    standing: str = "probationary"
    admitted_on: str = ""
    dossier: str | None = None  # `on` of the dossier's entry
    admission: tuple[int, str] | None = None  # (partition, on) of the latest admission
    crossing: tuple[int, str] | None = None  # (destination, left on) while between partitions


@dataclass
class Crossings:
    """The transfers between the partitions: the adjustments of the combined report."""

    left: list[str] = field(default_factory=list)  # `on` of each transfer out across
    arrived: list[str] = field(default_factory=list)  # `on` of each arrival across
    # (left on, arrived on or None, exit on or None, dossier entered on or None)
    trips: list[tuple[str, str | None, str | None, str | None]] = field(default_factory=list)
    readmitted_elsewhere: list[str] = field(default_factory=list)  # admissions: first time here
    refused_routes: int = 0  # facts of members between partitions (kept in the source)
    # (figure, on, badge years) of the facts counted by the annual report that the source
    # refused because the member was between partitions
    counted_between: list[tuple[str, str, int | None]] = field(default_factory=list)
    # (admitted on, dossier on) of the dossiers entered in another partition than the admission
    dossier_elsewhere: list[tuple[str, str]] = field(default_factory=list)

    def in_transit(self, day: str) -> tuple[int, int]:
        """Members between the partitions on ``day`` (left, not arrived, no exit), and of
        them those with a dossier."""
        count = with_dossier = 0
        for left, arrived, exited, dossier in self.trips:
            if (
                left <= day
                and (arrived is None or arrived > day)
                and (exited is None or exited > day)
            ):
                count += 1
                with_dossier += dossier is not None and dossier <= day
        return count, with_dossier


def split(facts: Iterable[bytes], parts: dict[str, int]) -> tuple[list[list[bytes]], Crossings]:
    """The two partitions' histories (JSON Lines) and the transfers between them."""
    out: tuple[list[bytes], list[bytes]] = ([], [])
    members: dict[str, Member] = {}
    crossings = Crossings()
    open_trips: dict[str, int] = {}  # member -> index in crossings.trips

    def put(part: int, fact: dict[str, Any]) -> None:
        out[part].append(orjson.dumps(fact))

    def carry_dossier(arrival: dict[str, Any]) -> None:
        """The dossier travels with the member: entered on the arrival's day where it is new."""
        if members[arrival["member"]].dossier is not None:
            put(partition_of(arrival["org"], parts),
                {"id": arrival["id"] + "-dossier", "type": "member.dossier_recorded",
                 "on": arrival["on"], "recorded_at": arrival["recorded_at"],
                 "member": arrival["member"]})  # fmt: skip

    def arrive_unknown(who: Member, part: int, arrival: dict[str, Any]) -> None:
        """The member enters a partition that did not know them, with their dossier."""
        who.part = part
        put(part, arrival)
        who.known.add(part)
        carry_dossier(arrival)

    for line in facts:
        fact = orjson.loads(line)
        kind = fact["type"]
        if kind == "organization.registered":
            out[0].append(line.rstrip(b"\n"))
            out[1].append(line.rstrip(b"\n"))
            continue
        if kind == "organization.count_declared":
            put(partition_of(fact["org"], parts), fact)
            continue
        who = members.setdefault(fact["member"], Member())
        if kind == "member.admitted":
            part = partition_of(fact["org"], parts)
            who.person, who.youth_union = fact["person"], fact["youth_union"]
            who.occupation, who.standing = fact["occupation"], "probationary"
            who.admitted_on, who.admission = fact["on"], (part, fact["on"])
            if who.known and part not in who.known:
                # Re-admitted where the first membership is unknown: its dossier comes along.
                crossings.readmitted_elsewhere.append(fact["on"])
                arrive_unknown(who, part, fact)
                continue
            who.part = part
        elif kind == "member.transferred_in" and "from_external" in fact:
            part = partition_of(fact["org"], parts)
            if "person" in fact:
                who.person, who.youth_union = fact["person"], fact["youth_union"]
                who.occupation, who.standing = fact["occupation"], fact["standing"]
                who.admitted_on = fact["admitted_on"]
            elif part not in who.known:  # a return to the other partition: unknown there
                fact = {**fact, **arrival_fields(who)}
                arrive_unknown(who, part, fact)
                continue
            who.part = part
        elif kind == "member.transferred_in" and who.crossing is not None:
            part, _ = who.crossing
            source = who.part
            assert source is not None
            fact = {k: v for k, v in fact.items() if k != "from_external"}
            fact["from_external"] = NAMES[source]
            if part not in who.known:
                fact.update(arrival_fields(who))
            put(part, fact)
            who.known.add(part)
            crossings.arrived.append(fact["on"])
            index = open_trips.pop(fact["member"])
            left, _, exited, dossier = crossings.trips[index]
            crossings.trips[index] = (left, fact["on"], exited, dossier)
            carry_dossier(fact)
            who.part, who.crossing = part, None
            continue
        elif kind == "member.transferred_out" and "to_org" in fact:
            assert who.part is not None
            target = partition_of(fact["to_org"], parts)
            if target != who.part:
                fact = {k: v for k, v in fact.items() if k != "to_org"}
                fact["to_external"] = NAMES[target]
                who.crossing = (target, fact["on"])
                crossings.left.append(fact["on"])
                open_trips[fact["member"]] = len(crossings.trips)
                crossings.trips.append((fact["on"], None, None, who.dossier))
        elif kind == "member.probation_completed":
            who.standing = "official"
        elif kind == "member.dossier_recorded":
            admission = who.admission
            if who.dossier is None and admission is not None and who.part != admission[0]:
                # Entered after the member left the partition of the admission: that
                # partition's admissions of the year count it without a dossier.
                crossings.dossier_elsewhere.append((admission[1], fact["on"]))
            who.dossier = fact["on"]
            if who.crossing is not None:  # entered while between: kept by the source
                index = open_trips[fact["member"]]
                left, arrived, exited, _ = crossings.trips[index]
                crossings.trips[index] = (left, arrived, exited, fact["on"])
        elif kind in COUNTED and who.crossing is not None:
            # Counted by the city (a member in transit inside it), refused by the source,
            # where the member is away: the router would have to hold it until the arrival.
            crossings.refused_routes += 1
            crossings.counted_between.append((COUNTED[kind], fact["on"], fact.get("years")))
            if kind in EXITS:
                index = open_trips[fact["member"]]
                left, arrived, _, dossier = crossings.trips[index]
                crossings.trips[index] = (left, arrived, fact["on"], dossier)
        elif who.crossing is not None:
            crossings.refused_routes += 1
        assert who.part is not None, fact
        put(who.part, fact)
        who.known.add(who.part)
    return [out[0], out[1]], crossings


def arrival_fields(who: Member) -> dict[str, Any]:
    """What an arrival from outside needs for a member unknown to the ledger (SPEC §2)."""
    return {
        "person": who.person,
        "youth_union": who.youth_union,
        "occupation": who.occupation,
        "standing": who.standing,
        "admitted_on": who.admitted_on,
    }


# --- the measurements ----------------------------------------------------------------------


def history(scale: float) -> list[bytes]:
    command = [sys.executable, "-m", "demo", "--scale", repr(scale)]
    run = subprocess.run(command, cwd=ROOT, capture_output=True, check=True)
    return run.stdout.splitlines()


def imports(runs: list[tuple[str, Path]]) -> tuple[float, list[dict[str, Any]]]:
    """``ledger import FILE --json`` into each URL, all at once: the wall time and summaries."""
    started = time.perf_counter()
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "api.cli", "import", str(path), "--json"],
            cwd=ROOT,
            env={**os.environ, "LEDGER_DATABASE_URL": url},
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        for url, path in runs
    ]
    outputs = [process.communicate()[0] for process in processes]
    seconds = time.perf_counter() - started
    return seconds, [json.loads(output) for output in outputs]


def annual_figures(url: str, year: int) -> dict[str, Any]:
    """The city's annual report of ``year`` in the ledger at ``url`` (read models caught up)."""
    app = LedgerApplication(url)
    models = ReadModels(app.event_log)
    try:
        models.fresh()
        report = models.annual(CITY, year=year, known_at=None, label="")
        return report.model_dump(mode="json")
    finally:
        models.close()
        app.close()


def combined(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """The partitions' annual figures added up (nested counts too), ``balanced`` recomputed."""

    def add(values: list[Any]) -> Any:
        if isinstance(values[0], bool):
            return all(values)
        if isinstance(values[0], int):
            return sum(values)
        if isinstance(values[0], dict):
            return {key: add([v[key] for v in values]) for key in values[0]}
        return values[0]

    return {key: add([part[key] for part in parts]) for key in parts[0]}


def expected(whole: dict[str, Any], crossings: Crossings, year: int) -> dict[str, int]:
    """What the sum over the partitions must be, figure by figure, given the one ledger's
    figures and the transfers between the partitions in ``year``."""
    end, start = f"{year}-12-31", f"{year - 1}-12-31"
    left = sum(1 for on in crossings.left if on.startswith(str(year)))
    arrived = sum(1 for on in crossings.arrived if on.startswith(str(year)))
    between_end, with_dossier = crossings.in_transit(end)
    between_start, _ = crossings.in_transit(start)
    readmitted = sum(1 for on in crossings.readmitted_elsewhere if on.startswith(str(year)))
    figures = {name: whole[name] for name in ADDED}
    for name, on, _ in crossings.counted_between:
        if on.startswith(str(year)):
            figures[name] -= 1
    for admitted, dossier in crossings.dossier_elsewhere:
        if admitted.startswith(str(year)) and dossier <= end:
            figures["admitted_with_dossier"] -= 1
    figures.update(
        # Members between two partitions are in the city's roster (in transit inside it), in
        # neither partition's: they left one, have not arrived in the other.
        members_at_end=whole["members_at_end"] - between_end,
        members_at_start=whole["members_at_start"] - between_start,
        in_transit_at_end=whole["in_transit_at_end"] - between_end,
        dossiers_recorded_at_end=whole["dossiers_recorded_at_end"] - with_dossier,
        # A move between the partitions is internal to the city, a transfer out of one
        # partition (when it leaves) and into the other (when it arrives).
        internal_moves=whole["internal_moves"] - left,
        transferred_out=whole["transferred_out"] + left,
        transferred_in=whole["transferred_in"] + arrived,
        # Re-admitted in the partition that never saw the first membership: a first admission.
        readmitted=whole["readmitted"] - readmitted,
    )
    return figures


def compare(whole: dict[str, Any], parts: list[dict[str, Any]], crossings: Crossings,
            year: int) -> dict[str, Any]:  # fmt: skip
    total = combined(parts)
    want = expected(whole, crossings, year)
    rows = {}
    for name, value in want.items():
        rows[name] = {"one_ledger": whole[name], "sum_of_partitions": total[name],
                      "expected_sum": value, "holds": total[name] == value}  # fmt: skip
    by_years = dict(whole["badges_by_years"])
    for name, on, years in crossings.counted_between:
        if name == "badges_awarded" and on.startswith(str(year)):
            by_years[str(years)] -= 1
    for name, wanted in (("admitted_by", whole["admitted_by"]), ("badges_by_years", by_years)):
        rows[name] = {"one_ledger": whole[name], "sum_of_partitions": total[name],
                      "expected_sum": wanted, "holds": total[name] == wanted}  # fmt: skip
    rows["balanced"] = {"one_ledger": whole["balanced"], "sum_of_partitions": total["balanced"],
                        "expected_sum": True, "holds": total["balanced"]}  # fmt: skip
    return rows


def write(path: Path, lines: Iterable[bytes]) -> Path:
    with path.open("wb") as handle:
        for line in lines:
            handle.write(line.rstrip(b"\n") + b"\n")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="the city's scale (default 1)")
    parser.add_argument("--postgres", default=POSTGRES)
    parser.add_argument("--keep", action="store_true", help="keep the three schemas")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args()
    started = time.perf_counter()
    say(f"generating the history at scale {args.scale:g}")
    facts = history(args.scale)
    parts = committees_split()
    halves, crossings = split(facts, parts)
    tag = uuid.uuid4().hex[:8]
    names = [f"part_{tag}_{s}" for s in ("whole", "a", "b")]
    urls = [f"{args.postgres}?schema={name}" for name in names]
    folder = Path(tempfile.mkdtemp(prefix="ledger-partitioned-"))
    files = [write(folder / f"{name}.jsonl", lines) for name, lines in
             zip(("whole", "a", "b"), (facts, *halves), strict=True)]  # fmt: skip
    raw: dict[str, Any] = {
        "scale": args.scale,
        "facts": len(facts),
        "partition_facts": [len(h) for h in halves],
        "committees": {str(p): sorted(c for c, q in parts.items() if q == p) for p in (0, 1)},
        "crossings": {
            "left": len(crossings.left),
            "arrived": len(crossings.arrived),
            "readmitted_elsewhere": len(crossings.readmitted_elsewhere),
            "facts_of_members_between": crossings.refused_routes,
        },
        "cpus": os.cpu_count(),
    }
    try:
        say(f"{len(facts):,} facts; partitions of {raw['partition_facts']}: one importer")
        one, summaries = imports([(urls[0], files[0])])
        say(f"one ledger, one process: {one:.0f} s; two partitions, two processes")
        two, part_summaries = imports([(urls[1], files[1]), (urls[2], files[2])])
        say(f"two partitions at once: {two:.0f} s")
        raw.update(
            one_process_seconds=one,
            two_processes_seconds=two,
            speedup=one / two,
            summaries={"whole": summaries[0], "a": part_summaries[0], "b": part_summaries[1]},
        )
        checks = {}
        for year in (2021, 2020):
            say(f"annual reports of {year}")
            whole = annual_figures(urls[0], year)
            reports = [annual_figures(url, year) for url in urls[1:]]
            checks[str(year)] = compare(whole, reports, crossings, year)
        raw["checks"] = checks
    finally:
        raw["seconds"] = time.perf_counter() - started
        for path in files:
            path.unlink(missing_ok=True)
        folder.rmdir()
        if not args.keep:
            with psycopg.connect(args.postgres, autocommit=True) as conn:
                for name in names:
                    conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
        if args.json:
            args.json.write_text(json.dumps(raw, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({k: v for k, v in raw.items() if k not in ("checks", "committees")},
                     indent=2))  # fmt: skip
    for year, rows in raw["checks"].items():
        print(f"\nannual {year}: figure, one ledger, sum of the partitions, expected sum, holds")
        for name, row in rows.items():
            print(f"  {name:26} {row['one_ledger']!s:>10.60} {row['sum_of_partitions']!s:>10.60} "
                  f"{row['expected_sum']!s:>10.60}  {row['holds']}")  # fmt: skip
    held = all(row["holds"] for rows in raw["checks"].values() for row in rows.values())
    print(f"\n{'every figure adds up as expected' if held else 'SOME FIGURES DO NOT ADD UP'}; "
          f"{raw['seconds']:.0f} s in all")  # fmt: skip
    raise SystemExit(0 if held else 1)


if __name__ == "__main__":
    main()
