"""The browser tests' set-up: Debian's Chromium driven by Playwright against a server loaded
with the demo city at 1 % (seed 7), which holds what the tests follow: a death in 2021
(hp-m0000042, 21 Aug) recorded on 15 Feb 2022, after the auditor's 15 Jan.

``make test`` installs Chromium from Debian's packages when it is missing. Without a browser
these tests skip on a developer's machine and FAIL under ``LEDGER_REQUIRE_POSTGRES=1`` (CI).
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

CHROMIUM = "/usr/bin/chromium"
REQUIRED = os.environ.get("LEDGER_REQUIRE_POSTGRES") == "1"
DOCS_SHOTS = Path(__file__).resolve().parents[2] / "docs" / "ui"
SHOTS = DOCS_SHOTS if os.environ.get("LEDGER_UI_SCREENSHOTS") == "1" else None
"""Where the screenshots go: docs/ui with LEDGER_UI_SCREENSHOTS=1 (to refresh docs/ui.md),
else a temporary folder (the tests still take them)."""


def _unavailable(reason: str) -> None:
    if REQUIRED:
        pytest.fail(f"the browser tests cannot run: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """An SQLite ledger holding the 1 % demo city, with a registrar's and a reader's token."""
    from api.bootstrap import Ledger
    from commands.record import import_facts
    from demo.emit import generate
    from demo.plan import SEED_PLAN

    url = f"sqlite:///{tmp_path_factory.mktemp('web') / 'demo.db'}"
    ledger = Ledger(url, migrate=True)
    try:
        facts = (orjson.dumps(fact) for fact in generate(7, SEED_PLAN.scaled(0.01)))
        assert import_facts(ledger.app, facts).rejected == 0
        ledger.models.fresh()
        now = datetime.now().astimezone()
        _, registrar = ledger.tokens.create("registrar-hp", "registrar", "hp", now)
        _, reader = ledger.tokens.create("reader-d03", "reader", "hp.d03", now)
    finally:
        ledger.close()
    return {"url": url, "registrar": registrar, "reader": reader}


@pytest.fixture(scope="session")
def server(demo_url: dict[str, str]) -> Iterator[str]:
    """``ledger serve``'s app (tokens required) on a free local port; its base URL."""
    import uvicorn

    from api.http.app import create_app

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(create_app(demo_url["url"]), host="127.0.0.1", port=port,
                            log_level="warning")  # fmt: skip
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not running.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    running.should_exit = True
    thread.join(10)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, through Playwright (no browser download)."""
    if not os.path.exists(CHROMIUM):
        _unavailable(f"{CHROMIUM} is missing (apt-get install chromium; 'make test' does)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (pip install -e '.[dev]')")
    driver = sync_playwright().start()
    try:
        launched = driver.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
    except Exception as err:  # any failure to start the browser is the same verdict
        driver.stop()
        _unavailable(f"Chromium does not start: {err}")
    yield launched
    launched.close()
    driver.stop()


@pytest.fixture
def signed_in(browser: Any, server: str, demo_url: dict[str, str]) -> Iterator[Any]:
    """A page signed in with the registrar's token through the sign-in form."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    page = context.new_page()
    page.set_default_timeout(10_000)
    console: list[str] = []  # the pages' CSP refusing something of their own shows here
    page.on("console", lambda message: console.append(message.text))
    page.goto(f"{server}/ui/orgs")
    assert "/ui/signin" in page.url  # not signed in yet
    page.get_by_label("Mã truy cập").fill(demo_url["registrar"])
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(f"{server}/ui/orgs")
    yield page
    context.close()
    assert [text for text in console if "Content Security Policy" in text] == []


@pytest.fixture(scope="session")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder of this run's screenshots."""
    folder = SHOTS or tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def shot(page: Any, folder: Path, name: str) -> None:
    """Save a screenshot (docs/ui.md shows those of docs/ui)."""
    target = folder / f"{name}.png"
    page.screenshot(path=str(target), full_page=False)
    assert target.stat().st_size > 0
