"""The names of orgs and members, and the search for members by name (``ledger members``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from pydantic import BaseModel
from typing_extensions import TypedDict

from projections.reports.names import Names
from projections.reports.types import REPORT
from projections.text import MAX_SEARCH, search_key

if TYPE_CHECKING:
    from projections.queries import ReadModels

IN_BATCH = 500
"""Ids per ``IN (…)`` list: well under every backend's limit on parameters."""
"""The most members a search lists."""


def names(models: ReadModels, orgs: Iterable[str | None], members: Iterable[str | None]) -> Names:
    """The names of the given orgs and members (an id without a name is left out)."""
    models.fresh()
    found = _lookup(
        models, "SELECT member, name FROM rm_members", "member", members, "name IS NOT NULL"
    )
    unseal = models.store.unseal
    return Names(
        orgs=_lookup(models, "SELECT org, name FROM rm_orgs", "org", orgs),
        members={member: unseal(name) for member, name in found.items()},
    )


def _lookup(
    models: ReadModels, select: str, key: str, ids: Iterable[str | None], extra: str = ""
) -> dict[str, str]:
    wanted = sorted({i for i in ids if isinstance(i, str)})
    found: dict[str, str] = {}
    condition = f" AND {extra}" if extra else ""
    for start in range(0, len(wanted), IN_BATCH):
        chunk = wanted[start : start + IN_BATCH]
        marks = ", ".join("?" * len(chunk))
        for ident, name in models.store.fetchall(
            f"{select} WHERE {key} IN ({marks}){condition}", chunk
        ):
            found[str(ident)] = str(name)
    return found


class FoundMember(TypedDict):
    """A member whose name matches."""

    member: str
    name: str
    org: str | None
    """The org an admission or arrival last placed the member in (as last recorded)."""


class MemberSearch(BaseModel):
    """Members whose name contains the query, accents and case aside; by name, then id."""

    model_config = REPORT

    query: str
    members: list[FoundMember]


def search(models: ReadModels, name: str, limit: int) -> MemberSearch:
    """The members whose folded name contains the folded ``name`` (at most ``limit``).

    ValueError when the query has no letters or digits left, or the limit is out of range.
    """
    key = " ".join(search_key(name).split())
    if not any(c.isalnum() for c in key):
        raise ValueError("the name to search for must hold a letter or a digit")
    if not 1 <= limit <= MAX_SEARCH:
        raise ValueError(f"the limit must be between 1 and {MAX_SEARCH:,}, not {limit}")
    models.fresh()
    if models.store.cipher is not None:
        return MemberSearch.model_construct(query=name, members=_search_sealed(models, key, limit))
    pattern = "%" + key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    rows = models.store.fetchall(
        "SELECT member, name, org FROM rm_members WHERE search_key LIKE ? ESCAPE '\\' "
        "ORDER BY search_key, member LIMIT ?",
        (pattern, limit),
    )
    found: list[FoundMember] = [
        {"member": member, "name": member_name, "org": org} for member, member_name, org in rows
    ]
    return MemberSearch.model_construct(query=name, members=found)


def _search_sealed(models: ReadModels, key: str, limit: int) -> list[FoundMember]:
    """The search of an encrypted ledger: every name decrypted and folded here, then filtered
    and ordered as the SQL of a clear ledger does (by folded name, then id).

    The names are kept decrypted in this process's memory, never on disk, for as long as the
    read models stay at the same position (docs/decisions.md, searching encrypted names).
    """
    found: list[FoundMember] = []
    for folded, member, member_name, org in models.decrypted_names():  # in result order
        if key in folded:
            found.append({"member": member, "name": member_name, "org": org})
            if len(found) == limit:
                break
    return found
