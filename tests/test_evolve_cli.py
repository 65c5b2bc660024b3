"""`schedbench evolve` and `schedbench evolve report` from the command line: run-folder contract, report
layout, and bad input as one line with exit code 2."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

from schedbench.cli import main
from schedbench.evolve.report import render_report


def cli(*args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "schedbench", *args], capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("evolve") / "run"
    config = out.parent / "evolve.toml"
    config.write_text('[evaluator]\ntrain = { levels = "10", per_level = 1 }\n[database]\nislands = 2\n')
    done = cli(
        "evolve",
        "--family",
        "smtt",
        "--model",
        "baseline/mutator",
        "--out",
        str(out),
        "--iterations",
        "6",
        "--config",
        str(config),
        "--quiet",
    )
    assert done.returncode == 0, done.stderr
    (out.parent / "summary.txt").write_text(done.stdout, encoding="utf-8")
    return out


SUMMARY = re.compile(r"^(\d+) iterations \((\d+) ok, (\d+) rejected, (\d+) failed\); seed ([\d.]+) ")


def summary_counts(text: str) -> tuple[int, ...]:
    """(iterations, ok, rejected, failed) and the seed score from the line `evolve` ends with."""
    match = SUMMARY.match(" ".join(text.split()))
    assert match, text
    return (*(int(g) for g in match.groups()[:4]), float(match.group(5)))


def test_the_run_folder_follows_the_contract(run_dir: Path):
    history = [json.loads(line) for line in (run_dir / "history.jsonl").read_text().splitlines()]
    assert [row["iteration"] for row in history] == list(range(7))
    assert history[0]["parent_id"] is None and history[0]["status"] == "ok"
    for row in history:
        assert {"iteration", "program_id", "parent_id", "island", "status", "score", "error"} <= set(row)
        assert row["status"] in ("ok", "failed", "rejected")
    best = json.loads((run_dir / "best.json").read_text())
    assert {"program_id", "score", "metrics"} <= set(best)
    assert best["score"] == max(r["score"] for r in history if r["status"] == "ok")
    assert "def schedule" in (run_dir / "best_program.py").read_text()


def test_rerunning_a_finished_run_does_nothing_new(run_dir: Path):
    before = (run_dir / "history.jsonl").read_text()
    again = cli(
        "evolve",
        "--family",
        "smtt",
        "--model",
        "baseline/mutator",
        "--out",
        str(run_dir),
        "--iterations",
        "6",
        "--config",
        str(run_dir.parent / "evolve.toml"),
        "--quiet",
    )
    assert again.returncode == 0, again.stderr
    assert (run_dir / "history.jsonl").read_text() == before


def test_the_report_compares_the_evolved_rule_with_the_baselines(run_dir: Path):
    done = cli(
        "evolve",
        "report",
        str(run_dir),
        "--json",
        "--sizes",
        "12",
        "--limit",
        "10",
        "--html",
        str(run_dir / "run.html"),
    )
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert "<html" in (run_dir / "run.html").read_text().lower()
    assert document["family"] == "smtt"
    html = (run_dir / "run.html").read_text()
    iterations, ok, rejected, failed, seed = summary_counts((run_dir.parent / "summary.txt").read_text())
    history = [json.loads(line) for line in (run_dir / "history.jsonl").read_text().splitlines()]
    assert iterations == 6 == ok + rejected + failed == len(history) - 1
    assert [ok, rejected, failed] == [sum(r["status"] == s for r in history[1:]) for s in ("ok", "rejected", "failed")]
    counts = " ".join(re.search(r'<p id="evolution-counts">(.*?)</p>', html, re.S).group(1).split())
    assert counts.startswith(f"{iterations} iterations after the seed: {ok} ok, {rejected} rejected, {failed} failed.")
    assert round(float(re.search(r"Seed score ([\d.,]+)\.", counts).group(1).replace(",", "")), 3) == seed
    table = re.search(r'<table id="held-out">(.*?)</table>', html, re.S).group(1)
    rules = re.findall(r"<tr><td>([^<]+)</td>", table)
    assert rules[:2] == ["seed", "evolved"] and {"edd", "mdd", "psk"} <= set(rules)
    for row in document["held_out"]:
        assert row["rules"]["seed"]["feasible"] == row["instances"]
        assert f"{row['set']} (n = {row['instances']})" in table
        seed_gap = row["rules"]["seed"]["mean_gap_pct"]  # the smtt seed is MDD dispatching, as the mdd rule
        assert seed_gap == row["rules"]["mdd"]["mean_gap_pct"], row
    names = [row["set"] for row in document["held_out"]]
    assert any("12" in name for name in names)
    for row in document["held_out"]:
        assert {"evolved", "edd", "eddc", "mdd", "mddc", "psk", "aug_mddc"} <= set(row["rules"])
        for stats in row["rules"].values():
            assert stats["feasible"] == row["instances"]
            assert stats["mean_gap_pct"] is None or stats["mean_gap_pct"] >= 0
        edd, mdd = row["rules"]["edd"]["mean_gap_pct"], row["rules"]["mdd"]["mean_gap_pct"]
        assert edd is None or mdd is None or mdd <= edd
    assert [s["iteration"] for s in document["score_over_iterations"]] == list(range(7))
    assert (run_dir / "score_over_iterations.csv").read_text().startswith("iteration,status,score,best")
    console = Console(record=True, width=160)
    render_report(document, console)
    text = console.export_text()
    assert "mean gap" in text and "evolved" in text and "psk" in text


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["--family", "nope", "--model", "baseline/mutator", "--out", "{tmp}/a"], "--family"),
        (["--family", "smtt", "--model", "baseline/mutator"], "--out"),
        (["--family", "smtt", "--out", "{tmp}/b"], "--model"),
        (["--family", "smtt", "--model", "nope/x", "--out", "{tmp}/c", "--iterations", "1"], "--model"),
        (
            ["--family", "smtt", "--model", "baseline/mutator", "--out", "{tmp}/d", "--config", "{tmp}/bad.toml"],
            "malformed TOML",
        ),
        (
            ["--family", "smtt", "--model", "baseline/mutator", "--out", "{tmp}/e", "--config", "{tmp}/field.toml"],
            "database.islands",
        ),
        (
            ["--family", "smtt", "--model", "baseline/mutator", "--out", "{tmp}/f", "--seed-program", "{tmp}/none.py"],
            "--seed-program",
        ),
        (["--family", "smtt", "--model", "baseline/mutator", "--out", "{tmp}/g", "--workers", "0"], "workers"),
        (["report", "{tmp}"], "not an evolve run folder"),
        (
            [
                "--family",
                "smtt",
                "--model",
                "openai-compatible/unpriced",
                "--base-url",
                "http://127.0.0.1:9/v1",
                "--out",
                "{tmp}/h",
                "--max-cost",
                "1",
            ],
            "--max-cost",
        ),
    ],
)
def test_bad_input_exits_2_with_one_line(
    tmp_path: Path, args: list[str], fragment: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
):
    (tmp_path / "bad.toml").write_text("islands = [\n")
    (tmp_path / "field.toml").write_text("[database]\nislands = 0\n")
    monkeypatch.setattr(sys, "argv", ["schedbench", "evolve", *[a.replace("{tmp}", str(tmp_path)) for a in args]])
    with pytest.raises(SystemExit) as exit_info:
        main()  # in-process: the same entry point as the console script, without an interpreter start each
    stderr = capsys.readouterr().err
    assert exit_info.value.code == 2, (exit_info.value.code, stderr)
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0], stderr
    assert "Traceback" not in stderr


def test_a_run_folder_refuses_another_family(run_dir: Path):
    done = cli("evolve", "--family", "rcpsp", "--model", "baseline/mutator", "--out", str(run_dir))
    assert done.returncode == 2 and "family" in done.stderr


def test_identical_runs_score_the_seed_identically(tmp_path: Path):
    runs = []
    for name in ("a", "b"):
        done = cli(
            "evolve", "--family", "smtt", "--model", "baseline/mutator", "--out", str(tmp_path / name),
            "--iterations", "3", "--quiet",
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        history = [json.loads(line) for line in (tmp_path / name / "history.jsonl").read_text().splitlines()]
        runs.append((summary_counts(done.stdout), history))
    (first, first_history), (second, second_history) = runs
    assert first[4] == second[4] and first_history[0]["score"] == second_history[0]["score"]
    best = json.loads((tmp_path / "a" / "best.json").read_text())
    assert best["score"] == best["metrics"]["quality"]  # the time is reported beside the score, not mixed in
    assert best["metrics"]["time_penalty"] >= 0 and best["metrics"]["ms_per_instance"] > 0
