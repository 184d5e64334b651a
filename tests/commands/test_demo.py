"""The demo history: every fact valid, imported without a refusal, and the seed's figures.

The full history (about 500,000 facts) is the city of SPEC §6; importing and projecting it
takes minutes, so that test is marked ``slow``. The same checks run on a city scaled down to
3 % in a few seconds: the plan's figures (scaled) come out of the read models exactly too.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from commands.application import LedgerApplication
from commands.record import import_facts
from commands.schema import parse_object
from demo import SEED_PLAN, UNDECLARED_COMMITTEE, Plan, generate
from projections.queries import ReadModels

LAST_RECORDING = datetime.fromisoformat("2022-12-31T23:59:59+07:00")
COMMITTEES = [f"hp.d{n:02d}" for n in range(1, 36)]


def seed_figures(plan: Plan) -> dict[str, Any]:
    """The figures of SPEC §6 as the plan states them (scaled plans scale them)."""
    y21, y20 = plan.years[2021], plan.years[2020]
    return {
        "admitted": y21.admitted,
        "readmitted": y21.readmitted,
        "private_business_owner": y21.private_business_owner,
        "population_policy_violation": y21.population_policy_violation,
        "female": y21.female,
        "female_2020": y20.female,
        "youth_union": y21.youth_union,
        "youth_union_2020": y20.youth_union,
        "enterprise": y21.occupations["enterprise"],
        "student": y21.occupations["student"],
        "contract_or_freelance": y21.occupations["contract_or_freelance"],
        "transferred_out": y21.transferred_out,
        "transferred_in": y21.transferred_in,
        "members_at_end": plan.members_at_end,
        "dossiers_recorded_at_end": plan.dossiers_at_end,
        "admitted_with_dossier": plan.admitted_with_dossier,
        "badges_awarded": plan.badges,
        "expelled_more": y21.expelled - y20.expelled,
        "removed": y21.removed,
        "removed_2020": y20.removed,
        "resigned": y21.resigned,
        "resigned_2020": y20.resigned,
    }


def test_the_plan_states_the_seed_figures() -> None:
    assert seed_figures(SEED_PLAN) == {
        "admitted": 3298,
        "readmitted": 6,
        "private_business_owner": 5,
        "population_policy_violation": 41,
        "female": 2079,
        "female_2020": 2079 - 388,
        "youth_union": 1732,
        "youth_union_2020": 1732 - 27,
        "enterprise": 842,
        "student": 326,
        "contract_or_freelance": 139,
        "transferred_out": 3561,
        "transferred_in": 3046,
        "members_at_end": 127_455,
        "dossiers_recorded_at_end": 126_715,
        "admitted_with_dossier": 1994,
        "badges_awarded": 6117,
        "expelled_more": 3,
        "removed": 134,
        "removed_2020": 134 + 24,
        "resigned": 64,
        "resigned_2020": 64 + 11,
    }


def check_facts(facts: list[dict[str, Any]]) -> None:
    """Every fact parses, has its own id and a +07:00 recording time by the end of 2022, and
    each member's facts come in non-decreasing recording order."""
    ids = set()
    last: dict[str, datetime] = {}
    for fact in facts:
        parsed = parse_object(fact)
        assert parsed.id == fact["id"] and fact["id"].startswith("hp-f")
        ids.add(parsed.id)
        recorded = parsed.model.recorded_at
        assert recorded is not None and fact["recorded_at"].endswith("+07:00")
        assert recorded <= LAST_RECORDING
        if "member" in fact:
            assert recorded >= last.get(fact["member"], recorded)
            last[fact["member"]] = recorded
    assert len(ids) == len(facts)


def imported(tmp_path: Path, facts: list[dict[str, Any]]) -> Iterator[ReadModels]:
    app = LedgerApplication(f"sqlite:///{tmp_path}/demo.db")
    try:
        summary = import_facts(app, (orjson.dumps(fact) for fact in facts))
        assert [r.as_json() for r in summary.rejects[:5]] == []
        assert summary.accepted == len(facts)
        models = ReadModels(app.event_log)
        try:
            yield models
        finally:
            models.close()
    finally:
        app.close()


