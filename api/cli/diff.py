"""``ledger report diff``: the auditor's diff of SPEC §5, as text, JSON, CSV or XLSX.

What did the register say then, what do we know now, and which facts made the difference.
"""

from __future__ import annotations

from datetime import datetime, time
from pathlib import Path
from typing import Annotated

import typer

from api.cli import diff_export, files
from api.cli.annual_text import OCCUPATION_WORDS, number
from api.cli.common import (
    DbOption,
    FormatOption,
    JsonOption,
    OutOption,
    answer,
    check_format,
    fail,
    json_text,
    known_at_of,
    read_models,
    report_app,
)
from commands.application import local_now
from ledger.facts import FIRST_DAY, LAST_DAY
from projections.reports.diff import AnnualDiff, ChangedFigure, DiffFact

WORDS = {
    "vi": {
        "title": "Báo cáo năm {year} — {org}: biết đến {then} so với {now}",
        "now": "nay",
        "none": "Không chỉ tiêu nào thay đổi.",
        "changed": "{n} chỉ tiêu thay đổi.",
        "retracted": "(rút lại)",
        "no_facts": "(không có sự kiện nào ghi nhận trong khoảng này)",
        "previous": "năm trước",
    },
    "en": {
        "title": "Annual report {year} — {org}: known at {then} against {now}",
        "now": "now",
        "none": "No figure changed.",
        "changed": "{n} figures changed.",
        "retracted": "(retracted)",
        "no_facts": "(no fact recorded in between)",
        "previous": "previous year",
    },
}

FIGURE_WORDS = {
    "vi": {
        "members_at_start": "đảng viên đầu năm", "members_at_end": "đảng viên cuối năm",
        "admitted": "kết nạp", "readmitted": "kết nạp lại", "female": "nữ",
        "youth_union": "đoàn viên", "private_business_owner": "chủ doanh nghiệp tư nhân",
        "population_policy_violation": "vi phạm chính sách dân số",
        "probation_completed": "công nhận chính thức", "transferred_in": "chuyển đến",
        "transferred_out": "chuyển đi", "internal_moves": "chuyển trong nội bộ",
        "badges_awarded": "tặng Huy hiệu Đảng", "expelled": "khai trừ", "removed": "xóa tên",
        "resigned": "xin ra khỏi Đảng", "died": "từ trần",
        "in_transit_at_end": "đang chuyển sinh hoạt cuối năm",
        "dossiers_recorded_at_end": "hồ sơ trong cơ sở dữ liệu cuối năm",
        "admitted_with_dossier": "kết nạp có hồ sơ",
    },
    "en": {
        "members_at_start": "members at the start", "members_at_end": "members at the end",
        "admitted": "admitted", "readmitted": "re-admitted", "female": "women",
        "youth_union": "youth union members", "private_business_owner": "private business owners",
        "population_policy_violation": "population-policy violators",
        "probation_completed": "recognised as official", "transferred_in": "transferred in",
        "transferred_out": "transferred out", "internal_moves": "internal moves",
        "badges_awarded": "badges awarded", "expelled": "expelled", "removed": "removed",
        "resigned": "resigned", "died": "died", "in_transit_at_end": "in transit at the end",
        "dossiers_recorded_at_end": "dossiers in the database at the end",
        "admitted_with_dossier": "admitted with a dossier",
    },
}  # fmt: skip


@report_app.command("diff")
def diff_command(
    org: Annotated[str, typer.Argument(help="The org whose subtree is reported.")],
    year: Annotated[
        int,
        typer.Option("--year", help="The calendar year.", min=FIRST_DAY.year, max=LAST_DAY.year),
    ],
    known_at: Annotated[
        str,
        typer.Option(
            "--known-at",
            help="Then: what the register said at this time (ISO date-time; a date means its end).",
        ),
    ],
    against: Annotated[
        str | None,
        typer.Option(
            "--against", help="Now: compare with what was known at this time (default: now)."
        ),
    ] = None,
    json_output: JsonOption = False,
    lang: Annotated[str, typer.Option("--lang", help="vi (default) or en.")] = "vi",
    fmt: FormatOption = "text",
    out: OutOption = None,
    db: DbOption = None,
) -> None:
    """The annual report known then against known now, and the facts that changed it."""
    if lang not in ("vi", "en"):
        fail(f"--lang must be vi or en, not {lang!r}")
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
    write(report, json_output, fmt, out, lang, now is None)


