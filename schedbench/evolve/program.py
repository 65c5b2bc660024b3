"""Candidate programs as text: the EVOLVE block, canonical forms for novelty, and similarity."""

from __future__ import annotations

import ast
import hashlib
import io
import math
import re
import tokenize

BLOCK_START = "# EVOLVE-BLOCK-START"
BLOCK_END = "# EVOLVE-BLOCK-END"


class ProgramError(ValueError):
    """A program text without exactly one well-formed EVOLVE block."""


def split_block(code: str) -> tuple[str, str, str]:
    """(text up to and including the start marker line, the block, the end marker line onwards)."""
    starts = [m.start() for m in re.finditer(re.escape(BLOCK_START), code)]
    ends = [m.start() for m in re.finditer(re.escape(BLOCK_END), code)]
    if len(starts) != 1 or len(ends) != 1:
        raise ProgramError(
            f"expected one {BLOCK_START} and one {BLOCK_END} marker, found {len(starts)} and {len(ends)}"
        )
    head_end = code.find("\n", starts[0])
    if head_end < 0 or head_end > ends[0]:
        raise ProgramError(f"{BLOCK_END} comes before {BLOCK_START}")
    end_line = code.rfind("\n", 0, ends[0]) + 1
    return code[: head_end + 1], code[head_end + 1 : end_line], code[end_line:]


def evolve_block(code: str) -> str:
    """The text between the markers."""
    return split_block(code)[1]


def with_block(code: str, block: str) -> str:
    """`code` with its EVOLVE block replaced by `block`."""
    head, _, tail = split_block(code)
    return head + (block if block.endswith("\n") or not block else block + "\n") + tail


def canonical(code: str) -> str:
    """A form that ignores comments, docstrings' layout and whitespace: the AST dump when the code parses."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return " ".join(code.split())
    return ast.dump(tree, annotate_fields=False)


def code_hash(code: str) -> str:
    """Hash of the canonical form: identical programs up to formatting and comments collide."""
    return hashlib.sha256(canonical(code).encode()).hexdigest()[:20]


class _RoundConstants(ast.NodeTransformer):
    def visit_Constant(self, node: ast.Constant) -> ast.Constant:
        if isinstance(node.value, float) and math.isfinite(node.value) and node.value:
            digits = 1 - math.floor(math.log10(abs(node.value)))
            return ast.Constant(round(node.value, digits))
        return node


def near_hash(code: str) -> str:
    """Hash of the canonical form with float constants rounded to 2 significant digits: programs that differ
    only by constant changes under ~1% (or formatting, or comments) collide."""
    try:
        tree = _RoundConstants().visit(ast.parse(code))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return code_hash(code)
    return hashlib.sha256(ast.dump(tree, annotate_fields=False).encode()).hexdigest()[:20]


def shingles(code: str, width: int = 4) -> frozenset[tuple[str, ...]]:
    """The set of `width`-token windows of the code, comments and layout ignored (for similarity)."""
    skip = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER}
    try:
        tokens = [t.string for t in tokenize.generate_tokens(io.StringIO(code).readline) if t.type not in skip]
    except (tokenize.TokenError, IndentationError, SyntaxError):
        tokens = code.split()
    return frozenset(tuple(tokens[i : i + width]) for i in range(max(1, len(tokens) - width + 1)))


def similarity(a: str | frozenset, b: str | frozenset) -> float:
    """Jaccard similarity in [0, 1] of two programs' token shingles (code or precomputed `shingles`)."""
    sa = a if isinstance(a, frozenset) else shingles(a)
    sb = b if isinstance(b, frozenset) else shingles(b)
    return len(sa & sb) / len(sa | sb) if sa or sb else 1.0
