"""Accessibility: axe-core (vendored, ``vendor/axe-core``) run in the browser on every page of
the dashboard finds no serious or critical violation (labels, contrast, landmarks, names...)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

AXE = (Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js").read_text(encoding="utf-8")
PAGES = [
    "/ui/orgs",
    "/ui/orgs/hp?year=2021",
    "/ui/orgs/hp?year=2021&lang=en",
    "/ui/orgs/hp/roster?as_of=2021-12-31",
    "/ui/orgs/hp/quality?as_of=2022-01-31",
    "/ui/orgs/hp/badges",
    "/ui/orgs/hp/diff?year=2021&known_at=2022-01-15",
    "/ui/members/hp-m0000042?as_of=2021-12-31&lang=en",
    "/ui/record",
    "/ui/orgs/no-such-org",
]


def _serious(page: Any) -> list[str]:
    """The serious and critical violations axe finds on the page, one line each."""
    page.evaluate(AXE)
    found = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))"
    )
    return [f"{v['id']} ({v['impact']}): {v['help']} at {v['nodes']}" for v in found
            if v["impact"] in ("serious", "critical")]  # fmt: skip


@pytest.fixture
def a11y(browser: Any, server: str, demo_url: dict[str, str]) -> Any:
    """A signed-in page whose CSP lets the test inject axe (the app's CSP forbids scripts)."""
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    page.goto(f"{server}/ui/signin")
    assert _serious(page) == []  # the sign-in form itself
    page.get_by_label("Mã truy cập").fill(demo_url["registrar"])
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(f"{server}/ui/orgs")
    yield page
    context.close()


def test_no_page_has_a_serious_accessibility_violation(a11y: Any, server: str) -> None:
    problems = {}
    for path in PAGES:
        a11y.goto(f"{server}{path}")
        found = _serious(a11y)
        if found:
            problems[path] = found
    assert problems == {}


def test_the_record_form_works_from_the_keyboard(a11y: Any, server: str) -> None:
    a11y.goto(f"{server}/ui/record?lang=en")
    a11y.get_by_label("Fact type").focus()
    a11y.keyboard.type("died")  # a select answers typing, as a keyboard user chooses
    assert a11y.get_by_label("Fact type").input_value() == "member.died"
    order: list[str] = []
    for _ in range(12):  # a date field takes a Tab per part (day, month, year)
        a11y.keyboard.press("Tab")
        focused = a11y.evaluate("document.activeElement.id")
        if not order or order[-1] != focused:
            order.append(focused)
    assert order[:7] == ["on", "member", "org", "ref", "id", "extra", "record-submit"]
    a11y.get_by_label("Effective date").fill("2021-09-01")
    a11y.get_by_label("Member id").focus()
    a11y.keyboard.type("hp-m0000042")
    a11y.get_by_role("button", name="Record the fact").focus()
    a11y.keyboard.press("Enter")
    assert a11y.get_by_role("alert").inner_text().startswith("Refused:")
