"""Human-readable text for the command line, and the progress display on stderr."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the write side is loaded by the commands that write, not by every command
    from commands.record import ImportSummary
    from projections.reports.badges import BadgesDue
    from projections.reports.member import MemberView
    from projections.reports.quality import QualityReport
    from projections.reports.roster import Roster

MAX_REJECTS_SHOWN = 20


@contextmanager
def progress(total: int | None, label: str, unit: str = "lines") -> Iterator[Callable[[int], None]]:
    """Yield ``advance(n)``; shows a bar on a terminal, a line every ~10 % in a log."""
    if sys.stderr.isatty():
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

        bar = Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        with bar:
            task = bar.add_task(label, total=total)
            yield lambda n: bar.advance(task, n)
        return
    done = 0
    step = max((total or 0) // 10, 50_000)
    next_report = step
    started = time.monotonic()

    def advance(n: int) -> None:
        nonlocal done, next_report
        done += n
        if done >= next_report:
            next_report += step
            rate = done / max(time.monotonic() - started, 1e-9)
            of = f"/{total}" if total else ""
            print(f"{label}: {done}{of} {unit} ({rate:,.0f}/s)", file=sys.stderr, flush=True)

    yield advance


def import_summary(summary: ImportSummary, rejects_path: Path | None) -> str:
    """The import summary as text."""
    lines = [
        f"accepted {summary.accepted}, duplicates {summary.duplicates}, rejected {summary.rejected}"
    ]
    for refusal in summary.rejects[:MAX_REJECTS_SHOWN]:
        which = f" ({refusal.id})" if refusal.id else ""
        lines.append(f"  line {refusal.line}{which}: {refusal.error}: {refusal.message}")
    if len(summary.rejects) > MAX_REJECTS_SHOWN:
        lines.append(f"  … and {len(summary.rejects) - MAX_REJECTS_SHOWN} more")
    if rejects_path is not None and summary.rejects:
        lines.append(f"refused lines written to {rejects_path} (fix them and import that file)")
    return "\n".join(lines)


def member(view: MemberView) -> str:
    """The member view as text."""
    head = [
        f"member {view.member} as of {view.as_of} (known at {view.known_at})",
        f"  status: {view.status}"
        + (f" ({view.standing})" if view.standing and view.status != view.standing else ""),
    ]
    if view.org:
        head.append(f"  org: {view.org}" + (f" → {view.to_org}" if view.to_org else ""))
    if view.party_age_years is not None:
        head.append(f"  party age: {view.party_age_years} years")
    if view.badges:
        head.append("  badges: " + ", ".join(f"{b} years" for b in view.badges))
    flags = [name for name, on in (("exempt", view.exempt), ("away", view.away)) if on]
    if flags:
        head.append("  flags: " + ", ".join(flags))
    if not view.facts:
        head.append("  (the ledger holds no fact about this member up to that date)")
    for fact in view.facts:
        flagged = (("retracted", fact["retracted"]), ("anomaly", fact["anomaly"]))
        marks = "".join(f" [{mark}]" for mark, on in flagged if on)
        head.append(f"  {fact['on']}  {fact['type']:<28} {fact['id']}{marks}")
    return "\n".join(head)


def roster(view: Roster) -> str:
    """The roster as text."""
    lines = [
        f"roster of {view.org} as of {view.as_of} (known at {view.known_at}): {view.count} members"
    ]
    for row in view.members:
        lines.append(f"  {row['member']:<20} {row['org']:<20} {row['status']:<13} {row['since']}")
    return "\n".join(lines)


def badges_due(view: BadgesDue) -> str:
    """The badges-due report as text."""
    lines = [f"badges due in {view.org} on {view.on}: {len(view.due)} members"]
    for row in view.due:
        lines.append(
            f"  {row['member']:<20} {row['years']}-year badge (party age {row['party_age_years']})"
        )
    return "\n".join(lines)


def quality(view: QualityReport) -> str:
    """The quality report as text: the counts, then every finding."""
    total = sum(view.counts.values())
    lines = [
        f"data quality of {view.org} as of {view.as_of} (known at {view.known_at}): "
        f"{total} findings"
    ]
    lines += [f"  {kind:<22} {count}" for kind, count in view.counts.items()]
    for f in view.findings:
        who = f["member"] or "-"
        lines.append(f"  [{f['kind']}] {f['org']} {who} {f['fact'] or '-'}: {f['detail']}")
    return "\n".join(lines)
