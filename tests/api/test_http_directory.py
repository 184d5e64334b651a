"""The HTTP API's directory routes, the diff and the event feed: the command line's JSON, and
the feed's every event once, in order, resumable (both backends)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.cli import app as cli
from api.http.app import create_app
from tests.api.example import EXAMPLE

runner = CliRunner()
NOW = datetime(2026, 1, 1, 12).astimezone()
KNOWN = "2022-01-15T09:00:00+07:00"


@pytest.fixture
def client(db: str) -> Iterator[TestClient]:
    with TestClient(create_app(db, clock=lambda: NOW, auth=False)) as test_client:
        yield test_client


def cli_json(db: str, *args: str) -> object:
    result = runner.invoke(cli, [*args, "--json", "--db", db])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


CASES = [
    (f"/orgs/hp?as_of=2021-12-31&known_at={KNOWN}",
     ["orgs", "hp", "--as-of", "2021-12-31", "--known-at", KNOWN]),
    ("/members?name=nguyen&limit=5", ["members", "--name", "nguyen", "--limit", "5"]),
    ("/facts?member=hp-0014", ["facts", "--member", "hp-0014"]),
    ("/facts?org=hp.d01&since=2021-01-01&until=2021-12-31&type=member.admitted",
     ["facts", "--org", "hp.d01", "--since", "2021-01-01", "--until", "2021-12-31",
      "--type", "member.admitted"]),
    (f"/orgs/hp/reports/diff/2021?known_at={KNOWN}&against=2030-01-01",
     ["report", "diff", "hp", "--year", "2021", "--known-at", KNOWN, "--against", "2030-01-01"]),
]  # fmt: skip


@pytest.mark.parametrize(("route", "command"), CASES)
def test_a_route_answers_the_json_of_the_command_line(
    client: TestClient, db: str, route: str, command: list[str]
) -> None:
    response = client.get(route.replace("+", "%2B"))
    assert response.status_code == 200, response.text
    assert response.json() == cli_json(db, *command)


def test_the_feed_gives_every_event_once_in_order_and_resumes(client: TestClient) -> None:
    seen: list[int] = []
    facts: list[dict[str, object]] = []
    after = 0
    while True:
        page = client.get(f"/events?after={after}&limit=7").json()
        assert page["after"] == after
        if not page["events"]:
            assert page["next"] == after
            break
        seen += [item["position"] for item in page["events"]]
        facts += [item["fact"] for item in page["events"]]
        after = page["next"]
        assert after == seen[-1]
    assert seen == sorted(seen) and len(set(seen)) == len(seen)
    submitted = [json.loads(line) for line in EXAMPLE.read_text().splitlines() if line.strip()]
    assert sorted(f["id"] for f in facts) == sorted(f["id"] for f in submitted)  # type: ignore[index]
    assert all(f is not None for f in facts)


@pytest.mark.parametrize(
    ("route", "words"),
    [
        ("/events?after=-1", "after"),
        ("/events?limit=0", "limit"),
        ("/events?limit=10001", "limit"),
        ("/facts?since=yesterday", "since"),
        ("/facts?type=member.nope", "unknown fact type"),
        ("/facts?limit=0", "limit"),
        ("/members?name=", "name"),
        ("/members?name=%25%25", "name"),
        ("/orgs/hp/reports/diff/2021", "known_at"),
        ("/orgs/hp/reports/diff/2021?known_at=2030-01-01&against=2022-01-01", "after"),
    ],
)
def test_bad_parameters_are_named(client: TestClient, route: str, words: str) -> None:
    response = client.get(route)
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "invalid_request" and words in response.json()["message"]


def test_ready_reports_the_projection_lag(client: TestClient) -> None:
    # The import stored the facts; no worker has projected them yet.
    stored = sum(1 for line in EXAMPLE.read_text().splitlines() if line.strip())
    assert client.get("/ready").json() == {"database": "ok", "projection_lag": stored}
    client.get("/orgs/hp/roster")  # a read catches the read models up first
    assert client.get("/ready").json() == {"database": "ok", "projection_lag": 0}
