"""The demo history: a deterministic, plausible Hải Phòng city organisation, 1930-2022.

``generate()`` yields facts in the interchange format of SPEC §2 (dicts, one per JSON line),
each with an explicit ``id`` (``hp-f0000001``…) and ``recorded_at`` (+07:00). Imported into an
empty ledger, they make the read models print every figure of SPEC §6 for the city in 2021 —
not because anything is typed in, but because the history is *planned* to: the counts of each
kind of event per year (admissions by gender, youth union and occupation, transfers across the
city's boundary, exits, deaths, badges, dossiers) are decided up front (``Plan``), members are
drawn to realise them under the rules of SPEC §3, and the population at the start of the
detailed window is sized so that the roster at 31-12-2021 comes out right.

How the history is kept lean (every fact costs import and projection time):

* The detailed window is 2019-2022 (``WINDOW``): every admission, arrival, probation,
  internal move, transfer across the boundary, exit, death and badge in it is recorded. Before
  it, the ledger holds the history of the members still in the city on 31-12-2018 — their
  admission (or their arrival from another province or the army), their probation and their
  dossier — plus, for the few re-admitted members, their earlier membership and exit. Members
  who left or died before 2019 are not in the demo ledger, so reports for years before 2019
  only count the survivors.
* Badges before 2019 are carried over only as each member's latest one.
* Facts dated before the database existed (``DB_START``) are recorded when the member was
  migrated into it (2010-2012); from then on facts are recorded within days of their date,
  except deaths, which are often reported late.

The seed's problems are in it too: members in transit for months, members away for more than
12 months without a transfer, overdue probation decisions, deaths reported months late (one
with an exemption dated after the death but recorded before it: an anomaly), members without a
dossier, and one committee whose declared head count for 31-12-2021 never deducted the
members it transferred out.

The package is split by concern:

* ``demo.plan``: the fixed dates and the ``Plan`` (``SEED_PLAN``: the seed's figures);
* ``demo.orgs``: the organisation tree (committees, grassroots, cells) and people's names;
* ``demo.members``: what is decided about each member (``Life``) and the random draws;
* ``demo.builder``: ``_Builder``, which decides the whole history, in parts (``base``,
  ``population``, ``movements``, ``problems``, ``records``);
* ``demo.emit``: the facts of that history (``generate``, ``lines``) and ``main``.

``python -m demo [SEED] [--scale N]`` writes the history as JSON Lines to stdout; ``--scale``
(``ledger demo --scale N``) generates a city N times the seed's (``Plan.scaled``: every count of
the plan scaled, the org tree grown with it, 0 < N <= ``MAX_SCALE``). Only scale 1 reproduces
the exact figures of SPEC §6; any other scale reproduces them scaled (each count rounded). The
history is decided whole before the first fact is written, so the generator's memory grows
with the scale: about 150 MB a city (docs/benchmarks.md, "National scale").
"""

from __future__ import annotations

from demo.emit import PRIORITY, generate, lines, main
from demo.members import Badge, Life, Move, Prior
from demo.orgs import COMMITTEES, GRASSROOTS, PROVINCES, UNDECLARED_COMMITTEE, Org
from demo.plan import (
    CEREMONIES,
    CITY,
    DB_START,
    END,
    REPORT_YEAR,
    SEED_PLAN,
    TIME,
    WINDOW,
    Plan,
    PlanError,
    YearPlan,
)

__all__ = [
    "CEREMONIES",
    "CITY",
    "COMMITTEES",
    "DB_START",
    "END",
    "GRASSROOTS",
    "PRIORITY",
    "PROVINCES",
    "REPORT_YEAR",
    "SEED_PLAN",
    "TIME",
    "UNDECLARED_COMMITTEE",
    "WINDOW",
    "Badge",
    "Life",
    "Move",
    "Org",
    "Plan",
    "PlanError",
    "Prior",
    "YearPlan",
    "generate",
    "lines",
    "main",
]
