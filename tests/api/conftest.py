"""Fixtures of the interface tests."""

from __future__ import annotations

import pytest

from tests.api.example import EXAMPLE, run


@pytest.fixture
def db(database_url: str) -> str:
    """A database (each backend) holding the bundled example history."""
    run("import", str(EXAMPLE), "--db", database_url)
    return database_url
