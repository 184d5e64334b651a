"""The reader's language (api.formats.l10n, api.formats.details): numbers, days, times and words."""

from __future__ import annotations

import typing

import pytest

from api.formats import l10n
from api.formats.details import detail
from ledger.facts import FACT_TYPES, OCCUPATIONS
from projections.reports.member import Status
from projections.reports.quality import KINDS


def test_numbers_group_thousands_with_a_dot_in_vietnamese_and_a_comma_in_english() -> None:
    assert l10n.number(11013, "vi") == "11.013"
    assert l10n.number(11013, "en") == "11,013"
    assert l10n.number(127455, "vi") == "127.455"
    assert l10n.number(-1560, "vi") == "-1.560"
    assert l10n.number(0, "en") == "0"


def test_percentages_have_two_decimals_with_the_language_decimal_mark() -> None:
    assert l10n.percent(2079, 3298, "vi") == "63,04%"
    assert l10n.percent(2079, 3298, "en") == "63.04%"
    assert l10n.percent(35, 35, "vi") == "100,00%"
    assert l10n.percent(1, 0, "vi") == "—"


def test_days_are_day_month_year_in_vietnamese_and_iso_in_english() -> None:
    assert l10n.day("2022-01-15", "vi") == "15/01/2022"
    assert l10n.day("2022-01-15", "en") == "2022-01-15"
    assert l10n.day("0021-12-31", "vi") == "31/12/0021"
    assert l10n.day(None, "vi") == ""
    assert l10n.day("not a day", "vi") == "not a day"


def test_knowledge_times_keep_their_own_offset_to_the_minute() -> None:
    assert l10n.moment("2022-01-15T09:00:00+07:00", "vi") == "15/01/2022 09:00 (+07:00)"
    assert l10n.moment("2022-01-15T09:00:00+07:00", "en") == "2022-01-15 09:00 (+07:00)"
    assert l10n.moment("2026-12-02T13:23:52.257380+00:00", "vi") == "02/12/2026 13:23 (+00:00)"
    # A date given as a knowledge time means the end of that day: the day, with its offset.
    assert l10n.moment("2021-06-30T23:59:59.999999-03:30", "en") == "2021-06-30 (-03:30)"
    assert l10n.moment("2021-06-30T23:59:59-03:30", "en") == "2021-06-30 23:59 (-03:30)"
    assert l10n.moment("2021-06-30T08:00:00", "vi") == "30/06/2021 08:00"
    assert l10n.moment("now", "vi") == "now"


def test_every_word_has_both_languages_and_sheet_names_are_valid_in_excel() -> None:
    for key, (vi, en) in l10n.WORDS.items():
        assert vi.strip() and en.strip(), key
    sheets = [words for key, words in l10n.WORDS.items() if key.startswith("sheet.")]
    for vi, en in sheets:
        for name in (vi, en):
            assert len(name) <= 31 and not set(name) & set("[]:*?/\\"), name


def test_every_status_kind_fact_type_and_occupation_has_its_words() -> None:
    for status in typing.get_args(Status):
        assert l10n.status(status, "vi") != f"status.{status}"
    assert l10n.status("official", "vi") == "chính thức"
    assert l10n.status("probationary", "vi") == "dự bị"
    assert l10n.status("in_transit", "vi") == "đang chuyển sinh hoạt"
    assert l10n.status("in_transit", "en") == "in transit"
    for kind in KINDS:
        assert f"kind.{kind}" in l10n.WORDS
    for fact_type in FACT_TYPES:
        assert f"fact.{fact_type}" in l10n.WORDS
    for job in OCCUPATIONS:
        assert f"occupation.{job}" in l10n.WORDS
    assert l10n.fact_type("member.unheard_of", "vi") == "member.unheard_of"


@pytest.mark.parametrize(
    ("kind", "english", "vietnamese"),
    [
        ("count_mismatch", "declared 11013 on 2021-12-31; the register holds 10664 (+349)",
         "báo cáo 11.013 ngày 31/12/2021; sổ có 10.664 (+349)"),
        ("count_mismatch", "declared 2 on 2021-12-31; the register holds 1432 (-1430)",
         "báo cáo 2 ngày 31/12/2021; sổ có 1.432 (-1.430)"),
        ("transfer_overdue", "transferred out to hp.d34 on 2021-09-29; in transit for 93 days",
         "chuyển sinh hoạt đi hp.d34 ngày 29/09/2021; đang chuyển sinh hoạt 93 ngày"),
        ("late_report", "member.died of 2021-12-09 recorded 1074 days later",
         "từ trần ngày 09/12/2021, ghi nhận chậm 1.074 ngày"),
        ("anomaly", "member.card_issued dated after the death on 2021-07-12; it changes nothing",
         "phát thẻ đảng viên có ngày sau ngày từ trần 12/07/2021; không có hiệu lực"),
        ("away_over_12_months", "away since 2020-12-22 without an official transfer",
         "đi vắng từ 22/12/2020, không chuyển sinh hoạt chính thức"),
        ("probation_overdue", "probation started 2020-11-16; decision due 2021-11-16",
         "dự bị từ 16/11/2020; hạn xét công nhận chính thức 16/11/2021"),
        ("missing_dossier", "no dossier recorded in the database",
         "chưa có hồ sơ trong cơ sở dữ liệu"),
    ],
)  # fmt: skip
def test_a_finding_detail_is_restated_in_the_language(
    kind: str, english: str, vietnamese: str
) -> None:
    assert detail(kind, english, "vi") == vietnamese
    restated = {  # English keeps its shape: numbers grouped, fact types in words
        "member.died of 2021-12-09 recorded 1074 days later":
            "died of 2021-12-09 recorded 1,074 days later",
        "member.card_issued dated after the death on 2021-07-12; it changes nothing":
            "card issued dated after the death on 2021-07-12; it changes nothing",
        "declared 11013 on 2021-12-31; the register holds 10664 (+349)":
            "declared 11,013 on 2021-12-31; the register holds 10,664 (+349)",
        "declared 2 on 2021-12-31; the register holds 1432 (-1430)":
            "declared 2 on 2021-12-31; the register holds 1,432 (-1,430)",
    }  # fmt: skip
    assert detail(kind, english, "en") == restated.get(english, english)


def test_a_detail_of_an_unknown_shape_is_shown_as_it_is() -> None:
    assert detail("unreadable_history", "cannot apply fact x: y", "vi") == "cannot apply fact x: y"
    assert detail("count_mismatch", "something else", "vi") == "something else"
