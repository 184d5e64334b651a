"""``ledger report diff``: the auditor's diff of SPEC §5, as text, JSON, CSV or XLSX.

What did the register say then, what do we know now, and which facts made the difference.
"""

from typing import Annotated

import typer

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
    from api.cli import diff_text
    from api.formats import sheets

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
        names = names_for(
            models,
            [org, *(f["org"] for f in facts)],
            [f["member"] for f in facts],
            in_words(json_output, fmt),
        )
    emit("diff", report, json_output, fmt, out,
         lambda: diff_text.render(report, names, lang, live=now is None),
         lambda: sheets.diff(report, names, lang))  # fmt: skip
