"""The org tree with names and roster counts (``ledger orgs``)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from pydantic import BaseModel
from typing_extensions import TypedDict

from projections.reports.types import REPORT, IsoDate, KnownAt

if TYPE_CHECKING:
    from projections.queries import ReadModels


class OrgNode(TypedDict):
    """One org of the tree."""

    org: str
    name: str
    parent: str | None
    level: int
    """Depth below its root (a root is 0)."""
    registered_on: IsoDate
    dissolved_on: IsoDate | None
    members: int
    """Members on the roster of the org's subtree as of the date (as ``ledger roster``)."""


class OrgTree(BaseModel):
    """Every org of the subtree of ``org`` (every tree when ``org`` is None), depth first, by id."""

    model_config = REPORT

    org: str | None
    as_of: IsoDate
    known_at: KnownAt
    orgs: list[OrgNode]


def org_tree(models: ReadModels, org: str | None, as_of: date, moment: str, label: str) -> OrgTree:
    """The tree under ``org`` with each subtree's roster count on ``as_of`` known at ``moment``.

    Two queries: the orgs of the subtree, and the roster counted per org
    (``ReadModels.counts_by_path``).
    """
    models.fresh()
    path = models.org_path(org) if org is not None else "/"
    low, high = models.subtree_of_path(path) if org is not None else ("/", "0")
    rows = models.store.fetchall(
        "SELECT org, parent, path, name, registered_on, dissolved_on FROM rm_orgs "
        "WHERE path >= ? AND path < ?",
        (low, high),
    )
    day = as_of.isoformat()
    by_path = models.counts_by_path(path, day, moment)
    children: dict[str | None, list[tuple[str, ...]]] = {}
    known_orgs = {str(r[0]) for r in rows}
    for row in rows:
        parent = row[1] if row[1] in known_orgs else None  # the subtree's top, or a root
        children.setdefault(parent, []).append(row)
    nodes: list[OrgNode] = []
    stack = sorted(children.get(None, []), key=_id, reverse=True)
    while stack:
        ident, parent, org_path, name, registered_on, dissolved_on = stack.pop()
        nodes.append({
            "org": ident,
            "name": name,
            "parent": parent,
            "level": org_path.count("/") - 2,
            "registered_on": registered_on,
            "dissolved_on": dissolved_on,
            "members": by_path.get(org_path, 0),
        })  # fmt: skip
        stack.extend(sorted(children.get(ident, []), key=_id, reverse=True))
    return OrgTree.model_construct(org=org, as_of=day, known_at=label, orgs=nodes)


def _id(row: tuple[str, ...]) -> str:
    return row[0]
