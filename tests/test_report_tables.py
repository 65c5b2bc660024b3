"""The terminal report at scale (25 runs, four families): one set of tables per family and suite, at 80 columns
every number whole; outcome words that tell claims from wrong answers; Markdown and LaTeX exports."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from many_runs import RUNS, SUITES, build_many_runs


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_many_runs(tmp_path_factory.mktemp("many"))


def schedbench(*args: str, columns: int = 80) -> str:
    env = {**os.environ, "COLUMNS": str(columns), "NO_COLOR": "1", "TERM": "dumb"}
    done = subprocess.run(
        [sys.executable, "-m", "schedbench", *args], capture_output=True, text=True, env=env, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def documents(db: Path) -> list[dict[str, Any]]:
    return json.loads(schedbench("report", "--results", str(db), "--json"))


def test_terminal_report_fits_80_columns_with_every_number_whole(db: Path, documents: list[dict[str, Any]]) -> None:
    from schedbench.results.tables import report_tables

    out = schedbench("report", "--results", str(db))
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert "…" not in out
    numbers = [cell for table in report_tables(documents) for row in table.rows for cell in row[1:]]
    assert len(numbers) > 500
    missing = [cell for cell in numbers if not any(cell in line for line in lines)]
    assert missing == []
    assert len(documents) == len(RUNS)
    squeezed = re.sub(r"\s+", "", out)
    for document in documents:  # every run is named in full, wrapped or not
        assert document["run"] in squeezed, document["run"]
    sections = [line for line in lines if re.match(r"^\S+ · \S+", line)]
    assert [line.split(" · ")[0] for line in sections] == list(SUITES)  # one section per family and suite


def test_outcomes_tell_a_correct_claim_from_a_wrong_answer(documents: list[dict[str, Any]]) -> None:
    oracle = documents[0]
    assert oracle["model"] == "oracle/exact" and oracle["outcomes"].get("correct_claim", 0) > 0
    assert oracle["feasible_rate"] == 1.0 and oracle["optimal_rate"] == 1.0
    assert oracle["optimal_n"] == oracle["n"] - oracle["outcomes"]["correct_claim"]  # optimality is undefined there
    assert set(oracle["outcomes"]) <= {"optimal", "correct_claim"}
    for document in documents:
        assert sum(document["outcomes"].values()) == document["n"]
        assert sum(row["n"] for row in document["by_family"]) == document["n"]
    baseline = next(d for d in documents if d["model"] == "baseline/lft")
    assert "correct_claim" not in baseline["outcomes"] and baseline["outcomes"].get("infeasible", 0) > 0


def test_markdown_export_has_a_row_per_run_in_each_family_table(db: Path) -> None:
    text = schedbench("report", "--results", str(db), "--format", "md")
    summaries = re.split(r"^### ", text, flags=re.M)
    for family in SUITES:
        summary = next(block for block in summaries if block.startswith(f"{family} · ") and ": summary" in block)
        rows = [line for line in summary.splitlines() if line.startswith("| [")]
        assert len(rows) == sum(1 for f, _, _, _ in RUNS if f == family)
        assert all(line.count(" | ") == 6 for line in rows)


def test_latex_export_is_balanced_and_escaped(db: Path) -> None:
    text = schedbench("report", "--results", str(db), "--format", "latex")
    assert text.count(r"\begin{table}") == text.count(r"\end{table}") > 10
    assert text.count(r"\toprule") == text.count(r"\bottomrule") == text.count(r"\begin{table}")
    for block in text.split(r"\begin{tabular}")[1:]:
        spec = block[1 : block.index("}")]
        body = block[block.index(r"\midrule") : block.index(r"\bottomrule")]
        for line in body.splitlines()[1:]:
            assert len(re.findall(r"(?<!\\)&", line)) == len(spec) - 1, line
            assert not line.startswith("["), line  # would be read as an optional argument
    assert not re.search(r"(?<!\\)[#%_]", text.replace(r"\%", "").replace(r"\_", "").replace(r"\#", ""))


def test_unknown_format_is_bad_input(db: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "schedbench", "report", "--results", str(db), "--format", "docx"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2 and "--format" in done.stderr and done.stderr.count("\n") == 1
