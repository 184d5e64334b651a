"""The reader's language: numbers, percentages, days, knowledge times and every word of the
text reports and spreadsheets, in Vietnamese (``vi``, the default) or English (``en``).

Numbers group thousands with ``.`` in Vietnamese and ``,`` in English (``11.013`` /
``11,013``); percentages have two decimals (``63,04%`` / ``63.04%``). Days are ``15/01/2022``
in Vietnamese and ISO ``2022-01-15`` in English (unambiguous for an English reader anywhere);
a knowledge time is the day, the minute and the offset it was given in:
``15/01/2022 09:00 (+07:00)`` / ``2022-01-15 09:00 (+07:00)``. The JSON of SPEC §4 never
goes through this module.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from projections.reports.names import Names

LANGS = ("vi", "en")


def number(value: int, lang: str) -> str:
    """3298 → '3.298' (vi) or '3,298' (en)."""
    text = f"{value:,}"
    return text.replace(",", ".") if lang == "vi" else text


def percent(part: int, whole: int, lang: str) -> str:
    """Share with two decimals: '63,04%' (vi) or '63.04%' (en); '—' when there is no whole."""
    if not whole:
        return "—"
    text = f"{100 * part / whole:.2f}%"
    return text.replace(".", ",") if lang == "vi" else text


def day(value: str | date | None, lang: str) -> str:
    """An ISO day as the reader writes it: '15/01/2022' (vi), '2022-01-15' (en); '' for None.

    Text that is not an ISO day is returned as it is (the read side never raises).
    """
    if value is None:
        return ""
    try:
        parsed = value if isinstance(value, date) else date.fromisoformat(value)
    except ValueError:
        return str(value)
    return f"{parsed.day:02d}/{parsed.month:02d}/{parsed.year:04d}" if lang == "vi" else str(parsed)


def moment(value: str, lang: str) -> str:
    """A knowledge or recording time (ISO text with offset) to the minute, in its own offset:
    '15/01/2022 09:00 (+07:00)' (vi), '2022-01-15 09:00 (+07:00)' (en); the end of a day (a
    date given as a knowledge time) is that day, with its offset. Other text is kept."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return value
    when = f"{day(parsed.date(), lang)} {parsed:%H:%M}"
    if parsed.time() == time.max:  # "known at 2022-01-15": the end of that day
        when = day(parsed.date(), lang)
    if parsed.tzinfo is None:
        return when
    offset = parsed.strftime("%z")  # +0700
    return f"{when} ({offset[:3]}:{offset[3:5]})" if offset else when


def org_label(org: str | None, names: Names) -> str:
    """'Đảng bộ thành phố Hải Phòng (hp)', or the id alone when the org has no name."""
    if org is None:
        return ""
    name = names.org(org)
    return f"{name} ({org})" if name else org


def word(key: str, lang: str) -> str:
    """A label of the reports in the language; an unknown key is returned as it is."""
    entry = WORDS.get(key)
    if entry is None:
        return key
    return entry[0] if lang == "vi" else entry[1]


def yes_no(value: bool, lang: str) -> str:
    """'có' / 'không' (vi), 'yes' / 'no' (en)."""
    return word("yes" if value else "no", lang)


def status(value: str | None, lang: str) -> str:
    """A member status or standing of SPEC §4 in words (official → chính thức)."""
    return word(f"status.{value}", lang) if value else ""


def fact_type(value: str, lang: str) -> str:
    """A fact type in words (member.admitted → kết nạp); an unknown type is kept."""
    key = f"fact.{value}"
    return word(key, lang) if key in WORDS else value


def kind(value: str, lang: str) -> str:
    """A quality finding kind in words (transfer_overdue → chuyển sinh hoạt quá hạn)."""
    key = f"kind.{value}"
    return word(key, lang) if key in WORDS else value


def occupation(value: str, lang: str) -> str:
    """An occupation category in words, as the 2021 report names it."""
    key = f"occupation.{value}"
    return word(key, lang) if key in WORDS else value


