"""Month arithmetic (SPEC §1) against the standard library's calendar."""

from __future__ import annotations

import calendar
from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from ledger.dates import add_months, last_day_of_month


def test_the_last_day_of_every_month_matches_the_calendar() -> None:
    for year in range(1, 10_000):
        for month in range(1, 13):
            assert last_day_of_month(year, month) == calendar.monthrange(year, month)[1]


@given(st.dates(min_value=date(1800, 1, 1), max_value=date(2200, 12, 31)), st.integers(-600, 1200))
def test_add_months_keeps_the_day_clamped_to_the_month_end(day: date, months: int) -> None:
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    expected = date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))
    assert add_months(day, months) == expected


def test_the_spec_example_clamps_february() -> None:
    assert add_months(date(2020, 2, 29), 12) == date(2021, 2, 28)
    assert add_months(date(2020, 1, 31), 1) == date(2020, 2, 29)
