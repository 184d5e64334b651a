"""Seeded random histories of facts: plausible lives of members in a small org tree, plus noise.

``generate_history(rng, members=…, prefix=…)`` returns facts (dicts) in submission order.
Submission order is mostly the order of ``recorded_at``; many facts are recorded late, so
their ``on`` lies before facts already submitted. Deaths are sometimes recorded years late
after facts dated after them; then come duplicates, same-id-different-content, malformed facts,
future dates, recording-order violations, retractions (some conflicting), unknown members and
orgs, premature dissolutions. Every ``recorded_at`` is explicit and at most ``NOW``.

Ids of members, orgs and explicit fact ids carry ``prefix``, so that several histories can
share one ledger without meeting.
"""

from __future__ import annotations

import copy
import json
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any

from tests.reference.model import MILESTONES, OCCUPATIONS, add_months, add_years, fact_id

NOW = datetime.fromisoformat("2026-01-01T12:00:00+07:00")
END = date(2025, 12, 31)
HANOI = timezone(timedelta(hours=7))
FIRST_DAY = date(1950, 1, 1)

SURNAMES = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi")
GIVEN = ("Văn An", "Thị Bình", "Hữu Cường", "Thị Dung", "Minh Đức", "Thu Hà", "Quang Huy")
PLACES = ("Tỉnh Hải Dương", "Thành phố Hà Nội", "Quảng Ninh", "nước ngoài (Nhật Bản)")


@dataclass
class OrgPlan:
    id: str
    parent: str | None
    registered: date
    dissolved: date | None = None
    cell: bool = True


@dataclass(order=True)
class _Entry:
    recorded_at: datetime
    order: int
    fact: dict[str, Any] = field(compare=False)


def _day(rng: random.Random, start: date, end: date) -> date:
    if end <= start:
        return start
    return start + timedelta(days=rng.randint(0, (end - start).days))


def _stamp(moment: datetime, rng: random.Random) -> str:
    """recorded_at text: mostly Hanoi time, sometimes UTC with Z or +00:00."""
    r = rng.random()
    if r < 0.03:
        return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if r < 0.05:
        return moment.astimezone(UTC).isoformat()
    return moment.astimezone(HANOI).isoformat()


