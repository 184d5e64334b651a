"""Decoding JSON Lines within the limits of SPEC §2, before any field is looked at.

Size and nesting are checked on the text (a deep line would exhaust the stack of any recursive
code after it), duplicate keys and control characters on the decoded value.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any, BinaryIO

import orjson

from ledger import facts as ft
from ledger.errors import InvalidFact


def read_lines(stream: BinaryIO) -> Iterator[bytes]:
    """The lines of a JSON Lines stream, none held longer than the limit needs.

    A line over the limit is cut just past it (and so refused as too long) and the rest of it
    skipped, so a file with no line break cannot fill the memory.
    """
    cap = ft.MAX_LINE_BYTES + 3  # room for "\r\n" and one byte too many
    while True:
        line = stream.readline(cap)
        if not line:
            return
        if len(line) == cap and not line.endswith(b"\n"):
            while (rest := stream.readline(1 << 20)) and not rest.endswith(b"\n"):
                pass
        yield line


# A JSON string (escapes included), and the colon that makes it a key. Outside strings JSON has
# no quote, so scanning from the start of a line visits exactly its strings, in order.
_STRING_TOKEN = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"\s*(:?)', re.DOTALL)
_BRACKET = re.compile(rb"[\[\]{}]")


def decode_line(line: str | bytes) -> Any:
    """The JSON value of one line, within the limits of SPEC §2, or ``InvalidFact``.

    Size and nesting are checked on the text before it is decoded (a deep line would exhaust
    the stack of any recursive code after it); duplicate keys and control characters after.
    """
    data = line if isinstance(line, bytes) else line.encode("utf-8", "surrogatepass")
    data = data.rstrip(b"\r\n")
    if len(data) > ft.MAX_LINE_BYTES:
        raise InvalidFact(
            f"the line is longer than {ft.MAX_LINE_BYTES:,} bytes (64 KiB), the limit of a fact"
        )
    # Depth needs counting only where brackets could nest that deep at all.
    if data.count(b"{") + data.count(b"[") > ft.MAX_DEPTH:
        depth = _text_depth(data)
        if depth > ft.MAX_DEPTH:
            raise InvalidFact(f"the JSON is nested {depth} levels deep; at most {ft.MAX_DEPTH}")
    try:
        raw = orjson.loads(data)
    except orjson.JSONDecodeError as err:
        raise InvalidFact(f"not valid JSON: {err}") from None
    if not isinstance(raw, dict):
        raise InvalidFact("a fact must be one JSON object")
    if b"\\" in data:
        # Escapes: count the keys of the text by scanning its strings, and check the strings.
        keys_in_text = sum(1 for m in _STRING_TOKEN.finditer(data) if m.group(1))
        if keys_in_text != _count_keys_and_strings(raw)[0]:
            raise InvalidFact(f"duplicate key {_duplicate_key(data)!r}: an object names it twice")
        check_depth_and_text(raw)
        return raw
    # No escapes: every quote of the text delimits a string, and each string is a key or a
    # value of the decoded object unless a duplicate key hid it (and its value).
    if data.count(b'"') != 2 * sum(_count_keys_and_strings(raw)):
        raise InvalidFact(f"duplicate key {_duplicate_key(data)!r}: an object names it twice")
    if b"\x7f" in data:  # the only control character JSON lets through unescaped
        check_depth_and_text(raw)
    return raw


def _text_depth(data: bytes) -> int:
    depth = deepest = 0
    for match in _BRACKET.finditer(_STRING_TOKEN.sub(b'""', data)):
        if match.group() in (b"{", b"["):
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def _count_keys_and_strings(value: Any) -> tuple[int, int]:
    """The keys of every object in a decoded JSON value, and its string values."""
    keys = strings = 0
    pending = [value]
    while pending:
        item = pending.pop()
        kind = type(item)
        if kind is str:
            strings += 1
        elif kind is dict:
            keys += len(item)
            pending.extend(item.values())
        elif kind is list:
            pending.extend(item)
    return keys, strings


def _duplicate_key(data: bytes) -> str:
    found: list[str] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        seen: set[str] = set()
        for key, _ in items:
            if key in seen and not found:
                found.append(key)
            seen.add(key)
        return dict(items)

    json.loads(data, object_pairs_hook=pairs)  # only after orjson accepted it: same grammar
    return found[0] if found else "?"


def check_depth_and_text(value: Any) -> None:
    """Refuse nesting beyond the limit and control characters in any key or string."""
    pending: list[tuple[Any, int, str]] = [(value, 1, "")]
    while pending:
        item, depth, where = pending.pop()
        if type(item) is dict:
            if depth > ft.MAX_DEPTH:
                raise InvalidFact(f"the JSON is nested deeper than {ft.MAX_DEPTH} levels")
            for key, inner in item.items():
                name = f"{where}.{key}" if where else str(key)
                _check_text(key, name, "key")
                pending.append((inner, depth + 1, name))
        elif type(item) is list:
            if depth > ft.MAX_DEPTH:
                raise InvalidFact(f"the JSON is nested deeper than {ft.MAX_DEPTH} levels")
            pending.extend((inner, depth + 1, f"{where}[{i}]") for i, inner in enumerate(item))
        elif isinstance(item, str):
            _check_text(item, where, "field")


def _check_text(text: object, where: str, what: str) -> None:
    if isinstance(text, str) and (found := ft.CONTROL_CHARACTER.search(text)):
        raise InvalidFact(
            f"{what} '{ft.CONTROL_CHARACTER.sub('?', where)}' holds the control character "
            f"U+{ord(found.group()):04X}; no string may hold U+0000 to U+001F or U+007F"
        )
