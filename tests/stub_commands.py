"""The `schedbench evaluate` command line the subprocess tests run against the local stub server."""

from __future__ import annotations

import sys
from pathlib import Path


def stub_evaluate(suite: Path, db: Path, url: str, *options: str) -> list[str]:
    """`schedbench evaluate` of the stub's OpenAI-compatible model on `suite` into `db`, quiet, plus `options`."""
    return [
        *(sys.executable, "-m", "schedbench", "evaluate", "--model", "openai-compatible/stub"),
        *("--suite", str(suite), "--results", str(db), "--base-url", url, "--quiet"),
        *options,
    ]