def write(
    report: AnnualDiff, json_output: bool, fmt: str, out: Path | None, lang: str, live: bool
) -> None:
    """Print the diff, or write it to ``out``."""
    if fmt == "xlsx":
        assert out is not None
        with files.replaced(out, "wb") as stream:
            diff_export.to_xlsx(report, lang, stream)
        typer.echo(f"diff report written to {out}")
        return
    if json_output:
        text = json_text(report)
    elif fmt == "csv":
        text = diff_export.to_csv(report, lang)
    else:
        text = render(report, lang, live) + "\n"
    if out is None:
        typer.echo(text, nl=False)
        return
    with files.replaced(out) as stream:
        stream.write(text)
    typer.echo(f"diff report written to {out}")


def render(report: AnnualDiff, lang: str = "vi", live: bool = False) -> str:
    """The diff as text: a title, then each changed figure and the facts that changed it.

    ``live``: the later time is the moment of the answer ("now"), not a time asked for.
    """
    words = WORDS[lang]
    now = words["now"] if live else moment(report.now, lang)
    lines = [
        words["title"].format(year=report.year, org=report.org,
                              then=moment(report.then, lang), now=now),
        words["changed"].format(n=len(report.figures)) if report.figures else words["none"],
    ]  # fmt: skip
    for figure in report.figures:
        lines += ["", figure_line(figure, lang)]
        lines += [f"    {fact_line(fact, lang)}" for fact in figure.facts]
        if not figure.facts:
            lines.append(f"    {words['no_facts']}")
    return "\n".join(lines)


def moment(label: str, lang: str) -> str:
    """A knowledge time for a title: '15/01/2022' (vi) or '2022-01-15' (en) for the end of a
    day, else with the time of day as recorded ('15/01/2022 09:30')."""
    at = datetime.fromisoformat(label)
    day = at.strftime("%d/%m/%Y") if lang == "vi" else at.date().isoformat()
    if at.time() == time.max:
        return day
    return f"{day} {at.strftime('%H:%M:%S' if at.second else '%H:%M')}"


def figure_line(figure: ChangedFigure, lang: str) -> str:
    """'died — từ trần: 1.435 → 1.560 (+125)'."""
    delta = figure.now - figure.then
    sign = "+" if delta > 0 else "-"
    return (
        f"{figure.figure} — {figure_words(figure.figure, lang)}: {number(figure.then, lang)} → "
        f"{number(figure.now, lang)} ({sign}{number(abs(delta), lang)})"
    )


def figure_words(key: str, lang: str) -> str:
    """The figure's name in words: 'nữ (kết nạp)', 'Huy hiệu 30 năm', '… (năm trước)'."""
    previous = key.startswith("previous_year.")
    parts = key.removeprefix("previous_year.").split(".")
    names = FIGURE_WORDS[lang]
    if parts[0] == "badges_by_years":
        text = f"Huy hiệu {parts[1]} năm" if lang == "vi" else f"{parts[1]}-year badges"
    elif parts[0] == "admitted_by":
        leaf = parts[-1]
        text = OCCUPATION_WORDS[lang].get(leaf, leaf) if len(parts) == 3 else names[leaf]
        text += f" ({names['admitted']})"
    else:
        text = names.get(parts[0], parts[0])
    return f"{text} ({WORDS[lang]['previous']})" if previous else text


def fact_line(fact: DiffFact, lang: str) -> str:
    """'2022-01-16T09:00:00+07:00  member.died  hp-m0000468  2021-12-09  hp-f0004791'."""
    line = f"{fact['recorded_at']}  {fact['type']}  {fact['member']}  {fact['on']}  {fact['id']}"
    return f"{line}  {WORDS[lang]['retracted']}" if fact["retracted"] else line
