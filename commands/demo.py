"""The demo history: a deterministic, plausible Hải Phòng city organisation, 1930-2022.

``generate()`` yields facts in the interchange format of SPEC §2 (dicts, one per JSON line),
each with an explicit ``id`` (``hp-f0000001``…) and ``recorded_at`` (+07:00). Imported into an
empty ledger, they make the read models print every figure of SPEC §6 for the city in 2021 —
not because anything is typed in, but because the history is *planned* to: the counts of each
kind of event per year (admissions by gender, youth union and occupation, transfers across the
city's boundary, exits, deaths, badges, dossiers) are decided up front (``Plan``), members are
drawn to realise them under the rules of SPEC §3, and the population at the start of the
detailed window is sized so that the roster at 31-12-2021 comes out right.

How the history is kept lean (every fact costs import and projection time):

* The detailed window is 2019-2022 (``WINDOW``): every admission, arrival, probation,
  internal move, transfer across the boundary, exit, death and badge in it is recorded. Before
  it, the ledger holds the history of the members still in the city on 31-12-2018 — their
  admission (or their arrival from another province or the army), their probation and their
  dossier — plus, for the few re-admitted members, their earlier membership and exit. Members
  who left or died before 2019 are not in the demo ledger, so reports for years before 2019
  only count the survivors.
* Badges before 2019 are carried over only as each member's latest one.
* Facts dated before the database existed (``DB_START``) are recorded when the member was
  migrated into it (2010-2012); from then on facts are recorded within days of their date,
  except deaths, which are often reported late.

The seed's problems are in it too: members in transit for months, members away for more than
12 months without a transfer, overdue probation decisions, deaths reported months late (one
with an exemption dated after the death but recorded before it: an anomaly), members without a
dossier, and one committee whose declared head count for 31-12-2021 never deducted the
members it transferred out.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
import math
import random
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from ledger.dates import add_months, add_years
from ledger.facts import BADGE_MILESTONES, OCCUPATIONS

END = date(2022, 12, 31)
"""The last day of the history: nothing is dated or recorded after it."""
WINDOW = date(2019, 1, 1)
"""The start of the detailed window (see the module docstring)."""
DB_START = date(2010, 1, 1)
"""The party-member database: facts dated before it are recorded at the member's migration."""
CITY = "hp"
REPORT_YEAR = 2021
CEREMONIES = ((2, 3), (5, 19), (9, 2), (11, 7))
"""Badges are handed over on 3-2, 19-5, 2-9 and 7-11 (anniversaries of the party and the state)."""
TIME = "T09:00:00+07:00"


class PlanError(ValueError):
    """The plan cannot be realised (e.g. too few members eligible for some event)."""


# --- the plan -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class YearPlan:
    """Exact city-level counts of one year of the window (all cross the city's boundary)."""

    admitted: int
    readmitted: int
    female: int
    youth_union: int
    private_business_owner: int
    population_policy_violation: int
    occupations: dict[str, int]
    transferred_in: int  # arrivals from outside the city, returns included
    returns: int  # members who had left the city earlier in the window and come back
    transferred_out: int  # to another province (to_external)
    expelled: int
    removed: int
    removed_probationary: int  # of which probationary members not recognised
    resigned: int
    died: int
    internal_moves: int  # transfers between two orgs of the city


@dataclass(frozen=True)
class Plan:
    """What the history must produce; the figures of 2021 are the seed's (SPEC §6)."""

    years: dict[int, YearPlan]
    members_at_end: int  # on 31-12-2021
    dossiers_at_end: int  # members on the roster of 31-12-2021 with a dossier by then
    admitted_with_dossier: int  # 2021 admissions with a dossier by 31-12-2021
    badges: int  # badges awarded in 2021
    leavers: int  # 2021 admissions transferred to another province in 2021, no dossier
    late_dossiers: int  # 2020 admissions on the roster of 31-12-2021 without a dossier by then
    stuck_in_transit: int = 8
    away: int = 30
    away_for_good: int = 10
    overdue_probations: int = 6
    anomalies: int = 4

    def scaled(self, factor: float) -> Plan:
        """The same plan for a city ``factor`` times as large (for quick tests)."""

        def n(value: int) -> int:
            return round(value * factor)

        years = {}
        for year, yp in self.years.items():
            occupations = {k: n(v) for k, v in yp.occupations.items()}
            admitted = n(yp.admitted)
            occupations["other"] += admitted - sum(occupations.values())
            years[year] = YearPlan(
                admitted=admitted,
                readmitted=n(yp.readmitted),
                female=n(yp.female),
                youth_union=max(n(yp.youth_union), occupations["student"]),
                private_business_owner=n(yp.private_business_owner),
                population_policy_violation=n(yp.population_policy_violation),
                occupations=occupations,
                transferred_in=n(yp.transferred_in),
                returns=n(yp.returns),
                transferred_out=n(yp.transferred_out),
                expelled=n(yp.expelled),
                removed=n(yp.removed),
                removed_probationary=n(yp.removed_probationary),
                resigned=n(yp.resigned),
                died=n(yp.died),
                internal_moves=n(yp.internal_moves),
            )
        return Plan(
            years=years,
            members_at_end=n(self.members_at_end),
            dossiers_at_end=n(self.members_at_end) - n(self.members_at_end - self.dossiers_at_end),
            admitted_with_dossier=n(self.admitted_with_dossier),
            badges=n(self.badges),
            leavers=n(self.leavers),
            late_dossiers=n(self.late_dossiers),
            stuck_in_transit=max(2, n(self.stuck_in_transit)),
            away=max(3, n(self.away)),
            away_for_good=max(1, n(self.away_for_good)),
            overdue_probations=max(1, n(self.overdue_probations)),
            anomalies=max(1, n(self.anomalies)),
        )


def _occupations(**counts: int) -> dict[str, int]:
    return {name: counts.get(name, 0) for name in OCCUPATIONS}


