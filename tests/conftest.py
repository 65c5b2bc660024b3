"""Shared fixtures: the published sets shipped in the package, and the command line run in-process."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import pytest
from hypothesis import settings

# Property tests: in CI the same examples every run (derandomized), so a run fails only on a change, never on
# what a random seed happens to draw that day; elsewhere a fresh draw each run, to keep finding new cases.
settings.register_profile("ci", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("SCHEDBENCH_HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "explore"))

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT / "schedbench" / "datasets"


@pytest.fixture(scope="session")
def published_data() -> Path:
    """The folder of the published sets inside the package (schedbench/datasets)."""
    from schedbench import datasets

    return datasets.ROOT


class CliResult(NamedTuple):
    """What a command-line run ended with (the same fields as `subprocess.CompletedProcess`)."""

    returncode: int
    stdout: str
    stderr: str


CliRun = Callable[[list[str]], CliResult]


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> CliRun:
    """Run the console entry point in-process: cli(argv) → (exit code, stdout, stderr)."""
    from schedbench.cli import main

    def run(argv: list[str]) -> CliResult:
        monkeypatch.setattr(sys, "argv", ["schedbench", *argv])
        code = 0
        try:
            main()
        except SystemExit as exc:
            code = int(exc.code or 0)
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


RunCli = Callable[..., CliResult]
"""The `run_cli` fixture's type: run_cli("solve", path) → CliResult."""


@pytest.fixture
def run_cli(cli: CliRun) -> RunCli:
    """`cli` with the arguments spread: run_cli("solve", path) → CliResult."""
    return lambda *args: cli(list(args))
