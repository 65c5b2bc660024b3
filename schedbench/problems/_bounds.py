"""The value ranges every family's models accept: integers within int64 (what the solvers, numpy and SQLite
hold exactly) and identifiers that are valid Unicode text. Out-of-range input fails validation, so it is a bad
input (exit 2 naming the field), never an overflow inside a solver or a lost write."""

from __future__ import annotations

import math
from typing import Annotated, Any

from pydantic import AfterValidator, Field, StrictInt

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


def has_lone_surrogate(text: str) -> bool:
    """Whether a string holds a UTF-16 surrogate code point (it cannot be written as UTF-8)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _valid_text(text: str) -> str:
    if has_lone_surrogate(text):
        raise ValueError("holds a lone surrogate (not valid Unicode text)")
    return text


Text = Annotated[str, AfterValidator(_valid_text)]
"""A string that is valid Unicode (no lone surrogates): ids and names."""


def finite_or_none(value: Any) -> Any:
    """A float that is NaN or infinite becomes None; anything else is returned unchanged."""
    return None if isinstance(value, float) and not math.isfinite(value) else value
