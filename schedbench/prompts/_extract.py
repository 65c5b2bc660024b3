"""Answer extraction: the last JSON object in a reply that carries the answer's fields, fenced or bare.

Values are not coerced: an object with the right keys goes to the verifier as written, so a bad start time is
a verifier finding (`invalid_value`), not a parse error. Objects with repeated keys become lists of
[key, value] pairs, so the verifier sees and reports the duplicates (`duplicate`); at the top level the last
value of a repeated key wins, as in JSON.

The cost is linear in the reply: replies longer than MAX_REPLY_CHARS are a parse error of their own ("reply
too long"), and a candidate object that fails to parse is not re-read from each `{` inside it: the complete
objects inside its valid prefix are taken as candidates, and the search goes on from where it failed.
Objects nested deeper than Python's parser allows are skipped.
"""

from __future__ import annotations

import contextlib
import json
import re
from dataclasses import dataclass
from typing import Any

MAX_REPLY_CHARS = 1_000_000
"""The longest reply read for an answer (characters); a longer one is a parse error ("reply too long")."""


class DuplicateKeys(list):
    """A JSON object whose keys repeat, kept as [key, value] pairs."""


def _object_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any] | DuplicateKeys:
    keys = [k for k, _ in pairs]
    if len(set(keys)) == len(keys):
        return dict(pairs)
    return DuplicateKeys([[k, v] for k, v in pairs])


_DECODER = json.JSONDecoder(object_pairs_hook=_object_pairs)


def decode_keeping_duplicates(text: str) -> Any:
    """One whole JSON document, objects with repeated keys kept as `DuplicateKeys` (as in extraction), so a
    verifier can name the duplicates. Raises json.JSONDecodeError (or RecursionError) like `json.loads`."""
    return _DECODER.decode(text)


def repeated_key(value: DuplicateKeys) -> str:
    """The first key that repeats in an object kept as `DuplicateKeys`."""
    seen: set[str] = set()
    for key, _ in value:
        if key in seen:
            return key
        seen.add(key)
    return ""


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
    if len(text) > MAX_REPLY_CHARS:
        return Extraction(
            None, f"reply too long ({len(text):,} characters; answers are read from at most {MAX_REPLY_CHARS:,})"
        )
    objects = _top_level_objects(text)
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
    """Every JSON object that starts at a '{' outside an earlier object, in order of appearance; in a candidate
    that fails to parse, the complete objects before the failure point stand in for it."""
    objects: list[Any] = []
    position = _next_object(text, 0)
    while position >= 0:
        try:
            value, end = _decode_at(text, position)
        except _Failed as exc:
            failed_at = max(exc.pos, position + 1)
            objects += _complete_objects(text, position, failed_at)
            position = _next_object(text, failed_at)
            continue
        except (RecursionError, ValueError):  # nested too deep, or an integer too long: skip the whole object
            position = _next_object(text, _closing(text, position))
            continue
        objects.append(value)
        position = _next_object(text, end)
    return objects


_OBJECT_START = re.compile(r'\{\s*["}]')
"""Where a JSON object can begin: a brace, then a key's quote or the closing brace."""


def _next_object(text: str, start: int) -> int:
    """The position of the next possible object start from `start`, or -1."""
    match = _OBJECT_START.search(text, start)
    return match.start() if match else -1


def _complete_objects(text: str, start: int, stop: int) -> list[Any]:
    """The outermost objects that open and close inside text[start + 1:stop], a valid JSON prefix (so the
    scan below tracks strings exactly); each is complete, so it parses."""
    spans: list[tuple[int, int]] = []  # outermost complete objects so far, in order
    open_objects: list[int | None] = []  # per open bracket: where it opened if it is an object
    in_string = escaped = False
    for index in range(start + 1, stop):
        char = text[index]
        if in_string:
            escaped = not escaped and char == "\\"
            in_string = escaped or char != '"'
        elif char == '"':
            in_string = True
        elif char in "{[":
            open_objects.append(index if char == "{" else None)
        elif char in "}]" and open_objects:
            begin = open_objects.pop()
            if begin is not None:
                while spans and spans[-1][0] > begin:  # nested in the one just closed
                    spans.pop()
                spans.append((begin, index + 1))
    found: list[Any] = []
    for begin, _ in spans:
        with contextlib.suppress(ValueError, RecursionError):
            found.append(_DECODER.raw_decode(text, begin)[0])
    return found


_FIRST_WINDOW = 32
_TOKEN_MARGIN = 8


def _decode_at(text: str, position: int) -> tuple[Any, int]:
    """`raw_decode(text, position)` whose failures cost time in proportion to the characters read, not to
    `position` (a JSONDecodeError counts the lines before its position): the decoder reads growing windows
    until it succeeds or fails clearly before the window's end. JSONDecodeError positions are in `text`."""
    window = _FIRST_WINDOW
    while True:
        chunk = text[position : position + window]
        try:
            value, end = _DECODER.raw_decode(chunk)
            return value, position + end
        except json.JSONDecodeError as exc:
            whole = position + window >= len(text)
            clear = exc.pos < len(chunk) - _TOKEN_MARGIN and not exc.msg.startswith("Unterminated string")
            if whole or clear:
                raise _Failed(position + exc.pos) from None
        window *= 4


class _Failed(Exception):
    """No JSON value at a candidate position; `pos` is where in the text the decoder gave up."""

    def __init__(self, pos: int) -> None:
        super().__init__(pos)
        self.pos = pos


def _closing(text: str, start: int) -> int:
    """The index after the bracket that closes the one at `start` (ignoring strings), or the end of the text."""
    depth = 0
    for index in range(start, len(text)):
        char = text[index]
        if char in "{[":
            depth += 1
        elif char in "}]":
            depth -= 1
            if depth == 0:
                return index + 1
    return len(text)
