"""The dashboard in a real browser: what a registrar or a committee member does with it.

Each test drives Debian's Chromium (``conftest.py``) against the served demo city and saves a
screenshot for ``docs/ui.md``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.web.conftest import shot

LATE_DEATH = "hp-m0000042"
"""Died 21 Aug 2021, recorded 15 Feb 2022: not in the report as known on 15 Jan 2022."""
CELL = "hp.d20.g09.c1"
"""A cell (chi bộ) of the demo city with members on its roster today."""


def _count(page: Any, org: str) -> int:
    return int(page.locator(f'td[data-org="{org}"]').inner_text().replace(".", "").replace(",", ""))


def test_the_org_tree_counts_change_with_the_as_of_date(signed_in: Any, shots: Path) -> None:
    page = signed_in
    page.get_by_label("Tính đến ngày").fill("2011-12-31")
    page.get_by_role("button", name="Xem").click()
    page.wait_for_url("**as_of=2011-12-31**")
    then = _count(page, "hp")
    page.get_by_label("Tính đến ngày").fill("2021-12-31")
    page.get_by_role("button", name="Xem").click()
    page.wait_for_url("**as_of=2021-12-31**")
    shot(page, shots, "orgs")
    later = _count(page, "hp")
    assert then > 0 and later > 0
    assert then != later


def test_the_org_page_shows_the_annual_report_in_either_language(
    signed_in: Any, shots: Path
) -> None:
    page = signed_in
    page.get_by_role("link", name="Đảng bộ thành phố Hải Phòng").click()
    page.get_by_label("Năm").fill("2021")
    page.get_by_role("button", name="Xem").click()
    page.wait_for_url("**year=2021**")
    heading = page.get_by_role("heading", level=1).inner_text()
    assert heading.startswith("Báo cáo năm 2021 — Đảng bộ thành phố Hải Phòng")  # diacritics
    assert page.locator("svg.chart").count() == 3
    figures = page.locator("#figures")
    assert "Đảng viên cuối năm" in figures.inner_text()
    shot(page, shots, "org-vi")
    page.locator("#switch-lang").click()
    page.wait_for_url("**lang=en**")
    assert page.get_by_role("heading", level=1).inner_text().startswith("Annual report 2021")
    assert "Members at the end of the year" in page.locator("#figures").inner_text()
    assert page.locator("html").get_attribute("lang") == "en"
    shot(page, shots, "org-en")


def test_a_recorded_fact_shows_on_the_roster(signed_in: Any, server: str, shots: Path) -> None:
    page = signed_in
    page.goto(f"{server}/ui/orgs/{CELL}/roster")
    before = int(page.locator("#roster-count").inner_text())
    page.get_by_role("link", name="Ghi sự kiện").click()
    page.get_by_label("Loại sự kiện").select_option("member.admitted")
    page.get_by_label("Ngày có hiệu lực").fill("2026-01-10")
    page.get_by_label("Mã đảng viên").fill("hp-web-0001")
    page.get_by_label("Mã tổ chức").fill(CELL)
    page.get_by_label("Văn bản").fill("QĐ 1-QĐ/ĐU")
    page.get_by_label("Các trường khác (JSON)").fill(
        '{"person": {"name": "Trần Thị Ánh", "gender": "female"}, "youth_union": true, '
        '"occupation": "teacher_or_health"}'
    )
    page.get_by_role("button", name="Ghi sự kiện").click()
    outcome = page.locator("#outcome")
    assert "Đã ghi sự kiện" in outcome.inner_text()
    shot(page, shots, "record-accepted")
    outcome.get_by_role("link", name=f"Danh sách {CELL}").click()
    assert int(page.locator("#roster-count").inner_text()) == before + 1
    page.get_by_label("Tìm theo tên hoặc mã").fill("tran thi anh")  # accents aside
    page.get_by_role("button", name="Xem").click()
    assert "Trần Thị Ánh" in page.locator("#roster").inner_text()
    shot(page, shots, "roster")


def test_a_refused_fact_shows_its_code_and_message(
    signed_in: Any, server: str, shots: Path
) -> None:
    page = signed_in
    page.goto(f"{server}/ui/record?lang=en")
    page.get_by_label("Fact type").select_option("member.died")
    page.get_by_label("Effective date").fill("2021-09-01")
    page.get_by_label("Member id").fill(LATE_DEATH)  # died already, on 21 Aug 2021
    page.get_by_role("button", name="Record the fact").click()
    alert = page.get_by_role("alert")
    text = alert.inner_text()
    assert text.startswith("Refused:")
    code = alert.locator("code").inner_text()
    assert code and code != "internal_error"
    assert page.get_by_label("Member id").input_value() == LATE_DEATH  # the form kept it
    shot(page, shots, "record-refused")


def test_the_auditors_diff_leads_to_the_late_death(
    signed_in: Any, server: str, shots: Path
) -> None:
    page = signed_in
    page.goto(f"{server}/ui/orgs/hp?lang=en")
    page.get_by_role("link", name="Auditor's diff").first.click()
    page.get_by_label("Year").fill("2021")
    page.get_by_label("Known at (empty: now)").fill("2022-01-15")
    page.get_by_role("button", name="Show").click()
    died = page.locator("section.changed", has=page.get_by_role("heading", name="Died"))
    assert died.count() == 1
    link = died.locator(f'a.member-link:has-text("{LATE_DEATH}")')
    assert link.count() == 1
    shot(page, shots, "diff")
    link.click()
    page.wait_for_url(f"**/ui/members/{LATE_DEATH}**")
    timeline = page.locator("#timeline")
    row = timeline.locator("tr", has_text="died")
    assert "2021-08-21" in row.inner_text() and "2022-02-15" in row.inner_text()
    assert "recorded after the year's report" in row.inner_text()
    assert page.locator("#member-status").inner_text() == "died"
    shot(page, shots, "member")
