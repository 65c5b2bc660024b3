"""Turning a model's reply into a child program: SEARCH/REPLACE diffs inside the EVOLVE block (tolerant to
whitespace drift) or, as a fallback, a full rewrite. Failures raise EditError with the reason recorded."""

from __future__ import annotations

import re
from dataclasses import dataclass

from schedbench.evolve.program import BLOCK_END, BLOCK_START, ProgramError, split_block, with_block

_DIFF = re.compile(r"^<{5,}\s*SEARCH[^\n]*\n(.*?)^={5,}[ \t]*\n(.*?)^>{5,}\s*REPLACE[^\n]*$", re.DOTALL | re.MULTILINE)
_FENCE = re.compile(r"```[ \t]*(?:python|py)?[ \t]*\n(.*?)```", re.DOTALL)


class EditError(ValueError):
    """The reply could not be turned into a program; the message is the recorded reason."""


@dataclass(frozen=True)
class Edit:
    """One SEARCH/REPLACE pair."""

    search: str
    replace: str


def parse_diffs(reply: str) -> list[Edit]:
    """Every SEARCH/REPLACE block of a reply, in order."""
    return [Edit(m.group(1), m.group(2)) for m in _DIFF.finditer(reply)]


def apply_edits(code: str, edits: list[Edit]) -> str:
    """Apply the edits, in order, to the EVOLVE block only."""
    try:
        head, block, tail = split_block(code)
    except ProgramError as exc:
        raise EditError(f"parent program: {exc}") from None
    for number, edit in enumerate(edits, start=1):
        if not edit.search.strip():
            raise EditError(f"edit {number}: empty SEARCH text")
        found = locate(block, edit.search)
        if found is None:
            outside = locate(head + tail, edit.search) is not None
            first = edit.search.strip().splitlines()[0][:80]
            where = "lies outside the EVOLVE block" if outside else "was not found in the EVOLVE block"
            raise EditError(f"edit {number}: SEARCH text {first!r} {where}")
        start, end, indent = found
        block = block[:start] + reindent(edit.replace, indent, block[start:end]) + block[end:]
    return head + block + tail


def locate(text: str, search: str) -> tuple[int, int, int] | None:
    """(start, end, indentation shift) of `search` in `text`: exact first, then line-wise ignoring trailing
    whitespace, then ignoring indentation (the shift says how far the model's indentation drifted)."""
    index = text.find(search)
    if index >= 0:
        return index, index + len(search), 0
    lines = text.splitlines(keepends=True)
    wanted = search.splitlines()
    while wanted and not wanted[-1].strip():
        wanted.pop()
    while wanted and not wanted[0].strip():
        wanted.pop(0)
    if not wanted:
        return None
    for compare in (str.rstrip, str.strip):
        for i in range(len(lines) - len(wanted) + 1):
            window = lines[i : i + len(wanted)]
            if all(compare(a) == compare(b) for a, b in zip(window, wanted, strict=True)):
                start = sum(len(line) for line in lines[:i])
                end = start + sum(len(line) for line in window)
                shift = _indent(window[0]) - _indent(wanted[0])
                return start, end, shift
    return None


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def reindent(replace: str, shift: int, replaced: str) -> str:
    """The replacement shifted by the indentation drift, keeping the replaced text's final newline."""
    if shift:
        out = []
        for line in replace.splitlines(keepends=True):
            if not line.strip():
                out.append(line)
            elif shift > 0:
                out.append(" " * shift + line)
            else:
                out.append(line[min(-shift, _indent(line)) :])
        replace = "".join(out)
    if replaced.endswith("\n") and replace and not replace.endswith("\n"):
        replace += "\n"
    return replace


def rewrite_from(reply: str, parent: str) -> str:
    """A full rewrite: the last fenced code block. Only its EVOLVE block is taken (the frame around it stays
    the parent's); a rewrite without markers replaces the parent's whole block."""
    blocks = _FENCE.findall(reply)
    if not blocks:
        raise EditError("the reply has neither SEARCH/REPLACE blocks nor a fenced code block")
    code = blocks[-1]
    if BLOCK_START in code or BLOCK_END in code:
        try:
            _, block, _ = split_block(code)
        except ProgramError as exc:
            raise EditError(f"rewrite: {exc}") from None
    else:
        block = code
    if not block.strip():
        raise EditError("rewrite: empty EVOLVE block")
    return with_block(parent, block)


def child_from_reply(reply: str, parent: str, mode: str = "diff") -> tuple[str, str]:
    """(child program, how it was made: 'diff' or 'rewrite'); EditError says why no child could be made."""
    edits = parse_diffs(reply) if mode == "diff" else []
    if edits:
        child = apply_edits(parent, edits)
        kind = "diff"
    else:
        child = rewrite_from(reply, parent)
        kind = "rewrite"
    if child == parent:
        raise EditError("the edit leaves the program unchanged")
    return child, kind
