"""docs/api.md against the app's own OpenAPI schema: every route documented with each of its
parameters, and no route documented that the app does not serve."""

from __future__ import annotations

import re
from pathlib import Path

from api.http.app import create_app

DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"
HEADING = re.compile(r"^### `(GET|POST|PUT|PATCH|DELETE) (/[^`]*)`$", re.MULTILINE)


def served(tmp_path: Path) -> dict[str, list[str]]:
    """Each operation of the schema (``GET /path``) and the names of its parameters."""
    schema = create_app(f"sqlite:///{tmp_path / 'unused.db'}", auth=False).openapi()
    return {
        f"{method.upper()} {path}": [p["name"] for p in spec.get("parameters", [])]
        for path, methods in schema["paths"].items()
        for method, spec in methods.items()
    }


def sections() -> dict[str, str]:
    """Each documented route and the text of its section (up to the next heading)."""
    parts = re.split(r"^(?=##+ )", DOC.read_text(encoding="utf-8"), flags=re.MULTILINE)
    return {
        f"{match[1]} {match[2]}": part
        for part in parts
        if (match := HEADING.match(part.splitlines()[0] if part else ""))
    }


def test_every_route_of_the_schema_is_documented_and_no_other(tmp_path: Path) -> None:
    routes, documented = served(tmp_path), sections()
    assert len(routes) >= 15
    assert sorted(set(routes) - set(documented)) == [], "routes missing from docs/api.md"
    assert sorted(set(documented) - set(routes)) == [], "docs/api.md names routes not served"


def test_every_parameter_of_a_route_is_named_in_its_section(tmp_path: Path) -> None:
    documented = sections()
    missing = [
        f"{route}: {name}"
        for route, names in served(tmp_path).items()
        for name in names
        if not any(
            f"{mark}" in documented.get(route, "")
            for mark in (f"`{name}`", f"{name}=", f"{{{name}}}")
        )
    ]
    assert missing == []
