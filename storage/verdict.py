"""What ``verify`` found: each problem with a stable kind, and the head it recomputed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from storage.chain import GENESIS, Digest

MAX_LISTED = 100
"""Problems listed per kind (all are counted)."""
CHAIN_KINDS = ("altered", "missing_event", "unlinked_event")
"""Problems of the chain itself (the others are of the key table, the links and versions)."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing that does not agree: a stable ``kind`` and a message naming the event."""

    kind: str
    message: str
    position: int | None = None
    fact: str | None = None

    def as_json(self) -> dict[str, Any]:
        """The problem as ``ledger verify --json`` prints it."""
        return {
            "kind": self.kind,
            "position": self.position,
            "fact": self.fact,
            "message": self.message,
        }


@dataclass(slots=True)
class Verdict:
    """What ``verify`` found: the head it recomputed, and every problem."""

    events: int = 0
    """Events read (from the start, or after the kept digest when resuming)."""
    position: int = 0
    """The log's last position."""
    head: Digest = field(default_factory=lambda: Digest(0, GENESIS))
    digest: Digest | None = None
    """The kept digest that was checked, if any."""
    resumed: bool = False
    full: bool = True
    """Whether the key table and the links were checked too (not when resuming)."""
    problems: list[Problem] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """No problem at all."""
        return not self.counts

    def add(self, problem: Problem) -> None:
        """Count ``problem``; keep it for the listing while its kind has few."""
        seen = self.counts.get(problem.kind, 0)
        self.counts[problem.kind] = seen + 1
        if seen < MAX_LISTED:
            self.problems.append(problem)

    def as_json(self) -> dict[str, Any]:
        """The verdict as ``ledger verify --json`` prints it."""
        return {
            "ok": self.ok,
            "events": self.events,
            "position": self.position,
            "head": str(self.head),
            "digest": None if self.digest is None else str(self.digest),
            "resumed": self.resumed,
            "full": self.full,
            "counts": dict(sorted(self.counts.items())),
            "problems": [p.as_json() for p in self.problems],
        }
