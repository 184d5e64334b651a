"""The dashboard's own words (navigation, selectors, buttons) in Vietnamese and English; every
word of the reports themselves comes from ``api.formats.l10n``, as in the text and spreadsheets."""

from __future__ import annotations

from api.formats import l10n

WEB_WORDS: dict[str, tuple[str, str]] = {
    "app": ("Sổ đảng viên", "Membership ledger"),
    "nav.orgs": ("Tổ chức", "Organisations"),
    "nav.record": ("Ghi sự kiện", "Record a fact"),
    "nav.signin": ("Đăng nhập", "Sign in"),
    "nav.signout": ("Đăng xuất", "Sign out"),
    "nav.lang": ("English", "Tiếng Việt"),
    "nav.main": ("Điều hướng chính", "Main navigation"),
    "nav.pages": ("Các trang của tổ chức", "Pages of the organisation"),
    "nav.skip": ("Chuyển đến nội dung", "Skip to the content"),
    "page.annual": ("Báo cáo năm", "Annual report"),
    "page.roster": ("Danh sách", "Roster"),
    "page.quality": ("Chất lượng dữ liệu", "Data quality"),
    "page.badges": ("Huy hiệu đến hạn", "Badges due"),
    "page.diff": ("So sánh của kiểm toán", "Auditor's diff"),
    "page.member": ("Quá trình của đảng viên", "Member timeline"),
    "page.error": ("Không thực hiện được", "Cannot do this"),
    "sel.title": ("Thời điểm", "Point in time"),
    "sel.as_of": ("Tính đến ngày", "As of"),
    "sel.known_at": ("Số liệu biết đến (để trống: nay)", "Known at (empty: now)"),
    "sel.year": ("Năm", "Year"),
    "sel.against": ("So với (để trống: nay)", "Against (empty: now)"),
    "sel.on": ("Ngày trao", "Presentation date"),
    "sel.apply": ("Xem", "Show"),
    "sel.search": ("Tìm theo tên hoặc mã", "Search by name or id"),
    "download": ("Tải về", "Download"),
    "chart.members": ("Đảng viên cuối năm, mười năm", "Members at year end, ten years"),
    "chart.flows": ("Kết nạp và ra khỏi Đảng theo năm", "Admissions and exits per year"),
    "chart.composition": ("Thành phần kết nạp trong năm", "The year's admissions by occupation"),
    "chart.admitted": ("Kết nạp", "Admissions"),
    "chart.exits": (
        "Ra khỏi Đảng (khai trừ, xóa tên, xin ra, từ trần)",
        "Exits (expelled, removed, resigned, died)",
    ),
    "chart.none": ("Không có kết nạp trong năm.", "No admission in the year."),
    "figures": ("Số liệu", "Figures"),
    "diff.open": ("So sánh với số liệu đã biết trước đây", "Compare with what was known before"),
    "diff.behind": ("Sự kiện làm thay đổi", "Facts behind the change"),
    "timeline.recorded_by": ("Người ghi", "Recorded by"),
    "timeline.late": ("ghi sau báo cáo năm", "recorded after the year's report"),
    "timeline.days_late": ("ngày sau", "days after"),
    "roster.page": ("Trang", "Page"),
    "roster.prev": ("Trang trước", "Previous page"),
    "roster.next": ("Trang sau", "Next page"),
    "roster.none": ("Không có đảng viên nào.", "No member."),
    "quality.none": ("Không có phát hiện nào.", "No finding."),
    "badges.none": ("Không có ai đến hạn.", "Nobody is due."),
    "record.intro": (
        "Sự kiện được ghi theo đúng quy tắc của lệnh nhập; sự kiện bị từ chối được báo rõ lý do.",
        "The fact is recorded under the same rules as an import; a refused fact says why.",
    ),
    "record.type": ("Loại sự kiện", "Fact type"),
    "record.id": ("Mã sự kiện (để trống: tự sinh)", "Fact id (empty: derived)"),
    "record.on": ("Ngày có hiệu lực", "Effective date"),
    "record.member": ("Mã đảng viên", "Member id"),
    "record.org": ("Mã tổ chức", "Org id"),
    "record.ref": ("Văn bản", "Document reference"),
    "record.extra": ("Các trường khác (JSON)", "Other fields (JSON object)"),
    "record.extra_help": (
        'Ví dụ: {"name": "Nguyễn Văn A", "gender": "male"}',
        'For example: {"name": "Nguyễn Văn A", "gender": "male"}',
    ),
    "record.submit": ("Ghi sự kiện", "Record the fact"),
    "record.accepted": ("Đã ghi sự kiện", "Recorded fact"),
    "record.duplicate": ("Sự kiện đã có từ trước", "Already recorded"),
    "record.refused": ("Bị từ chối", "Refused"),
    "record.readonly": ("Mã truy cập này chỉ được xem.", "This token may only read."),
    "signin.intro": (
        "Nhập mã truy cập do quản trị viên cấp (ledger token create).",
        "Enter the access token your administrator gave you (ledger token create).",
    ),
    "signin.token": ("Mã truy cập", "Access token"),
    "signin.submit": ("Đăng nhập", "Sign in"),
    "signin.wrong": (
        "Mã truy cập không đúng hoặc đã bị thu hồi.",
        "The token is unknown or revoked.",
    ),
    "signed_in_as": ("Đăng nhập với", "Signed in as"),
    "local": ("không cần đăng nhập (--no-auth)", "no sign-in (--no-auth)"),
    "csrf": ("Biểu mẫu đã hết hạn; hãy gửi lại.", "The form expired; send it again."),
    "tree.count": ("Đảng viên", "Members"),
    "tree.all": ("Hiện mọi cấp", "Show every level"),
    "tree.below": ("các tổ chức bên dưới", "the orgs below"),
    "member.open": ("Xem đảng viên", "Open a member"),
    "member.effective": ("Ngày hiệu lực", "Effective"),
    "member.recorded": ("Ngày ghi", "Recorded"),
    "member.legend": (
        "Mỗi sự kiện: ngày có hiệu lực (trục ngang) và ngày ghi nhận (trục dọc); "
        "điểm xa đường chéo là ghi muộn.",
        "Each fact: its effective date (across) against its recorded date (down); a dot far "
        "from the diagonal was recorded late.",
    ),
}


def t(key: str, lang: str) -> str:
    """A word of the dashboard, else of the reports (``l10n.word``), in the language."""
    entry = WEB_WORDS.get(key)
    if entry is None:
        return l10n.word(key, lang)
    return entry[0] if lang == "vi" else entry[1]