SEED_PLAN = Plan(
    years={
        2019: YearPlan(
            admitted=3120, readmitted=5, female=1650, youth_union=1690,
            private_business_owner=4, population_policy_violation=30,
            occupations=_occupations(
                enterprise=800, student=290, contract_or_freelance=110, farmer=280,
                civil_servant=520, armed_forces=370, teacher_or_health=530, retired=20, other=200,
            ),
            transferred_in=2950, returns=0, transferred_out=3380, expelled=18, removed=165,
            removed_probationary=60, resigned=80, died=1380, internal_moves=1700,
        ),
        2020: YearPlan(
            admitted=3110, readmitted=4, female=1691, youth_union=1705,
            private_business_owner=3, population_policy_violation=36,
            occupations=_occupations(
                enterprise=790, student=300, contract_or_freelance=120, farmer=270,
                civil_servant=510, armed_forces=360, teacher_or_health=540, retired=20, other=200,
            ),
            transferred_in=2890, returns=25, transferred_out=3420, expelled=21, removed=158,
            removed_probationary=55, resigned=75, died=1420, internal_moves=1650,
        ),
        2021: YearPlan(
            admitted=3298, readmitted=6, female=2079, youth_union=1732,
            private_business_owner=5, population_policy_violation=41,
            occupations=_occupations(
                enterprise=842, student=326, contract_or_freelance=139, farmer=260,
                civil_servant=520, armed_forces=380, teacher_or_health=560, retired=21, other=250,
            ),
            transferred_in=3046, returns=30, transferred_out=3561, expelled=24, removed=134,
            removed_probationary=48, resigned=64, died=1560, internal_moves=1500,
        ),
        2022: YearPlan(
            admitted=3350, readmitted=7, female=2010, youth_union=1760,
            private_business_owner=4, population_policy_violation=38,
            occupations=_occupations(
                enterprise=860, student=330, contract_or_freelance=140, farmer=260,
                civil_servant=530, armed_forces=380, teacher_or_health=570, retired=20, other=260,
            ),
            transferred_in=3100, returns=28, transferred_out=3480, expelled=20, removed=140,
            removed_probationary=50, resigned=60, died=1450, internal_moves=1600,
        ),
    },
    members_at_end=127_455,
    dossiers_at_end=126_715,
    admitted_with_dossier=1_994,
    badges=6_117,
    leavers=680,
    late_dossiers=12,
)  # fmt: skip


# --- the organisation tree ----------------------------------------------------------------------

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


# --- members ------------------------------------------------------------------------------------


@dataclass(slots=True)
class Move:
    """A transfer between two orgs of the city; ``arrives`` is None while still in transit."""

    leaves: date
    to_org: str
    arrives: date | None


@dataclass(slots=True)
class Prior:
    """An earlier membership that ended by an exit (for a re-admitted member)."""

    admitted: date
    org: str
    youth_union: bool
    occupation: str
    probation: date
    dossier: date
    exit_on: date
    exit_kind: str


@dataclass(slots=True)
class Badge:
    """A badge: milestone, date, early (gravely ill) or posthumous."""

    on: date
    years: int
    early: bool = False
    posthumous: bool = False


@dataclass(slots=True)
class Life:
    """Everything the generator decided about one member."""

    key: int
    female: bool
    birth: date
    youth_union: bool
    occupation: str
    org: str  # the org of the (latest) admission or arrival
    entry: date  # admission or arrival
    admitted: date  # first admission: the start of the party age
    arrived_from: str | None = None  # arrived from outside instead of being admitted here
    standing: str = "probationary"  # on arrival
    owner: bool = False
    violation: bool = False
    prior: Prior | None = None
    probation: date | None = None
    exit_on: date | None = None
    exit_kind: str | None = None  # died, expelled, removed, resigned, away
    exit_to: str | None = None
    return_on: date | None = None
    return_org: str | None = None
    moves: list[Move] = field(default_factory=list)
    dossier: date | None = None
    migrated: date | None = None
    badges: list[Badge] = field(default_factory=list)
    extras: list[tuple[date, str]] = field(default_factory=list)
    anomaly: tuple[date, str] | None = None
    locked: bool = False
    name: str = ""
    member: str = ""

    @property
    def probation_start(self) -> date | None:
        """Start of the probation, or None for a member who arrived as an official member."""
        if self.arrived_from is not None:
            return self.admitted if self.standing == "probationary" else None
        return self.entry

    def official_on(self, day: date) -> bool:
        """True when the member is an official member on ``day`` (if a member at all)."""
        if self.probation_start is None:
            return True
        return self.probation is not None and self.probation <= day

    def on_roster(self, day: date) -> bool:
        """In the city's roster as of ``day`` (placed, or in transit between two of its orgs)."""
        if day < self.entry:
            return False
        if self.exit_on is None or day < self.exit_on:
            return True
        return self.return_on is not None and day >= self.return_on

    def org_on(self, day: date) -> tuple[str, str | None]:
        """(org, destination while in transit) as of ``day``, for a member on the roster."""
        if self.return_on is not None and day >= self.return_on:
            assert self.return_org is not None
            return self.return_org, None
        org = self.org
        for move in self.moves:
            if move.leaves > day:
                break
            if move.arrives is None or move.arrives > day:
                return org, move.to_org
            org = move.to_org
        return org, None

    def age(self, day: date) -> int:
        """Age in whole years."""
        years = day.year - self.birth.year
        return years - 1 if (day.month, day.day) < (self.birth.month, self.birth.day) else years

    def busy(self, start: date, end: date) -> bool:
        """True when a move, the probation decision or a flag falls in [start, end]."""
        if self.probation is not None and start <= self.probation <= end:
            return True
        for move in self.moves:
            if move.leaves <= end and (move.arrives or END) >= start:
                return True
        return any(start <= on <= end for on, _ in self.extras)


# --- helpers ------------------------------------------------------------------------------------


def _int(rng: random.Random, low: int, high: int) -> int:
    """A uniformly random integer in [low, high] (cheaper than ``randint``)."""
    return low + int(rng.random() * (high - low + 1))


def _day(rng: random.Random, start: date, end: date) -> date:
    """A uniformly random day in [start, end]."""
    return start + timedelta(days=_int(rng, 0, max((end - start).days, 0)))


def _pick(
    rng: random.Random, items: Sequence[Life], weight: Callable[[Life], float], k: int, what: str
) -> list[Life]:
    """``k`` distinct items drawn one after the other, each with probability proportional to
    its ``weight`` among those left (weights take few distinct values: grouped by value)."""
    if k <= 0:
        return []
    groups: dict[float, list[Life]] = {}
    for item in items:
        w = weight(item)
        if w > 0:
            groups.setdefault(w, []).append(item)
    if sum(len(g) for g in groups.values()) < k:
        raise PlanError(f"too few members are eligible for {k} {what}")
    values = sorted(groups)
    chosen: list[Life] = []
    totals = [w * len(groups[w]) for w in values]  # kept up to date as groups shrink
    for _ in range(k):
        roll = rng.random() * sum(totals)
        index = 0
        while index < len(values) - 1 and roll >= totals[index]:
            roll -= totals[index]
            index += 1
        if not groups[values[index]]:  # rounding at the very end of the last bucket
            index = next(i for i in reversed(range(len(values))) if groups[values[i]])
        group = groups[values[index]]
        at = int(rng.random() * len(group))
        group[at], group[-1] = group[-1], group[at]
        chosen.append(group.pop())
        totals[index] = values[index] * len(group)
    return chosen


