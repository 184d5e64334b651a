"""The organisation tree of the demo city, and the names its orgs and people are given.

The city (``hp``) has the committees of ``COMMITTEES`` (``hp.d01``…), each with grassroots
organisations (``hp.d01.g01``…) and their cells (``hp.d01.g01.c1``…): ``_Builder.build_orgs``
draws the tree. Members are placed in cells of committees plausible for their occupation
(``KINDS_BY_OCCUPATION``) and come from or go to ``PROVINCES``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

# (name, kind, share of the members, registered on)
COMMITTEES: tuple[tuple[str, str, float, str], ...] = (
    ("Đảng bộ quận Hồng Bàng", "urban", 5.5, "1955-06-01"),
    ("Đảng bộ quận Ngô Quyền", "urban", 7.0, "1955-06-01"),
    ("Đảng bộ quận Lê Chân", "urban", 7.5, "1955-06-01"),
    ("Đảng bộ quận Hải An", "urban", 4.0, "1989-11-01"),
    ("Đảng bộ quận Kiến An", "urban", 4.5, "1946-03-15"),
    ("Đảng bộ quận Đồ Sơn", "urban", 2.5, "1946-05-01"),
    ("Đảng bộ quận Dương Kinh", "urban", 2.0, "1990-06-01"),
    ("Đảng bộ huyện Thủy Nguyên", "rural", 8.0, "1946-02-01"),
    ("Đảng bộ huyện An Dương", "rural", 4.5, "1946-02-01"),
    ("Đảng bộ huyện An Lão", "rural", 3.5, "1946-02-01"),
    ("Đảng bộ huyện Kiến Thụy", "rural", 3.5, "1946-02-01"),
    ("Đảng bộ huyện Tiên Lãng", "rural", 4.0, "1946-02-01"),
    ("Đảng bộ huyện Vĩnh Bảo", "rural", 4.5, "1946-02-01"),
    ("Đảng bộ huyện Cát Hải", "rural", 1.5, "1946-06-01"),
    ("Đảng bộ huyện Bạch Long Vĩ", "rural", 0.2, "1990-03-01"),
    ("Đảng bộ Khối các cơ quan thành phố", "agency", 5.0, "1960-01-01"),
    ("Đảng bộ Khối doanh nghiệp thành phố", "business", 5.5, "1968-01-01"),
    ("Đảng bộ Quân sự thành phố", "armed", 2.5, "1946-12-01"),
    ("Đảng bộ Bộ đội Biên phòng thành phố", "armed", 1.5, "1959-03-03"),
    ("Đảng bộ Công an thành phố", "armed", 3.0, "1946-08-01"),
    ("Đảng bộ Cảng Hải Phòng", "business", 1.5, "1955-06-01"),
    ("Đảng bộ Trường Đại học Hàng hải Việt Nam", "school", 1.0, "1956-07-01"),
    ("Đảng bộ Trường Đại học Y Dược Hải Phòng", "school", 0.8, "1979-08-01"),
    ("Đảng bộ Trường Đại học Hải Phòng", "school", 0.8, "1968-01-01"),
    ("Đảng bộ Cục Hải quan thành phố", "agency", 0.8, "1955-06-01"),
    ("Đảng bộ Cục Thuế thành phố", "agency", 0.8, "1990-08-01"),
    ("Đảng bộ Bệnh viện Hữu nghị Việt Tiệp", "hospital", 0.8, "1960-01-01"),
    ("Đảng bộ Tổng công ty Công nghiệp tàu thủy Bạch Đằng", "business", 0.9, "1961-01-01"),
    ("Đảng bộ Công ty Điện lực Hải Phòng", "business", 0.7, "1965-01-01"),
    ("Đảng bộ Công ty Cấp nước Hải Phòng", "business", 0.4, "1975-01-01"),
    ("Đảng bộ Trường Chính trị Tô Hiệu", "agency", 0.2, "1960-01-01"),
    ("Đảng bộ Kho bạc Nhà nước Hải Phòng", "agency", 0.3, "1990-04-01"),
    ("Đảng bộ Bảo hiểm xã hội thành phố", "agency", 0.3, "1990-10-01"),
    ("Đảng bộ Ngân hàng Nhà nước chi nhánh Hải Phòng", "agency", 0.3, "1955-06-01"),
    ("Đảng bộ Cảng vụ Hàng hải Hải Phòng", "agency", 0.2, "1990-12-01"),
)
UNDECLARED_COMMITTEE = "hp.d03"
"""The committee whose declared count for 31-12-2021 never deducted its transfers out."""
GRASSROOTS = 420

WARDS = (
    "Minh Khai", "Hoàng Văn Thụ", "Quang Trung", "Phan Bội Châu", "Thượng Lý", "Sở Dầu",
    "Hạ Lý", "Trại Chuối", "Hùng Vương", "Quán Toan", "Máy Chai", "Máy Tơ", "Vạn Mỹ", "Cầu Tre",
    "Lạc Viên", "Gia Viên", "Đông Khê", "Cầu Đất", "Lê Lợi", "Đằng Giang", "Lạch Tray",
    "Đổng Quốc Bình", "An Biên", "Trần Nguyên Hãn", "Hồ Nam", "Trại Cau", "Dư Hàng",
    "Hàng Kênh", "Niệm Nghĩa", "Nghĩa Xá", "Kênh Dương", "Vĩnh Niệm", "Cát Dài", "Đông Hải 1",
    "Đông Hải 2", "Đằng Hải", "Đằng Lâm", "Nam Hải", "Thành Tô", "Tràng Cát", "Bắc Sơn",
    "Nam Sơn", "Ngọc Sơn", "Trần Thành Ngọ", "Văn Đẩu", "Lãm Hà", "Quán Trữ", "Đồng Hòa",
    "Bắc Hà", "Ngọc Xuyên", "Vạn Hương", "Minh Đức", "Bàng La", "Hợp Đức", "Anh Dũng",
    "Hải Thành", "Hòa Nghĩa", "Tân Thành", "Đa Phúc", "Hưng Đạo",
)  # fmt: skip
COMMUNES = (
    "Lập Lễ", "Tam Hưng", "Thủy Sơn", "Lưu Kiếm", "Kỳ Sơn", "Hoa Động", "Lê Thiện", "An Đồng",
    "Đại Bản", "Hồng Phong", "Quốc Tuấn", "Trường Thọ", "Bát Trang", "An Thắng", "Tân Dân",
    "Đại Hợp", "Tú Sơn", "Ngũ Đoan", "Thụy Hương", "Đoàn Lập", "Tiên Thắng", "Quang Phục",
    "Hùng Thắng", "Cấp Tiến", "Vinh Quang", "Tam Cường", "Cộng Hiền", "Hiệp Hòa", "Liên Am",
    "Trung Lập", "Gia Luận", "Hiền Hào", "Trân Châu", "Xuân Đám", "Phù Long", "Văn Phong",
    "Chiến Thắng", "Thái Sơn", "Kiến Quốc", "Minh Tân", "Đông Sơn", "Lại Xuân", "An Lư",
    "Thủy Triều", "Ngũ Lão", "Phục Lễ", "Tân Tiến", "An Hòa", "Hồng Thái", "Lê Lợi",
)  # fmt: skip
DEPARTMENTS = (
    "Sở Tài chính", "Sở Kế hoạch và Đầu tư", "Sở Giao thông vận tải", "Sở Xây dựng", "Sở Y tế",
    "Sở Giáo dục và Đào tạo", "Sở Lao động - Thương binh và Xã hội", "Sở Nội vụ", "Sở Tư pháp",
    "Văn phòng Ủy ban nhân dân thành phố", "Sở Công Thương", "Sở Tài nguyên và Môi trường",
    "Sở Nông nghiệp và Phát triển nông thôn", "Sở Văn hóa và Thể thao", "Thanh tra thành phố",
    "Sở Thông tin và Truyền thông", "Sở Khoa học và Công nghệ", "Sở Ngoại vụ",
)  # fmt: skip
CELL_NAMES = {
    "urban": "Chi bộ tổ dân phố số {k}",
    "rural": "Chi bộ thôn {k}",
    "agency": "Chi bộ phòng số {k}",
    "business": "Chi bộ phân xưởng số {k}",
    "armed": "Chi bộ đơn vị {k}",
    "school": "Chi bộ khoa số {k}",
    "hospital": "Chi bộ khoa lâm sàng số {k}",
}
KINDS_BY_OCCUPATION: dict[str, dict[str, float]] = {
    "enterprise": {"business": 6, "urban": 2.5, "rural": 1.5},
    "student": {"school": 8, "urban": 1.5, "rural": 0.5},
    "contract_or_freelance": {"urban": 5, "rural": 3, "business": 2},
    "farmer": {"rural": 9, "urban": 1},
    "civil_servant": {"agency": 5, "urban": 2.5, "rural": 2.5},
    "armed_forces": {"armed": 1},
    "teacher_or_health": {"school": 1.5, "hospital": 2, "urban": 3.5, "rural": 3},
    "retired": {"urban": 6, "rural": 4},
    "other": {"urban": 5, "rural": 5},
}
PROVINCES = (
    "Tỉnh Hải Dương", "Tỉnh Quảng Ninh", "Tỉnh Thái Bình", "Thành phố Hà Nội", "Tỉnh Hưng Yên",
    "Tỉnh Nam Định", "Tỉnh Thanh Hóa", "Tỉnh Bắc Ninh", "Thành phố Hồ Chí Minh", "Tỉnh Nghệ An",
    "Tỉnh Ninh Bình", "Tỉnh Hà Nam", "Thành phố Đà Nẵng", "Tỉnh Bắc Giang", "Quân khu 3",
    "Quân chủng Hải quân", "Tỉnh Bình Dương", "Tỉnh Phú Thọ",
)  # fmt: skip

FAMILY_NAMES = (
    ("Nguyễn", 38), ("Trần", 11), ("Lê", 9), ("Phạm", 7), ("Hoàng", 5), ("Vũ", 5), ("Phan", 2),
    ("Đặng", 2), ("Bùi", 2), ("Đỗ", 2), ("Hồ", 1), ("Ngô", 1), ("Dương", 1), ("Lý", 1),
    ("Đào", 1), ("Đoàn", 1), ("Mai", 1), ("Trịnh", 1), ("Lương", 1), ("Tạ", 1), ("Cao", 1),
)  # fmt: skip
MIDDLE_NAMES = {
    False: ("Văn", "Đức", "Minh", "Quang", "Hữu", "Công", "Thành", "Xuân", "Mạnh", "Tiến"),
    True: ("Thị", "Thu", "Ngọc", "Thanh", "Thùy", "Minh", "Hồng", "Phương", "Kim", "Bích"),
}
GIVEN_NAMES = {
    False: (
        "An", "Bình", "Cường", "Dũng", "Đạt", "Hải", "Hùng", "Huy", "Khánh", "Long", "Nam",
        "Phong", "Quân", "Sơn", "Thắng", "Trung", "Tuấn", "Việt", "Vinh", "Hiếu", "Kiên", "Toàn",
        "Thịnh", "Tùng", "Hưng", "Lâm", "Nghĩa", "Tài",
    ),
    True: (
        "Anh", "Chi", "Dung", "Giang", "Hà", "Hằng", "Hoa", "Hương", "Lan", "Linh", "Mai", "Nga",
        "Ngân", "Nhung", "Oanh", "Phương", "Quyên", "Thảo", "Trang", "Vân", "Yến", "Huyền",
        "Loan", "Thủy", "Hạnh", "Liên",
    ),
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Org:
    """One org of the tree."""

    org: str
    name: str
    parent: str | None
    registered: date
    committee: str  # the directly-subordinate committee it belongs to ("" for the city)
    kind: str
