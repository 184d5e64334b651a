"""The dashboard without a browser (both backends): signing in, scopes, the forms' protection,
recording through the form, downloads, and the pages' refusals.

The tree of ``tests.api.test_http_auth``: hp → hp.d1 → hp.d1.c1 and hp → hp.d2 → hp.d2.c2.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.cli import app as cli
from api.http.app import create_app
from api.web.charts import _ceiling
from api.web.pages import next_presentation
from tests.api.test_cli import write_lines
from tests.api.test_http_auth import NOW, TREE, bearer, runner, token


@pytest.fixture
def site(database_url: str, tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str]]]:
    history = write_lines(tmp_path / "tree.jsonl", list(TREE))
    assert runner.invoke(cli, ["import", str(history), "--db", database_url]).exit_code == 0
    tokens = {
        "reader-d1": token(database_url, "reader-d1", "reader", "hp.d1"),
        "clerk-d1": token(database_url, "clerk-d1", "registrar", "hp.d1"),
    }
    with TestClient(create_app(database_url, clock=lambda: NOW)) as client:
        yield client, tokens


def csrf(client: TestClient, path: str = "/ui/signin") -> str:
    page = client.get(path)
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found is not None
    return found.group(1)


def sign_in(client: TestClient, secret: str) -> None:
    answer = client.post("/ui/signin", data={"csrf": csrf(client), "token": secret,
                         "next": "/ui/orgs"}, follow_redirects=False)  # fmt: skip
    assert answer.status_code == 303, answer.text
    cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie


def test_a_page_asks_a_browser_without_a_token_to_sign_in(site: tuple[TestClient, dict]) -> None:
    client, _ = site
    answer = client.get("/ui/orgs/hp.d1?year=2020", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/ui/signin?next=%2Fui%2Forgs%2Fhp.d1%3Fyear%3D2020"


def test_a_wrong_token_is_refused_and_nothing_is_kept(site: tuple[TestClient, dict]) -> None:
    client, _ = site
    answer = client.post("/ui/signin", data={"csrf": csrf(client), "token": "ledger_x_y"})
    assert answer.status_code == 401
    assert 'role="alert"' in answer.text
    assert "ledger_token" not in answer.headers.get("set-cookie", "")


def test_a_signed_in_reader_sees_its_scope_only(site: tuple[TestClient, dict]) -> None:
    client, tokens = site
    sign_in(client, tokens["reader-d1"])
    tree = client.get("/ui/orgs?as_of=2021-01-01")
    assert tree.status_code == 200
    assert 'data-org="hp.d1"' in tree.text and 'data-org="hp.d2"' not in tree.text
    outside = client.get("/ui/orgs/hp.d2/roster")
    assert outside.status_code == 403 and "forbidden" in outside.text
    assert client.get("/ui/orgs/nowhere").status_code == 404
    assert client.get("/ui/orgs/hp.d1?as_of=31-12-2021").status_code == 422


def test_a_form_without_its_csrf_value_is_refused(site: tuple[TestClient, dict]) -> None:
    client, tokens = site
    sign_in(client, tokens["clerk-d1"])
    fields = {"type": "member.died", "on": "2021-05-01", "member": "m1", "csrf": "forged"}
    answer = client.post("/ui/record", data=fields)
    assert answer.status_code == 403
    view = client.get("/members/m1?as_of=2021-12-31", headers=bearer(tokens["clerk-d1"]))
    assert view.json()["status"] != "died"


def test_a_registrar_records_through_the_form(site: tuple[TestClient, dict]) -> None:
    client, tokens = site
    sign_in(client, tokens["clerk-d1"])
    fields = {"type": "member.died", "on": "2021-05-01", "member": "m1", "ref": "QĐ 7",
              "extra": "", "id": "", "org": "", "csrf": csrf(client, "/ui/record")}  # fmt: skip
    answer = client.post("/ui/record", data=fields)
    assert answer.status_code == 201, answer.text
    assert 'role="status"' in answer.text
    view = client.get("/members/m1?as_of=2021-12-31", headers=bearer(tokens["clerk-d1"]))
    assert view.json()["status"] == "died"
    timeline = client.get("/ui/members/m1?as_of=2021-12-31&lang=en")
    assert "token:clerk-d1" in timeline.text  # who recorded it
    again = client.post("/ui/record", data=fields)  # the same fact again: a duplicate
    assert again.status_code == 200 and "Sự kiện đã có từ trước" in again.text


def test_a_refused_fact_says_its_code(site: tuple[TestClient, dict]) -> None:
    client, tokens = site
    sign_in(client, tokens["clerk-d1"])
    form = {"csrf": csrf(client, "/ui/record"), "type": "member.died", "on": "2021-05-01"}
    outside = client.post("/ui/record", data={**form, "member": "m2"})  # m2 is in hp.d2
    assert outside.status_code == 403 and "<code>forbidden</code>" in outside.text
    bad = client.post("/ui/record", data={**form, "member": "m1", "extra": "{not json"})
    assert bad.status_code == 422 and 'role="alert"' in bad.text


def test_a_reader_may_not_record(site: tuple[TestClient, dict]) -> None:
    client, tokens = site
    sign_in(client, tokens["reader-d1"])
    form = {"csrf": csrf(client, "/ui/record"), "type": "member.died", "on": "2021-05-01",
            "member": "m1"}  # fmt: skip
    assert client.post("/ui/record", data=form).status_code == 403


def test_downloads_are_the_json_apis_own(site: tuple[TestClient, dict]) -> None:
    client, tokens = site
    sign_in(client, tokens["reader-d1"])
    mine = client.get("/ui/export/roster.csv?org=hp.d1&as_of=2021-01-01&lang=en")
    api = client.get("/orgs/hp.d1/roster?as_of=2021-01-01&format=csv&lang=en",
                     headers=bearer(tokens["reader-d1"]))  # fmt: skip
    assert mine.status_code == 200 and mine.content == api.content
    sheet = client.get("/ui/export/annual.xlsx?org=hp.d1&year=2020")
    assert sheet.status_code == 200 and sheet.content[:2] == b"PK"
    assert client.get("/ui/export/annual.xlsx?org=hp.d2&year=2020").status_code == 403


def test_without_authentication_nobody_signs_in(database_url: str, tmp_path: Path) -> None:
    history = write_lines(tmp_path / "tree.jsonl", list(TREE))
    assert runner.invoke(cli, ["import", str(history), "--db", database_url]).exit_code == 0
    with TestClient(create_app(database_url, auth=False, clock=lambda: NOW)) as client:
        page = client.get("/ui/orgs?lang=en&as_of=2021-01-01")
        assert page.status_code == 200 and "--no-auth" in page.text
        assert client.get("/ui/static/style.css").status_code == 200


def test_the_next_presentation_day() -> None:
    assert next_presentation(date(2021, 1, 1)) == date(2021, 2, 3)
    assert next_presentation(date(2021, 2, 3)) == date(2021, 2, 3)
    assert next_presentation(date(2021, 5, 20)) == date(2021, 9, 2)
    assert next_presentation(date(2021, 11, 8)) == date(2022, 2, 3)


def test_chart_axes_are_round() -> None:
    assert [_ceiling(n) for n in (0, 3, 5, 33, 1275, 9000)] == [4, 4, 8, 40, 2000, 20000]


def test_signing_out_forgets_the_token(site: tuple[TestClient, dict]) -> None:
    client, tokens = site
    sign_in(client, tokens["reader-d1"])
    assert client.get("/ui/orgs", follow_redirects=False).status_code == 200
    refused = client.post("/ui/signout", data={"csrf": "forged"}, follow_redirects=False)
    assert refused.status_code == 403  # a forged sign-out is refused too
    out = client.post("/ui/signout", data={"csrf": csrf(client, "/ui/orgs")},
                      follow_redirects=False)  # fmt: skip
    assert out.status_code == 303
    assert client.get("/ui/orgs", follow_redirects=False).status_code == 303


def test_without_a_browser_ci_fails_and_a_developer_skips(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.web import conftest

    monkeypatch.setattr(conftest, "REQUIRED", True)
    with pytest.raises(pytest.fail.Exception, match="cannot run"):
        conftest._unavailable("no chromium")
    monkeypatch.setattr(conftest, "REQUIRED", False)
    with pytest.raises(pytest.skip.Exception):
        conftest._unavailable("no chromium")
