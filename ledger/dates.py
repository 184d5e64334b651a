"""Calendar arithmetic of the spec: month and year steps clamp to the month's last day."""

from __future__ import annotations

from datetime import date, timedelta

_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def add_months(day: date, months: int) -> date:
    """Return ``day + months``, keeping the day of month clamped to the month's last day."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    if day.day <= 28:  # every month has it: the common case needs no calendar
        return date(year, month, day.day)
    return date(year, month, min(day.day, last_day_of_month(year, month)))


def last_day_of_month(year: int, month: int) -> int:
    """The number of days of ``month`` in ``year`` (Gregorian)."""
    if month == 2 and year % 4 == 0 and (year % 100 != 0 or year % 400 == 0):
        return 29
    return _MONTH_DAYS[month - 1]


def add_years(day: date, years: int) -> date:
    """Return ``day + years`` (2020-02-29 + 1 year = 2021-02-28)."""
    return add_months(day, 12 * years)


def whole_years(start: date, end: date) -> int:
    """Whole calendar years from ``start`` to ``end``: the largest N with start + N years <= end."""
    if end < start:
        return 0
    years = end.year - start.year
    if add_years(start, years) > end:
        years -= 1
    return years


def party_age_years(
    first_admission: date, gap_days: int, day: date, frozen_on: date | None = None
) -> int:
    """Party age at ``day``: whole years from the first admission shifted by the gap days.

    ``frozen_on``, the date of an exit or a death, stops the count there (SPEC §4). The one
    party-age function: the rules, the member view and the badges report all call it.
    """
    end = min(day, frozen_on) if frozen_on is not None else day
    return whole_years(first_admission + timedelta(days=gap_days), end)
