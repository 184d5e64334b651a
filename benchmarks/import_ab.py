"""The import figures of this checkout against another revision's, in the same run.

On a shared machine the load changes more between two runs than a change to the code does, so
this imports the same history with both, alternating, each in its own process, next to the
suite's baselines measured in the same run::

    python -m benchmarks.import_ab --against a019223 [--backend sqlite|postgres] [--rounds 3]
        [--file FILE] [--halves]

Without ``--file``, the demo city at 10 % (``benchmarks.suite.history(0.1)``). Prints each
round, then the medians: seconds, facts/s and the ratio to the baseline (``sqlite3.executemany``
or ``COPY``), as the suite's first figure. ``--halves`` measures instead one half of the history
(split by member, the orgs loaded first) imported alone against both halves at once, by
``ledger import`` processes: 2 x alone / both is 2 when two importers do not wait for each other.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

import orjson

from benchmarks.suite import (
    POSTGRES,
    Backends,
    history,
    postgres_copy_baseline,
    sqlite_rows_baseline,
)

ROOT = Path(__file__).resolve().parents[1]

ONE_IMPORT = """
import gc, sys, time
from pathlib import Path
from commands.application import LedgerApplication
from commands.record import import_facts
facts = Path(sys.argv[1]).read_bytes().splitlines()
app = LedgerApplication(sys.argv[2])
gc.disable()  # as ledger import runs (api.cli.common.batch_work)
started = time.perf_counter()
summary = import_facts(app, facts, progress=lambda _: gc.collect(1))
seconds = time.perf_counter() - started
assert summary.rejected == 0, summary.rejects[:3]
app.close()
print(seconds)
"""


def checkout(revision: str, into: Path) -> Path:
    """The files of ``revision`` (git archive), run with this checkout's interpreter."""
    archive = subprocess.run(
        ["git", "archive", revision], cwd=ROOT, check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def run_import(root: Path, path: Path, url: str) -> float:
    env = {**os.environ, "PYTHONPATH": str(root)}
    done = subprocess.run(
        [sys.executable, "-c", ONE_IMPORT, str(path), url],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise RuntimeError(f"import with {root} failed:\n{done.stderr[-2000:]}")
    return float(done.stdout.strip())


def cli_imports(root: Path, paths: list[Path], url: str) -> tuple[float, float]:
    """``ledger import`` of each path at once: wall seconds, CPU seconds of all."""
    env = {**os.environ, "PYTHONPATH": str(root)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "api.cli", "import", str(p), "--db", url],
            cwd=root,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for p in paths
    ]
    codes = [p.wait() for p in processes]
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if any(codes):
        raise RuntimeError(f"ledger import with {root} exited {codes}")
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return wall, cpu


def halves(facts: list[bytes], folder: Path) -> tuple[Path, Path, Path]:
    """The org registrations, and the other facts in two halves by member (as the suite)."""
    orgs = [line for line in facts if b'"organization.registered"' in line]
    parts: tuple[list[bytes], list[bytes]] = ([], [])
    for line in facts:
        if b'"organization.registered"' not in line:
            member = str(orjson.loads(line).get("member", ""))
            parts[zlib.crc32(member.encode()) % 2].append(line)
    paths = []
    for name, lines in (("orgs", orgs), ("half0", parts[0]), ("half1", parts[1])):
        paths.append(folder / f"{name}.jsonl")
        paths[-1].write_bytes(b"\n".join(lines) + b"\n")
    return paths[0], paths[1], paths[2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", required=True, help="a git revision (e.g. a commit)")
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--file", type=Path, help="JSON Lines (default: the city at 10 %%)")
    parser.add_argument("--postgres", default=POSTGRES)
    parser.add_argument("--halves", action="store_true", help="one half alone vs both at once")
    args = parser.parse_args()
    facts = args.file.read_bytes().splitlines() if args.file else history(0.1)
    scratch = Path(tempfile.mkdtemp(prefix="import-ab-"))
    backends = Backends(args.postgres if args.backend == "postgres" else None)
    try:
        path = scratch / "facts.jsonl"
        path.write_bytes(b"\n".join(facts) + b"\n")
        roots = {
            "before": checkout(args.against, Path(tempfile.mkdtemp(dir=scratch))),
            "after": ROOT,
        }
        if args.halves:
            compare_halves(roots, facts, scratch, backends, args)
        else:
            compare_imports(roots, facts, path, backends, args)
    finally:
        backends.close()
        shutil.rmtree(scratch)


def compare_imports(
    roots: dict[str, Path],
    facts: list[bytes],
    path: Path,
    backends: Backends,
    args: argparse.Namespace,
) -> None:
    seconds: dict[str, list[float]] = {"baseline": [], "before": [], "after": []}
    for n in range(args.rounds):
        baseline = sqlite_rows_baseline if args.backend == "sqlite" else postgres_copy_baseline
        seconds["baseline"].append(baseline(backends.url(args.backend), facts))
        for name, root in roots.items():
            seconds[name].append(run_import(root, path, backends.url(args.backend)))
        print(f"round {n + 1}: " + ", ".join(f"{k} {v[-1]:.2f} s" for k, v in seconds.items()))
    base = statistics.median(seconds["baseline"])
    for name in roots:
        median = statistics.median(seconds[name])
        print(
            f"{args.backend} {name}: {median:.2f} s, {len(facts) / median:,.0f} facts/s, "
            f"ratio to the baseline {base / median:.4f}"
        )
    before, after = (statistics.median(seconds[k]) for k in ("before", "after"))
    print(f"after / before: {before / after:.2f}x faster")


def compare_halves(
    roots: dict[str, Path],
    facts: list[bytes],
    scratch: Path,
    backends: Backends,
    args: argparse.Namespace,
) -> None:
    orgs, half0, half1 = halves(facts, scratch)
    for n in range(args.rounds):
        for name, root in roots.items():
            alone_url, both_url = backends.url(args.backend), backends.url(args.backend)
            for url in (alone_url, both_url):
                cli_imports(root, [orgs], url)
            alone, alone_cpu = cli_imports(root, [half0], alone_url)
            both, both_cpu = cli_imports(root, [half0, half1], both_url)
            print(
                f"round {n + 1} {name}: one half alone {alone:.1f} s (CPU {alone_cpu:.1f} s), "
                f"both at once {both:.1f} s (CPU {both_cpu:.1f} s): "
                f"2 x alone / both = {2 * alone / both:.2f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
