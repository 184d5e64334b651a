"""Dashboard benchmark: the time each page of ``/ui`` takes on a database (the full demo city),
beside the JSON route of the same report and ``GET /health`` in the same run.

In-process (the app over a test client, no network, ``--no-auth``), one request at a time:
each page's first answer (read models and report caches cold for that question) and the median
of ``--repeat`` more. The machines are shared and noisy, so the figures to compare are the
ratios to the JSON route of the same report. Usage::

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


def main() -> None:
    """Print one row per page: first and median times, and the JSON route's."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with TestClient(create_app(args.db, auth=False)) as client:
        health = statistics.median(timed(client, "/health") for _ in range(20))
        print(f"GET /health median {health * 1000:.1f} ms")
        print(f"{'page':52} {'first':>8} {'median':>8} {'json first':>10} {'json med':>9} ratio")
        for page, route in PAIRS:
            first_json = timed(client, route)
            json_median = statistics.median(timed(client, route) for _ in range(args.repeat))
            first = timed(client, page)
            median = statistics.median(timed(client, page) for _ in range(args.repeat))
            print(f"{page:52} {first * 1000:7.0f}ms {median * 1000:7.0f}ms "
                  f"{first_json * 1000:9.0f}ms {json_median * 1000:8.0f}ms "
                  f"{median / json_median:5.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