def check_reports(models: ReadModels, facts: list[dict[str, Any]], plan: Plan) -> None:
    expected = seed_figures(plan)
    report = models.annual("hp", year=2021, known_at=None, label="now").model_dump()
    before = report["previous_year"]
    by, by_2020 = report["admitted_by"], before["admitted_by"]
    actual = {
        "admitted": report["admitted"],
        "readmitted": report["readmitted"],
        "private_business_owner": by["private_business_owner"],
        "population_policy_violation": by["population_policy_violation"],
        "female": by["female"],
        "female_2020": by_2020["female"],
        "youth_union": by["youth_union"],
        "youth_union_2020": by_2020["youth_union"],
        "enterprise": by["occupation"]["enterprise"],
        "student": by["occupation"]["student"],
        "contract_or_freelance": by["occupation"]["contract_or_freelance"],
        "transferred_out": report["transferred_out"],
        "transferred_in": report["transferred_in"],
        "members_at_end": report["members_at_end"],
        "dossiers_recorded_at_end": report["dossiers_recorded_at_end"],
        "admitted_with_dossier": report["admitted_with_dossier"],
        "badges_awarded": report["badges_awarded"],
        "expelled_more": report["expelled"] - before["expelled"],
        "removed": report["removed"],
        "removed_2020": before["removed"],
        "resigned": report["resigned"],
        "resigned_2020": before["resigned"],
    }
    assert actual == expected
    assert report["internal_moves"] > 0 and report["died"] > 0 and report["in_transit_at_end"] > 0
    assert sum(report["badges_by_years"][str(y)] for y in (60, 65, 70)) > 0
    for year in (2020, 2021, 2022):
        for org in ["hp", *COMMITTEES]:
            annual = models.annual(org, year=year, known_at=None, label="now").model_dump()
            assert annual["balanced"], (org, year, annual)
    # Declared head counts of 31-12-2021 match the registers, except one committee's.
    declared = {f["org"]: f["count"] for f in facts if f["type"] == "organization.count_declared"}
    assert sorted(declared) == COMMITTEES
    end = date(2021, 12, 31)
    counts = {
        org: models.roster(org, as_of=end, known_at=None, label="now").model_dump()["count"]
        for org in COMMITTEES
    }
    assert sum(counts.values()) <= expected["members_at_end"]
    differ = [org for org in COMMITTEES if declared[org] != counts[org]]
    assert differ == [UNDECLARED_COMMITTEE] and declared[differ[0]] > counts[differ[0]]
    # A death recorded after a later fact of the member: that fact is an anomaly.
    inert = [f for f in facts if f["type"] in ("member.exempted", "member.card_issued")]
    assert inert
    view = models.member(
        inert[0]["member"], as_of=date(2022, 12, 31), known_at=None, label="now"
    ).model_dump()
    assert view["status"] == "died"
    assert [f["id"] for f in view["facts"] if f["anomaly"]] == [inert[0]["id"]]


def test_the_generator_is_deterministic() -> None:
    plan = SEED_PLAN.scaled(0.01)
    assert list(generate(7, plan)) == list(generate(7, plan))


def test_a_scaled_down_city_gives_the_plan_figures(tmp_path: Path) -> None:
    plan = SEED_PLAN.scaled(0.03)
    facts = list(generate(2021, plan))
    check_facts(facts)
    for models in imported(tmp_path, facts):
        check_reports(models, facts, plan)


@pytest.mark.slow
def test_ledger_demo_reproduces_the_seed_figures(tmp_path: Path) -> None:
    # The command as `make demo` runs it: generator, importer and projection worker in three
    # processes; then the history it wrote with --out is checked against the reports.
    url, out = f"sqlite:///{tmp_path}/demo.db", tmp_path / "history.jsonl"
    run = subprocess.run(
        [sys.executable, "-m", "api.cli", "demo", "--db", url, "--out", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    facts = [orjson.loads(line) for line in out.read_bytes().splitlines()]
    assert facts == list(generate())
    assert f"accepted {len(facts)}, duplicates 0, rejected 0" in run.stdout
    check_facts(facts)
    app = LedgerApplication(url)
    models = ReadModels(app.event_log)
    try:
        check_reports(models, facts, SEED_PLAN)
    finally:
        models.close()
        app.close()
