"""The fact vocabulary of SPEC §2 and the immutable record the rules work on."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from types import MappingProxyType
from typing import Any, NamedTuple

ORG_REGISTERED = "organization.registered"
ORG_RENAMED = "organization.renamed"
ORG_DISSOLVED = "organization.dissolved"
ORG_COUNT_DECLARED = "organization.count_declared"

ADMITTED = "member.admitted"
PROBATION_COMPLETED = "member.probation_completed"
TRANSFERRED_OUT = "member.transferred_out"
TRANSFERRED_IN = "member.transferred_in"
BADGE_AWARDED = "member.badge_awarded"
EXPELLED = "member.expelled"
REMOVED = "member.removed"
RESIGNED = "member.resigned"
DIED = "member.died"
DOSSIER_RECORDED = "member.dossier_recorded"
WENT_AWAY = "member.went_away"
RETURNED = "member.returned"
EXEMPTED = "member.exempted"
EXEMPTION_ENDED = "member.exemption_ended"
CARD_ISSUED = "member.card_issued"
RETRACTED = "fact.retracted"

ORG_FACT_TYPES = (ORG_REGISTERED, ORG_RENAMED, ORG_DISSOLVED, ORG_COUNT_DECLARED)
MEMBER_FACT_TYPES = (
    ADMITTED,
    PROBATION_COMPLETED,
    TRANSFERRED_OUT,
    TRANSFERRED_IN,
    BADGE_AWARDED,
    EXPELLED,
    REMOVED,
    RESIGNED,
    DIED,
    DOSSIER_RECORDED,
    WENT_AWAY,
    RETURNED,
    EXEMPTED,
    EXEMPTION_ENDED,
    CARD_ISSUED,
)
FACT_TYPES = (*ORG_FACT_TYPES, *MEMBER_FACT_TYPES, RETRACTED)

OCCUPATIONS = (
    "enterprise",
    "student",
    "contract_or_freelance",
    "farmer",
    "civil_servant",
    "armed_forces",
    "teacher_or_health",
    "retired",
    "other",
)
BADGE_MILESTONES = (30, 40, 45, 50, 55, 60, 65, 70, 75, 80, 85, 90)

EXIT_TYPES = {EXPELLED: "expelled", REMOVED: "removed", RESIGNED: "resigned"}
"""Exits after which a re-admission is possible, mapped to the member status they leave."""

COMMON_FIELDS = ("id", "type", "on", "recorded_at", "ref", "note")

# --- limits (SPEC §2): the same on every backend, checked when a fact is parsed -------------

CONTROL_CHARACTER = re.compile(r"[\x00-\x1f\x7f]")
"""What no string of a fact may hold (U+0000 to U+001F and U+007F)."""
MAX_LINE_BYTES = 64 * 1024
"""A fact's JSON line, in bytes of UTF-8 (without its line break)."""
MAX_DEPTH = 8
"""Nesting of objects and arrays: a fact is 1 level, its ``person`` 2."""
MAX_ID_CHARS = 256
"""A fact id (PostgreSQL's key index takes at most ~2,700 bytes)."""
MAX_TEXT_CHARS = 2000
"""Names, notes, references and other free text."""
MAX_COUNT = 10_000_000
"""A declared head count (a read model's integer column holds it on every backend)."""
FIRST_DAY = date(1800, 1, 1)
LAST_DAY = date(9999, 12, 30)
"""Every date, and every instant once converted to UTC, lies within these days."""


class Fact(NamedTuple):
    """One accepted fact as the rules see it: common fields plus the type-specific ``data``.

    ``seq`` is the fact's place in its subject's recording order (0 for the first).
    (A named tuple: replays and projections make millions of them, and it is built fastest.)
    """

    id: str
    type: str
    on: date
    recorded_at: datetime
    seq: int
    data: Mapping[str, Any] = MappingProxyType({})
    ref: str | None = None
    note: str | None = None
    recorded_by: str | None = None
    """Who recorded it: ``cli:<user>``, ``token:<name>``… (None in logs written before)."""

    @property
    def target(self) -> str:
        """The id of the fact a retraction retracts."""
        return str(self.data["fact"])
