"""The read models' compact columns: knowledge times, org paths, the fact log's second path."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from projections.knowledge import EARLIEST_TIME, LATEST_TIME, OPEN_TIME, utc_text
from projections.logrows import LogChanges
from projections.runner import path_segment

MOMENTS = st.datetimes(
    min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)
)


@given(MOMENTS, MOMENTS)
def test_knowledge_times_sort_as_the_times_do(a: datetime, b: datetime) -> None:
    assert (utc_text(a) < utc_text(b)) == (a < b)
    assert (utc_text(a) == utc_text(b)) == (a == b)
    assert EARLIEST_TIME <= utc_text(a) <= LATEST_TIME < OPEN_TIME


def test_a_knowledge_time_is_fourteen_digits_and_microseconds_only_when_there_are_some() -> None:
    hanoi = timezone(timedelta(hours=7))
    assert utc_text(datetime(2010, 6, 16, 9, tzinfo=hanoi)) == "20100616020000"
    assert utc_text(datetime(2010, 6, 16, 9, 0, 0, 5, tzinfo=hanoi)) == "20100616020000000005"
    assert utc_text(datetime(1, 1, 1, 3, tzinfo=hanoi)) == EARLIEST_TIME


def test_an_org_path_segment_is_its_registration_position_in_base_36() -> None:
    assert [path_segment(n) for n in (0, 1, 35, 36, 52_748)] == ["0", "1", "z", "10", "14p8"]
    assert len({path_segment(n) for n in range(1, 5000)}) == 4999


def test_the_fact_log_keeps_a_second_path_only_for_a_transfer_out() -> None:
    changes = LogChanges()
    moment = datetime(2020, 1, 1, tzinfo=UTC)
    changes._add(1, "o", 1, "f1", "member.admitted", "m", "c1", "/1/2/", "/1/2/",
                 "2020-01-01", moment, {})  # fmt: skip
    changes._add(2, "o", 2, "f2", "member.transferred_out", "m", "c1", "/1/2/", "/1/3/",
                 "2020-01-01", moment, {})  # fmt: skip
    assert [row[8] for row in changes.rows] == [None, "/1/3/"]