def _ceremony_on_or_after(day: date) -> date:
    for month, dom in CEREMONIES:
        candidate = date(day.year, month, dom)
        if candidate >= day:
            return candidate
    return date(day.year + 1, *CEREMONIES[0])


def _ceremony_after(day: date) -> date:
    return _ceremony_on_or_after(day + timedelta(days=1))


def _ceremonies_before(day: date, since: date) -> Iterator[date]:
    """Ceremonies in [since, day), latest first."""
    current = _ceremony_on_or_after(since)
    found = []
    while current < day:
        found.append(current)
        current = _ceremony_after(current)
    return reversed(found)


def _weighted_choice(rng: random.Random, weights: dict[str, float]) -> str:
    names = list(weights)
    return rng.choices(names, weights=[weights[n] for n in names])[0]


class _Choice:
    """A fixed weighted choice among names."""

    def __init__(self, **weights: float) -> None:
        self.names = list(weights)
        self.cumulative = list(itertools.accumulate(weights.values()))

    def __call__(self, rng: random.Random) -> str:
        return rng.choices(self.names, cum_weights=self.cumulative)[0]


OLD_JOBS = _Choice(farmer=30, armed_forces=30, civil_servant=15, enterprise=15,
                   teacher_or_health=7, other=3)  # fmt: skip
MIDDLE_JOBS = _Choice(enterprise=25, farmer=20, armed_forces=15, civil_servant=20,
                      teacher_or_health=12, other=5, student=3)  # fmt: skip
RECENT_JOBS = _Choice(enterprise=25, civil_servant=18, teacher_or_health=17, armed_forces=12,
                      farmer=10, student=8, contract_or_freelance=4, other=6)  # fmt: skip
ARRIVAL_JOBS = _Choice(enterprise=30, civil_servant=20, teacher_or_health=15, armed_forces=15,
                       contract_or_freelance=8, other=7, student=5)  # fmt: skip


# --- the builder --------------------------------------------------------------------------------


