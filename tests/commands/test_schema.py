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


def test_the_data_of_a_json_line_is_what_the_model_writes_back() -> None:
    # ParsedFact.data() takes a JSON line's fields as decoded; that must equal the model's
    # own JSON form of them, for every fact type and optional field the demo history uses.
    from pathlib import Path

    from commands.schema import parse_line, parse_object
    from demo import SEED_PLAN, generate, lines

    examples = Path(__file__).parents[2] / "docs" / "examples" / "history.jsonl"
    texts = [t for t in examples.read_bytes().splitlines() if t.strip()]
    texts += list(lines(generate(7, SEED_PLAN.scaled(0.01))))
    kinds = set()
    for text in texts:
        parsed = parse_line(text)
        kinds.add(parsed.type)
        assert parsed.data() == parse_object(json.loads(text)).data()
    assert len(kinds) >= 15
