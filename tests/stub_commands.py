"""What the subprocess tests share: the `schedbench evaluate` command line they run against the local stub
server, and Ctrl-C as a terminal delivers it."""

from __future__ import annotations

import signal
import sys
from pathlib import Path


def stub_evaluate(suite: Path, db: Path, url: str, *options: str) -> list[str]:
    """`schedbench evaluate` of the stub's OpenAI-compatible model on `suite` into `db`, quiet, plus `options`."""
    return [
        *(sys.executable, "-m", "schedbench", "evaluate", "--model", "openai-compatible/stub"),
        *("--suite", str(suite), "--results", str(db), "--base-url", url, "--quiet"),
        *options,
    ]


def default_sigint() -> None:
    """`preexec_fn` of a child that a test interrupts with SIGINT: Ctrl-C as in a terminal. A job started in the
    background (`cmd &`, nohup, some CI runners) ignores SIGINT, its children inherit that, and Python then
    installs no KeyboardInterrupt handler: the child would run on as if never interrupted."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
