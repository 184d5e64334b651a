"""The reports of the city and of a committee on an existing ledger, each computed afresh and
divided by a full scan of ``rm_spans`` measured in the same run: the annual report known now
(from the year-end tallies), known at an earlier time (the city's tallies rewound by the rows
changed since; a committee counts its rows) and counted from the rows (the path of an org
deeper in the tree), the quality report and badges due.

    python -m benchmarks.report_paths --db sqlite:///demo.db [--committee hp.d05] [--repeat 5]

The annual answers are compared before timing: the tallies' with the rows', known now and known
then (they must be equal but for ``known_at``).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from benchmarks.suite import afresh, median_seconds, opened
from projections.knowledge import EVERYTHING, utc_text
from projections.reports.annual import annual as annual_report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True, help="the ledger's URL")
    parser.add_argument("--city", default="hp")
    parser.add_argument("--committee", default="hp.d05")
    parser.add_argument("--year", type=int, default=2021)
    parser.add_argument(
        "--known-at", default="2022-01-15", type=_moment,
        help="the earlier knowledge time (UTC, ISO)",
    )  # fmt: skip
    parser.add_argument("--repeat", type=int, default=5, help="runs of each query (median)")
    args = parser.parse_args()
    with opened(args.db) as (_, models):
        models.fresh()
        models.store.analyze()
        fresh = afresh(models)

        def annual(org: str, moment: str, *, tallied: bool = True) -> Callable[[], Any]:
            return fresh(lambda: annual_report(models, org, args.year, moment, "", tallied=tallied))

        then = utc_text(args.known_at)
        for org in (args.city, args.committee):
            for moment in (EVERYTHING, then):
                tallied, rows = annual(org, moment)(), annual(org, moment, tallied=False)()
                if tallied != rows:
                    raise SystemExit(f"the annual reports of {org} differ between the two paths")
        scan = median_seconds(
            lambda: models.store.fetchone("SELECT count(*), max(since) FROM rm_spans"),
            args.repeat,
        )
        print(f"full scan of rm_spans: {scan * 1000:.1f} ms")
        print(f"{'query':<46} {'ms':>8} {'/ scan':>8}")
        for org in (args.city, args.committee):
            queries = {
                "annual, known now (tallies)": annual(org, EVERYTHING),
                f"annual, known at {args.known_at:%Y-%m-%d}": annual(org, then),
                "annual, counted from the rows": annual(org, EVERYTHING, tallied=False),
                "quality": fresh(
                    lambda org=org: models.quality(
                        org, as_of=date(args.year + 1, 1, 31), known_at=None, label=""
                    )
                ),
                "badges due": fresh(
                    lambda org=org: models.badges_due(org, on=date(args.year + 1, 2, 3))
                ),
            }
            for name, run in queries.items():
                took = median_seconds(run, args.repeat)
                print(f"{org + ': ' + name:<46} {took * 1000:8.2f} {took / scan:8.3f}")


def _moment(text: str) -> datetime:
    """An ISO date or date-time, in UTC unless it says otherwise (argparse's type)."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO date or date-time: {text!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


if __name__ == "__main__":
    main()
