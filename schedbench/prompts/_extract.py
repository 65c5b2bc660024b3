"""Answer extraction: the last JSON object in a reply that carries the answer's fields, fenced or bare.

Values are not coerced: an object with the right keys goes to the verifier as written, so a bad start time is
a verifier finding (`invalid_value`), not a parse error. Objects with repeated keys become lists of
[key, value] pairs, so the verifier sees and reports the duplicates (`duplicate`); at the top level the last
value of a repeated key wins, as in JSON.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

MAX_REPLY_CHARS = 1_000_000
MAX_CANDIDATES = 5_000


class DuplicateKeys(list):
    """A JSON object whose keys repeat, kept as [key, value] pairs."""


def _object_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any] | DuplicateKeys:
    keys = [k for k, _ in pairs]
    if len(set(keys)) == len(keys):
        return dict(pairs)
    return DuplicateKeys([[k, v] for k, v in pairs])


_DECODER = json.JSONDecoder(object_pairs_hook=_object_pairs)


@dataclass(frozen=True)
class Extraction:
    """The extracted answer, or why there is none (`error`)."""

    answer: dict[str, Any] | None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class AnswerShape:
    """Which top-level fields make a JSON object an answer: all `required` ones, or any of `fields`; or all
    the fields of one of the `alternatives` (another accepted form of the answer)."""

    fields: frozenset[str]
    required: frozenset[str]
    alternatives: tuple[frozenset[str], ...] = ()

    def fits(self, value: Any) -> bool:
        if not isinstance(value, dict):
            return False
        keys = value.keys()
        if any(other <= keys for other in self.alternatives):
            return True
        return self.required <= keys if self.required else bool(self.fields & keys)

    def describe(self) -> str:
        names = self.required or self.fields
        text = " and ".join(sorted(names)) if self.required else " or ".join(sorted(names))
        return " or ".join([text, *(" and ".join(sorted(other)) for other in self.alternatives)])


def extract_answer(text: Any, shape: AnswerShape) -> Extraction:
    """The answer in the last JSON object of `text` that holds one; never raises.

    Top-level objects are read left to right; within one, the outermost object that fits wins (so an answer
    wrapped as {"result": {...}} is found, and a nested id called "starts" does not shadow its parent).
    """
    if not isinstance(text, str) or not text.strip():
        return Extraction(None, "empty reply")
    objects = _top_level_objects(text[-MAX_REPLY_CHARS:])
    for value in reversed(objects):
        try:
            found = _outermost_fit(value, shape)
        except RecursionError:
            continue
        if found is not None:
            return Extraction(found)
    if objects:
        return Extraction(None, f"no JSON object with the answer fields ({shape.describe()})")
    return Extraction(None, "no JSON object in the reply")


def _outermost_fit(value: Any, shape: AnswerShape) -> dict[str, Any] | None:
    candidate = dict(value) if isinstance(value, DuplicateKeys) else value
    if shape.fits(candidate):
        return candidate
    children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    for child in reversed(list(children)):
        found = _outermost_fit(child, shape)
        if found is not None:
            return found
    return None


def _top_level_objects(text: str) -> list[Any]:
    """Every JSON object that starts at a '{' outside an earlier object, in order of appearance."""
    objects: list[Any] = []
    position = text.find("{")
    attempts = 0
    while position >= 0 and attempts < MAX_CANDIDATES:
        attempts += 1
        try:
            value, end = _DECODER.raw_decode(text, position)
        except (ValueError, RecursionError):
            position = text.find("{", position + 1)
            continue
        objects.append(value)
        position = text.find("{", end)
    return objects
