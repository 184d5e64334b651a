"""The auditor's diff (SPEC §5) against a plain definition computed from the submitted facts.

Figures: two annual reports folded by ``tests.projections.fold`` (known then, known now); the
figures that differ, with both values, must be exactly those listed. Facts: for each such
figure, the members whose own contribution differs (the fold of the annual report restricted to
that member alone, then and now), and of their facts those recorded in (then, now] or retracted
by a retraction recorded in that window; ``retracted`` says whether a retraction is known now,
and ``org`` is the member's org at the fact (before the retraction, for a retracted fact).
Nothing here reads the read models' tables.
"""

from __future__ import annotations

import random
from datetime import date, datetime
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from commands.application import LedgerApplication
from commands.record import record_fact
from ledger import facts as ft
from ledger.facts import Fact
from projections.queries import ReadModels
from projections.reports.diff import AnnualDiff
from tests.projections.fold import EventLog, Fold
from tests.projections.test_read_models import (
    MEMBER_NAMES,
    PROPERTY_SETTINGS,
    Comparison,
    catching_up,
    generate,
    shapes,
    small_tree,
)
from tests.support import admitted, at, fact

NOT_FIGURES = ("org", "year", "known_at", "balanced")


def flat(report: dict[str, Any], prefix: str = "") -> dict[str, int]:
    """The report's figures by dotted key (``admitted_by.occupation.student``)."""
    figures: dict[str, int] = {}
    for key, value in report.items():
        if key in NOT_FIGURES:
            continue
        if isinstance(value, dict):
            figures.update(flat(value, f"{prefix}{key}."))
        else:
            figures[prefix + key] = value
    return figures


def within(moment: datetime, then: datetime, now: datetime | None) -> bool:
    return then < moment and (now is None or moment <= now)


def expected_diff(
    log: EventLog, org: str, year: int, then: datetime, now: datetime | None
) -> list[tuple[str, int, int, list[dict[str, Any]]]]:
    """(figure, then, now, facts) for every figure that differs, by the plain definition."""
    fold = Fold(log)
    before = flat(fold.fold_annual(org, year, then))
    after = flat(fold.fold_annual(org, year, now))
    alone = {m: Fold(EventLog(log.parents, {m: facts})) for m, facts in log.facts.items()}
    contribution = {
        m: (flat(f.fold_annual(org, year, then)), flat(f.fold_annual(org, year, now)))
        for m, f in alone.items()
    }
    expected = []
    for key, value in after.items():
        if before[key] == value:
            continue
        members = [m for m, (old, new) in sorted(contribution.items()) if old[key] != new[key]]
        listed = [item for m in members for item in member_facts(fold, m, then, now)]
        listed.sort(key=lambda item: (datetime.fromisoformat(item["recorded_at"]), item["id"]))
        expected.append((key, before[key], value, listed))
    return expected


def member_facts(
    fold: Fold, member: str, then: datetime, now: datetime | None
) -> list[dict[str, Any]]:
    """The member's facts recorded in the window, or retracted by a retraction recorded in it."""
    facts: list[Fact] = fold.log.facts[member]
    retractions = [f for f in facts if f.type == ft.RETRACTED]
    retracted_now = {r.target for r in retractions if now is None or r.recorded_at <= now}
    retracted_between = {r.target for r in retractions if within(r.recorded_at, then, now)}
    listed = []
    for f in facts:
        if f.type == ft.RETRACTED:
            continue
        if within(f.recorded_at, then, now) or f.id in retracted_between:
            listed.append(
                {
                    "id": f.id,
                    "type": f.type,
                    "member": member,
                    "org": org_at(fold, member, f.id, (now, then)),
                    "on": f.on.isoformat(),
                    "recorded_at": f.recorded_at.isoformat(),
                    "retracted": f.id in retracted_now,
                }
            )
    return listed


def org_at(fold: Fold, member: str, fact_id: str, times: tuple[datetime | None, ...]) -> str | None:
    """The member's org at the fact in the first timeline (of ``times``) that holds it."""
    for known_at in times:
        for step in fold.steps(member, known_at):
            if step.fact.id == fact_id:
                return step.after.org or step.before.org
    return None


def got_diff(report: AnnualDiff) -> list[tuple[str, int, int, list[dict[str, Any]]]]:
    return [(f.figure, f.then, f.now, [dict(x) for x in f.facts]) for f in report.figures]


def knowledge_pairs(comparison: Comparison) -> list[tuple[datetime, datetime | None]]:
    times = comparison.knowledge_times()
    moments = sorted(t for t in times if t is not None)
    pairs: list[tuple[datetime, datetime | None]] = [(t, None) for t in moments]
    pairs += [(a, b) for i, a in enumerate(moments) for b in moments[i:]]
    return pairs