class _Builder:
    """Decides the whole history (``lives`` and ``orgs``) before anything is emitted."""

    def __init__(self, seed: int, plan: Plan) -> None:
        self.rng = random.Random(seed)
        self.plan = plan
        self.orgs: list[Org] = []
        self.cells: dict[str, list[Org]] = {}  # committee -> its cells
        self.committees: list[tuple[str, str, float, date]] = []  # (org, kind, weight, since)
        self.lives: list[Life] = []
        self.declared: list[tuple[str, int]] = []
        self.choices: dict[tuple[str, int], tuple[list[str], list[float]]] = {}

    # --- orgs ---------------------------------------------------------------------------------

    def build_orgs(self) -> None:
        rng = self.rng
        self.orgs.append(Org(CITY, "Đảng bộ thành phố Hải Phòng", None, date(1930, 4, 5), "", ""))
        total = sum(weight for _, _, weight, _ in COMMITTEES)
        wards, communes = list(WARDS), list(COMMUNES)
        rng.shuffle(wards)
        rng.shuffle(communes)
        for number, (name, kind, weight, since) in enumerate(COMMITTEES, start=1):
            code = f"{CITY}.d{number:02d}"
            registered = date.fromisoformat(since)
            self.orgs.append(Org(code, name, CITY, registered, code, kind))
            self.committees.append((code, kind, weight, registered))
            self.cells[code] = []
            for g in range(1, max(2, round(GRASSROOTS * weight / total)) + 1):
                if kind == "urban":
                    gname = f"Đảng bộ phường {wards.pop() if wards else f'số {g}'}"
                elif kind == "rural":
                    gname = f"Đảng bộ xã {communes.pop() if communes else f'số {g}'}"
                elif code == f"{CITY}.d16" and g <= len(DEPARTMENTS):
                    gname = f"Đảng bộ {DEPARTMENTS[g - 1]}"
                else:
                    gname = f"Đảng bộ bộ phận số {g}"
                grassroots = f"{code}.g{g:02d}"
                founded = registered + timedelta(days=_int(rng, 0, 60))
                self.orgs.append(Org(grassroots, gname, code, founded, code, kind))
                for c in range(1, _int(rng, 3, 6) + 1):
                    cell = Org(
                        f"{grassroots}.c{c}",
                        CELL_NAMES[kind].format(k=c),
                        grassroots,
                        founded,
                        code,
                        kind,
                    )
                    self.orgs.append(cell)
                    self.cells[code].append(cell)
        self.committee_of = {o.org: o.committee for o in self.orgs}
        self.openings = sorted(since for _, _, _, since in self.committees)

    def cell_for(self, occupation: str, day: date) -> str:
        """A cell registered by ``day``, in a committee plausible for the occupation."""
        open_by = day - timedelta(days=61)
        opened = bisect.bisect_right(self.openings, open_by)
        cached = self.choices.get((occupation, opened))
        if cached is None:
            kinds = KINDS_BY_OCCUPATION[occupation]
            weights: dict[str, float] = {}
            for code, kind, weight, since in self.committees:
                if since <= open_by and kind in kinds:
                    weights[code] = kinds[kind] * weight
            if not weights:  # e.g. armed forces before their committee existed: a district
                weights = {
                    code: weight
                    for code, kind, weight, since in self.committees
                    if since <= open_by and kind in ("urban", "rural")
                }
            codes = list(weights)
            cached = (codes, list(itertools.accumulate(weights[c] for c in codes)))
            self.choices[(occupation, opened)] = cached
        codes, cumulative = cached
        committee = self.rng.choices(codes, cum_weights=cumulative)[0]
        cells = self.cells[committee]
        return cells[int(self.rng.random() * len(cells))].org

    # --- people -------------------------------------------------------------------------------

    def new_life(self, **fields: Any) -> Life:
        life = Life(key=len(self.lives), **fields)
        self.lives.append(life)
        return life

    def birth(self, admitted: date, low: int, high: int) -> date:
        years = _int(self.rng, low, high)
        return add_years(admitted, -years) - timedelta(days=_int(self.rng, 0, 360))

    def probation_after(self, start: date) -> date:
        return add_months(start, 12) + timedelta(days=_int(self.rng, 3, 60))

    # --- the population on 31-12-2018 ---------------------------------------------------------

    def initial_population(self) -> None:
        rng = self.rng
        size = self.plan.members_at_end - sum(
            yp.admitted + yp.transferred_in - yp.transferred_out
            - yp.expelled - yp.removed - yp.resigned - yp.died
            for year, yp in self.plan.years.items() if year <= REPORT_YEAR
        )  # fmt: skip
        anchors = {
            1946: 10, 1951: 50, 1956: 140, 1961: 280, 1966: 520, 1971: 830, 1976: 1040,
            1981: 1370, 1986: 2050, 1991: 2800, 1996: 2900, 2001: 3150, 2006: 3300, 2011: 3400,
            2016: 3450, 2018: 3500,
        }  # fmt: skip
        points = sorted(anchors)
        weights: dict[int, float] = {}
        for left, right in itertools.pairwise(points):
            for year in range(left, right + 1):
                share = (year - left) / (right - left)
                weights[year] = anchors[left] + share * (anchors[right] - anchors[left])
        total = sum(weights.values())
        exact = {year: size * w / total for year, w in weights.items()}
        counts = {year: math.floor(v) for year, v in exact.items()}
        remainder = size - sum(counts.values())
        for year in sorted(exact, key=lambda y: (counts[y] - exact[y], y))[:remainder]:
            counts[year] += 1
        for year in sorted(counts):
            for _ in range(counts[year]):
                admitted = _day(rng, max(date(year, 1, 6), date(1946, 6, 1)), date(year, 12, 28))
                self.old_member(admitted)

    def old_member(self, admitted: date) -> None:
        rng = self.rng
        year = admitted.year
        if year < 1976:
            occupation = OLD_JOBS(rng)
            female_share, arrived_share, ages = 0.25, 0.3, (18, 27)
        elif year < 1996:
            occupation = MIDDLE_JOBS(rng)
            female_share, arrived_share, ages = 0.35, 0.15, (19, 32)
        else:
            occupation = RECENT_JOBS(rng)
            female_share = 0.45 if year < 2011 else 0.52
            arrived_share, ages = 0.12, (19, 35)
        if occupation == "student":
            ages = (18, 23)
        birth = self.birth(admitted, *ages)
        youth = add_years(birth, 31) > admitted and rng.random() < 0.75
        arrived = rng.random() < arrived_share and admitted < date(2015, 1, 1)
        entry = admitted
        if arrived:
            entry = _day(
                rng, add_years(admitted, 3), min(add_years(admitted, 25), date(2018, 6, 30))
            )
        life = self.new_life(
            female=rng.random() < female_share,
            birth=birth,
            youth_union=youth,
            occupation=occupation,
            org=self.cell_for(occupation, entry),
            entry=entry,
            admitted=admitted,
        )
        if arrived:
            life.arrived_from = rng.choice(PROVINCES)
            life.standing = "official"
        else:
            life.probation = self.probation_after(admitted)
        if entry < DB_START:
            life.migrated = _day(rng, DB_START, DB_START + timedelta(days=1095))

    # --- the window: admissions, arrivals, returns --------------------------------------------

    def admissions(self, year: int, yp: YearPlan) -> list[Life]:
        rng = self.rng
        jobs = [job for job, n in yp.occupations.items() for _ in range(n)]
        if len(jobs) != yp.admitted:
            raise PlanError(f"{year}: occupations add up to {len(jobs)}, not {yp.admitted}")
        rng.shuffle(jobs)
        people = [{"occupation": job} for job in jobs]
        index = list(range(len(people)))

        def choose(pool: list[int], weight: Callable[[int], float], k: int, what: str) -> set[int]:
            keyed = [(math.log(1.0 - rng.random()) / weight(i), i) for i in pool if weight(i) > 0]
            if len(keyed) < k:
                raise PlanError(f"{year}: too few admissions can be {what}")
            return {i for _, i in heapq.nlargest(k, keyed)}

        students = {i for i in index if jobs[i] == "student"}
        youth_weight = {"armed_forces": 3.0, "enterprise": 1.6, "contract_or_freelance": 1.3,
                        "teacher_or_health": 1.1, "civil_servant": 0.9, "farmer": 0.7,
                        "other": 1.0, "retired": 0.0}  # fmt: skip
        youth = students | choose(
            [i for i in index if i not in students],
            lambda i: youth_weight[jobs[i]],
            yp.youth_union - len(students),
            "in the youth union",
        )
        older = [i for i in index if i not in youth]
        owners = choose(
            [i for i in older if jobs[i] == "enterprise"], lambda i: 1.0,
            yp.private_business_owner, "private business owners",
        )  # fmt: skip
        violators = choose(
            [i for i in older if i not in owners and jobs[i] != "retired"], lambda i: 1.0,
            yp.population_policy_violation, "population-policy violators",
        )  # fmt: skip
        readmitted = choose(
            [i for i in older if i not in owners and i not in violators
             and jobs[i] not in ("armed_forces", "retired")],
            lambda i: 1.0, yp.readmitted, "re-admitted",
        )  # fmt: skip
        female_weight = {"teacher_or_health": 4.0, "student": 2.3, "civil_servant": 1.6,
                         "enterprise": 1.6, "contract_or_freelance": 1.3, "farmer": 1.5,
                         "other": 1.5, "armed_forces": 0.2, "retired": 1.0}  # fmt: skip
        female = choose(index, lambda i: female_weight[jobs[i]], yp.female, "women")
        lives = []
        for i in index:
            job = jobs[i]
            admitted = _day(rng, date(year, 1, 5), date(year, 12, 26))
            if job == "student":
                ages = (18, 23)
            elif i in youth:
                ages = (19, 30)
            elif i in readmitted:
                ages = (36, 55)
            elif i in violators:
                ages = (31, 45)
            elif job == "retired":
                ages = (56, 64)
            else:
                ages = (31, rng.choice((36, 40, 48, 55)))
            life = self.new_life(
                female=i in female,
                birth=self.birth(admitted, *ages),
                youth_union=i in youth,
                occupation=job,
                org=self.cell_for(job, admitted),
                entry=admitted,
                admitted=admitted,
                owner=i in owners,
                violation=i in violators,
            )
            life.probation = self.probation_after(admitted)
            if i in readmitted:
                self.earlier_membership(life)
            lives.append(life)
        return lives

    def earlier_membership(self, life: Life) -> None:
        """Give a re-admitted member an earlier membership ended by an exit 3+ years before."""
        rng = self.rng
        first = _day(rng, max(date(1996, 1, 1), add_years(life.birth, 19)), date(2010, 12, 31))
        probation = self.probation_after(first)
        latest_exit = add_months(life.entry, -36) - timedelta(days=10)
        exit_on = _day(rng, add_years(first, 3), max(add_years(first, 3), latest_exit))
        if exit_on > latest_exit:
            raise PlanError("a re-admitted member cannot have exited 36 months before")
        dossier = max(first + timedelta(days=_int(rng, 30, 200)),
                      _day(rng, DB_START, DB_START + timedelta(days=700)))  # fmt: skip
        if dossier >= life.entry:
            dossier = first + timedelta(days=60)
        occupation = rng.choice(("enterprise", "civil_servant", "other", "farmer"))
        life.prior = Prior(
            admitted=first,
            org=self.cell_for(occupation, first),
            youth_union=add_years(life.birth, 31) > first,
            occupation=occupation,
            probation=probation,
            dossier=dossier,
            exit_on=exit_on,
            exit_kind=rng.choice(("removed", "removed", "resigned", "expelled")),
        )
        life.admitted = first
        life.dossier = dossier
        if first < DB_START:
            life.migrated = _day(rng, DB_START, DB_START + timedelta(days=700))
        life.locked = True

    def arrivals(self, year: int, count: int) -> None:
        rng = self.rng
        for _ in range(count):
            arrives = _day(rng, date(year, 1, 5), date(year, 12, 28))
            age = round(rng.triangular(23, 60, 31))
            birth = self.birth(arrives, age, age)
            occupation = ARRIVAL_JOBS(rng)
            adult = add_years(birth, 18) + timedelta(days=1)
            if rng.random() < 0.1 and arrives - timedelta(days=330) > adult:
                standing = "probationary"
                admitted = arrives - timedelta(days=_int(rng, 30, 330))
            else:
                standing = "official"
                earliest = max(adult, add_years(arrives, -35))
                latest = arrives - timedelta(days=400)
                admitted = _day(rng, earliest, latest) if earliest < latest else earliest
                if admitted > latest:  # too young for a full probation: still probationary
                    standing, admitted = "probationary", max(adult, arrives - timedelta(days=200))
            life = self.new_life(
                female=rng.random() < 0.5,
                birth=birth,
                youth_union=age <= 30 and rng.random() < 0.6,
                occupation=occupation,
                org=self.cell_for(occupation, arrives),
                entry=arrives,
                admitted=admitted,
                arrived_from=rng.choice(PROVINCES),
                standing=standing,
            )
            if standing == "probationary":
                life.probation = max(
                    self.probation_after(admitted), arrives + timedelta(days=_int(rng, 20, 60))
                )

    def returns(self, year: int, count: int) -> None:
        rng = self.rng
        start = date(year, 1, 1)
        pool = [
            life for life in self.lives
            if life.exit_kind == "away" and life.return_on is None
            and WINDOW <= life.exit_on <= start - timedelta(days=90)  # type: ignore[operator]
            and life.official_on(life.exit_on)  # type: ignore[arg-type]
        ]  # fmt: skip
        for life in _pick(rng, pool, lambda _: 1.0, count, f"returns in {year}"):
            assert life.exit_on is not None
            life.return_on = _day(rng, max(start, life.exit_on + timedelta(days=120)),
                                  date(year, 12, 28))  # fmt: skip
            life.return_org = self.cell_for(life.occupation, life.return_on)
            life.locked = True

    # --- the window: exits, deaths, transfers -------------------------------------------------

    def exits(self, year: int, yp: YearPlan, admitted: list[Life]) -> None:
        rng = self.rng
        start, end = date(year, 1, 1), date(year, 12, 31)
        middle = date(year, 7, 1)
        active = [
            life for life in self.lives
            if life.entry < start and life.exit_on is None and not life.locked
        ]  # fmt: skip
        taken: set[int] = set()
        ages = {life.key: life.age(middle) for life in active}

        def pool(condition: Callable[[Life], bool]) -> list[Life]:
            return [life for life in active if life.key not in taken and condition(life)]

        def leave(life: Life, on: date, kind: str) -> None:
            taken.add(life.key)
            life.exit_on, life.exit_kind = on, kind
            if kind == "away":
                life.exit_to = rng.choice(PROVINCES)
            if life.probation is not None and life.probation >= on:
                life.probation = None

        outgoing = yp.transferred_out
        if year == REPORT_YEAR:
            # New members transferred to another province before their dossier was entered:
            # the dossier follows them. The seed's figures need many of them (see the report).
            early = [life for life in admitted if life.entry <= date(year, 10, 15)
                     and life.prior is None]  # fmt: skip
            job_weight = {"student": 3.0, "contract_or_freelance": 2.0, "enterprise": 1.5}
            chosen = _pick(rng, early, lambda life: job_weight.get(life.occupation, 1.0),
                           self.plan.leavers, "new members leaving")  # fmt: skip
            for life in chosen:
                span = min(200, (end - life.entry).days)
                leave(life, life.entry + timedelta(days=_int(rng, 40, span)), "away")
            outgoing -= len(chosen)

        def not_recognised(life: Life) -> bool:
            if life.probation is None or life.probation < start:
                return False
            start_on = life.probation_start
            if start_on is None:
                return False
            due = add_months(start_on, 12)
            return start <= due <= date(year, 10, 31)

        for life in _pick(rng, pool(not_recognised), lambda _: 1.0, yp.removed_probationary,
                          f"probationary removals in {year}"):  # fmt: skip
            assert life.probation_start is not None
            due = add_months(life.probation_start, 12)
            leave(life, min(end, due + timedelta(days=_int(rng, 0, 55))), "removed")
            life.probation = None  # not recognised as an official member

        def hazard(life: Life) -> float:
            return math.exp((ages[life.key] - 80) / 7.0)

        for life in _pick(rng, pool(lambda _: True), hazard, yp.died, f"deaths in {year}"):
            leave(life, _day(rng, start, end), "died")

        def working(low: int, high: int, other: float) -> Callable[[Life], float]:
            return lambda life: 1.0 if low <= ages[life.key] <= high else other

        officials = pool(lambda life: life.official_on(start))
        for life in _pick(rng, [x for x in officials if x.key not in taken], working(25, 60, 0.2),
                          yp.expelled, f"expulsions in {year}"):  # fmt: skip
            leave(life, _day(rng, start, end), "expelled")
        others = yp.removed - yp.removed_probationary
        for life in _pick(rng, [x for x in officials if x.key not in taken], working(30, 70, 0.3),
                          others, f"removals in {year}"):  # fmt: skip
            leave(life, _day(rng, start, end), "removed")
        for life in _pick(rng, pool(lambda _: True), working(25, 65, 0.1), yp.resigned,
                          f"resignations in {year}"):  # fmt: skip
            leave(life, _day(rng, start, end), "resigned")

        def mobile(life: Life) -> float:
            age = ages[life.key]
            return 1.0 if age <= 45 else 0.4 if age <= 60 else 0.04

        for life in _pick(rng, pool(lambda _: True), mobile, outgoing, f"transfers out in {year}"):
            leave(life, _day(rng, start + timedelta(days=3), end), "away")

    def moves(self, year: int, count: int) -> None:
        rng = self.rng
        start, end = date(year, 1, 1), date(year, 12, 31)
        middle = date(year, 7, 1)
        pool = [
            life for life in self.lives
            if life.entry < start and not life.locked
            and (life.exit_on is None or life.exit_on > start + timedelta(days=90))
        ]  # fmt: skip

        def mobile(life: Life) -> float:
            return 1.0 if life.age(middle) <= 50 else 0.3

        candidates = _pick(rng, pool, mobile, min(len(pool), count * 2), f"moves in {year}")
        placed = 0
        for life in candidates:
            if placed == count:
                break
            for _ in range(4):
                latest = end if year < END.year else END - timedelta(days=50)
                if life.exit_on is not None:
                    latest = min(latest, life.exit_on - timedelta(days=50))
                if latest <= start:
                    break
                leaves = _day(rng, start, latest)
                arrives = leaves + timedelta(days=_int(rng, 5, 45))
                if life.busy(leaves - timedelta(days=10), arrives + timedelta(days=10)):
                    continue
                here, _ = life.org_on(leaves)
                committee = self.committee_of[here]
                if rng.random() < 0.6 and len(self.cells[committee]) > 1:
                    target = committee
                else:
                    target = _weighted_choice(
                        rng, {code: w for code, _, w, _ in self.committees if code != committee}
                    )
                to_org = rng.choice([c.org for c in self.cells[target] if c.org != here])
                life.moves.append(Move(leaves, to_org, arrives))
                life.moves.sort(key=lambda m: m.leaves)
                placed += 1
                break
        if placed < count:
            raise PlanError(f"only {placed} of {count} internal moves in {year} fit")

    # --- the seed's problems ------------------------------------------------------------------

    def problems(self) -> None:
        rng = self.rng
        plan = self.plan
        quiet = [
            life for life in self.lives
            if life.exit_on is None and not life.locked and life.entry < date(2020, 1, 1)
            and (life.probation is None or life.probation < date(2020, 1, 1))
            and all(m.leaves < date(2019, 6, 1) for m in life.moves)
        ]  # fmt: skip
        # Members in transit for months: the receiving org never recorded the arrival.
        for n, life in enumerate(_pick(rng, quiet, lambda _: 1.0, plan.stuck_in_transit, "stuck")):
            leaves = (
                _day(rng, date(2021, 9, 1), date(2021, 11, 30))
                if n < 2
                else _day(rng, date(2022, 3, 1), date(2022, 8, 31))
            )
            here, _ = life.org_on(leaves)
            committee = self.committee_of[here]
            target = rng.choice([c for c, _, _, _ in self.committees if c != committee])
            life.moves.append(Move(leaves, rng.choice(self.cells[target]).org, None))
            life.locked = True
        # Members working elsewhere without a transfer; some for more than 12 months.
        quiet = [life for life in quiet if not life.locked]
        away = _pick(rng, quiet, lambda _: 1.0, plan.away, "members away")
        for n, life in enumerate(away):
            if n < plan.away_for_good:
                life.extras.append((_day(rng, date(2020, 6, 1), date(2021, 11, 30)), "went_away"))
            else:
                went = _day(rng, date(2020, 1, 15), date(2022, 6, 30))
                back = min(END - timedelta(days=1), went + timedelta(days=_int(rng, 60, 300)))
                life.extras += [(went, "went_away"), (back, "returned")]
            life.locked = True
        # Probation decisions overdue: admitted in early 2021, never decided.
        admitted = [
            life for life in self.lives
            if life.entry.year == REPORT_YEAR and life.arrived_from is None
            and life.prior is None and life.exit_on is None
            and life.entry <= date(2021, 4, 30) and life.probation is not None
        ]  # fmt: skip
        for life in _pick(rng, admitted, lambda _: 1.0, plan.overdue_probations, "overdue"):
            life.probation = None
            life.locked = True
        # Deaths reported months late, after the cell exempted the member from activities.
        dead = [
            life for life in self.lives
            if life.exit_kind == "died" and date(2021, 1, 1) <= life.exit_on <= date(2022, 6, 30)  # type: ignore[operator]
            and life.official_on(life.exit_on)  # type: ignore[arg-type]
            and life.org_on(life.exit_on)[1] is None  # type: ignore[arg-type]
            and not life.extras
        ]  # fmt: skip
        for life in _pick(rng, dead, lambda _: 1.0, plan.anomalies, "anomalies"):
            assert life.exit_on is not None
            kind = rng.choice(("exempted", "card_issued"))
            life.anomaly = (life.exit_on + timedelta(days=_int(rng, 15, 45)), kind)

    # --- badges -------------------------------------------------------------------------------

    def badges(self) -> None:
        rng = self.rng
        for life in self.lives:
            if life.prior is not None:
                continue  # re-admitted members have less than 30 years
            awards: list[Badge] = []
            died = life.exit_on if life.exit_kind == "died" else None
            for years in BADGE_MILESTONES:
                due = add_years(life.admitted, years)
                if due > END or (died is not None and due > add_months(died, 12)):
                    break
                if due < life.entry:
                    continue  # reached before arriving: awarded elsewhere
                on = _ceremony_on_or_after(due)
                if life.return_on is not None and on < life.return_on and not life.on_roster(on):
                    on = _ceremony_on_or_after(life.return_on)  # away then: after the return
                if died is not None and on >= died:
                    horizon = 24 if years >= 70 else 12
                    early = [
                        c for c in _ceremonies_before(died, max(life.entry, WINDOW))
                        if due <= add_months(c, horizon) and life.on_roster(c)
                    ]  # fmt: skip
                    if early and rng.random() < 0.15:
                        awards.append(Badge(early[0], years, early=True))
                    elif died >= WINDOW and rng.random() < 0.6:
                        posthumous = _ceremony_after(died)
                        if posthumous <= END:
                            awards.append(Badge(posthumous, years, posthumous=True))
                    break
                if on > END or not life.on_roster(on):
                    break
                awards.append(Badge(on, years))
            before = [b for b in awards if b.on < WINDOW]
            life.badges = before[-1:] + [b for b in awards if b.on >= WINDOW]

    def adjust_badges(self) -> None:
        """Defer the latest awards of 2021 to the first ceremony of 2022 to meet the count."""
        awarded = [
            (badge.on, life.key, life, badge)
            for life in self.lives for badge in life.badges if badge.on.year == REPORT_YEAR
        ]  # fmt: skip
        excess = len(awarded) - self.plan.badges
        if excess < 0:
            raise PlanError(
                f"only {len(awarded)} badges come due in 2021, {self.plan.badges} needed"
            )
        deferred_to = _ceremony_after(date(REPORT_YEAR, 12, 31))
        awarded.sort(key=lambda item: (item[0], item[1]), reverse=True)
        for _, _, life, badge in awarded:
            if excess == 0:
                break
            if badge.early or badge.posthumous or not life.on_roster(deferred_to):
                continue
            badge.on = deferred_to
            excess -= 1
        if excess:
            raise PlanError(f"{excess} badges of 2021 could not be deferred")

    # --- dossiers -----------------------------------------------------------------------------

    def dossiers(self) -> None:
        rng = self.rng
        year_end = date(REPORT_YEAR, 12, 31)
        report_admits: list[Life] = []
        for life in self.lives:
            if life.entry.year == REPORT_YEAR and life.arrived_from is None:
                report_admits.append(life)
            if life.prior is not None:
                pass  # the dossier of the earlier membership
            elif life.entry < WINDOW and life.migrated is not None:
                life.dossier = life.migrated
            elif life.arrived_from is not None:
                life.dossier = life.entry + timedelta(days=_int(rng, 0, 14))
            elif life.entry.year == REPORT_YEAR:
                continue
            else:
                life.dossier = life.entry + timedelta(days=_int(rng, 15, 240))
            if life.dossier is not None and (
                life.dossier > END or (life.exit_on is not None and life.dossier >= life.exit_on)
            ):
                life.dossier = None
        # 2021: the planned number entered by the end of the year; the others in 2022 or never.
        staying = [x for x in report_admits if x.exit_on is None or x.exit_on > year_end]
        with_prior = [x for x in report_admits if x.prior is not None]
        fresh = [x for x in staying if x.prior is None and x.entry <= date(REPORT_YEAR, 12, 15)]
        wanted = self.plan.admitted_with_dossier - len(with_prior)
        lateness = {x.key: (x.entry - date(REPORT_YEAR, 1, 1)).days for x in fresh}
        entered = _pick(
            rng, fresh, lambda x: 1.0 / (1 + lateness[x.key]) ** 0.5, wanted, "dossiers"
        )
        chosen = {x.key for x in entered}
        for life in report_admits:
            if life.prior is not None:
                continue
            if life.key in chosen:
                life.dossier = _day(rng, life.entry + timedelta(days=7),
                                    min(year_end, life.entry + timedelta(days=240)))  # fmt: skip
            elif life.exit_on is not None and life.exit_on <= year_end:
                life.dossier = None  # transferred out with the dossier
            elif rng.random() < 0.9:
                life.dossier = max(life.entry + timedelta(days=_int(rng, 15, 240)),
                                   year_end + timedelta(days=_int(rng, 5, 60)))  # fmt: skip
            else:
                life.dossier = None
            if (
                life.dossier is not None
                and life.exit_on is not None
                and life.dossier >= life.exit_on
            ):
                life.dossier = None
        # 2020 admissions whose dossier was entered only in 2022.
        late = [
            x for x in self.lives
            if x.entry.year == REPORT_YEAR - 1 and x.arrived_from is None and x.prior is None
            and x.on_roster(year_end) and x.dossier is not None
        ]  # fmt: skip
        for life in _pick(rng, late, lambda _: 1.0, self.plan.late_dossiers, "late dossiers"):
            life.dossier = _day(rng, date(2022, 1, 10), date(2022, 6, 30))
            if life.exit_on is not None and life.dossier >= life.exit_on:
                life.dossier = None
        # Lost dossiers of old members make up the rest of the planned gap.
        roster = [x for x in self.lives if x.on_roster(year_end)]
        missing = sum(1 for x in roster if x.dossier is None or x.dossier > year_end)
        lost = (len(roster) - self.plan.dossiers_at_end) - missing
        if lost < 0:
            raise PlanError(f"{missing} members lack a dossier; the plan allows {lost + missing}")
        old = [x for x in roster if x.entry < date(1990, 1, 1) and x.dossier is not None]
        for life in _pick(rng, old, lambda _: 1.0, lost, "lost dossiers"):
            life.dossier = None

    # --- declared counts ----------------------------------------------------------------------

    def declared_counts(self) -> None:
        day = date(REPORT_YEAR, 12, 31)
        counts = {code: 0 for code, _, _, _ in self.committees}
        gone = {code: 0 for code, _, _, _ in self.committees}
        for life in self.lives:
            if life.on_roster(day):
                org, to_org = life.org_on(day)
                committee = self.committee_of[org]
                if to_org is None or self.committee_of[to_org] == committee:
                    counts[committee] += 1
            if life.exit_kind == "away" and life.exit_on and life.exit_on.year == REPORT_YEAR:
                gone[self.committee_of[life.org_on(life.exit_on - timedelta(days=1))[0]]] += 1
            for move in life.moves:
                if move.leaves.year == REPORT_YEAR:
                    org, _ = life.org_on(move.leaves - timedelta(days=1))
                    if self.committee_of[org] != self.committee_of[move.to_org]:
                        gone[self.committee_of[org]] += 1
        for code, count in counts.items():
            extra = gone[code] if code == UNDECLARED_COMMITTEE else 0
            self.declared.append((code, count + extra))

    # --- checks -------------------------------------------------------------------------------

    def check(self) -> None:
        """The plan's city-level figures of 2021, as the generator sees its own history."""
        end = date(REPORT_YEAR, 12, 31)
        roster = sum(1 for life in self.lives if life.on_roster(end))
        if roster != self.plan.members_at_end:
            raise PlanError(f"{roster} members on 31-12-2021, {self.plan.members_at_end} planned")

    def build(self) -> None:
        self.build_orgs()
        self.initial_population()
        for year, yp in sorted(self.plan.years.items()):
            admitted = self.admissions(year, yp)
            self.returns(year, yp.returns)
            self.arrivals(year, yp.transferred_in - yp.returns)
            self.exits(year, yp, admitted)
        for year, yp in sorted(self.plan.years.items()):
            self.moves(year, yp.internal_moves)
        self.problems()
        self.badges()
        self.adjust_badges()
        self.dossiers()
        self.declared_counts()
        self.check()
        self.name_everyone()

    def name_everyone(self) -> None:
        rng = self.rng
        families = [name for name, _ in FAMILY_NAMES]
        family_weights = [w for _, w in FAMILY_NAMES]
        ordered = sorted(self.lives, key=lambda x: (x.admitted, x.entry, x.key))
        for number, life in enumerate(ordered, start=1):
            life.member = f"{CITY}-m{number:07d}"
            family = rng.choices(families, weights=family_weights)[0]
            middle = rng.choice(MIDDLE_NAMES[life.female])
            given = rng.choice(GIVEN_NAMES[life.female])
            life.name = f"{family} {middle} {given}"
        self.lives = ordered


