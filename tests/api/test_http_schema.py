"""The HTTP API against its own OpenAPI schema (schemathesis), on both backends.

Every operation, with generated parameters and bodies and an admin token on a database holding
the example history: no answer may be a server error, and every answer must be one the schema
documents (its status, its content type, its body). Few examples per operation and a fixed seed:
the file runs in seconds and the same cases run in CI.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from typer.testing import CliRunner

from api.cli import app as cli
from api.http.app import create_app
from projections.reports.feed import MAX_POSITION, event_feed
from storage.event_log import EventLog
from tests.api.example import EXAMPLE
from tests.api.test_http_auth import token

runner = CliRunner()
NOW = datetime(2026, 1, 1, 12).astimezone()


@pytest.fixture
def served(database_url: str) -> Iterator[tuple[Any, dict[str, str]]]:
    """The app's own schema over the example history, and an admin token (no scope)."""
    result = runner.invoke(cli, ["import", str(EXAMPLE), "--db", database_url])
    assert result.exit_code == 0, result.output
    headers = {"Authorization": f"Bearer {token(database_url, 'fuzz', 'admin', None)}"}
    app = create_app(database_url, clock=lambda: NOW)
    with TestClient(app):  # runs the lifespan: the pools close after the test
        yield schemathesis.openapi.from_asgi("/openapi.json", app), headers


# Whether a request the schema allows is answered 2xx is not checked: a date the pattern allows
# may still not be a date, and a generated fact is mostly refused (409/422) by the rules.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
MODES = [schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE]
EXAMPLES = 10  # per operation and mode
SETTINGS = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def modes_of(schema: Any, operation: Any) -> list[schemathesis.GenerationMode]:
    """Both modes, but only valid requests for an operation without parameters or a body
    (there is nothing to make invalid)."""
    spec = schema.raw_schema["paths"][operation.path][operation.method.lower()]
    return MODES if spec.get("parameters") or "requestBody" in spec else MODES[:1]


def test_every_answer_is_documented_and_none_is_a_server_error(
    served: tuple[Any, dict[str, str]],
) -> None:
    schema, headers = served
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15  # every route, the two writes included
    failures: dict[str, str] = {}
    cases = 0
    runs = [(op, mode) for op in operations for mode in MODES if mode in modes_of(schema, op)]
    for operation, mode in runs:

        @given(case=operation.as_strategy(generation_mode=mode))
        @SETTINGS
        def check(case: schemathesis.Case) -> None:
            nonlocal cases
            cases += 1
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            check()
        except (Exception, BaseExceptionGroup) as failure:  # every operation's failures
            failures[f"{operation.label} ({mode.value})"] = str(failure)
    assert not failures, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())
    assert cases >= len(runs)
    print(f"{len(operations)} operations, {cases} cases")


def test_the_feed_refuses_a_position_no_log_can_reach(
    served: tuple[Any, dict[str, str]], database_url: str
) -> None:
    """Found by the schema run: ``after`` beyond 64 bits was a 500 (an overflow in the
    database driver); now the schema bounds it and the feed refuses it (422)."""
    schema, headers = served
    with TestClient(schema.app) as client:
        response = client.get(f"/events?after={2**63}", headers=headers)
        assert response.status_code == 422 and response.json()["error"] == "invalid_request"
        assert "after" in response.json()["message"]
        last = client.get(f"/events?after={MAX_POSITION}", headers=headers)
        assert last.status_code == 200 and last.json()["events"] == []
    with pytest.raises(ValueError, match="after must be between 0 and"):
        event_feed(EventLog.__new__(EventLog), MAX_POSITION + 1, 10)


def test_a_json_batch_with_an_integer_beyond_64_bits_refuses_that_fact_only(
    served: tuple[Any, dict[str, str]],
) -> None:
    """Found by the schema run: such an integer in a JSON-array batch was a 500 (orjson cannot
    write it back as a line); now that fact is refused at its line, as in a JSON Lines batch."""
    schema, headers = served
    fact = {"id": "big-1", "type": "member.died", "on": "2020-01-01", "member": "hp-0001"}
    huge = json.dumps({**fact, "years": 2**70})
    with TestClient(schema.app) as client:
        answers = [
            client.post("/facts/batch", content=body, headers={**headers, "content-type": kind})
            for body, kind in [(f"[{huge}]", "application/json"), (huge, "application/x-ndjson")]
        ]
    assert [answer.status_code for answer in answers] == [200, 200]
    assert answers[0].json() == answers[1].json()
    assert answers[0].json()["rejects"][0]["line"] == 1
    assert answers[0].json()["rejects"][0]["id"] == "big-1"
