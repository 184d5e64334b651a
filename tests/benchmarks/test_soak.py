"""The soak of ``benchmarks/soak.py``, ten seconds of it: its checks hold, and they can fail."""

from __future__ import annotations

from typing import Any

import pytest

from benchmarks import soak
from tests.conftest import fresh_schema


@pytest.fixture
def small(monkeypatch: pytest.MonkeyPatch) -> None:
    """A smaller ledger and smaller import files: the same mix, in seconds."""
    monkeypatch.setattr(soak, "BASE_MEMBERS", 200)
    monkeypatch.setattr(soak, "IMPORT_MEMBERS", 200)
    monkeypatch.setattr(soak, "IMPORT_OVERLAP", 20)


def test_a_short_soak_on_postgresql_passes_every_check(small: None) -> None:
    with fresh_schema() as url:
        result = soak.soak(url, minutes=0.15, clients=8, importers=2)
    assert result["checks"] == dict.fromkeys(result["checks"], True), result["checks"]
    assert len(result["projector_killed_at_s"]) == 2
    facts = result["facts"]
    assert facts["http_accepted"] > 0 and facts["import_accepted"] > 0
    assert result["routes"]["POST /facts"]["requests"] > 0


def test_the_checks_fail_when_the_log_and_the_answers_differ() -> None:
    seen = soak.Seen(accepted=["a", "b"], refused={"c": "in_transit"})
    rows: dict[str, list[tuple[Any, ...]]] = {"rm_facts": [(1,)]}

    def checks(log: list[str], rebuilt: dict[str, list[tuple[Any, ...]]]) -> set[str]:
        """The checks that fail."""
        result = soak.figures(seen, log, set(), rows, rebuilt, 1.0, [], 0.0)
        return {name for name, ok in result["checks"].items() if not ok}

    assert checks(["a", "b"], rows) == set()
    counts = "the answers' counts add up to the log"
    assert checks(["a"], rows) == {"every acknowledged fact in the log", counts}
    assert checks(["a", "b", "b"], rows) == {"no fact twice in the log", counts}
    assert checks(["a", "b", "x"], rows) == {"the log holds nothing unacknowledged", counts}
    assert "no refused fact in the log" in checks(["a", "b", "c"], rows)
    assert checks(["a", "b"], {"rm_facts": []}) == {"read models equal a rebuild"}
