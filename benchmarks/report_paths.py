"""The reports of the city and of a committee on an existing ledger, each computed afresh and
divided by a full scan of ``rm_spans`` measured in the same run: the annual report known now
(from the year-end tallies) and known at a time (the same answer counted from the rows), the
quality report and badges due.

    python -m benchmarks.report_paths --db sqlite:///demo.db [--committee hp.d05] [--repeat 5]

Both annual answers are compared before timing (they must be equal but for ``known_at``).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from benchmarks.suite import afresh, median_seconds, opened


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True, help="the ledger's URL")
    parser.add_argument("--city", default="hp")
    parser.add_argument("--committee", default="hp.d05")
    parser.add_argument("--year", type=int, default=2021)
    parser.add_argument("--repeat", type=int, default=5, help="runs of each query (median)")
    args = parser.parse_args()
    with opened(args.db) as (_, models):
        models.fresh()
        models.store.analyze()
        fresh = afresh(models)

        def annual(org: str, known_at: datetime | None) -> Callable[[], Any]:
            return fresh(lambda: models.annual(org, year=args.year, known_at=known_at, label=""))

        for org in (args.city, args.committee):
            tallied, rows = annual(org, None)(), annual(org, datetime.now(UTC))()
            if tallied.model_dump(exclude={"known_at"}) != rows.model_dump(exclude={"known_at"}):
                raise SystemExit(f"the annual reports of {org} differ between the two paths")
        scan = median_seconds(
            lambda: models.store.fetchone("SELECT count(*), max(since) FROM rm_spans"),
            args.repeat,
        )
        print(f"full scan of rm_spans: {scan * 1000:.1f} ms")
        print(f"{'query':<46} {'ms':>8} {'/ scan':>8}")
        for org in (args.city, args.committee):
            queries = {
                "annual, known now (tallies)": annual(org, None),
                "annual, known at a time (rows)": annual(org, datetime.now(UTC)),
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


if __name__ == "__main__":
    main()
