"""The dashboard's own queries answer as the reports do (the demo city at 1 %, both backends):

- the decade (``ReadModels.annual_decade``): its report is ``annual``'s, and each year's members
  at the end, admissions and exits are those of that year's annual report, known now and then;
- a roster page (``ReadModels.roster_page``) is a slice of the roster, filtered or not.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

import orjson
import pytest

from commands.application import LedgerApplication
from commands.record import import_facts
from demo.emit import generate
from demo.plan import SEED_PLAN
from projections.queries import ReadModels

KNOWN = datetime.fromisoformat("2022-01-15T09:00:00+07:00")


@pytest.fixture(scope="module")
def facts() -> list[dict[str, Any]]:
    return list(generate(7, SEED_PLAN.scaled(0.01)))


@pytest.fixture
def models(database_url: str, facts: list[dict[str, Any]]) -> Iterator[ReadModels]:
    app = LedgerApplication(database_url)
    found = ReadModels(app.event_log)
    try:
        assert import_facts(app, (orjson.dumps(fact) for fact in facts)).rejected == 0
        yield found
    finally:
        found.close()
        app.close()


def test_the_decade_is_ten_annual_reports(models: ReadModels) -> None:
    # One import per backend for every question (the orgs, now and then): each takes seconds.
    for org in ("hp", "hp.d03"):
        for known_at in (None, KNOWN):
            report, flows = models.annual_decade(org, year=2021, span=10, known_at=known_at,
                                                 label="x")  # fmt: skip
            assert report == models.annual(org, year=2021, known_at=known_at, label="x")
            assert [flow.year for flow in flows] == list(range(2012, 2022))
            for flow in flows:
                year = models.annual(org, year=flow.year, known_at=known_at, label="x")
                exits = year.expelled + year.removed + year.resigned + year.died
                assert (flow.members_at_end, flow.admitted, flow.exits) == (
                    year.members_at_end, year.admitted, exits)  # fmt: skip
            assert sum(f.admitted for f in flows) > 0 and sum(f.exits for f in flows) > 0


def test_a_roster_page_is_a_slice_of_the_roster(models: ReadModels) -> None:
    for known_at in (None, KNOWN):
        _check_roster_page(models, known_at)


def _check_roster_page(models: ReadModels, known_at: datetime | None) -> None:
    day = date(2021, 12, 31)
    whole = models.roster("hp.d03", as_of=day, known_at=known_at, label="x").members
    assert len(whole) > 60
    total, found, rows = models.roster_page("hp.d03", as_of=day, known_at=known_at, offset=50,
                                            limit=50)  # fmt: skip
    assert (total, found, rows) == (len(whole), len(whole), whole[50:100])
    chosen = [whole[3]["member"], whole[40]["member"], "hp-m9999999"]
    part = whole[7]["member"][-4:]  # an id's tail: may match others too
    expected = [m for m in whole if m["member"] in chosen or part in m["member"].lower()]
    total, found, rows = models.roster_page("hp.d03", as_of=day, known_at=known_at, offset=0,
                                            limit=50, members=chosen, id_part=part)  # fmt: skip
    assert (total, found, rows) == (len(whole), len(expected), expected[:50])
    assert models.roster_page("hp.d03", as_of=day, known_at=known_at, offset=0, limit=5,
                              members=[], id_part="_%")[1:] == (0, [])  # fmt: skip
