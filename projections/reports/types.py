"""Field types shared by the report models: dates and times are ISO text in the JSON."""

from __future__ import annotations

from typing import Annotated

from pydantic import ConfigDict, WithJsonSchema

IsoDate = Annotated[str, WithJsonSchema({"type": "string", "format": "date"})]
"""A day as ISO text, ``2021-12-31``."""

KnownAt = Annotated[
    str,
    WithJsonSchema(
        {
            "type": "string",
            "description": "The knowledge time as ISO text with its UTC offset: the time asked "
            "for, or the time of the answer when none was asked for.",
        }
    ),
]

REPORT = ConfigDict(frozen=True, extra="forbid")
"""Reports are values: immutable, and no key beyond those of SPEC §4."""