class _Generator:
    def __init__(self, rng: random.Random, prefix: str, members: int, chaos: float) -> None:
        self.rng = rng
        self.chaos = chaos
        self.prefix = prefix
        self.n_members = members
        self.entries: list[_Entry] = []
        self.counter = 0
        self.orgs = self._plan_orgs()

    # --- helpers ---------------------------------------------------------------------------

    def oid(self, name: str) -> str:
        return f"{self.prefix}{name}"

    def recorded(self, on: date, *, late: float = 0.0, delay: int | None = None) -> datetime:
        """A recording moment on or after ``on``: usually days later, with ``late`` odds years."""
        rng = self.rng
        if delay is None:
            delay = rng.randint(0, 20)
            if rng.random() < late:
                delay = rng.randint(60, 1500)
        moment = datetime.combine(on + timedelta(days=delay), time(8, 0), HANOI)
        moment += timedelta(minutes=rng.randint(0, 600), seconds=rng.randint(0, 59))
        return min(moment, NOW - timedelta(minutes=rng.randint(1, 60)))

    def add(self, fact: dict[str, Any], recorded_at: datetime) -> dict[str, Any]:
        fact["recorded_at"] = _stamp(recorded_at, self.rng)
        if self.rng.random() < 0.15:
            fact["id"] = f"{self.prefix}f{self.counter}"
        if self.rng.random() < 0.1:
            fact["ref"] = f"Quyết định số {self.rng.randint(1, 999)}-QĐ/TU"
        if self.rng.random() < 0.05:
            fact["note"] = "ghi chú: bổ sung hồ sơ"
        self.entries.append(_Entry(recorded_at, self.counter, fact))
        self.counter += 1
        return fact

    # --- the org tree ------------------------------------------------------------------------

    def _plan_orgs(self) -> dict[str, OrgPlan]:
        rng = self.rng
        o = self.oid
        plans = [
            OrgPlan(o("hp"), None, FIRST_DAY, cell=False),
            OrgPlan(o("d1"), o("hp"), FIRST_DAY, cell=False),
            OrgPlan(o("d2"), o("hp"), FIRST_DAY, cell=False),
            OrgPlan(o("d3"), o("hp"), date(1950, 1, 2), cell=False),
            OrgPlan(o("c11"), o("d1"), FIRST_DAY),
            OrgPlan(o("c12"), o("d1"), date(1950, 2, 1)),
            OrgPlan(o("c21"), o("d2"), FIRST_DAY),
            OrgPlan(o("c22"), o("d2"), FIRST_DAY),
            OrgPlan(o("c31"), o("d3"), date(1950, 1, 2)),
            OrgPlan(o("c13"), o("d1"), _day(rng, date(1980, 1, 1), date(1990, 1, 1))),
            OrgPlan(
                o("c23"),
                o("d2"),
                date(1960, 3, 1),
                _day(rng, date(2008, 1, 1), date(2014, 1, 1)),
            ),
            OrgPlan(o("d4"), o("hp"), date(1970, 1, 1), date(2019, 1, 1), cell=False),
            OrgPlan(
                o("c41"), o("d4"), date(1970, 2, 1), _day(rng, date(2015, 1, 1), date(2024, 6, 30))
            ),
        ]
        plan = {p.id: p for p in plans}
        c41 = plan[o("c41")]
        assert c41.dissolved is not None
        plan[o("d4")].dissolved = c41.dissolved + timedelta(days=rng.randint(1, 100))
        for number, p in enumerate(plans):  # parents first, in recording order
            moment = datetime.combine(p.registered, time(7, 0), HANOI)
            self.add(
                {
                    "type": "organization.registered",
                    "on": p.registered.isoformat(),
                    "org": p.id,
                    "name": f"Chi bộ {p.id}" if p.cell else f"Đảng bộ {p.id}",
                    "parent": p.parent,
                },
                moment + timedelta(minutes=number),
            )
            if rng.random() < 0.3:
                on = _day(rng, p.registered, p.dissolved or END)
                if p.dissolved is None or on < p.dissolved:
                    self.add(
                        {
                            "type": "organization.renamed",
                            "on": on.isoformat(),
                            "org": p.id,
                            "name": f"Tên mới {p.id}",
                        },
                        self.recorded(on),
                    )
        last = datetime.min.replace(tzinfo=HANOI)
        for p in plans:  # children before parents, in recording order
            if p.dissolved is not None:
                moment = max(self.recorded(p.dissolved, delay=rng.randint(30, 400)), last)
                self.add(
                    {"type": "organization.dissolved", "on": p.dissolved.isoformat(), "org": p.id},
                    moment + timedelta(seconds=1),
                )
                last = moment + timedelta(seconds=1)
        return plan

    def cells(self, day: date, until: date | None = None) -> list[str]:
        """Cells active from ``day`` until at least ``until``."""
        until = until or day
        return [
            p.id
            for p in self.orgs.values()
            if p.cell and p.registered <= day and (p.dissolved is None or until < p.dissolved)
        ]

    def cell_for(self, day: date, besides: str | None = None) -> str | None:
        choices = [c for c in self.cells(day, day + timedelta(days=400)) if c != besides]
        return self.rng.choice(choices) if choices else None

    def count_declarations(self) -> None:
        rng = self.rng
        for p in self.orgs.values():
            for _ in range(rng.randint(0, 2)):
                on = _day(rng, p.registered, p.dissolved or END)
                if p.dissolved is not None and on >= p.dissolved:
                    continue
                self.add(
                    {
                        "type": "organization.count_declared",
                        "on": on.isoformat(),
                        "org": p.id,
                        "count": rng.randint(0, 40),
                    },
                    self.recorded(on, late=0.2),
                )

    # --- a member's life -----------------------------------------------------------------------

    def person(self, birth: date) -> dict[str, Any]:
        rng = self.rng
        person: dict[str, Any] = {
            "name": f"{rng.choice(SURNAMES)} {rng.choice(GIVEN)}",
            "gender": rng.choice(("female", "male")),
        }
        if rng.random() < 0.9:
            person["birth_date"] = birth.isoformat()
        return person

    def member_life(self, n: int) -> None:
        _Life(self, self.oid(f"m{n:04d}")).run()

    # --- noise ---------------------------------------------------------------------------------

    def noise(self) -> list[dict[str, Any]]:
        """The stream in recording order, with noise facts put in at random places."""
        rng = self.rng
        stream = [e.fact for e in sorted(self.entries)]
        out: list[dict[str, Any]] = []
        member_facts = [f for f in stream if "member" in f]
        for position, f in enumerate(stream):
            out.append(f)
            if rng.random() > 0.12 + self.chaos / 2 or position < 15:
                continue
            earlier = stream[: position + 1]
            earlier_members = [g for g in earlier if "member" in g]
            if not earlier_members:
                continue
            moment = f["recorded_at"]
            today = _recorded_date(f)
            kind = rng.choice(
                (
                    "duplicate",
                    "duplicate",
                    "same_id",
                    "invalid",
                    "invalid",
                    "future",
                    "order",
                    "retract",
                    "retract",
                    "retract",
                    "retract_bad",
                    "unknown_member",
                    "unknown_org",
                    "inactive_org",
                    "dossier_again",
                    "retract_death",
                )
            )
            if rng.random() < self.chaos:
                kind = rng.choice(("fuzz", "fuzz", "fuzz", "org_fuzz", "retract"))
            g: dict[str, Any] | None
            if rng.random() < 0.03:
                out.append(self.raw_line(earlier))  # type: ignore[arg-type]
                continue
            if kind == "fuzz":
                g = self.fuzz(rng.choice(earlier_members), earlier_members, moment)
            elif kind == "org_fuzz":
                g = self.org_fuzz(today, moment)
            elif kind == "retract_death":
                deaths = [x for x in earlier if x["type"] == "member.died"]
                if not deaths:
                    continue
                g = {
                    "type": "fact.retracted",
                    "on": today.isoformat(),
                    "fact": fact_id(rng.choice(deaths)),
                    "reason": "còn sống",
                    "recorded_at": moment,
                }
            elif kind == "duplicate":
                g = copy.deepcopy(rng.choice(earlier))
            elif kind == "same_id":
                with_id = [x for x in earlier if "id" in x]
                if not with_id:
                    continue
                g = copy.deepcopy(rng.choice(with_id))
                if rng.random() < 0.5:
                    g["note"] = f"sửa lại {rng.randint(1, 99)}"
                else:  # another fact that reuses the id
                    g = {
                        "type": "member.dossier_recorded",
                        "on": today.isoformat(),
                        "member": rng.choice(earlier_members)["member"],
                        "recorded_at": moment,
                        "id": g["id"],
                    }
            elif kind == "invalid":
                g = self.malformed(copy.deepcopy(rng.choice(earlier)))
            elif kind == "future":
                g = copy.deepcopy(rng.choice(earlier_members))
                g.pop("id", None)
                r = rng.random()
                if r < 0.4:
                    g["on"] = (today + timedelta(days=rng.randint(1, 30))).isoformat()
                    g["recorded_at"] = moment
                elif r < 0.7:
                    g["recorded_at"] = "2026-01-02T08:00:00+07:00"
                    g["on"] = min(date.fromisoformat(g["on"]), END).isoformat()
                else:  # on the Hanoi date but the day before in UTC
                    g["on"] = today.isoformat()
                    g["recorded_at"] = f"{(today - timedelta(days=1)).isoformat()}T20:00:00Z"
            elif kind == "order":
                target = rng.choice(earlier_members)
                g = {"type": "member.dossier_recorded", "member": target["member"]}
                early = _recorded_date(target) - timedelta(days=rng.randint(1, 400))
                g["on"] = early.isoformat()
                g["recorded_at"] = f"{early.isoformat()}T07:00:00+07:00"
            elif kind == "retract":
                pool = [x for x in earlier if "member" in x or x["type"].endswith("count_declared")]
                target = rng.choice(pool)
                g = {
                    "type": "fact.retracted",
                    "on": today.isoformat(),
                    "fact": fact_id(target),
                    "reason": rng.choice(("nhập nhầm", "sai quyết định", "trùng")),
                }
                g["recorded_at"] = moment
            elif kind == "retract_bad":
                r = rng.random()
                if r < 0.3:
                    target_id = f"sha256:{rng.getrandbits(256):064x}"
                elif r < 0.6:
                    retractions = [
                        x for x in out if isinstance(x, dict) and x.get("type") == "fact.retracted"
                    ]
                    if not retractions:
                        continue
                    target_id = fact_id(rng.choice(retractions))
                elif r < 0.8:
                    orgs = [x for x in earlier if x["type"] == "organization.registered"]
                    target_id = fact_id(rng.choice(orgs))
                else:  # retract something twice
                    retractions = [
                        x for x in out if isinstance(x, dict) and x.get("type") == "fact.retracted"
                    ]
                    if not retractions:
                        continue
                    target_id = rng.choice(retractions)["fact"]
                g = {
                    "type": "fact.retracted",
                    "on": today.isoformat(),
                    "fact": target_id,
                    "reason": f"lần {rng.randint(2, 9)}",
                    "recorded_at": moment,
                }
            elif kind == "unknown_member":
                g = {
                    "type": rng.choice(
                        ("member.dossier_recorded", "member.died", "member.probation_completed")
                    ),
                    "on": today.isoformat(),
                    "member": self.oid(f"x{rng.randint(0, 99)}"),
                    "recorded_at": moment,
                }
            elif kind == "unknown_org":
                g = self.admission_like(today, moment, self.oid("c99"))
            elif kind == "inactive_org":
                plan = rng.choice([p for p in self.orgs.values() if p.cell])
                if plan.dissolved is not None and plan.dissolved <= today and rng.random() < 0.7:
                    on = _day(rng, plan.dissolved, today)
                else:
                    on = plan.registered - timedelta(days=rng.randint(1, 3000))
                g = self.admission_like(on, moment, plan.id)
            else:  # dossier_again: data entry repeated, also for exited members
                target = rng.choice(member_facts)
                g = {
                    "type": "member.dossier_recorded",
                    "on": today.isoformat(),
                    "member": target["member"],
                    "recorded_at": moment,
                }
            out.append(g)
        return out

    def fuzz(
        self, target: dict[str, Any], pool: list[dict[str, Any]], moment: str
    ) -> dict[str, Any]:
        """A random member fact about a known member, dated near one of its facts."""
        rng = self.rng
        member = target["member"]
        today = datetime.fromisoformat(moment.replace("Z", "+00:00")).date()
        theirs = [date.fromisoformat(x["on"]) for x in pool if x.get("member") == member]
        r = rng.random()
        if r < 0.5 and theirs:
            on = rng.choice(theirs) + timedelta(days=rng.choice((0, 0, 0, 1, -1, 365, -365)))
        elif r < 0.6:
            year = rng.choice([y for y in range(1952, today.year + 1) if y % 4 == 0])
            on = date(year, 2, 29)
        else:
            on = _day(rng, FIRST_DAY, today)
        on = min(max(on, FIRST_DAY), today)
        kind = rng.choice(
            (
                "admitted",
                "probation_completed",
                "transferred_out",
                "transferred_in",
                "badge_awarded",
                "expelled",
                "removed",
                "resigned",
                "died",
                "dossier_recorded",
                "went_away",
                "returned",
                "exempted",
                "exemption_ended",
                "card_issued",
            )
        )
        cells = [p.id for p in self.orgs.values() if p.cell]
        g: dict[str, Any] = {"type": f"member.{kind}", "on": on.isoformat(), "member": member}
        if kind == "admitted":
            birth = add_years(on, -rng.choice((17, 18, 18, 30)))
            if rng.random() < 0.3:
                birth = date(birth.year - birth.year % 4, 2, 29)
            g.update(
                org=rng.choice(cells),
                person=self.person(birth),
                youth_union=False,
                occupation=rng.choice(OCCUPATIONS),
            )
        elif kind == "transferred_out":
            if rng.random() < 0.7:
                g["to_org"] = rng.choice(cells)
            else:
                g["to_external"] = rng.choice(PLACES)
        elif kind == "transferred_in":
            g["org"] = rng.choice(cells)
            if rng.random() < 0.5:
                g["from_external"] = rng.choice(PLACES)
            if rng.random() < 0.3:
                g.update(
                    person=self.person(add_years(on, -30)),
                    youth_union=True,
                    occupation="farmer",
                    standing=rng.choice(("probationary", "official")),
                    admitted_on=add_months(on, -rng.randint(0, 600)).isoformat(),
                )
        elif kind == "badge_awarded":
            g["years"] = rng.choice(MILESTONES[:6])
            if rng.random() < 0.4:
                g["early"] = rng.random() < 0.8
        g["recorded_at"] = moment
        return g

    def org_fuzz(self, today: date, moment: str) -> dict[str, Any]:
        """Register, rename or dissolve an org at a random date."""
        rng = self.rng
        orgs = list(self.orgs)
        on = _day(rng, FIRST_DAY, today)
        r = rng.random()
        if r < 0.4:
            new = self.oid(f"z{rng.randint(0, 9)}")
            return {
                "type": "organization.registered",
                "on": on.isoformat(),
                "org": new,
                "name": "Chi bộ mới",
                "parent": rng.choice(orgs),
                "recorded_at": moment,
            }
        if r < 0.6:
            return {
                "type": "organization.renamed",
                "on": on.isoformat(),
                "org": rng.choice(orgs),
                "name": "Tên khác",
                "recorded_at": moment,
            }
        return {
            "type": "organization.dissolved",
            "on": on.isoformat(),
            "org": rng.choice(orgs),
            "recorded_at": moment,
        }

    def admission_like(self, on: date, moment: str, org: str) -> dict[str, Any]:
        rng = self.rng
        if rng.random() < 0.5:
            return {
                "type": "member.admitted",
                "on": on.isoformat(),
                "member": self.oid(f"n{rng.randint(0, 999)}"),
                "org": org,
                "person": self.person(on - timedelta(days=365 * 30)),
                "youth_union": True,
                "occupation": "student",
                "recorded_at": moment,
            }
        members = [e.fact["member"] for e in self.entries if "member" in e.fact]
        return {
            "type": "member.transferred_out",
            "on": on.isoformat(),
            "member": rng.choice(members),
            "to_org": org,
            "recorded_at": moment,
        }

    def malformed(self, g: dict[str, Any]) -> dict[str, Any]:
        rng = self.rng
        r = rng.randint(0, 8)
        if r == 0:
            g["extra_field"] = "?"
        elif r == 1:
            g.pop("on")
        elif r == 2:
            g["on"] = rng.choice(("2021-02-30", "2021/03/01", "21-03-01", "2021-3-1"))
        elif r == 3:
            g["type"] = "member.promoted"
        elif r == 4:
            g["recorded_at"] = rng.choice(("2021-03-01", "2021-03-01T09:00:00", "yesterday"))
        elif r == 5 and g.get("type") == "member.admitted":
            g["occupation"] = "astronaut"
        elif r == 5 and "member" in g:
            g["member"] = "bad id with spaces"
        elif r == 6 and g.get("type") == "member.admitted":
            g["person"]["gender"] = "x"
        elif r == 6 and g.get("type") == "member.badge_awarded":
            g["years"] = 33
        elif r == 7 and g.get("type") == "member.transferred_out":
            g["to_org"] = self.oid("c11")
            g["to_external"] = "Hà Nội"
        elif r == 7 and g.get("type") == "member.transferred_in":
            g["private_business_owner"] = False  # not an arrival field of SPEC §2
        elif r == 7 and g.get("type") == "member.badge_awarded":
            g["early"] = "yes"
        elif r == 8 and g.get("type") == "member.transferred_in":
            g["admitted_on"] = "2099-01-01"
        elif r == 8 and g.get("type") == "member.badge_awarded":
            g["years"] = rng.choice((True, "30", 31, None))
        elif r == 8 and g.get("type") == "organization.count_declared":
            g["count"] = rng.choice(("5", -1, True))
        elif r == 8 and g.get("type") == "member.admitted":
            g["person"]["age"] = 30
        elif r == 8 and "member" in g:
            g["member"] = "m" * 65
        elif r == 8:
            g["note"] = "x" * 2001
        else:
            g["unknown"] = 1
        return g

    def raw_line(self, earlier: list[dict[str, Any]]) -> str | dict[str, Any]:
        """A line that is not a fact object, or a line of a rejects file wrapping a fact."""
        rng = self.rng
        r = rng.random()
        if r < 0.5:
            return rng.choice(("{not json", "[1, 2]", '"a string"', "null", "42", '{"type":'))
        inner: Any = copy.deepcopy(rng.choice(earlier))
        inner.pop("id", None)
        inner["note"] = "nhập lại từ tệp lỗi"
        if r < 0.6:
            inner = json.dumps(inner, ensure_ascii=False)
        return {
            "line": rng.randint(1, 99),
            "id": None,
            "error": "not_member",
            "message": "…",
            "fact": inner,
        }


