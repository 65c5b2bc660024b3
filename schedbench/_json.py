"""Strict JSON for everything the harness writes (the results store, `--json` output, reports): integers of
any size exact, NaN and infinity as null (bare NaN/Infinity is not JSON), lone surrogates escaped as text."""

from __future__ import annotations

import json
import math
from typing import Any


def has_lone_surrogate(text: str) -> bool:
    """Whether a string holds a UTF-16 surrogate code point (it cannot be written as UTF-8)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def safe_text(value: str | None) -> str | None:
    """Text that can be written as UTF-8: lone surrogates become their escape, e.g. `\\ud800`."""
    if value is None or not has_lone_surrogate(value):
        return value
    return value.encode("utf-8", "backslashreplace").decode("utf-8")


def jsonable(value: Any) -> Any:
    """`value` with NaN/infinite floats as None and strings made safe (`safe_text`), keys included."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, str):
        return safe_text(value)
    if isinstance(value, dict):
        return {safe_text(str(k)): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def safe_json(value: Any) -> str:
    """Strict JSON text of `value`: exact integers of any size, NaN/infinity as null, lone surrogates escaped
    as text (so what is read back can always be written again), nesting too deep to encode as null."""
    try:
        text = json.dumps(value, allow_nan=False)
    except ValueError:
        text = None
    except RecursionError:
        return "null"
    if text is not None and "\\ud" not in text:
        return text
    try:
        return json.dumps(jsonable(value), allow_nan=False)
    except RecursionError:
        return "null"


def dumps(value: Any, indent: int | None = None) -> str:
    """Strict JSON text for output (`default=str` for dates and paths); see `safe_json`."""
    return json.dumps(jsonable(value), indent=indent, allow_nan=False, default=str)
