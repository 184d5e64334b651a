"""Data flows one way: facts → commands → ledger → storage → projections → api.

Each package may import only what lies before it in that flow (and the standard library and
its own third-party tools); the domain imports nothing but the standard library and
``eventsourcing.domain``; only the interfaces know typer, FastAPI or rich; no module grows past
500 lines.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("ledger", "storage", "commands", "projections", "api", "demo")
FIRST_PARTY = set(PACKAGES)

ALLOWED_FIRST_PARTY = {
    "ledger": set(),
    "storage": set(),
    "commands": {"ledger", "storage"},
    "projections": {"ledger", "storage"},
    "api": {"ledger", "storage", "commands", "projections", "demo"},
    "demo": {"ledger"},
}
INTERFACE_LIBRARIES = {
    "typer",
    "fastapi",
    "rich",
    "uvicorn",
    "starlette",
    "openpyxl",
    "jinja2",
    "markupsafe",
}
DOMAIN_THIRD_PARTY = {"eventsourcing.domain"}
MAX_LINES = 500


def modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def imported(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def offenders(package: str, allowed: set[str]) -> list[str]:
    found = []
    for path in modules(package):
        for name in imported(path):
            top = name.split(".")[0]
            if top in FIRST_PARTY and top != package and top not in allowed:
                found.append(f"{path.relative_to(ROOT)} imports {name}")
    return found


@pytest.mark.parametrize("package", PACKAGES)
def test_each_package_imports_only_what_comes_before_it_in_the_flow(package: str) -> None:
    assert offenders(package, ALLOWED_FIRST_PARTY[package]) == []


def test_the_domain_imports_only_the_standard_library_and_eventsourcing_domain() -> None:
    stdlib = sys.stdlib_module_names
    bad = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in modules("ledger")
        for name in imported(path)
        if name.split(".")[0] not in stdlib
        and name not in DOMAIN_THIRD_PARTY
        and name.split(".")[0] != "ledger"
    ]
    assert bad == []
    # …and of the standard library, nothing that does I/O.
    io = {"os", "io", "pathlib", "sqlite3", "subprocess", "socket", "shutil", "tempfile"}
    assert [p.name for p in modules("ledger") if imported(p) & io] == []


@pytest.mark.parametrize("package", [p for p in PACKAGES if p != "api"])
def test_only_the_interfaces_import_typer_fastapi_or_rich(package: str) -> None:
    bad = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in modules(package)
        for name in imported(path)
        if name.split(".")[0] in INTERFACE_LIBRARIES
    ]
    assert bad == []


def test_no_production_module_is_over_500_lines() -> None:
    long = {
        str(path.relative_to(ROOT)): n
        for package in PACKAGES
        for path in modules(package)
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}


def test_the_checks_see_every_package() -> None:
    for package in PACKAGES:
        assert modules(package), package
    assert "eventsourcing.domain" in imported(ROOT / "ledger" / "member.py")
    # A check that could not fail would pass on an offending module too:
    assert offenders("api", set()) != []
