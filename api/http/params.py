"""The path and query parameters the routes share, with their limits and examples."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Path, Query

from ledger.facts import FIRST_DAY, LAST_DAY

ID_PATTERN = r"^[A-Za-z0-9._-]{1,64}$"

OrgId = Annotated[str, Path(pattern=ID_PATTERN, examples=["hp.d03"])]
MemberId = Annotated[str, Path(pattern=ID_PATTERN, examples=["hp-m0000404"])]
Year = Annotated[int, Path(ge=FIRST_DAY.year + 2, le=LAST_DAY.year, examples=[2021])]
AsOf = Annotated[
    date | None,
    Query(description="The date (YYYY-MM-DD); default today.", ge=FIRST_DAY, le=LAST_DAY),
]
KnownAt = Annotated[
    str | None,
    Query(
        description="Use only what was recorded by this time: an ISO date-time (offset "
        "optional) or a date (its end). Default: now.",
        max_length=64,
        examples=["2022-01-15T09:00:00+07:00", "2022-01-15"],
    ),
]
