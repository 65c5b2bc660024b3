"""`make demo` (python -m schedbench.demo) offline: for a family, every strategy side by side in its table, the mean
gap by level per strategy as a table and as a chart file, from the runs it stored."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.slow
def test_demo_compares_the_four_strategies_and_draws_the_gap_chart(tmp_path: Path) -> None:
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1", "TERM": "dumb"}
    env = {k: v for k, v in env.items() if not k.endswith("_API_KEY")}  # offline: no key needed
    done = subprocess.run(
        [sys.executable, "-m", "schedbench.demo", "--families", "smtt", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    out = done.stdout
    comparison, _, rest = out.partition("smtt: gap by level, per strategy")
    for strategy in ("direct", "repair×3", "formalize", "tools"):
        assert f"│ {strategy}" in comparison, strategy
    gap_rows = [line for line in rest.splitlines() if line.startswith("│ ")]
    assert {line.split("│")[1].strip() for line in gap_rows} >= {"direct", "repair×3 full", "formalize×1 full", "tools"}
    chart = tmp_path / "smtt_strategy_gap_by_level.png"
    assert chart.read_bytes().startswith(b"\x89PNG") and str(chart) in out.replace("\n", "")
