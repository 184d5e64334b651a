"""The HTTP API's read routes: the same JSON as the command line's ``--json``, on both backends,
and a clear status and code for every bad request (never a 500)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.cli import app as cli
from api.http.app import create_app

runner = CliRunner()
KNOWN = "2022-01-15T09:00:00+07:00"
NOW = datetime(2026, 1, 1, 12).astimezone()  # the machine's zone, as the command line uses


@pytest.fixture
def client(db: str) -> Iterator[TestClient]:
    with TestClient(create_app(db, clock=lambda: NOW, auth=False)) as test_client:
        yield test_client


def cli_json(db: str, *args: str) -> object:
    result = runner.invoke(cli, [*args, "--json", "--db", db])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


# Each case: the route, and the same question asked of the command line.
CASES = [
    (f"/orgs/hp/roster?as_of=2021-12-31&known_at={KNOWN}",
     ["roster", "hp", "--as-of", "2021-12-31", "--known-at", KNOWN]),
    ("/orgs/hp.d01/roster?as_of=2022-06-30&known_at=2030-01-01",
     ["roster", "hp.d01", "--as-of", "2022-06-30", "--known-at", "2030-01-01"]),
    (f"/orgs/hp/reports/annual/2021?known_at={KNOWN}",
     ["report", "annual", "hp", "--year", "2021", "--known-at", KNOWN]),
    ("/orgs/hp.d02/reports/annual/2022?known_at=2030-01-01",
     ["report", "annual", "hp.d02", "--year", "2022", "--known-at", "2030-01-01"]),
    ("/orgs/hp/reports/badges?on=2022-02-03", ["report", "badges", "hp", "--on", "2022-02-03"]),
    (f"/orgs/hp/reports/quality?as_of=2022-01-31&known_at={KNOWN}",
     ["report", "quality", "hp", "--as-of", "2022-01-31", "--known-at", KNOWN]),
    (f"/members/hp-0001?as_of=2022-12-31&known_at={KNOWN}",
     ["member", "hp-0001", "--as-of", "2022-12-31", "--known-at", KNOWN]),
    ("/members/nobody?as_of=2022-12-31&known_at=2030-01-01",
     ["member", "nobody", "--as-of", "2022-12-31", "--known-at", "2030-01-01"]),
]  # fmt: skip


@pytest.mark.parametrize(("route", "command"), CASES)
def test_a_route_answers_the_json_of_the_command_line(
    client: TestClient, db: str, route: str, command: list[str]
) -> None:
    response = client.get(route.replace("+", "%2B"))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.json() == cli_json(db, *command)


def test_defaults_are_today_and_now(client: TestClient) -> None:
    roster = client.get("/orgs/hp/roster").json()
    assert roster["as_of"] == "2026-01-01" and roster["known_at"] == NOW.isoformat()
    assert client.get("/orgs/hp/reports/badges").json()["on"] == "2026-01-01"


def test_health_needs_no_database(client: TestClient) -> None:
    assert client.get("/health").json() == {"status": "ok"}


@pytest.mark.parametrize(
    ("route", "status", "code", "words"),
    [
        ("/orgs/nowhere/roster", 404, "unknown_org", "nowhere"),
        ("/orgs/nowhere/reports/annual/2021", 404, "unknown_org", "nowhere"),
        ("/orgs/hp/roster?as_of=2021-02-30", 422, "invalid_request", "as_of"),
        ("/orgs/hp/roster?as_of=0001-01-01", 422, "invalid_request", "as_of"),
        ("/orgs/hp/roster?known_at=yesterday", 422, "invalid_request", "known_at"),
        ("/orgs/hp/roster?known_at=" + "9" * 100, 422, "invalid_request", "known_at"),
        ("/orgs/hp/reports/annual/99999", 422, "invalid_request", "year"),
        ("/orgs/hp/reports/annual/abc", 422, "invalid_request", "year"),
        ("/orgs/hp/reports/badges?on=31-12-2021", 422, "invalid_request", "on"),
        ("/orgs/bad%20id/roster", 422, "invalid_request", "org"),
        ("/members/" + "m" * 65, 422, "invalid_request", "member"),
    ],
)
def test_a_bad_request_gets_a_status_a_code_and_a_message(
    client: TestClient, route: str, status: int, code: str, words: str
) -> None:
    response = client.get(route)
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == code and words in body["message"], body


def test_the_openapi_documents_every_report_field(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    annual = schema["paths"]["/orgs/{org}/reports/annual/{year}"]["get"]
    ok = annual["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok == {"$ref": "#/components/schemas/AnnualReport"}
    fields = schema["components"]["schemas"]["AnnualReport"]["properties"]
    assert {"members_at_start", "admitted_by", "balanced", "previous_year"} <= set(fields)
    assert "404" in annual["responses"] and "422" in annual["responses"]


SPREADSHEET_CASES = [
    (f"/orgs/hp/roster?as_of=2021-12-31&known_at={KNOWN}",
     ["roster", "hp", "--as-of", "2021-12-31", "--known-at", KNOWN]),
    (f"/orgs/hp/reports/annual/2021?known_at={KNOWN}",
     ["report", "annual", "hp", "--year", "2021", "--known-at", KNOWN]),
    ("/orgs/hp/reports/badges?on=2022-02-03", ["report", "badges", "hp", "--on", "2022-02-03"]),
    (f"/orgs/hp/reports/quality?as_of=2022-01-31&known_at={KNOWN}",
     ["report", "quality", "hp", "--as-of", "2022-01-31", "--known-at", KNOWN]),
    (f"/members/hp-0001?as_of=2022-12-31&known_at={KNOWN}",
     ["member", "hp-0001", "--as-of", "2022-12-31", "--known-at", KNOWN]),
    (f"/orgs/hp/reports/diff/2021?known_at={KNOWN}&against=2030-01-01",
     ["report", "diff", "hp", "--year", "2021", "--known-at", KNOWN, "--against", "2030-01-01"]),
]  # fmt: skip


@pytest.mark.parametrize(("route", "command"), SPREADSHEET_CASES)
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_a_report_as_csv_is_the_command_lines_csv(
    client: TestClient, db: str, route: str, command: list[str], lang: str
) -> None:
    response = client.get(route.replace("+", "%2B") + f"&format=csv&lang={lang}")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"].startswith('attachment; filename="')
    expected = runner.invoke(cli, [*command, "--format", "csv", "--lang", lang, "--db", db])
    assert expected.exit_code == 0, expected.output
    body = response.content.decode("utf-8")
    assert body.endswith("\r\n")  # CSV's own line ends (the test runner turns them into \n)
    assert body.replace("\r\n", "\n") == expected.stdout


def test_the_accept_header_chooses_the_format(client: TestClient) -> None:
    from io import BytesIO

    from openpyxl import load_workbook

    route = "/orgs/hp/roster?as_of=2021-12-31"
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response = client.get(route + "&lang=en", headers={"accept": xlsx})
    assert response.headers["content-type"] == xlsx
    assert load_workbook(BytesIO(response.content)).sheetnames == ["Roster"]
    assert client.get(route, headers={"accept": "text/csv"}).text.startswith("\ufeff")
    assert client.get(route, headers={"accept": "application/json"}).json()["org"] == "hp"
    assert client.get(route, headers={"accept": "text/csv, application/json"}).text[0] == "\ufeff"
    # The parameter wins over the header.
    assert client.get(route + "&format=json", headers={"accept": "text/csv"}).json()["org"] == "hp"
    bad = client.get(route + "&format=pdf")
    assert bad.status_code == 422 and "format" in bad.json()["message"]
