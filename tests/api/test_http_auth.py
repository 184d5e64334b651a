"""Tokens and scopes of the HTTP API: who may read and record what (both backends).

The tree: hp → hp.d1 → hp.d1.c1 and hp → hp.d2 → hp.d2.c2; m1 is a member of hp.d1.c1, m2 of
hp.d2.c2. Tokens are created with the command line, as an operator would.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.cli import app as cli
from api.http.app import create_app
from tests.api.test_cli import org, write_lines
from tests.support import admitted, fact

runner = CliRunner()
NOW = datetime(2026, 1, 1, 12).astimezone()
TREE = [org("hp", None), org("hp.d1", "hp"), org("hp.d1.c1", "hp.d1"), org("hp.d2", "hp"),
        org("hp.d2.c2", "hp.d2"), admitted("m1", "hp.d1.c1", "2020-03-01", id="adm-m1"),
        admitted("m2", "hp.d2.c2", "2020-03-01", id="adm-m2")]  # fmt: skip


def token(db: str, name: str, role: str, scope: str | None) -> str:
    args = ["token", "create", "--name", name, "--role", role, "--json", "--db", db]
    result = runner.invoke(cli, [*args, *(["--scope", scope] if scope else [])])
    assert result.exit_code == 0, result.output
    created: dict[str, Any] = json.loads(result.stdout)
    assert created["name"] == name and created["role"] == role and created["scope"] == scope
    return str(created["token"])


@pytest.fixture
def api(database_url: str, tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str], str]]:
    history = write_lines(tmp_path / "tree.jsonl", list(TREE))
    assert runner.invoke(cli, ["import", str(history), "--db", database_url]).exit_code == 0
    tokens = {
        "admin": token(database_url, "admin", "admin", None),
        "reader-d1": token(database_url, "reader-d1", "reader", "hp.d1"),
        "clerk-d1": token(database_url, "clerk-d1", "registrar", "hp.d1"),
        "clerk-d2": token(database_url, "clerk-d2", "registrar", "hp.d2"),
    }
    with TestClient(create_app(database_url, clock=lambda: NOW)) as client:
        yield client, tokens, database_url


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def post(client: TestClient, token: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    response = client.post("/facts", content=orjson.dumps(body), headers=bearer(token))
    return response.status_code, response.json()


def test_every_route_but_health_needs_a_live_token(api: tuple[TestClient, Any, str]) -> None:
    client, tokens, db = api
    assert client.get("/health").status_code == 200
    for headers in ({}, {"authorization": "Bearer nope"}, {"authorization": tokens["admin"]}):
        response = client.get("/orgs/hp/roster", headers=headers)
        assert response.status_code == 401 and response.json()["error"] == "unauthorized"
        assert response.headers["www-authenticate"] == "Bearer"
    forged = tokens["admin"][:-4] + "AAAA"  # the right id, another secret
    assert client.get("/orgs/hp/roster", headers=bearer(forged)).status_code == 401
    assert client.get("/orgs/hp/roster", headers=bearer(tokens["admin"])).status_code == 200
    # A token in the URL is refused even when it is valid: URLs end up in logs.
    response = client.get(f"/orgs/hp/roster?token={tokens['admin']}")
    assert response.status_code == 401 and "never accepted in the URL" in response.json()["message"]
    # Revoked: refused from the next request on.
    revoked = runner.invoke(cli, ["token", "revoke", "--name", "admin", "--db", db])
    assert revoked.exit_code == 0, revoked.output
    assert client.get("/orgs/hp/roster", headers=bearer(tokens["admin"])).status_code == 401


def test_a_reader_reads_its_subtree_only(api: tuple[TestClient, Any, str]) -> None:
    client, tokens, _ = api
    reader = bearer(tokens["reader-d1"])
    assert client.get("/orgs/hp.d1/roster", headers=reader).json()["count"] == 1
    assert client.get("/orgs/hp.d1.c1/reports/annual/2020", headers=reader).status_code == 200
    for route in ("/orgs/hp.d2/roster", "/orgs/hp/roster", "/orgs/hp.d2/reports/quality",
                  "/orgs/hp/reports/badges", "/orgs/hp/reports/annual/2020"):  # fmt: skip
        response = client.get(route, headers=reader)
        assert response.status_code == 403 and response.json()["error"] == "forbidden", route
    assert client.get("/orgs/nowhere/roster", headers=reader).status_code == 404
    assert client.get("/members/m1", headers=reader).json()["org"] == "hp.d1.c1"
    # Another committee's member, or nobody: not found, without saying which.
    for member in ("m2", "nobody"):
        response = client.get(f"/members/{member}", headers=reader)
        assert response.status_code == 404 and response.json()["error"] == "not_found"
    # A reader records nothing.
    status, body = post(client, tokens["reader-d1"], fact("died", "m1", "2021-03-01"))
    assert status == 403 and "needs a registrar" in body["message"]


def test_a_registrar_records_the_facts_of_its_subtree(api: tuple[TestClient, Any, str]) -> None:
    client, tokens, _ = api
    d1, d2 = tokens["clerk-d1"], tokens["clerk-d2"]
    assert post(client, d1, admitted("m3", "hp.d1.c1", "2021-01-05", id="adm-m3"))[0] == 201
    status, body = post(client, d1, admitted("m4", "hp.d2.c2", "2021-01-05", id="adm-m4"))
    assert (status, body["error"], body["fact"]) == (403, "forbidden", "adm-m4")
    # An exit by the org that holds the member, not by another.
    assert post(client, d1, fact("died", "m2", "2021-02-01", id="death-m2"))[0] == 403
    assert post(client, d2, fact("died", "m2", "2021-02-01", id="death-m2"))[0] == 201
    # A transfer: out by the org that holds the member, in by the receiving org.
    out = fact("transferred_out", "m3", "2021-03-01", id="out-m3", to_org="hp.d2.c2")
    assert post(client, d2, out)[0] == 403
    assert post(client, d1, out)[0] == 201
    arrival = fact("transferred_in", "m3", "2021-03-10", id="in-m3", org="hp.d2.c2")
    assert post(client, d1, arrival)[0] == 403
    assert post(client, d2, arrival)[0] == 201
    # A retraction: by whoever holds the subject of the retracted fact.
    undo = {"type": "fact.retracted", "on": "2021-02-02", "fact": "death-m2", "reason": "error",
            "recorded_at": "2021-02-02T09:00:00+07:00", "id": "undo-death-m2"}  # fmt: skip
    assert post(client, d1, undo)[0] == 403
    assert post(client, d2, undo)[0] == 201
    # Org facts: the org itself, a registration by its parent's side, a root by an admin.
    assert post(client, d1, org("hp.d1.c9", "hp.d1"))[0] == 201
    assert post(client, d1, org("hp.d2.c9", "hp.d2"))[0] == 403
    assert post(client, d1, org("other", None))[0] == 403
    assert post(client, tokens["admin"], org("other", None))[0] == 201


def test_a_registrars_batch_is_checked_line_by_line(api: tuple[TestClient, Any, str]) -> None:
    client, tokens, _ = api
    lines = [
        admitted("m5", "hp.d1.c1", "2021-01-05", id="adm-m5"),
        admitted("m6", "hp.d2.c2", "2021-01-05", id="adm-m6"),
        # Whose it is depends on line 1: m5 is in hp.d1.c1 by then.
        fact("transferred_out", "m5", "2021-03-01", id="out-m5", to_org="hp.d2.c2"),
    ]
    body = b"\n".join(orjson.dumps(line) for line in lines)
    response = client.post("/facts/batch", content=body, headers=bearer(tokens["clerk-d1"]))
    summary = response.json()
    assert (summary["accepted"], summary["duplicates"], summary["rejected"]) == (2, 0, 1)
    assert summary["rejects"] == [
        {
            "line": 2,
            "id": "adm-m6",
            "error": "forbidden",
            "message": summary["rejects"][0]["message"],
        }
    ]
    assert "hp.d2.c2" in summary["rejects"][0]["message"]
    # Again: duplicates, and line 2 still refused.
    again = client.post("/facts/batch", content=body, headers=bearer(tokens["clerk-d1"])).json()
    assert (again["accepted"], again["duplicates"], again["rejected"]) == (0, 2, 1)


def test_the_directory_answers_within_the_scope(api: tuple[TestClient, Any, str]) -> None:
    client, tokens, db = api
    reader = bearer(tokens["reader-d1"])
    tree = client.get("/orgs", headers=reader).json()
    assert [o["org"] for o in tree["orgs"]] == ["hp.d1", "hp.d1.c1"]
    assert client.get("/orgs/hp.d2", headers=reader).status_code == 403
    found = client.get("/members?name=person", headers=reader).json()
    assert [m["member"] for m in found["members"]] == ["m1"]
    log = client.get("/facts", headers=reader).json()["facts"]
    assert {f["org"] for f in log} == {"hp.d1", "hp.d1.c1"}
    assert client.get("/facts?member=m2", headers=reader).status_code == 404
    assert client.get("/facts?org=hp.d2", headers=reader).status_code == 403
    assert client.get("/orgs/hp.d2/reports/diff/2021?known_at=2021-01-01",
                      headers=reader).status_code == 403  # fmt: skip
    # The feed is the whole ledger: a scoped token may not read it; one without a scope may.
    assert client.get("/events", headers=reader).status_code == 403
    everything = token(db, "downstream", "reader", None)
    feed = client.get("/events", headers=bearer(everything)).json()
    assert len(feed["events"]) == len(TREE)
    # Readiness, like health, needs no token.
    assert client.get("/ready").status_code == 200


def test_every_stored_fact_says_who_recorded_it(api: tuple[TestClient, Any, str]) -> None:
    client, tokens, db = api
    assert post(client, tokens["clerk-d1"], fact("died", "m1", "2021-03-01", id="d-m1"))[0] == 201
    text = runner.invoke(cli, ["member", "m1", "--as-of", "2021-12-31", "--lang", "en",
                               "--db", db]).stdout  # fmt: skip
    lines = {line.split()[2]: line for line in text.splitlines() if "adm-m1" in line
             or "d-m1" in line}  # fmt: skip
    assert lines["d-m1"].rstrip().endswith("token:clerk-d1")  # recorded over the API
    assert lines["adm-m1"].rstrip().split()[-1].startswith("cli")  # imported by the CLI
