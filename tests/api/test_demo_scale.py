"""``ledger demo --scale N`` and ``python -m demo --scale N``: the scale is checked before
anything is generated or created, and a small city is generated and imported whole.

The seed's own figures (scale 1) are checked by ``tests/commands/test_demo.py``.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app
from commands.application import LedgerApplication
from demo import SEED_PLAN
from demo.builder import _Builder
from demo.emit import build, generate, lines
from demo.members import id_digits
from demo.plan import MAX_SCALE, PlanError, check_scale, plan_at
from projections.queries import ReadModels

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


@pytest.mark.parametrize("scale", ["0", "-1", "50.5", "1000", "nan", "inf"])
def test_ledger_demo_refuses_a_scale_out_of_range(tmp_path: Path, scale: str) -> None:
    db = tmp_path / "demo.db"
    result = runner.invoke(app, ["demo", "--scale", scale, "--db", f"sqlite:///{db}"])
    assert result.exit_code == 2, result.output
    assert "--scale: the scale must be more than 0 and at most 50" in result.output
    assert not db.exists()  # refused before the ledger is opened


def test_ledger_demo_refuses_a_scale_that_is_not_a_number(tmp_path: Path) -> None:
    result = runner.invoke(app, ["demo", "--scale", "ten", "--db", f"sqlite:///{tmp_path}/d.db"])
    assert result.exit_code == 2
    assert "Invalid value for '--scale'" in result.output


def test_python_m_demo_refuses_a_scale_out_of_range() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "demo", "--scale", "0"], cwd=ROOT, capture_output=True, check=False
    )
    assert run.returncode == 2
    assert run.stdout == b""
    assert b"the scale must be more than 0 and at most 50, not 0" in run.stderr


def test_the_scale_bounds() -> None:
    assert check_scale(MAX_SCALE) == MAX_SCALE
    assert check_scale(0.001) == 0.001
    for wrong in (0.0, -0.5, MAX_SCALE + 0.01, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="more than 0 and at most 50"):
            check_scale(wrong)
    assert plan_at(1) is SEED_PLAN
    assert plan_at(2).members_at_end == 2 * SEED_PLAN.members_at_end
    assert plan_at(2).scale == 2


def test_ledger_demo_at_a_small_scale_imports_its_whole_history(tmp_path: Path) -> None:
    url, out = f"sqlite:///{tmp_path}/demo.db", tmp_path / "history.jsonl"
    run = subprocess.run(
        [sys.executable, "-m", "api.cli", "demo", "--scale", "0.01", "--db", url, "--out", out],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    written = out.read_bytes().splitlines()
    plan = SEED_PLAN.scaled(0.01)
    assert written == list(lines(build(None, plan)))
    assert f"scale 0.01): {len(written):,} facts" in run.stdout
    assert f"accepted {len(written)}, duplicates 0, rejected 0" in run.stdout
    ledger = LedgerApplication(url)
    models = ReadModels(ledger.event_log)
    try:
        report = models.annual("hp", year=2021, known_at=None, label="")
        assert report.members_at_end == plan.members_at_end  # the plan's figures, scaled
        assert report.admitted == plan.years[2021].admitted
        assert report.badges_awarded == plan.badges
    finally:
        models.close()
        ledger.close()


def test_a_seed_that_misses_the_plan_gives_way_to_the_next_unless_it_was_asked_for(
    capsys: pytest.CaptureFixture[str],
) -> None:
    plan = SEED_PLAN.scaled(0.01)
    impossible = dataclasses.replace(plan, badges=10**6)
    with pytest.raises(PlanError):
        next(build(7, impossible))
    with pytest.raises(PlanError):  # every seed tried, the last one's error raised
        next(build(None, impossible))
    assert capsys.readouterr().err.count("misses the plan") == 4
    # At 1 %, seed 2021 finds too few badges due in 2021: seed 7 is used, and said so.
    assert next(build(None, plan)) == next(generate(7, plan))
    assert "seed 2021 misses the plan (only 54 badges" in capsys.readouterr().err


def test_a_larger_city_has_more_grassroots_orgs_not_larger_cells() -> None:
    def grassroots(scale: float) -> int:
        builder = _Builder(2021, SEED_PLAN.scaled(scale) if scale != 1 else SEED_PLAN)
        builder.build_orgs()
        return sum(1 for org in builder.orgs if org.org.count(".") == 2)

    seed, small, triple = grassroots(1), grassroots(0.1), grassroots(3)
    assert small == seed  # a smaller city keeps the seed's tree (the quick tests' orgs)
    assert 2.9 * seed <= triple <= 3.1 * seed


def test_ids_widen_past_seven_digits_only_when_needed() -> None:
    assert id_digits(1) == 7
    assert id_digits(9_999_999) == 7
    assert id_digits(10_000_000) == 8
    assert next(generate(7, SEED_PLAN.scaled(0.01)))["id"] == "hp-f0000001"
    national = plan_at(43)  # about 5.5 million members: more than ten million facts
    assert id_digits(national.members_at_end * 6) == 8