# One table of words: key → (Vietnamese, English).
WORDS: dict[str, tuple[str, str]] = {
    "yes": ("có", "yes"),
    "no": ("không", "no"),
    # Member statuses and standings (SPEC §4).
    "status.not_member": ("chưa là đảng viên", "not a member"),
    "status.probationary": ("dự bị", "probationary"),
    "status.official": ("chính thức", "official"),
    "status.in_transit": ("đang chuyển sinh hoạt", "in transit"),
    "status.transferred_away": ("đã chuyển đi", "transferred away"),
    "status.expelled": ("bị khai trừ", "expelled"),
    "status.removed": ("bị xóa tên", "removed"),
    "status.resigned": ("xin ra khỏi Đảng", "resigned"),
    "status.died": ("từ trần", "died"),
    # Fact types.
    "fact.organization.registered": ("thành lập tổ chức", "organisation registered"),
    "fact.organization.renamed": ("đổi tên tổ chức", "organisation renamed"),
    "fact.organization.dissolved": ("giải thể tổ chức", "organisation dissolved"),
    "fact.organization.count_declared": ("báo cáo số lượng", "head count declared"),
    "fact.member.admitted": ("kết nạp", "admitted"),
    "fact.member.probation_completed": ("công nhận chính thức", "probation completed"),
    "fact.member.transferred_out": ("chuyển sinh hoạt đi", "transferred out"),
    "fact.member.transferred_in": ("chuyển sinh hoạt đến", "transferred in"),
    "fact.member.badge_awarded": ("tặng Huy hiệu Đảng", "badge awarded"),
    "fact.member.expelled": ("khai trừ", "expelled"),
    "fact.member.removed": ("xóa tên", "removed"),
    "fact.member.resigned": ("xin ra khỏi Đảng", "resigned"),
    "fact.member.died": ("từ trần", "died"),
    "fact.member.dossier_recorded": ("cập nhật hồ sơ", "dossier recorded"),
    "fact.member.went_away": ("đi vắng", "went away"),
    "fact.member.returned": ("trở về", "returned"),
    "fact.member.exempted": ("miễn sinh hoạt", "exempted"),
    "fact.member.exemption_ended": ("thôi miễn sinh hoạt", "exemption ended"),
    "fact.member.card_issued": ("phát thẻ đảng viên", "card issued"),
    "fact.fact.retracted": ("rút lại", "retracted"),
    # Quality finding kinds.
    "kind.transfer_overdue": ("chuyển sinh hoạt quá hạn", "transfer overdue"),
    "kind.away_over_12_months": ("đi vắng quá 12 tháng", "away over 12 months"),
    "kind.probation_overdue": ("quá hạn công nhận chính thức", "probation overdue"),
    "kind.late_report": ("báo cáo chậm", "late report"),
    "kind.missing_dossier": ("thiếu hồ sơ", "missing dossier"),
    "kind.anomaly": ("bất thường", "anomaly"),
    "kind.count_mismatch": ("số lượng không khớp", "count mismatch"),
    "kind.unreadable_history": ("lịch sử không đọc được", "unreadable history"),
    # Occupations (the 2021 report's wording).
    "occupation.enterprise": (
        "lãnh đạo quản lý và lao động trong các doanh nghiệp",
        "managers and workers in enterprises",
    ),
    "occupation.student": ("học sinh, sinh viên", "students"),
    "occupation.contract_or_freelance": (
        "lao động hợp đồng, tự do",
        "contract or freelance workers",
    ),
    "occupation.farmer": ("nông dân", "farmers"),
    "occupation.civil_servant": ("cán bộ, công chức, viên chức", "civil servants"),
    "occupation.armed_forces": ("lực lượng vũ trang", "members of the armed forces"),
    "occupation.teacher_or_health": ("giáo viên, nhân viên y tế", "teachers and health workers"),
    "occupation.retired": ("người nghỉ hưu", "retired people"),
    "occupation.other": ("đối tượng khác", "others"),
    # Titles of the reports (text and the spreadsheets' header block).
    "title.roster": ("DANH SÁCH ĐẢNG VIÊN", "ROSTER"),
    "title.annual": ("BÁO CÁO CÔNG TÁC ĐẢNG VIÊN NĂM", "MEMBERSHIP REPORT"),
    "title.quality": ("KIỂM TRA CHẤT LƯỢNG DỮ LIỆU", "DATA QUALITY"),
    "title.badges": ("ĐẢNG VIÊN ĐẾN HẠN XÉT TẶNG HUY HIỆU ĐẢNG", "BADGES DUE"),
    "title.member": ("ĐẢNG VIÊN", "MEMBER"),
    "title.orgs": ("CÂY TỔ CHỨC", "ORG TREE"),
    "title.facts": ("SỔ SỰ KIỆN", "FACT LOG"),
    "title.diff": ("SO SÁNH BÁO CÁO NĂM", "ANNUAL REPORT THEN AND NOW"),
    # Sheet names (at most 31 characters).
    "sheet.roster": ("Danh sách", "Roster"),
    "sheet.annual": ("Báo cáo năm", "Annual report"),
    "sheet.findings": ("Phát hiện", "Findings"),
    "sheet.counts": ("Tổng hợp", "Counts"),
    "sheet.badges": ("Huy hiệu đến hạn", "Badges due"),
    "sheet.member": ("Quá trình", "Facts"),
    "sheet.diff": ("So sánh", "Changes"),
    "sheet.orgs": ("Tổ chức", "Orgs"),
    "sheet.facts": ("Sự kiện", "Facts"),
    # Parameters (the header block of a spreadsheet, the first lines of a text report).
    "param.org": ("Tổ chức", "Organisation"),
    "param.as_of": ("Tính đến ngày", "As of"),
    "param.on": ("Ngày", "On"),
    "param.year": ("Năm", "Year"),
    "param.known_at": ("Số liệu biết đến", "Known at"),
    "param.count": ("Số đảng viên", "Members"),
    "param.findings": ("Số phát hiện", "Findings"),
    "param.member": ("Đảng viên", "Member"),
    "param.facts": ("Số sự kiện", "Facts"),
    "param.then": ("Số liệu biết đến (trước)", "Known then"),
    "param.now": ("Số liệu biết đến (nay)", "Known now"),
    # Column headers.
    "col.member": ("Mã đảng viên", "Member id"),
    "col.member_name": ("Họ và tên", "Name"),
    "col.org": ("Mã tổ chức", "Org id"),
    "col.org_name": ("Tên tổ chức", "Org name"),
    "col.status": ("Trạng thái", "Status"),
    "col.since": ("Từ ngày", "Since"),
    "col.years": ("Huy hiệu (năm)", "Badge (years)"),
    "col.party_age": ("Tuổi đảng", "Party age"),
    "col.kind": ("Loại", "Kind"),
    "col.kind_key": ("Mã loại", "Kind key"),
    "col.fact": ("Mã sự kiện", "Fact id"),
    "col.detail": ("Chi tiết", "Detail"),
    "col.count": ("Số lượng", "Count"),
    "col.figure": ("Chỉ tiêu", "Figure"),
    "col.key": ("Mã chỉ tiêu", "Key"),
    "col.share": ("Tỷ lệ", "Share"),
    "col.base": ("Tỷ lệ trên", "Share of"),
    "col.change": ("Tăng/giảm", "Change"),
    "col.on": ("Ngày", "On"),
    "col.type": ("Loại sự kiện", "Fact type"),
    "col.type_key": ("Mã loại sự kiện", "Type key"),
    "col.recorded_at": ("Ghi nhận lúc", "Recorded at"),
    "col.retracted": ("Đã rút lại", "Retracted"),
    "col.anomaly": ("Bất thường", "Anomaly"),
    "col.then": ("Trước", "Then"),
    "col.level": ("Cấp", "Level"),
    "col.parent": ("Tổ chức cấp trên", "Parent"),
    "col.registered_on": ("Thành lập", "Registered"),
    "col.dissolved_on": ("Giải thể", "Dissolved"),
    "col.ref": ("Văn bản", "Document"),
    "col.fields": ("Nội dung", "Fields"),
    # The directory.
    "orgs": ("tổ chức", "orgs"),
    "orgs.every_root": ("mọi tổ chức", "every tree"),
    "orgs.dissolved": ("giải thể", "dissolved"),
    "members.found": ("Đảng viên có tên chứa", "Members whose name contains"),
    "facts": ("sự kiện", "facts"),
    "col.now": ("Nay", "Now"),
    # The auditor's diff.
    "diff.against": ("so với", "against"),
    "diff.now": ("nay", "now"),
    "diff.changed": ("chỉ tiêu thay đổi", "figures changed"),
    "diff.none": ("Không chỉ tiêu nào thay đổi.", "No figure changed."),
    "diff.no_facts": (
        "(không có sự kiện nào ghi nhận trong khoảng này)",
        "(no fact recorded in between)",
    ),
    "diff.retracted": ("(rút lại)", "(retracted)"),
    "previous_year": ("năm trước", "previous year"),
    # Member view.
    "member.status": ("trạng thái", "status"),
    "member.org": ("tổ chức", "org"),
    "member.party_age": ("tuổi đảng", "party age"),
    "member.badges": ("huy hiệu", "badges"),
    "member.flags": ("ghi chú", "flags"),
    "member.exempt": ("miễn sinh hoạt", "exempt"),
    "member.away": ("đi vắng", "away"),
    "member.no_facts": (
        "(sổ chưa có sự kiện nào về đảng viên này đến ngày đó)",
        "(the ledger holds no fact about this member up to that date)",
    ),
    "years": ("năm", "years"),
    "badge": ("huy hiệu", "badge"),
    "members": ("đảng viên", "members"),
    "findings": ("phát hiện", "findings"),
    # Annual figures: labels of the export's rows (the text states them in sentences).
    "fig.members_at_start": ("Đảng viên đầu năm", "Members at the start of the year"),
    "fig.members_at_end": ("Đảng viên cuối năm", "Members at the end of the year"),
    "fig.admitted": ("Kết nạp", "Admitted"),
    "fig.readmitted": ("Kết nạp lại", "Re-admitted"),
    "fig.admitted_by.female": ("Kết nạp: nữ", "Admitted: women"),
    "fig.admitted_by.youth_union": ("Kết nạp: đoàn viên", "Admitted: youth union members"),
    "fig.admitted_by.private_business_owner": (
        "Kết nạp: chủ doanh nghiệp tư nhân",
        "Admitted: private business owners",
    ),
    "fig.admitted_by.population_policy_violation": (
        "Kết nạp: vi phạm chính sách dân số",
        "Admitted: population-policy violators",
    ),
    "fig.admitted_by.occupation": ("Kết nạp", "Admitted"),
    "fig.probation_completed": ("Công nhận đảng viên chính thức", "Probation completed"),
    "fig.transferred_in": ("Chuyển sinh hoạt đến", "Transferred in"),
    "fig.transferred_out": ("Chuyển sinh hoạt đi", "Transferred out"),
    "fig.internal_moves": ("Chuyển sinh hoạt trong nội bộ", "Moves inside"),
    "fig.badges_awarded": ("Huy hiệu Đảng đã tặng", "Badges awarded"),
    "fig.badges_by_years": ("Huy hiệu", "Badges"),
    "fig.expelled": ("Khai trừ", "Expelled"),
    "fig.removed": ("Xóa tên", "Removed"),
    "fig.resigned": ("Xin ra khỏi Đảng", "Resigned"),
    "fig.died": ("Từ trần", "Died"),
    "fig.in_transit_at_end": ("Đang chuyển sinh hoạt cuối năm", "In transit at the end"),
    "fig.dossiers_recorded_at_end": (
        "Hồ sơ đã cập nhật vào cơ sở dữ liệu (cuối năm)",
        "Dossiers in the database (end of year)",
    ),
    "fig.admitted_with_dossier": (
        "Kết nạp trong năm có hồ sơ trong cơ sở dữ liệu",
        "Admitted in the year with a dossier",
    ),
    "fig.balanced": ("Cân đối số liệu khớp", "Balance holds"),
    "fig.committees": ("Đảng bộ trực thuộc", "Subordinate committees"),
    "fig.committees_recording": (
        "Đảng bộ trực thuộc có dữ liệu ghi nhận trong năm",
        "Subordinate committees recording in the year",
    ),
}