# --- emission -----------------------------------------------------------------------------------

PRIORITY = {
    "member.admitted": 0,
    "member.transferred_in": 1,
    "member.probation_completed": 2,
    "member.dossier_recorded": 3,
    "member.badge_awarded": 4,
    "member.went_away": 5,
    "member.returned": 5,
    "member.transferred_out": 6,
    "member.expelled": 7,
    "member.removed": 7,
    "member.resigned": 7,
    "member.died": 8,
}


class _Emitter:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed + 1)
        self.number = 0

    def fact(self, kind: str, on: date, recorded: date, **fields: Any) -> dict[str, Any]:
        self.number += 1
        return {
            "id": f"{CITY}-f{self.number:07d}",
            "type": kind,
            "on": on.isoformat(),
            "recorded_at": recorded.isoformat() + TIME,
            **fields,
        }

    def delay(self, kind: str) -> int:
        rng = self.rng
        if kind == "member.died":
            roll = rng.random()
            if roll < 0.6:
                return _int(rng, 2, 30)
            return _int(rng, 31, 90) if roll < 0.9 else _int(rng, 91, 240)
        if kind in ("member.transferred_out", "member.transferred_in"):
            return _int(rng, 35, 120) if rng.random() < 0.04 else _int(rng, 0, 7)
        if kind in ("member.went_away", "member.returned"):
            return _int(rng, 5, 40)
        if kind in ("member.expelled", "member.removed", "member.resigned"):
            return _int(rng, 1, 20)
        if kind == "member.dossier_recorded":
            return 0
        return _int(rng, 0, 7)

    def member(self, life: Life) -> Iterator[dict[str, Any]]:
        person = {"name": life.name, "gender": "female" if life.female else "male",
                  "birth_date": life.birth.isoformat()}  # fmt: skip
        who = {"member": life.member}
        planned: list[tuple[date, int, str, dict[str, Any]]] = []

        def add(on: date, kind: str, **fields: Any) -> None:
            planned.append((on, PRIORITY[kind], kind, {**who, **fields}))

        prior = life.prior
        if prior is not None:
            add(prior.admitted, "member.admitted", org=prior.org, person=person,
                youth_union=prior.youth_union, occupation=prior.occupation)  # fmt: skip
            add(prior.probation, "member.probation_completed")
            add(prior.dossier, "member.dossier_recorded")
            add(prior.exit_on, f"member.{prior.exit_kind}")
        if life.arrived_from is None:
            extra: dict[str, Any] = {}
            if life.owner:
                extra["private_business_owner"] = True
            if life.violation:
                extra["population_policy_violation"] = True
            add(life.entry, "member.admitted", org=life.org, person=person,
                youth_union=life.youth_union, occupation=life.occupation, **extra)  # fmt: skip
        else:
            add(life.entry, "member.transferred_in", org=life.org, from_external=life.arrived_from,
                person=person, youth_union=life.youth_union, occupation=life.occupation,
                standing=life.standing, admitted_on=life.admitted.isoformat())  # fmt: skip
        if life.probation is not None and life.probation <= END:
            add(life.probation, "member.probation_completed")
        if life.dossier is not None and prior is None:
            add(life.dossier, "member.dossier_recorded")
        for move in life.moves:
            add(move.leaves, "member.transferred_out", to_org=move.to_org)
            if move.arrives is not None:
                add(move.arrives, "member.transferred_in", org=move.to_org)
        for badge in life.badges:
            add(badge.on, "member.badge_awarded", years=badge.years,
                **({"early": True} if badge.early else {}))  # fmt: skip
        for on, kind in life.extras:
            add(on, f"member.{kind}")
        if life.exit_on is not None:
            if life.exit_kind == "away":
                add(life.exit_on, "member.transferred_out", to_external=life.exit_to)
            else:
                add(life.exit_on, f"member.{life.exit_kind}")
        if life.return_on is not None:
            add(life.return_on, "member.transferred_in", org=life.return_org,
                from_external=life.exit_to)  # fmt: skip
        planned.sort(key=lambda item: (item[0], item[1]))
        last = date.min
        for on, _, kind, fields in planned:
            if life.migrated is not None and on < life.migrated:
                wanted = life.migrated
            else:
                wanted = on + timedelta(days=self.delay(kind))
            if kind == "member.died" and life.anomaly is not None:
                # Reported only after the cell, unaware, recorded a later fact.
                anomaly_on, anomaly = life.anomaly
                noticed = max(anomaly_on, last)
                yield self.fact(f"member.{anomaly}", anomaly_on, noticed, **who)
                last = noticed
                wanted = max(wanted, anomaly_on + timedelta(days=_int(self.rng, 30, 90)))
            recorded = min(END, max(wanted, last))
            last = recorded
            yield self.fact(kind, on, recorded, **fields)


