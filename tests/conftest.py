"""Shared fixtures: the published sets shipped in the package, and the command line run in-process."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT / "schedbench" / "datasets"


@pytest.fixture(scope="session")
def published_data() -> Path:
    """The folder of the published sets inside the package (schedbench/datasets)."""
    from schedbench import datasets

    return datasets.ROOT


CliRun = Callable[[list[str]], tuple[int, str, str]]


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> CliRun:
    """Run the console entry point in-process: cli(argv) → (exit code, stdout, stderr)."""
    from schedbench.cli import main

    def run(argv: list[str]) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "argv", ["schedbench", *argv])
        code = 0
        try:
            main()
        except SystemExit as exc:
            code = int(exc.code or 0)
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run
