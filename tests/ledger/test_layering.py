"""The domain stays pure: ``ledger/`` imports no storage, web, settings or I/O library."""

from __future__ import annotations

import ast
from pathlib import Path

LEDGER = Path(__file__).resolve().parents[2] / "ledger"
FORBIDDEN = {
    "sqlite3", "psycopg", "psycopg_pool", "fastapi", "pydantic", "pydantic_settings", "typer",
    "os", "io", "pathlib", "subprocess", "socket", "commands", "projections", "api",
    "eventsourcing.sqlite", "eventsourcing.postgres", "eventsourcing.application",
}  # fmt: skip


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_the_domain_imports_no_io_storage_or_interface_module() -> None:
    offenders = {
        f"{path.name}: {name}"
        for path in sorted(LEDGER.glob("*.py"))
        for name in imported_modules(path)
        if name in FORBIDDEN or name.split(".")[0] in FORBIDDEN
    }
    assert not offenders, f"ledger/ must stay pure: {sorted(offenders)}"


def test_the_check_sees_the_domain_modules() -> None:
    modules = {path.stem for path in LEDGER.glob("*.py")}
    assert {"timeline", "member", "organization", "errors", "facts"} <= modules
    assert "eventsourcing.domain" in imported_modules(LEDGER / "member.py")
