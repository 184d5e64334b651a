"""Settings of the interfaces, read once from the environment (prefix ``LEDGER_``).

A plain dataclass over ``os.environ``, not a ``pydantic-settings`` class: importing that (and
pydantic with it) took longer than a whole ``ledger member`` query (docs/operations.md,
start-up). The behaviour is the one pydantic-settings had: the variable's name is matched
without regard to case, the last match wins, an empty value is kept as it is.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from storage.urls import DEFAULT_DATABASE_URL

PREFIX = "LEDGER_"


def from_environment(name: str, default: str) -> str:
    """The value of ``LEDGER_<name>`` (any case), else ``default``."""
    wanted = (PREFIX + name).lower()
    value = default
    for key, text in os.environ.items():
        if key.lower() == wanted:
            value = text
    return value


@dataclass(frozen=True, slots=True)
class Settings:
    """``LEDGER_DATABASE_URL`` chooses the store: ``sqlite:///PATH`` or ``postgresql://…``;
    ``LEDGER_CIPHER_KEY`` (base64 AES key, ``ledger key new``) encrypts it at rest."""

    database_url: str = field(
        default_factory=lambda: from_environment("DATABASE_URL", DEFAULT_DATABASE_URL)
    )
    cipher_key: str | None = field(
        default_factory=lambda: from_environment("CIPHER_KEY", "").strip() or None, repr=False
    )
