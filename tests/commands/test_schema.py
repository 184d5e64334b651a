"""The canonical JSON of SPEC §2, written by orjson, is byte for byte the json module's form."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from commands.schema import canonical_json

# Every JSON value a fact can hold: objects, arrays, strings (any Unicode, control characters
# and quotes included), integers, booleans and null.
_SCALARS = st.none() | st.booleans() | st.integers() | st.text()
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


def _reference(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@given(st.dictionaries(st.text(), _VALUES, max_size=6))
def test_canonical_json_is_the_spec_form_for_every_fact_value(value: dict[str, Any]) -> None:
    assert canonical_json(value) == _reference(value)


def test_values_orjson_cannot_write_take_the_json_spelling() -> None:
    for value in ({"years": 30.0}, {"n": 10**30}, {"x": 1e16, "a": [0.5]}, {"s": "\ud800"}):
        assert canonical_json(value) == _reference(value)
