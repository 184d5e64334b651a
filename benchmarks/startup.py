"""Start-up benchmark: how long ``ledger`` takes before it answers, against bare Python.

Runs, side by side in the same run, ``python -c pass`` (this interpreter), ``ledger --help``,
``ledger --version`` and ``ledger member ID`` on a demo database, each as a fresh process,
interleaved round by round so that the machine's noise falls on all of them alike. Prints the
median wall time of each and its ratio to bare Python (the machines are shared and noisy:
ratios, not absolute times), marks the target ``ledger member`` ≤ 3x, and lists the packages
the ``ledger member`` process spends its imports in. Usage::

    python -m benchmarks.startup [--db URL] [--member ID] [--runs N]

The database is a demo history (``ledger demo --db sqlite:///demo.db``); its read models are
caught up first, so the timed queries measure start-up, not a catch-up.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET = 3.0
"""``ledger member`` within this many times bare Python's start-up."""


def ledger_command() -> list[str]:
    """The ``ledger`` console script beside this interpreter, else ``python -m api.cli``."""
    script = Path(sys.executable).with_name("ledger")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "api.cli"]


def environment() -> dict[str, str]:
    """The children's environment: this checkout's code first, bytecode caches allowed."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    # An installed package has its bytecode compiled; a checkout gets it on its first run.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def run(command: list[str], env: dict[str, str]) -> float:
    """Seconds from start to exit of ``command`` (its output discarded)."""
    started = time.perf_counter()
    subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def import_shares(command: list[str], env: dict[str, str]) -> list[tuple[str, float]]:
    """Milliseconds of import per top-level package in one run of ``command``
    (``-X importtime``, which slows imports down a little: read them as shares)."""
    traced = subprocess.run(
        [sys.executable, "-X", "importtime", *command_as_module(command)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    totals: dict[str, float] = defaultdict(float)
    for line in traced.stderr.splitlines():
        found = re.match(r"import time:\s+(\d+) \|\s+\d+ \|( *)(\S+)", line)
        if found:  # self times, summed per top-level package
            totals[found.group(3).split(".")[0]] += int(found.group(1)) / 1000
    return sorted(totals.items(), key=lambda item: -item[1])


def command_as_module(command: list[str]) -> list[str]:
    """``command`` as arguments of the interpreter (a console script becomes -m api.cli)."""
    if command[0] == sys.executable:
        return command[1:]
    return ["-m", "api.cli", *command[1:]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="sqlite:///demo.db", help="a demo database's URL")
    parser.add_argument("--member", default="hp-m0000334", help="a member of the demo")
    parser.add_argument("--runs", type=int, default=15, help="runs of each command")
    args = parser.parse_args()
    env = environment()
    ledger = ledger_command()
    member = [*ledger, "member", args.member, "--as-of", "2022-12-31", "--db", args.db]
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "ledger --help": [*ledger, "--help"],
        "ledger --version": [*ledger, "--version"],
        f"ledger member {args.member}": member,
    }
    print(f"interpreter: {sys.executable}\nledger: {' '.join(ledger)}\ndatabase: {args.db}")
    for label, command in list(commands.items()):  # warm-up: bytecode, read models caught up
        done = subprocess.run(command, env=env, capture_output=True, text=True)
        if done.returncode != 0 and label == "ledger --version":
            print(f"({label} left out: this checkout has no such option)")
            del commands[label]
        elif done.returncode != 0:
            sys.exit(f"{label} failed (exit status {done.returncode}):\n{done.stderr}")
    samples: dict[str, list[float]] = {label: [] for label in commands}
    for _ in range(args.runs):
        for label, command in commands.items():
            samples[label].append(run(command, env))
    medians = {label: statistics.median(times) for label, times in samples.items()}
    bare = medians["python -c pass"]
    print(f"\nmedian of {args.runs} runs each, interleaved:\n")
    for label, median in medians.items():
        print(f"  {label:32} {median * 1000:7.1f} ms   {median / bare:5.2f}x python")
    ratio = medians[f"ledger member {args.member}"] / bare
    verdict = "pass" if ratio <= TARGET else "short"
    print(f"\ntarget: ledger member <= {TARGET:.0f}x python: {verdict} ({ratio:.2f}x)")
    print("\nimports of ledger member, per top-level package (ms, one -X importtime run):")
    shares = import_shares(member, env)
    total = sum(ms for _, ms in shares)
    for package, ms in shares[:12]:
        print(f"  {package:24} {ms:6.1f}  {ms / total:4.0%}")
    print(f"  {'(all)':24} {total:6.1f}")


if __name__ == "__main__":
    main()
