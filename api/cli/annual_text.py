"""The annual report as prose, in Vietnamese (the seed's wording) or English.

Each figure is stated the way the 2021 Hải Phòng report states it: the count, its share in
percent with two decimals, and the change on the previous year; the org is named beside its
id, and the subordinate committees recording in the year are counted as the report counts the
committees using the database ("35/35 đảng bộ trực thuộc").
"""

from __future__ import annotations

from functools import partial

from api.formats.l10n import LANGS, moment, number, occupation, org_label, percent
from ledger.facts import OCCUPATIONS
from projections.reports.annual import AnnualFigures, AnnualReport
from projections.reports.committees import Committees
from projections.reports.names import Names

__all__ = ["OCCUPATION_WORDS", "change", "number", "percent", "render"]

OCCUPATION_WORDS = {lang: {job: occupation(job, lang) for job in OCCUPATIONS} for lang in LANGS}
"""The occupations in words, per language (the words live in ``l10n``; kept for the diff)."""


def change(now: int, before: int, year: int, lang: str, unit: str = "") -> str:
    """'tăng 388 người so với năm 2020' / 'up 388 on 2020'."""
    delta = now - before
    if lang == "vi":
        if delta == 0:
            return f"bằng năm {year}"
        word = "tăng" if delta > 0 else "giảm"
        return f"{word} {number(abs(delta), lang)}{unit or ' người'} so với năm {year}"
    if delta == 0:
        return f"the same as {year}"
    word = "up" if delta > 0 else "down"
    return f"{word} {number(abs(delta), lang)} on {year}"


def render(
    report: AnnualReport,
    lang: str = "vi",
    names: Names | None = None,
    committees: Committees | None = None,
) -> str:
    """The whole report as text (``committees``: those of the report's year, if counted)."""
    write = _vietnamese if lang == "vi" else _english
    return write(report, names or Names(), committees)


def _committees(c: Committees | None, lang: str) -> list[str]:
    if c is None or not c.committees:
        return []
    ratio = f"{len(c.recording)}/{len(c.committees)}"
    share = percent(len(c.recording), len(c.committees), lang)
    if lang == "vi":
        return [
            f"Cơ sở dữ liệu đảng viên có dữ liệu ghi nhận trong năm {c.year} tại {ratio} "
            f"({share}) đảng bộ trực thuộc."
        ]
    return [f"Subordinate committees recording in {c.year}: {ratio} ({share})."]


def _vietnamese(r: AnnualReport, names: Names, committees: Committees | None) -> str:
    n, prev, y0 = partial(number, lang="vi"), r.previous_year, r.year - 1
    by, pby = r.admitted_by, prev.admitted_by
    adm = r.admitted
    jobs = "; ".join(
        f"{n(count)} {occupation(job, 'vi')}, chiếm {percent(count, adm, 'vi')}"
        for job, count in by.occupation.items()
        if count
    )
    moves = r.transferred_in + r.transferred_out
    lines = [
        f"BÁO CÁO CÔNG TÁC ĐẢNG VIÊN NĂM {r.year} — {org_label(r.org, names)}",
        f"(số liệu biết đến {moment(r.known_at, 'vi')})",
        "",
        f"Kết nạp được {n(adm)} đảng viên ({change(adm, prev.admitted, y0, 'vi')}), trong đó có "
        f"{n(by.private_business_owner)} chủ doanh nghiệp tư nhân; "
        f"{n(by.population_policy_violation)} quần chúng vi phạm chính sách dân số kế hoạch "
        f"hóa gia đình và {n(r.readmitted)} quần chúng kết nạp lại; có {n(by.female)} nữ, "
        f"chiếm {percent(by.female, adm, 'vi')}, "
        f"{change(by.female, pby.female, y0, 'vi')}; "
        f"có {n(by.youth_union)} đoàn viên TNCS Hồ Chí Minh, chiếm "
        f"{percent(by.youth_union, adm, 'vi')}, "
        f"{change(by.youth_union, pby.youth_union, y0, 'vi')}" + (f"; có {jobs}." if jobs else "."),
        f"Công nhận đảng viên chính thức: {n(r.probation_completed)} "
        f"({change(r.probation_completed, prev.probation_completed, y0, 'vi')}).",
        f"Có {n(moves)} lượt đảng viên chuyển sinh hoạt đảng chính thức, trong đó có "
        f"{n(r.transferred_out)} lượt chuyển đi và {n(r.transferred_in)} lượt chuyển đến; "
        f"{n(r.internal_moves)} lượt chuyển trong nội bộ; {n(r.in_transit_at_end)} đảng "
        f"viên đang chuyển sinh hoạt tại 31-12-{r.year}.",
        *_committees(committees, "vi"),
        f"Tính đến 31-12-{r.year}, tổng số đảng viên là {n(r.members_at_end)} "
        f"(đầu năm {n(r.members_at_start)}), trong đó hồ sơ đảng viên đã được cập nhật vào cơ "
        f"sở dữ liệu là {n(r.dossiers_recorded_at_end)}, đạt tỷ lệ "
        f"{percent(r.dossiers_recorded_at_end, r.members_at_end, 'vi')}; hồ sơ đảng viên "
        f"mới kết nạp được cập nhật vào cơ sở dữ liệu là {n(r.admitted_with_dossier)} hồ sơ, "
        f"đạt tỷ lệ {percent(r.admitted_with_dossier, adm, 'vi')}.",
        f"Xét tặng Huy hiệu Đảng cho {n(r.badges_awarded)} đảng viên "
        f"({change(r.badges_awarded, prev.badges_awarded, y0, 'vi')})" + _badges(r, "vi") + ".",
        f"Số đảng viên bị khai trừ là {n(r.expelled)}, "
        f"{change(r.expelled, prev.expelled, y0, 'vi')}; đảng viên bị xóa tên là "
        f"{n(r.removed)}, {change(r.removed, prev.removed, y0, 'vi')}; đảng viên xin ra "
        f"khỏi Đảng là {n(r.resigned)} đảng viên, "
        f"{change(r.resigned, prev.resigned, y0, 'vi')}; từ trần {n(r.died)} "
        f"({change(r.died, prev.died, y0, 'vi')}).",
        f"Cân đối số liệu: {_balance(r, 'vi')}",
    ]
    return "\n".join(lines)


