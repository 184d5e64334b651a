"""A quality finding's detail in the reader's language.

The report's JSON carries ``detail`` as English free text (SPEC §4), written by
``projections.reports.quality`` in a few fixed shapes. The text and spreadsheets restate the
shapes they know in the language, with its numbers and days; a detail of any other shape
(``unreadable_history``'s reasons, or a shape this module does not know yet) is shown as it is.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from api.formats import l10n

Match = re.Match[str]
DAY = r"(\d{4}-\d{2}-\d{2})"

PATTERNS: dict[str, tuple[re.Pattern[str], Callable[[Match, str], str]]] = {}


def _shape(kind: str, pattern: str) -> Callable[[Callable[[Match, str], str]], None]:
    def register(say: Callable[[Match, str], str]) -> None:
        PATTERNS[kind] = (re.compile(pattern), say)

    return register


def detail(kind: str, text: str, lang: str) -> str:
    """``text``, the detail of a finding of ``kind``, restated in ``lang``."""
    shape = PATTERNS.get(kind)
    if shape is None:
        return text
    found = shape[0].fullmatch(text)
    return shape[1](found, lang) if found else text


def _day(found: Match, group: int, lang: str) -> str:
    return l10n.day(found.group(group), lang)


def _n(found: Match, group: int, lang: str) -> str:
    return l10n.number(int(found.group(group)), lang)


@_shape("transfer_overdue", rf"transferred out to (.*) on {DAY}; in transit for (\d+) days")
def _transfer(found: Match, lang: str) -> str:
    to, on, days = found.group(1), _day(found, 2, lang), _n(found, 3, lang)
    if lang == "vi":
        return f"chuyển sinh hoạt đi {to} ngày {on}; đang chuyển sinh hoạt {days} ngày"
    return f"transferred out to {to} on {on}; in transit for {days} days"


@_shape("away_over_12_months", rf"away since {DAY} without an official transfer")
def _away(found: Match, lang: str) -> str:
    since = _day(found, 1, lang)
    if lang == "vi":
        return f"đi vắng từ {since}, không chuyển sinh hoạt chính thức"
    return f"away since {since} without an official transfer"


@_shape("probation_overdue", rf"probation started {DAY}; decision due {DAY}")
def _probation(found: Match, lang: str) -> str:
    start, due = _day(found, 1, lang), _day(found, 2, lang)
    if lang == "vi":
        return f"dự bị từ {start}; hạn xét công nhận chính thức {due}"
    return f"probation started {start}; decision due {due}"


@_shape("late_report", rf"(\S+) of {DAY} recorded (\d+) days later")
def _late(found: Match, lang: str) -> str:
    what, on, days = l10n.fact_type(found.group(1), lang), _day(found, 2, lang), _n(found, 3, lang)
    if lang == "vi":
        return f"{what} ngày {on}, ghi nhận chậm {days} ngày"
    return f"{what} of {on} recorded {days} days later"


@_shape("missing_dossier", "no dossier recorded in the database")
def _dossier(found: Match, lang: str) -> str:
    return "chưa có hồ sơ trong cơ sở dữ liệu" if lang == "vi" else found.group(0)


@_shape("anomaly", rf"(\S+) dated after the death on {DAY}; it changes nothing")
def _anomaly(found: Match, lang: str) -> str:
    what, died = l10n.fact_type(found.group(1), lang), _day(found, 2, lang)
    if lang == "vi":
        return f"{what} có ngày sau ngày từ trần {died}; không có hiệu lực"
    return f"{what} dated after the death on {died}; it changes nothing"


@_shape(
    "count_mismatch",
    rf"declared (\d+) on {DAY}; the register holds (\d+) \(([+-]\d+)\)",
)
def _count(found: Match, lang: str) -> str:
    declared, on, held = _n(found, 1, lang), _day(found, 2, lang), _n(found, 3, lang)
    delta = int(found.group(4))
    signed = ("+" if delta >= 0 else "-") + l10n.number(abs(delta), lang)
    if lang == "vi":
        return f"báo cáo {declared} ngày {on}; sổ có {held} ({signed})"
    return f"declared {declared} on {on}; the register holds {held} ({signed})"
