"""Dashboard benchmark: the time each page of ``/ui`` takes on a database (the full demo city),
beside the JSON route of the same report and ``GET /health`` in the same run.

In-process (the app over a test client, no network, ``--no-auth``), one request at a time:
the JSON route's first answer in a fresh app (no report kept for that question yet) and the
median of ``--repeat`` more, then the same for the page in another fresh app. The machines
are shared and noisy, so the figures to compare are the ratios to the JSON route of the same
report. Usage::

    python -m benchmarks.web_pages --db sqlite:///demo.db [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import time

from fastapi.testclient import TestClient

from api.http.app import create_app

KNOWN = "known_at=2022-01-15"
PAIRS = [
    ("/ui/orgs?as_of=2021-12-31", "/orgs?as_of=2021-12-31"),
    ("/ui/orgs/hp?year=2021", "/orgs/hp/reports/annual/2021"),
    (f"/ui/orgs/hp?year=2021&{KNOWN}", f"/orgs/hp/reports/annual/2021?{KNOWN}"),
    (f"/ui/orgs/hp/diff?year=2021&{KNOWN}", f"/orgs/hp/reports/diff/2021?{KNOWN}"),
    ("/ui/orgs/hp/roster?as_of=2021-12-31", "/orgs/hp/roster?as_of=2021-12-31"),
    ("/ui/orgs/hp.d03/roster?as_of=2021-12-31&q=nguyen", "/orgs/hp.d03/roster?as_of=2021-12-31"),
    ("/ui/members/hp-m0000404?as_of=2021-12-31", "/members/hp-m0000404?as_of=2021-12-31"),
    ("/ui/orgs/hp/quality?as_of=2022-01-31", "/orgs/hp/reports/quality?as_of=2022-01-31"),
    ("/ui/orgs/hp/badges?on=2021-09-02", "/orgs/hp/reports/badges?on=2021-09-02"),
]  # fmt: skip


def timed(client: TestClient, path: str) -> float:
    """Seconds for one GET of ``path`` (which must answer 200)."""
    start = time.perf_counter()
    answer = client.get(path)
    elapsed = time.perf_counter() - start
    assert answer.status_code == 200, (path, answer.status_code, answer.text[:300])
    return elapsed


def measure(db: str, path: str, repeat: int) -> tuple[float, float]:
    """The first answer's time in a fresh app (no report kept yet) and the median of
    ``repeat`` more."""
    with TestClient(create_app(db, auth=False)) as client:
        first = timed(client, path)
        return first, statistics.median(timed(client, path) for _ in range(repeat))


def main() -> None:
    """Print one row per page: first and median times, and the JSON route's."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with TestClient(create_app(args.db, auth=False)) as client:
        timed(client, "/ui/orgs")  # the read models caught up, the database's pages cached
        health = statistics.median(timed(client, "/health") for _ in range(20))
    print(f"GET /health median {health * 1000:.1f} ms")
    print(f"{'page':52} {'first':>7} {'median':>7} {'JSON first':>10} {'median':>7} "
          "first/JSON median/JSON")  # fmt: skip
    for page, route in PAIRS:
        # The JSON route first: it reads the same rows, so the page's first answer does not
        # pay for the operating system's cold cache on its own.
        json_first, json_median = measure(args.db, route, args.repeat)
        first, median = measure(args.db, page, args.repeat)
        print(f"{page:52} {first * 1000:5.0f}ms {median * 1000:5.0f}ms "
              f"{json_first * 1000:8.0f}ms {json_median * 1000:5.0f}ms "
              f"{first / json_first:10.2f} {median / json_median:11.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
