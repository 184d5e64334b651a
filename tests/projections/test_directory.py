"""The directory read models: names, member search, the org tree and the fact log.

The org tree's counts are checked against ``ReadModels.roster`` for every org; the fact log
against a plain fold over the facts as they were submitted (order, filters, flags).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from commands.application import LedgerApplication
from ledger.errors import UnknownOrg
from projections.logrows import search_key
from projections.queries import ReadModels
from projections.rebuild import rebuild
from tests.support import LedgerHarness, admitted, at
from tests.support import fact as fact_of

DAYS = ("2019-12-31", "2020-06-30", "2021-03-15", "2021-12-31", "2023-01-01")


def history() -> list[dict[str, Any]]:
    """A small history with every kind of thing the directory shows: org facts (a rename, a
    dissolution, a count and its retraction), admissions, an arrival from outside with and
    transfers within and across committees, a re-admission under another
    name, a retraction and an anomaly (a card dated after a death recorded later)."""
    orgs = [
        ("hp", None, "Thành ủy Hải Phòng"),
        ("d1", "hp", "Quận ủy Hồng Bàng"),
        ("d2", "hp", "Quận ủy Lê Chân"),
        ("c1", "d1", "Chi bộ Hoàng Diệu"),
        ("c2", "d1", "Chi bộ Minh Khai"),
        ("c3", "d2", "Chi bộ Dư Hàng"),
        ("c4", "d2", "Chi bộ Kênh Dương"),
    ]
    facts: list[dict[str, Any]] = [
        {"id": f"o-{org}", "type": "organization.registered", "on": "1930-01-01", "org": org,
         "parent": parent, "name": name, "recorded_at": at("2019-01-02", 8 + i)}
        for i, (org, parent, name) in enumerate(orgs)
    ]  # fmt: skip

    def person(name: str) -> dict[str, Any]:
        return {"name": name, "gender": "male", "birth_date": "1970-01-01"}

    facts += [
        {**admitted("m1", "c1", "2019-03-01", at("2019-03-02")), "id": "f1",
         "person": person("Nguyễn Văn An")},
        {**admitted("m2", "c2", "2019-04-01", at("2019-04-02")), "id": "f2",
         "person": person("Đặng Thị Bích"), "ref": "QĐ 12"},
        {**admitted("m3", "c3", "2019-05-01", at("2019-05-02")), "id": "f3",
         "person": person("Trần Nguyên Khôi")},
        {"id": "f4", "type": "member.transferred_in", "on": "2019-06-01", "member": "m4",
         "org": "c3", "from_external": "Tỉnh ủy Hải Dương", "person": person("Lê Văn Nguyễn"),
         "youth_union": False, "occupation": "other",
         "standing": "official", "admitted_on": "2001-01-01", "recorded_at": at("2019-06-03")},
        {"id": "f5", "type": "member.transferred_in", "on": "2019-07-01", "member": "m5",
         "org": "c2", "from_external": "Tỉnh ủy Thái Bình", "standing": "official",
         "person": person("Phạm Văn Năm"), "youth_union": True, "occupation": "other",
         "admitted_on": "2002-01-01", "recorded_at": at("2019-07-02")},
        {"id": "o-rename", "type": "organization.renamed", "on": "2020-01-01", "org": "d2",
         "name": "Quận ủy Lê Chân (mới)", "recorded_at": at("2020-01-03")},
        {**fact_of("probation_completed", "m1", "2020-03-01", at("2020-03-02")), "id": "f6"},
        {**fact_of("transferred_out", "m1", "2020-05-01", at("2020-05-02"), to_org="c3"),
         "id": "f7"},
        {**fact_of("transferred_out", "m4", "2020-05-10", at("2020-05-11"), to_org="c2"),
         "id": "f8", "note": "về nơi cư trú"},
        {**fact_of("transferred_in", "m4", "2020-05-20", at("2020-05-21"), org="c2"),
         "id": "f9"},
        {"id": "o-count", "type": "organization.count_declared", "on": "2020-12-31",
         "org": "c2", "count": 7, "recorded_at": at("2021-01-04")},
        {"id": "o-count-x", "type": "fact.retracted", "on": "2021-01-05", "fact": "o-count",
         "reason": "nhầm số", "recorded_at": at("2021-01-05")},
        {**fact_of("went_away", "m2", "2021-02-01", at("2021-02-02")), "id": "f10"},
        {"id": "f11", "type": "fact.retracted", "on": "2021-02-03", "fact": "f10",
         "reason": "nhầm người", "recorded_at": at("2021-02-03")},
        {**fact_of("probation_completed", "m3", "2020-05-01", at("2020-06-02")), "id": "f11b"},
        {**fact_of("card_issued", "m3", "2021-04-01", at("2021-04-02"), card_no="HP-1"),
         "id": "f12"},
        {**fact_of("died", "m3", "2021-03-01", at("2021-05-02")), "id": "f13"},
        {**fact_of("resigned", "m2", "2021-06-01", at("2021-06-02")), "id": "f14"},
        {**admitted("m2", "c1", "2024-07-01", at("2024-07-02")), "id": "f15",
         "person": person("Đặng Thị Bích Ngọc")},
        {"id": "o-gone", "type": "organization.dissolved", "on": "2022-07-01", "org": "c4",
         "recorded_at": at("2022-07-02")},
        # Recorded in UTC, earlier in UTC than the fact before it was submitted (an org fact).
        {**fact_of("dossier_recorded", "m5", "2022-08-01", "2022-08-01T20:00:00Z"), "id": "f16"},
        {"id": "o-count2", "type": "organization.count_declared", "on": "2022-08-01",
         "org": "hp", "count": 3, "recorded_at": "2022-08-02T03:00:00+07:00"},
    ]  # fmt: skip
    return facts


@pytest.fixture
def recorded(ledger: LedgerHarness) -> list[dict[str, Any]]:
    """The history recorded, each fact accepted (in its own commit)."""
    facts = history()
    for fact in facts:
        assert ledger.record(fact) == "accepted", fact
    return facts


def test_search_key_folds_vietnamese_accents_and_d_with_stroke() -> None:
    assert search_key("Nguyễn Văn Đức") == "nguyen van duc"
    assert search_key("ĐẶNG THỊ BÍCH") == "dang thi bich"
    assert search_key("Ngô Quyền") == search_key("ngo quyen")


def test_names_come_from_admissions_arrivals_and_org_renames(
    recorded: list[dict[str, Any]], models: ReadModels
) -> None:
    names = models.names(
        orgs=["hp", "d2", "nope", None], members=["m1", "m2", "m4", "m5", "x", None]
    )
    assert names.org("hp") == "Thành ủy Hải Phòng"
    assert names.org("d2") == "Quận ủy Lê Chân (mới)"  # renamed
    assert names.org("nope") == ""
    assert names.member("m1") == "Nguyễn Văn An"
    assert names.member("m4") == "Lê Văn Nguyễn"  # an arrival from outside with a person
    assert names.member("m2") == "Đặng Thị Bích Ngọc"  # re-admitted later under a longer name
    assert names.member("m5") == "Phạm Văn Năm"
    assert names.member("x") == ""
    assert models.names().orgs == {} and models.names().members == {}


def test_names_of_many_ids_are_batched(recorded: list[dict[str, Any]], models: ReadModels) -> None:
    many = [*(f"z{i}" for i in range(1200)), "m1"]
    assert models.names(members=many, orgs=[*many, "c1"]).members == {"m1": "Nguyễn Văn An"}
    assert models.names(orgs=[*many, "c1"]).orgs == {"c1": "Chi bộ Hoàng Diệu"}


def test_member_search_ignores_accents_and_case_and_sorts_by_name(
    recorded: list[dict[str, Any]], models: ReadModels
) -> None:
    def found(query: str, limit: int = 50) -> list[str]:
        return [m["member"] for m in models.members(query, limit=limit).members]

    # Keys: m1 "nguyen van an", m2 "dang thi bich ngoc", m3 "tran nguyen khoi",
    # m4 "le van nguyen": by key, "le…" < "nguyen…" < "tran…".
    assert found("Nguyen") == ["m4", "m1", "m3"]
    assert found("NGUYỄN") == ["m4", "m1", "m3"]
    assert found("nguyen  van") == ["m1"]
    assert found("dang") == ["m2"] and found("Đặng thị") == ["m2"]
    assert found("nguyen", limit=2) == ["m4", "m1"]
    assert found("a%n") == [] and found("v_n") == []  # wildcards are plain characters
    result = models.members("van an", limit=5)
    assert result.model_dump() == {
        "query": "van an",
        "members": [{"member": "m1", "name": "Nguyễn Văn An", "org": "c1"}],
    }
    assert models.members("Le Van", limit=5).members[0]["org"] == "c2"  # arrived in c2 later
    for bad in ("", "  ", "-", "%"):
        with pytest.raises(ValueError, match="letter or a digit"):
            models.members(bad)
    with pytest.raises(ValueError, match="limit"):
        models.members("an", limit=0)


def test_org_tree_counts_equal_the_roster_of_every_subtree(
    recorded: list[dict[str, Any]], models: ReadModels
) -> None:
    moments: list[datetime | None] = [None, datetime.fromisoformat(at("2020-05-15"))]
    for day in DAYS:
        for moment in moments:
            as_of = date.fromisoformat(day)
            tree = models.orgs(None, as_of=as_of, known_at=moment, label="t")
            assert [o["org"] for o in tree.orgs] == ["hp", "d1", "c1", "c2", "d2", "c3", "c4"]
            for node in tree.orgs:
                roster = models.roster(node["org"], as_of=as_of, known_at=moment, label="t")
                assert node["members"] == roster.count, (day, moment, node)
            sub = models.orgs("d2", as_of=as_of, known_at=moment, label="t")
            assert sub.orgs == [o for o in tree.orgs if o["org"] in ("d2", "c3", "c4")]
    tree = models.orgs("hp", as_of=date(2022, 12, 31), known_at=None, label="now")
    assert tree.model_dump()["orgs"][4] == {
        "org": "d2", "name": "Quận ủy Lê Chân (mới)", "parent": "hp", "level": 1,
        "registered_on": "1930-01-01", "dissolved_on": None, "members": 0,
    }  # fmt: skip
    assert tree.orgs[6]["dissolved_on"] == "2022-07-01" and tree.orgs[6]["level"] == 2
    assert set(tree.model_dump()) == {"org", "as_of", "known_at", "orgs"}
    with pytest.raises(UnknownOrg):
        models.orgs("nope", as_of=date(2022, 1, 1), known_at=None, label="now")


# --- the fact log against a plain fold of what was submitted ------------------------------------


def fold(facts: list[dict[str, Any]], now: datetime, **filters: Any) -> list[dict[str, Any]]:
    """The submitted facts in recording order (recorded_at, then submission), filtered.

    Written from the submitted facts alone: the member and org of each fact are worked out
    here the way docs/decisions.md states them.
    """
    parents = {f["org"]: f.get("parent") for f in facts if f["type"] == "organization.registered"}

    def within(org: str | None, top: str) -> bool:
        while org is not None:
            if org == top:
                return True
            org = parents.get(org)
        return False

    by_id = {f["id"]: f for f in facts}
    placed: dict[str, str] = {}
    rows = []
    for index, fact in enumerate(facts):
        recorded = datetime.fromisoformat(fact.get("recorded_at") or now.isoformat())
        kind = fact["type"]
        target = by_id.get(fact.get("fact", "")) if kind == "fact.retracted" else None
        member = (target or fact).get("member")
        if kind in ("member.admitted", "member.transferred_in"):
            placed[fact["member"]] = fact["org"]
        if target is not None:
            org = next(r["org"] for r in rows if r["id"] == target["id"])
        elif member is not None:
            org = placed[member]
        else:
            org = fact["org"]
        also = fact.get("to_org") or (target or {}).get("to_org")
        rows.append({
            "id": fact["id"], "type": kind, "member": member, "org": org, "on": fact["on"],
            "recorded_at": recorded.isoformat(),
            "retracted": any(f.get("fact") == fact["id"] for f in facts),
            "fact": {**fact, "recorded_at": recorded.isoformat()}, "_key": (recorded, index),
            "_orgs": [org, also],
        })  # fmt: skip
    rows.sort(key=lambda r: r["_key"])
    kept = []
    for row in rows:
        if "member" in filters and row["member"] != filters["member"]:
            continue
        if "org" in filters and not any(within(o, filters["org"]) for o in row["_orgs"]):
            continue
        if "since" in filters and row["_key"][0] < filters["since"]:
            continue
        if "until" in filters and row["_key"][0] > filters["until"]:
            continue
        if "types" in filters and row["type"] not in filters["types"]:
            continue
        kept.append({k: v for k, v in row.items() if not k.startswith("_")})
    return kept


def logged(models: ReadModels, **filters: Any) -> list[dict[str, Any]]:
    """The fact log without the anomaly flag (checked on its own), as JSON."""
    facts = models.facts(**filters).model_dump()["facts"]
    for f in facts:
        del f["anomaly"]
    return facts


FILTERS: list[dict[str, Any]] = [
    {},
    {"member": "m4"},
    {"member": "m2"},
    {"member": "nobody"},
    {"org": "hp"},
    {"org": "d1"},
    {"org": "c2"},
    {"org": "d2"},
    {"since": datetime.fromisoformat(at("2020-05-11")),
     "until": datetime.fromisoformat(at("2021-02-03"))},
    {"org": "d1", "since": datetime.fromisoformat("2021-01-01T00:00:00+07:00")},
    {"types": ["fact.retracted", "organization.count_declared"]},
    {"member": "m1", "types": ["member.transferred_out"]},
]  # fmt: skip


def test_the_fact_log_equals_a_fold_of_the_submitted_facts(
    recorded: list[dict[str, Any]], models: ReadModels, ledger: LedgerHarness
) -> None:
    for filters in FILTERS:
        assert logged(models, **filters) == fold(recorded, ledger.clock.now, **filters), filters
    everything = logged(models)
    # The fact submitted in UTC comes before the org fact submitted before it (recording order).
    ids = [f["id"] for f in everything]
    assert ids.index("f16") < ids.index("o-count2")
    assert logged(models, limit=3) == everything[:3]
    retracted = {f["id"] for f in everything if f["retracted"]}
    assert retracted == {"o-count", "f10"}


def test_the_fact_log_flags_anomalies_as_the_member_view_does(
    recorded: list[dict[str, Any]], models: ReadModels, ledger: LedgerHarness
) -> None:
    for member in ("m1", "m2", "m3", "m4"):
        view = {f["id"]: f["anomaly"] for f in ledger.view(member)["facts"]}
        log = {f["id"]: f["anomaly"] for f in models.facts(member=member).facts}
        assert {k: v for k, v in log.items() if k in view} == view
    assert [f["id"] for f in models.facts(member="m3").facts if f["anomaly"]] == ["f12"]


def test_a_fact_submitted_without_id_or_recording_time_is_logged_as_stored(
    ledger: LedgerHarness, models: ReadModels
) -> None:
    ledger.org("hp")
    submitted = {"type": "organization.renamed", "on": "2020-01-01", "org": "hp", "name": "HP"}
    ledger.record(submitted)
    last = models.facts(types=["organization.renamed"]).facts[-1]
    assert last["id"].startswith("sha256:")
    assert last["fact"] == {
        "id": last["id"],
        **submitted,
        "recorded_at": ledger.clock.now.isoformat(),
    }


def test_fact_log_filters_refuse_what_they_do_not_know(
    recorded: list[dict[str, Any]], models: ReadModels
) -> None:
    with pytest.raises(UnknownOrg):
        models.facts(org="nope")
    with pytest.raises(ValueError, match=r"unknown fact type member\.nope"):
        models.facts(types=["member.nope"])
    with pytest.raises(ValueError, match="limit"):
        models.facts(limit=0)


def test_a_rebuild_and_a_fact_by_fact_catch_up_give_the_same_directory(
    ledger: LedgerHarness, app: LedgerApplication, models: ReadModels
) -> None:
    facts = history()
    for fact in facts:  # the read models catch up after every fact
        ledger.record(fact)
        models.fresh()
    before = (
        models.facts().model_dump(),
        models.members("a", limit=100).model_dump(),
        models.names(orgs=["d2"], members=["m1", "m2", "m4"]),
    )
    rebuild(app.event_log, models.store)
    after = (
        models.facts().model_dump(),
        models.members("a", limit=100).model_dump(),
        models.names(orgs=["d2"], members=["m1", "m2", "m4"]),
    )
    assert after == before
    assert len(before[0]["facts"]) == len(facts)