def generate(seed: int = 2021, plan: Plan = SEED_PLAN) -> Iterator[dict[str, Any]]:
    """Yield the demo history's facts: organisations first, then each member's facts in
    recording order, then the committees' declared head counts of 31-12-2021."""
    builder = _Builder(seed, plan)
    builder.build()
    emitter = _Emitter(seed)
    registered = date(2009, 12, 1)
    for org in builder.orgs:
        yield emitter.fact("organization.registered", org.registered, registered,
                           org=org.org, name=org.name, parent=org.parent)  # fmt: skip
    for life in builder.lives:
        yield from emitter.member(life)
    declared_on, recorded = date(REPORT_YEAR, 12, 31), date(REPORT_YEAR + 1, 1, 12)
    for code, count in builder.declared:
        yield emitter.fact("organization.count_declared", declared_on, recorded, org=code,
                           count=count)  # fmt: skip


def lines(facts: Iterable[dict[str, Any]]) -> Iterator[bytes]:
    """The facts as JSON Lines (bytes, without the newline)."""
    import orjson

    for fact in facts:
        yield orjson.dumps(fact)


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m commands.demo [SEED]``: write the history as JSON Lines to stdout."""
    import sys

    from commands.runtime import fewer_collections

    args = list(sys.argv[1:] if argv is None else argv)
    seed = int(args[0]) if args else 2021
    out = sys.stdout.buffer
    with fewer_collections():
        for line in lines(generate(seed)):
            out.write(line + b"\n")
    out.flush()


if __name__ == "__main__":
    main()
