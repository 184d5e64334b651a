"""``ledger report diff``: the auditor's diff of SPEC §5, as text, JSON, CSV or XLSX.

What did the register say then, what do we know now, and which facts made the difference.
"""

from typing import Annotated

import typer

from api.cli import l10n, sheets
from api.cli.common import (
    DbOption,
    FormatOption,
    JsonOption,
    LangOption,
    OutOption,
    answer,
    check_format,
    check_lang,
    emit,
    fail,
    in_words,
    known_at_of,
    names_for,
    read_models,
    report_app,
)
from commands.clock import local_now
from ledger.facts import FIRST_DAY, LAST_DAY
from projections.reports.diff import AnnualDiff, ChangedFigure, DiffFact
from projections.reports.names import Names


@report_app.command(
    "diff", epilog="Example: ledger report diff hp --year 2021 --known-at 2022-01-15"
)
def diff_command(
    org: Annotated[str, typer.Argument(metavar="ORG", help="The org whose subtree is reported.")],
    year: Annotated[
        int,
        typer.Option(
            "--year",
            metavar="YEAR",
            help="The calendar year.",
            min=FIRST_DAY.year,
            max=LAST_DAY.year,
        ),
    ],
    known_at: Annotated[
        str,
        typer.Option(
            "--known-at",
            metavar="TIME",
            help="Then: what the register said at this time (a date means its end).",
        ),
    ],
    against: Annotated[
        str | None,
        typer.Option(
            "--against",
            metavar="TIME",
            help="Now: compare with what was known at this time (default: now).",
        ),
    ] = None,
    json_output: JsonOption = False,
    lang: LangOption = "vi",
    fmt: FormatOption = "text",
    out: OutOption = None,
    db: DbOption = None,
) -> None:
    """The annual report known then against known now, and the facts that changed it."""
    check_lang(lang)
    check_format(fmt, out, db)
    clock = local_now()
    then, then_label = known_at_of(known_at, clock)
    now, now_label = known_at_of(against, clock)
    assert then is not None
    if then > (now or clock):
        what = f"--against {against}" if against is not None else "now"
        fail(f"--known-at {known_at} is after {what}: the diff compares an earlier time "
             "with a later one")  # fmt: skip
    with read_models(db) as models:
        report = answer(
            lambda: models.annual_diff(
                org, year=year, then=then, now=now, then_label=then_label, now_label=now_label
            )
        )
        facts = [fact for figure in report.figures for fact in figure.facts]
        names = (
            names_for(models, [org, *(f["org"] for f in facts)], [f["member"] for f in facts])
            if in_words(json_output, fmt)
            else Names()
        )
    emit("diff", report, json_output, fmt, out,
         lambda: render(report, names, lang, live=now is None),
         lambda: sheets.diff(report, names, lang))  # fmt: skip


def render(report: AnnualDiff, names: Names, lang: str = "vi", live: bool = False) -> str:
    """The diff as text: a title, then each changed figure and the facts that changed it.

    ``live``: the later time is the moment of the answer ("now"), not a time asked for.
    """
    w = l10n.word
    now = w("diff.now", lang) if live else l10n.moment(report.now, lang)
    count = len(report.figures)
    lines = [
        f"{w('title.diff', lang)} {report.year} — {sheets.org_label(report.org, names)}",
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
