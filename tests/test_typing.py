"""The type check: mypy over the package (as `make lint` runs it), and the rules that mypy does not enforce."""

from __future__ import annotations

import ast
import io
import re
import subprocess
import sys
import tokenize
from pathlib import Path

import schedbench
from schedbench.solvers.smtt_core import core

ROOT = Path(schedbench.__file__).resolve().parent.parent
IGNORE = re.compile(r"type:\s*ignore")
IGNORE_WITH_REASON = re.compile(r"type: ignore\[[a-z-]+(, [a-z-]+)*\]  # \S")


def test_mypy_finds_no_type_error_in_the_package():
    """A type error fails the suite, not only `make lint` (both share the cache, so the second run is short)."""
    command = [sys.executable, "-m", "mypy", "--cache-dir", str(ROOT / ".mypy_cache")]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]


def type_ignores_without_reason(source: str) -> list[tuple[int, str]]:
    """(line, comment) of each `type: ignore` comment that lacks an error code or a reason after it."""
    found = []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        comment = token.string if token.type == tokenize.COMMENT else ""
        if IGNORE.search(comment) and not IGNORE_WITH_REASON.search(comment):
            found.append((token.start[0], comment))
    return found


def test_the_reason_check_tells_a_bare_ignore_from_an_explained_one():
    source = 'a: int = "x"  # type: ignore\nb: int = "x"  # type: ignore[assignment]\n'
    source += 'c: int = "x"  # type: ignore[assignment]  # a reason\nd = "# type: ignore in a string"\n'
    assert type_ignores_without_reason(source) == [
        (1, "# type: ignore"),
        (2, "# type: ignore[assignment]"),
    ]


def test_every_type_ignore_names_its_code_and_reason():
    offenders = []
    for folder in ("schedbench", "tests", "bench"):
        for path in sorted((ROOT / folder).rglob("*.py*")):
            if path.suffix in (".py", ".pyi"):
                for line, comment in type_ignores_without_reason(path.read_text(encoding="utf-8")):
                    offenders.append(f"{path.relative_to(ROOT)}:{line}: {comment}")
    assert offenders == [], "write `# type: ignore[code]  # why` on the line:\n" + "\n".join(offenders)


def test_the_compiled_core_has_exactly_the_functions_of_its_stub():
    stub = ast.parse((ROOT / "schedbench" / "solvers" / "_smtt_core.pyi").read_text(encoding="utf-8"))
    declared = {node.name for node in stub.body if isinstance(node, ast.FunctionDef)}
    compiled = {name for name in dir(core()) if not name.startswith("_") and callable(getattr(core(), name))}
    assert declared == compiled