@PROPERTY_SETTINGS
@given(
    sizes=shapes,
    members=st.integers(4, len(MEMBER_NAMES)),
    steps=st.integers(25, 60),
    catch_up=st.floats(0, 1),
    data=st.data(),
)
def test_the_diff_lists_the_changed_figures_and_the_facts_that_changed_them(
    app: LedgerApplication,
    models: ReadModels,
    sizes: tuple[int, int],
    members: int,
    steps: int,
    catch_up: float,
    data: st.DataObject,
) -> None:
    """For random orgs, years and pairs of knowledge times, the diff equals the plain one.

    The histories hold late facts, late deaths and retractions; the read models catch up after
    a random share of the facts, so rows are also closed and reopened unchanged.
    """
    rng = data.draw(st.randoms(use_true_random=False), label="history")
    pace = random.Random(rng.random())
    history = generate(app, rng, sizes, members, steps, catching_up(models, pace, catch_up))
    comparison = Comparison.of(history, models)
    queries = data.draw(st.randoms(use_true_random=False), label="queries")
    pairs = knowledge_pairs(comparison)
    years = sorted({date.fromisoformat(item["on"]).year for item in history.accepted})
    for _ in range(6):
        org = queries.choice(history.tree.orgs)
        year = queries.choice(years) + queries.choice((0, 0, 1))
        then, now = queries.choice(pairs)
        report = models.annual_diff(
            org, year=year, then=then, now=now, then_label="T", now_label="N"
        )
        want = expected_diff(comparison.fold.log, org, year, then, now)
        assert got_diff(report) == want, f"diff {org} {year} {then} → {now}\n{comparison.explain()}"
        assert (report.org, report.year, report.then, report.now) == (org, year, "T", "N")


def test_a_late_death_and_a_retraction_are_the_facts_behind_the_changed_figures(
    app: LedgerApplication, models: ReadModels
) -> None:
    small_tree(app)
    for item in (
        admitted("m1", "c1", "2020-03-01", id="adm-m1"),
        admitted("m2", "c1", "2021-04-01", id="adm-m2", occupation="student"),
        admitted("m3", "c3", "2021-05-01", id="adm-m3"),
        fact("dossier_recorded", "m3", "2021-05-02", id="dossier-m3"),
    ):
        record_fact(app, item)
    models.fresh()  # the rows known then are written before the late facts arrive
    then = datetime.fromisoformat("2022-01-15T23:59:59+07:00")
    late = (
        fact("died", "m1", "2021-11-20", recorded=at("2022-01-20"), id="death-m1"),
        {"type": ft.RETRACTED, "on": "2022-01-25", "fact": "adm-m2", "reason": "wrong person",
         "recorded_at": at("2022-01-25")},
        fact("went_away", "m3", "2022-01-26", id="away-m3"),
    )  # fmt: skip
    for item in late:
        record_fact(app, item)

    report = models.annual_diff("d1", year=2021, then=then, now=None, then_label="T", now_label="N")
    summary = {f.figure: (f.then, f.now, [(x["id"], x["retracted"]) for x in f.facts])
               for f in report.figures}  # fmt: skip
    assert summary == {
        "members_at_end": (2, 0, [("adm-m2", True), ("death-m1", False)]),
        "admitted": (1, 0, [("adm-m2", True)]),
        "admitted_by.female": (1, 0, [("adm-m2", True)]),
        "admitted_by.occupation.student": (1, 0, [("adm-m2", True)]),
        "died": (0, 1, [("death-m1", False)]),
    }
    death = report.figures[-1].facts[0]
    assert death == {"id": "death-m1", "type": "member.died", "member": "m1", "org": "c1",
                     "on": "2021-11-20", "recorded_at": "2022-01-20T09:00:00+07:00",
                     "retracted": False}  # fmt: skip
    assert report.figures[1].facts[0]["org"] == "c1"  # the org the retracted admission named

    # Nothing about d2 changed (m3 going away counts for no figure); the same times: nothing at all.
    assert models.annual_diff("d2", year=2021, then=then, now=None, then_label="T",
                              now_label="N").figures == []  # fmt: skip
    assert models.annual_diff("hp", year=2021, then=then, now=then, then_label="T",
                              now_label="T").figures == []  # fmt: skip
    # Against a time before the retraction: only the death.
    middle = datetime.fromisoformat("2022-01-22T00:00:00+07:00")
    figures = models.annual_diff(
        "hp", year=2022, then=then, now=middle, then_label="T", now_label="M"
    ).figures
    assert [(f.figure, f.then, f.now) for f in figures] == [
        ("members_at_start", 3, 2),
        ("members_at_end", 3, 2),
        ("previous_year.members_at_end", 3, 2),
        ("previous_year.died", 0, 1),
    ]
    assert all([x["id"] for x in f.facts] == ["death-m1"] for f in figures)
