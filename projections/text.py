"""Text as the read models compare it (a module of its own: the queries load it without the
derivation)."""

from __future__ import annotations

import unicodedata

MAX_SEARCH = 10_000
"""At most this many members in one answer to a search by name."""


def search_key(name: str) -> str:
    """``name`` lower-cased with Vietnamese accents folded: "Nguyễn Đức" → "nguyen duc".

    NFD, then combining marks dropped; đ/Đ (a letter of its own, not a d with a mark) → d.
    """
    decomposed = unicodedata.normalize("NFD", name.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
