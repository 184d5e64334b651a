"""The HTTP API's write routes: one fact or a batch, under the importer's rules and limits;
ids as idempotency keys; every refusal a status, a stable code and the fact's id."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime

import orjson
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.cli import app as cli
from api.http.app import create_app
from tests.api.test_cli import org
from tests.support import admitted, fact

runner = CliRunner()
NOW = datetime(2026, 1, 1, 12).astimezone()


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    assert runner.invoke(cli, ["migrate", "--db", database_url]).exit_code == 0
    with TestClient(create_app(database_url, clock=lambda: NOW, auth=False)) as test_client:
        yield test_client


def post(client: TestClient, body: object) -> tuple[int, dict[str, object]]:
    response = client.post("/facts", content=orjson.dumps(body))
    return response.status_code, response.json()


def test_a_fact_is_recorded_once_and_a_retry_is_a_duplicate(client: TestClient) -> None:
    assert post(client, org("hp", None)) == (201, {"id": "reg-hp", "outcome": "accepted"})
    assert post(client, org("hp", None)) == (200, {"id": "reg-hp", "outcome": "duplicate"})
    # The read side sees it at once.
    assert client.get("/orgs/hp/roster").json()["count"] == 0
    # Without an id, the id is the digest of the content (SPEC §2), the same on a retry.
    without_id = admitted("m1", "hp", "2020-03-01")
    without_id.pop("id", None)
    status, body = post(client, without_id)
    assert status == 201 and str(body["id"]).startswith("sha256:")
    assert post(client, without_id) == (200, {"id": body["id"], "outcome": "duplicate"})
    assert client.get("/members/m1").json()["status"] == "probationary"


def test_a_refused_fact_gets_409_with_its_code_and_id(client: TestClient) -> None:
    post(client, org("hp", None))
    status, body = post(client, admitted("m1", "nowhere", "2020-03-01", id="adm-1"))
    assert status == 409 and body["error"] == "unknown_org" and body["fact"] == "adm-1"
    status, body = post(client, fact("died", "m9", "2020-03-01", id="d-9"))
    assert status == 409 and body["error"] == "not_member" and "m9" in str(body["message"])
    # The same id with other content is a clash, not an idempotent retry.
    post(client, admitted("m1", "hp", "2020-03-01", id="adm-1"))
    status, body = post(client, admitted("m1", "hp", "2020-04-01", id="adm-1"))
    assert status == 409 and body["error"] == "duplicate_fact"


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"{not json", "not valid JSON"),
        (b"[1, 2]", "one JSON object"),
        (b'{"type": "member.died", "type": "member.died"}', "duplicate key"),
        (b'{"type": "member.teleported", "on": "2020-01-01", "member": "m1"}', "type"),
        (b"[" * 20 + b"]" * 20, "nested"),
    ],
)
def test_a_malformed_fact_gets_422_invalid_fact(
    client: TestClient, body: bytes, words: str
) -> None:
    response = client.post("/facts", content=body)
    assert response.status_code == 422
    assert response.json()["error"] == "invalid_fact" and words in response.json()["message"]


def test_a_body_over_the_limit_gets_413_before_it_is_read_whole(client: TestClient) -> None:
    response = client.post("/facts", content=b"x" * (64 * 1024 + 1))
    assert response.status_code == 413 and response.json()["error"] == "too_large"


def test_a_batch_answers_the_import_summary_in_json_lines_or_as_an_array(
    client: TestClient,
) -> None:
    lines = [org("hp", None), admitted("m1", "hp", "2020-03-01", id="adm-1"),
             admitted("m2", "nowhere", "2020-03-01", id="adm-2")]  # fmt: skip
    body = b"\n".join(orjson.dumps(line) for line in lines) + b"\n\n"
    response = client.post(
        "/facts/batch", content=body, headers={"content-type": "application/x-ndjson"}
    )
    summary = response.json()
    assert response.status_code == 200
    assert (summary["accepted"], summary["duplicates"], summary["rejected"]) == (2, 0, 1)
    assert summary["rejects"][0]["line"] == 3 and summary["rejects"][0]["id"] == "adm-2"
    assert summary["rejects"][0]["error"] == "unknown_org"
    # The same facts as a JSON array: all duplicates now, the third refused again.
    again = client.post("/facts/batch", json=lines).json()
    assert (again["accepted"], again["duplicates"], again["rejected"]) == (0, 2, 1)
    assert client.get("/orgs/hp/roster").json()["count"] == 1


def test_a_json_batch_refuses_duplicate_keys_and_non_arrays(client: TestClient) -> None:
    for body in (b'[{"a": 1, "a": 2}]', b'{"type": "x"}', b"[1,"):
        response = client.post(
            "/facts/batch", content=body, headers={"content-type": "application/json"}
        )
        assert response.status_code == 422 and response.json()["error"] == "invalid_fact"


def test_the_openapi_documents_the_write_routes(client: TestClient) -> None:
    paths = json.loads(client.get("/openapi.json").text)["paths"]
    post_fact = paths["/facts"]["post"]
    assert {"201", "200", "409", "413", "422"} <= set(post_fact["responses"])
    assert "example" in post_fact["requestBody"]["content"]["application/json"]
    assert "application/x-ndjson" in paths["/facts/batch"]["post"]["requestBody"]["content"]
