"""The auditor's diff as text, in the reader's language."""

from __future__ import annotations

from api.formats import l10n, sheets
from projections.reports.diff import AnnualDiff, ChangedFigure, DiffFact
from projections.reports.names import Names


def render(report: AnnualDiff, names: Names, lang: str = "vi", live: bool = False) -> str:
    """The diff as text: a title, then each changed figure and the facts that changed it.

    ``live``: the later time is the moment of the answer ("now"), not a time asked for.
    """
    w = l10n.word
    now = w("diff.now", lang) if live else l10n.moment(report.now, lang)
    count = len(report.figures)
    lines = [
        f"{w('title.diff', lang)} {report.year} — {l10n.org_label(report.org, names)}",
        f"{w('param.known_at', lang)} {l10n.moment(report.then, lang)} "
        f"{w('diff.against', lang)} {now}",
        f"{l10n.number(count, lang)} {w('diff.changed', lang)}." if count else w("diff.none", lang),
    ]
    for figure in report.figures:
        lines += ["", figure_line(figure, lang)]
        lines += [f"    {fact_line(fact, names, lang)}" for fact in figure.facts]
        if not figure.facts:
            lines.append(f"    {w('diff.no_facts', lang)}")
    return "\n".join(lines)


def figure_line(figure: ChangedFigure, lang: str) -> str:
    """'Từ trần (died): 1.435 → 1.560 (+125)'."""
    delta = figure.now - figure.then
    sign = "+" if delta > 0 else "-"
    return (
        f"{sheets.figure_label(figure.figure, lang)} ({figure.figure}): "
        f"{l10n.number(figure.then, lang)} → {l10n.number(figure.now, lang)} "
        f"({sign}{l10n.number(abs(delta), lang)})"
    )


def fact_line(fact: DiffFact, names: Names, lang: str) -> str:
    """'16/01/2022 09:00 (+07:00)  Từ trần  hp-m0000468 Nguyễn Văn A  09/12/2021  hp-f0004791'."""
    who = " ".join(part for part in (fact["member"], names.member(fact["member"])) if part)
    line = (
        f"{l10n.moment(fact['recorded_at'], lang)}  {l10n.fact_type(fact['type'], lang)}  "
        f"{who}  {l10n.day(fact['on'], lang)}  {fact['id']}"
    )
    return f"{line}  {l10n.word('diff.retracted', lang)}" if fact["retracted"] else line
