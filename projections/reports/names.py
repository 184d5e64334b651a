"""Names for the ids of a report: org names (as registered or renamed) and member names (from
the admission or the arrival), for text and spreadsheets. The JSON of SPEC §4 carries ids only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Names:
    """The names of the orgs and members a report mentions (an id without a name is absent)."""

    orgs: Mapping[str, str] = field(default_factory=dict)
    members: Mapping[str, str] = field(default_factory=dict)

    def org(self, org_id: str | None) -> str:
        """The org's name, or '' when it has none (or ``org_id`` is None)."""
        return self.orgs.get(org_id, "") if org_id is not None else ""

    def member(self, member_id: str | None) -> str:
        """The member's name, or '' when no fact gave one (or ``member_id`` is None)."""
        return self.members.get(member_id, "") if member_id is not None else ""