def _english(r: AnnualReport, names: Names, committees: Committees | None) -> str:
    n, prev, y0 = partial(number, lang="en"), r.previous_year, r.year - 1
    by, pby = r.admitted_by, prev.admitted_by
    adm = r.admitted
    jobs = "; ".join(
        f"{n(count)} {occupation(job, 'en')} ({percent(count, adm, 'en')})"
        for job, count in by.occupation.items()
        if count
    )
    moves = r.transferred_in + r.transferred_out
    lines = [
        f"MEMBERSHIP REPORT {r.year} — {org_label(r.org, names)}",
        f"(as known at {moment(r.known_at, 'en')})",
        "",
        f"Admitted {n(adm)} members ({change(adm, prev.admitted, y0, 'en')}), including "
        f"{n(by.private_business_owner)} private business owners, "
        f"{n(by.population_policy_violation)} population-policy violators and "
        f"{n(r.readmitted)} re-admitted; {n(by.female)} women = "
        f"{percent(by.female, adm, 'en')} ({change(by.female, pby.female, y0, 'en')}); "
        f"{n(by.youth_union)} youth union members = {percent(by.youth_union, adm, 'en')} "
        f"({change(by.youth_union, pby.youth_union, y0, 'en')})" + (f"; {jobs}." if jobs else "."),
        f"Probation completed: {n(r.probation_completed)} "
        f"({change(r.probation_completed, prev.probation_completed, y0, 'en')}).",
        f"Official transfers: {n(moves)} = {n(r.transferred_out)} out + "
        f"{n(r.transferred_in)} in; {n(r.internal_moves)} moves inside; "
        f"{n(r.in_transit_at_end)} members in transit at 31-12-{r.year}.",
        *_committees(committees, "en"),
        f"Members at 31-12-{r.year}: {n(r.members_at_end)} (at the start of the year: "
        f"{n(r.members_at_start)}); dossiers in the database "
        f"{n(r.dossiers_recorded_at_end)} = "
        f"{percent(r.dossiers_recorded_at_end, r.members_at_end, 'en')}; admitted in "
        f"{r.year} with dossier {n(r.admitted_with_dossier)} = "
        f"{percent(r.admitted_with_dossier, adm, 'en')}.",
        f"Badges awarded: {n(r.badges_awarded)} "
        f"({change(r.badges_awarded, prev.badges_awarded, y0, 'en')})" + _badges(r, "en") + ".",
        f"Expelled {n(r.expelled)} ({change(r.expelled, prev.expelled, y0, 'en')}); "
        f"removed {n(r.removed)} ({change(r.removed, prev.removed, y0, 'en')}); "
        f"resigned {n(r.resigned)} ({change(r.resigned, prev.resigned, y0, 'en')}); "
        f"died {n(r.died)} ({change(r.died, prev.died, y0, 'en')}).",
        f"Balance: {_balance(r, 'en')}",
    ]
    return "\n".join(lines)


def _badges(r: AnnualFigures, lang: str) -> str:
    counts = [(years, count) for years, count in r.badges_by_years.items() if count]
    if lang == "vi":
        parts = [f"{number(count, lang)} huy hiệu {years} năm" for years, count in counts]
    else:
        parts = [f"{number(count, lang)} x {years} years" for years, count in counts]
    return (": " + ", ".join(parts)) if parts else ""


def _balance(r: AnnualFigures, lang: str) -> str:
    n = partial(number, lang=lang)
    equation = (
        f"{n(r.members_at_start)} + {n(r.admitted)} + {n(r.transferred_in)} - "
        f"{n(r.transferred_out)} - {n(r.expelled)} - {n(r.removed)} - "
        f"{n(r.resigned)} - {n(r.died)} = {n(r.members_at_end)}"
    )
    if lang == "vi":
        return equation + (" (khớp)" if r.balanced else " (KHÔNG KHỚP)")
    return equation + (" (balanced)" if r.balanced else " (NOT BALANCED)")
