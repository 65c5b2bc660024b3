"""The value ranges every family's models accept: integers within int64 (what the solvers, numpy and SQLite
hold exactly) and identifiers that are valid Unicode text. Out-of-range input fails validation, so it is a bad
input (exit 2 naming the field), never an overflow inside a solver or a lost write."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field, StrictInt

from schedbench._json import has_lone_surrogate

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1

Int64 = Annotated[int, Field(ge=INT64_MIN, le=INT64_MAX)]
"""Any integer a solver and the store can hold exactly."""
NonNegativeInt64 = Annotated[int, Field(ge=0, le=INT64_MAX)]
PositiveInt64 = Annotated[int, Field(ge=1, le=INT64_MAX)]
StrictInt64 = Annotated[StrictInt, Field(ge=INT64_MIN, le=INT64_MAX)]
StrictNonNegativeInt64 = Annotated[StrictInt, Field(ge=0, le=INT64_MAX)]


def in_int64(value: int) -> bool:
    """Whether an integer fits int64."""
    return INT64_MIN <= value <= INT64_MAX


def _valid_text(text: str) -> str:
    if has_lone_surrogate(text):
        raise ValueError("holds a lone surrogate (not valid Unicode text)")
    return text


Text = Annotated[str, AfterValidator(_valid_text)]
"""A string that is valid Unicode (no lone surrogates): ids and names."""


TOTAL_LIMIT = 2**62
"""The largest sum of an instance's times (or weighted times) that the solvers accept: room to spare in int64
for the sums and differences they form."""


def check_total(what: str, total: int) -> None:
    """ValueError when a sum of an instance's numbers passes TOTAL_LIMIT."""
    if total > TOTAL_LIMIT:
        raise ValueError(f"{what} is {total}, beyond the supported 2^62; scale the instance down")