def _recorded_date(f: dict[str, Any]) -> date:
    """The date of a fact's recorded_at in its own offset."""
    return datetime.fromisoformat(f["recorded_at"].replace("Z", "+00:00")).date()


class _Life:
    """One member's life, simulated forward in valid time; facts get recording delays."""

    def __init__(self, gen: _Generator, member: str) -> None:
        self.g = gen
        self.rng = gen.rng
        self.member = member
        self.phase = "none"
        self.org: str | None = None
        self.standing = "probationary"
        self.party_start = FIRST_DAY
        self.exit_date: date | None = None
        self.exits = 0
        self.badges: set[int] = set()
        self.last_recorded = datetime.min.replace(tzinfo=HANOI)

    def emit(
        self,
        kind: str,
        on: date,
        *,
        late: float = 0.06,
        delay: int | None = None,
        not_before: datetime | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        fact = {"type": f"member.{kind}", "on": on.isoformat(), "member": self.member, **fields}
        moment = self.g.recorded(on, late=late, delay=delay)
        if not_before is not None and self.rng.random() < 0.95:
            moment = min(max(moment, not_before + timedelta(minutes=5)), NOW)
        self.last_recorded = max(self.last_recorded, moment)
        return self.g.add(fact, moment)

    def age_at(self, day: date) -> int:
        return (day - self.birth).days // 365

    def run(self) -> None:
        rng = self.rng
        start = _day(rng, date(1952, 1, 1), date(2025, 6, 30))
        if rng.random() < 0.4:  # more old members, for badges
            start = _day(rng, date(1952, 1, 1), date(1985, 12, 31))
        self.birth = start - timedelta(days=rng.randint(18 * 366, 45 * 365))
        if rng.random() < 0.02:
            self.birth = add_years(start, -18) + timedelta(days=rng.randint(1, 300))
        org = self.g.cell_for(start)
        if org is None:
            return
        if rng.random() < 0.12:
            self.arrive_from_outside(start, org)
        else:
            self.admit(start, org, late=0.02)
            self.dossier(start)
        t = start
        while self.phase not in ("dead", "done") and t < END:
            t = self.step(t)

    # --- entries -------------------------------------------------------------------------------

    def admit(self, on: date, org: str, *, late: float = 0.0) -> None:
        rng = self.rng
        fields: dict[str, Any] = {
            "org": org,
            "person": self.g.person(self.birth),
            "youth_union": rng.random() < 0.5,
            "occupation": rng.choice(OCCUPATIONS),
        }
        if rng.random() < 0.1:
            fields["private_business_owner"] = rng.random() < 0.5
        if rng.random() < 0.1:
            fields["population_policy_violation"] = rng.random() < 0.3
        self.emit("admitted", on, late=late, **fields)
        if self.phase == "none":
            self.party_start = on
        elif self.exit_date is not None:
            self.party_start += on - self.exit_date
        self.phase, self.org, self.standing = "placed", org, "probationary"
        self.probation_start = on
        if self.age_at(on) < 18:
            self.phase = "done"  # refused as under age; stop here

    def arrive_from_outside(self, on: date, org: str) -> None:
        rng = self.rng
        admitted_on = max(on - timedelta(days=rng.randint(0, 30 * 365)), FIRST_DAY)
        admitted_on = max(admitted_on, add_years(self.birth, 18))
        standing = "official" if (on - admitted_on).days > 420 else "probationary"
        fields: dict[str, Any] = {
            "org": org,
            "from_external": rng.choice(PLACES),
            "person": self.g.person(self.birth),
            "youth_union": rng.random() < 0.3,
            "occupation": rng.choice(OCCUPATIONS),
            "standing": standing,
            "admitted_on": admitted_on.isoformat(),
        }
        if rng.random() < 0.05:
            del fields[rng.choice(("person", "standing", "admitted_on", "from_external"))]
        self.emit("transferred_in", on, late=0.02, **fields)
        self.phase, self.org, self.standing = "placed", org, standing
        self.party_start = admitted_on
        self.probation_start = admitted_on

    def dossier(self, start: date) -> None:
        rng = self.rng
        if rng.random() < 0.85:
            on = start + timedelta(days=rng.randint(0, 500))
            if on <= END:
                self.emit("dossier_recorded", on, late=0.2)
            if rng.random() < 0.05 and on + timedelta(days=100) <= END:
                self.emit("dossier_recorded", on + timedelta(days=100))

    # --- one step of valid time ------------------------------------------------------------------

    def step(self, t: date) -> date:
        rng = self.rng
        if self.phase == "placed" and self.standing == "probationary":
            t = self.probation(t)
            if self.phase != "placed":
                return t
        nxt = t + timedelta(days=rng.randint(90, 1500))
        if self.phase == "placed":
            plan = self.g.orgs[self.org]
            if plan.dissolved is not None and plan.dissolved <= nxt + timedelta(days=60):
                nxt = max(
                    t + timedelta(days=1), plan.dissolved - timedelta(days=rng.randint(5, 60))
                )
                self.badges_between(t, nxt)
                self.transfer_within(nxt, forced=True)
                return nxt
        if nxt > END:
            self.badges_between(t, END)
            return END
        self.badges_between(t, nxt)
        if self.phase in ("placed", "in_transit") and rng.random() < self.death_odds(nxt):
            self.die(nxt)
            return nxt
        if self.phase == "in_transit":
            if rng.random() < 0.6:
                self.emit("transferred_in", nxt, late=0.03, org=self.to_org)
                self.phase, self.org = "placed", self.to_org
            return nxt
        if self.phase == "away":
            if rng.random() < 0.4:
                org = self.g.cell_for(nxt)
                if org is not None:
                    fields: dict[str, Any] = {"org": org, "from_external": rng.choice(PLACES)}
                    if rng.random() < 0.1:
                        fields["person"] = self.g.person(self.birth)
                    if rng.random() < 0.05:
                        del fields["from_external"]
                    self.emit("transferred_in", nxt, late=0.03, **fields)
                    self.phase, self.org = "placed", org
            elif rng.random() < 0.2:
                self.phase = "done"
            return nxt
        if self.phase == "exited":
            self.readmission(nxt)
            return nxt
        return self.placed_action(nxt)

    def death_odds(self, day: date) -> float:
        age = self.age_at(day)
        return 0.01 if age < 50 else 0.04 if age < 65 else 0.12 if age < 80 else 0.35

    def probation(self, t: date) -> date:
        rng = self.rng
        due = add_months(self.probation_start, 12)
        r = rng.random()
        if r < 0.06:
            early = add_months(self.probation_start, rng.randint(6, 11))
            self.emit("probation_completed", max(early, t), late=0.02)
        if r > 0.96:
            on = max(t, due + timedelta(days=rng.randint(0, 60)))
            if on <= END:
                self.emit("removed", on, reason="không đủ điều kiện công nhận chính thức")
                self.exit(on)
            return min(on, END)
        on = max(t, due + timedelta(days=rng.randint(0, 60)))
        if on > END:
            return END
        self.emit("probation_completed", on, late=0.1)
        self.standing = "official"
        return on

    def badges_between(self, t: date, until: date) -> None:
        rng = self.rng
        if self.phase not in ("placed", "in_transit"):
            return
        for years in MILESTONES:
            due = add_years(self.party_start, years)
            if years in self.badges or not (t < due <= until) or rng.random() < 0.3:
                continue
            r = rng.random()
            months = 24 if years >= 70 else 12
            if r < 0.1:  # too early, no early flag: not eligible
                on = due - timedelta(days=rng.randint(1, 300))
                self.emit("badge_awarded", on, late=0.1, years=years)
            elif r < 0.2:  # early, within the window
                on = add_months(due, -months) + timedelta(days=rng.randint(0, 300))
                self.emit("badge_awarded", on, late=0.1, years=years, early=True)
            elif r < 0.25:  # early but too early
                on = add_months(due, -months - rng.randint(1, 8))
                self.emit("badge_awarded", on, late=0.1, years=years, early=True)
            else:
                on = due + timedelta(days=rng.randint(0, 150))
                if on > END:
                    continue
                extra = {"early": False} if rng.random() < 0.05 else {}
                self.emit("badge_awarded", on, late=0.15, years=years, **extra)
            if rng.random() < 0.04 and on + timedelta(days=30) <= END:
                self.emit("badge_awarded", on + timedelta(days=30), years=years)
            self.badges.add(years)

    def placed_action(self, day: date) -> date:
        rng = self.rng
        r = rng.random()
        if r < 0.18:
            self.transfer_within(day)
        elif r < 0.22:
            self.emit("transferred_out", day, late=0.03, to_external=rng.choice(PLACES))
            self.phase = "away"
        elif r < 0.30:
            self.emit("went_away", day)
            if rng.random() < 0.8:
                back = day + timedelta(days=rng.randint(30, 800))
                if back <= END:
                    self.emit("returned", back)
                    return back
        elif r < 0.35:
            self.emit("exempted", day)
            if rng.random() < 0.6:
                back = day + timedelta(days=rng.randint(30, 2000))
                if back <= END:
                    self.emit("exemption_ended", back)
                    return back
        elif r < 0.45:
            extra = {"card_no": f"{rng.randint(10**7, 10**8 - 1)}"} if rng.random() < 0.7 else {}
            self.emit("card_issued", day, late=0.05, **extra)
        elif r < 0.48:
            kind = rng.choice(("expelled", "expelled", "resigned", "removed"))
            if kind == "removed":
                self.emit("removed", day, late=0.1, reason="bỏ sinh hoạt")
            else:
                self.emit(kind, day, late=0.1)
            if kind != "expelled" or self.standing == "official":
                self.exit(day)
        elif r < 0.50:
            self.emit("dossier_recorded", day, late=0.1)
        return day

    def transfer_within(self, day: date, *, forced: bool = False) -> None:
        rng = self.rng
        to = self.g.cell_for(day, besides=self.org)
        if to is None:
            return
        if rng.random() < 0.02:
            to = self.org  # a transfer to the current org: refused
        out = self.emit("transferred_out", day, late=0.03, to_org=to)
        out_recorded = datetime.fromisoformat(out["recorded_at"].replace("Z", "+00:00"))
        if to == self.org:
            return
        self.phase, self.to_org = "in_transit", to
        r = rng.random()
        if r < 0.05 and not forced:
            return  # stays in transit for a while
        arrival = day + timedelta(days=rng.randint(0, 60) if r < 0.9 else rng.randint(91, 300))
        plan = self.g.orgs[to]
        if arrival > END or (plan.dissolved is not None and arrival >= plan.dissolved):
            return
        if rng.random() < 0.02:  # arrives somewhere else
            other = self.g.cell_for(arrival, besides=to)
            if other is not None:
                self.emit("transferred_in", arrival, org=other, not_before=out_recorded)
        self.emit("transferred_in", arrival, late=0.03, org=to, not_before=out_recorded)
        self.phase, self.org = "placed", to

    def exit(self, day: date) -> None:
        self.phase, self.exit_date = "exited", day
        self.exits += 1

    def readmission(self, day: date) -> None:
        rng = self.rng
        assert self.exit_date is not None
        if rng.random() < 0.5:
            self.phase = "done"
            return
        on = add_months(self.exit_date, rng.randint(24, 60))
        if on > END:
            self.phase = "done"
            return
        org = self.g.cell_for(on)
        if org is None:
            self.phase = "done"
            return
        self.admit(on, org)
        if add_months(self.exit_date, 36) > on or self.exits > 1:
            self.phase = "done"  # refused (too soon, or second re-admission)

    def die(self, day: date) -> None:
        rng = self.rng
        r = rng.random()
        late = r < 0.35
        if not late:
            self.emit("died", day, late=0.0)
        else:
            delay = rng.randint(200, 1200)
            recorded_death = day + timedelta(days=delay)
            self.ghosts(day, min(recorded_death, END))
            self.emit("died", day, delay=delay)
        if rng.random() < 0.1:  # recorded after the death is known: refused
            on = day + timedelta(days=rng.randint(1, 60))
            if on <= END:
                self.emit("card_issued", on, delay=(1300 if late else 30))
        if rng.random() < 0.3:  # posthumous badge
            age = (day - self.party_start).days // 365
            nexts = [m for m in MILESTONES if m not in self.badges and m >= age]
            if nexts:
                on = day + timedelta(days=rng.randint(5, 250))
                if on <= END:
                    self.emit("badge_awarded", on, delay=(1300 if late else 20), years=nexts[0])
        self.phase = "dead"

    def ghosts(self, death: date, known: date) -> None:
        """Facts dated after an unknown death, recorded before the death is."""
        rng = self.rng
        day = death
        for _ in range(rng.randint(1, 4)):
            day = day + timedelta(days=rng.randint(5, 200))
            if day >= known - timedelta(days=5):
                return
            kind = rng.choice(
                (
                    "went_away",
                    "card_issued",
                    "dossier_recorded",
                    "transfer",
                    "badge",
                    "exempted",
                    "resigned",
                    "probation_completed",
                )
            )
            if kind == "transfer":
                to = self.g.cell_for(day, besides=self.org)
                if to is not None:
                    self.emit("transferred_out", day, delay=rng.randint(0, 3), to_org=to)
            elif kind == "badge":
                age = (day - self.party_start).days // 365
                nexts = [m for m in MILESTONES if m not in self.badges and m <= age + 1]
                years = nexts[-1] if nexts else 30
                self.emit("badge_awarded", day, delay=rng.randint(0, 3), years=years)
                self.badges.add(years)
            else:
                self.emit(kind, day, delay=rng.randint(0, 3))


def generate_history(
    rng: random.Random, *, members: int = 30, prefix: str = "", chaos: float = 0.0
) -> list[dict[str, Any]]:
    """A history of facts in submission order (see the module's docstring).

    ``chaos`` (0 to 1) adds random member and org facts near the members' own dates.
    """
    gen = _Generator(rng, prefix, members, chaos)
    gen.count_declarations()
    for n in range(members):
        gen.member_life(n)
    if members >= 20:  # premature dissolutions: a committee with an active cell, a busy cell
        d4 = gen.orgs[gen.oid("d4")]
        on = _day(rng, date(2000, 1, 1), date(2014, 12, 31))
        gen.add(
            {"type": "organization.dissolved", "on": on.isoformat(), "org": d4.id},
            gen.recorded(on, late=0.5),
        )
        on = _day(rng, date(1990, 1, 1), date(2024, 12, 31))
        gen.add(
            {"type": "organization.dissolved", "on": on.isoformat(), "org": gen.oid("c11")},
            gen.recorded(on, delay=rng.randint(0, 400)),
        )
    return gen.noise()
