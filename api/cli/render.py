"""Human-readable text for the command line, and the progress display on stderr.

The reports are written in the reader's language (``l10n``): their words, numbers, days and
knowledge times, with org names beside org ids and member names beside member ids.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from api.formats import l10n
from api.formats.details import detail
from api.formats.l10n import org_label
from projections.reports.names import Names

if TYPE_CHECKING:  # the write side is loaded by the commands that write, not by every command
    from commands.record import ImportSummary
    from projections.reports.badges import BadgesDue
    from projections.reports.member import MemberView
    from projections.reports.quality import QualityReport
    from projections.reports.roster import Roster

MAX_REJECTS_SHOWN = 20
MAX_COLUMN = 40


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


def columns(rows: list[list[str]], indent: str = "  ") -> list[str]:
    """Rows of cells aligned in columns (each as wide as its widest cell, at most
    ``MAX_COLUMN``; the last column is not padded)."""
    if not rows:
        return []
    widths = [min(max(len(row[i]) for row in rows), MAX_COLUMN) for i in range(len(rows[0]))]
    return [
        indent
        + "  ".join(cell.ljust(width) for cell, width in zip(row[:-1], widths[:-1], strict=True))
        + ("  " if len(row) > 1 else "")
        + row[-1]
        for row in rows
    ]


def _when(as_of: str, known_at: str, lang: str) -> str:
    w = l10n.word
    return (
        f"{w('param.as_of', lang).lower()} {l10n.day(as_of, lang)} "
        f"({w('param.known_at', lang).lower()} {l10n.moment(known_at, lang)})"
    )


def member(
    view: MemberView, names: Names, lang: str = "vi", by: Mapping[str, str] | None = None
) -> str:
    """The member view as text; ``by``: who recorded each fact (by fact id), when known."""
    w = l10n.word
    name = names.member(view.member)
    status = l10n.status(view.status, lang)
    if view.standing and view.status != view.standing:
        status += f" ({l10n.status(view.standing, lang)})"
    head = [
        f"{w('title.member', lang)} {view.member}" + (f" — {name}" if name else ""),
        _when(view.as_of, view.known_at, lang),
        f"  {w('member.status', lang)}: {status}",
    ]
    if view.org:
        to = f" → {org_label(view.to_org, names)}" if view.to_org else ""
        head.append(f"  {w('member.org', lang)}: {org_label(view.org, names)}{to}")
    if view.party_age_years is not None:
        head.append(f"  {w('member.party_age', lang)}: {view.party_age_years} {w('years', lang)}")
    if view.badges:
        awarded = ", ".join(f"{b} {w('years', lang)}" for b in view.badges)
        head.append(f"  {w('member.badges', lang)}: {awarded}")
    flags = [w(f"member.{flag}", lang) for flag, on in (("exempt", view.exempt),
                                                          ("away", view.away)) if on]  # fmt: skip
    if flags:
        head.append(f"  {w('member.flags', lang)}: " + ", ".join(flags))
    if not view.facts:
        head.append("  " + w("member.no_facts", lang))
    rows = []
    for fact in view.facts:
        flagged = (("col.retracted", fact["retracted"]), ("col.anomaly", fact["anomaly"]))
        marks = "".join(f" [{w(mark, lang).lower()}]" for mark, on in flagged if on)
        rows.append([l10n.day(fact["on"], lang), l10n.fact_type(fact["type"], lang),
                     fact["id"] + marks, l10n.moment(fact["recorded_at"], lang),
                     (by or {}).get(fact["id"], "")])  # fmt: skip
    return "\n".join(head + columns(rows))


def roster(view: Roster, names: Names, lang: str = "vi") -> str:
    """The roster as text: member, name, org, org name, status, since."""
    w = l10n.word
    lines = [
        f"{w('title.roster', lang)} — {org_label(view.org, names)}",
        f"{_when(view.as_of, view.known_at, lang)}: {l10n.number(view.count, lang)} "
        f"{w('members', lang)}",
    ]
    rows = [
        [m["member"], names.member(m["member"]), m["org"], names.org(m["org"]),
         l10n.status(m["status"], lang), l10n.day(m["since"], lang)]
        for m in view.members
    ]  # fmt: skip
    return "\n".join(lines + columns(rows))


def badges_due(view: BadgesDue, names: Names, lang: str = "vi") -> str:
    """The badges-due report as text."""
    w = l10n.word
    lines = [
        f"{w('title.badges', lang)} — {org_label(view.org, names)}",
        f"{w('param.on', lang).lower()} {l10n.day(view.on, lang)}: "
        f"{l10n.number(len(view.due), lang)} {w('members', lang)}",
    ]
    rows = [
        [d["member"], names.member(d["member"]),
         f"{w('badge', lang)} {d['years']} {w('years', lang)}",
         f"({w('member.party_age', lang)} {d['party_age_years']})"]
        for d in view.due
    ]  # fmt: skip
    return "\n".join(lines + columns(rows))


def quality(view: QualityReport, names: Names, lang: str = "vi") -> str:
    """The quality report as text: the counts, then every finding with its names."""
    w = l10n.word
    total = sum(view.counts.values())
    lines = [
        f"{w('title.quality', lang)} — {org_label(view.org, names)}",
        f"{_when(view.as_of, view.known_at, lang)}: {l10n.number(total, lang)} "
        f"{w('findings', lang)}",
    ]
    lines += columns(
        [[l10n.kind(kind, lang), l10n.number(count, lang)] for kind, count in view.counts.items()]
    )
    for f in view.findings:
        who = f["member"] or "-"
        name = names.member(f["member"])
        lines.append(
            f"  [{l10n.kind(f['kind'], lang)}] {org_label(f['org'], names) or '-'}; "
            f"{who}{f' ({name})' if name else ''}; {f['fact'] or '-'}: "
            f"{detail(f['kind'], f['detail'], lang)}"
        )
    return "\n".join(lines)
