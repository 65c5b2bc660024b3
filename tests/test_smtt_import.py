"""SMTT importers (OR-Library wt files, the seed paper's JSON-lines sets) and bad-input handling (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import RunCli

from schedbench.importers import importer_for_suffix, importers
from schedbench.importers.orlib import read_file
from schedbench.problems import get_family
from schedbench.suites import load_instances


def write_wt(path: Path, blocks: list[list[int]]) -> Path:
    path.write_text("\n".join(" ".join(f"{x:5d}" for x in block) for block in blocks) + "\n")
    return path


def test_orlib_reader_on_a_small_file(tmp_path: Path) -> None:
    path = write_wt(tmp_path / "wt3.txt", [[4, 2, 7], [1, 5, 2], [3, 0, 20], [1, 1, 1], [1, 1, 1], [0, 0, 0]])
    (tmp_path / "wtopt3.txt").write_text("  12\n 0\n")
    first, second = read_file(path)
    assert first.id == "wt3-001" and first.stage == "weighted" and first.published_optimum == 12
    assert [(j["p"], j["w"], j["d"]) for j in first.data["jobs"]] == [(4, 1, 3), (2, 5, 0), (7, 2, 20)]
    assert second.published_optimum == 0 and importer_for_suffix(path) is importers()["orlib-wt"]


@pytest.mark.slow
def test_orlib_wt40_import_and_solve(published_data: Path, tmp_path: Path) -> None:
    instances = read_file(published_data / "orlib" / "wt40.txt")
    optima = [int(x) for x in (published_data / "orlib" / "wtopt40.txt").read_text().split()]
    assert len(instances) == 125 and [i.published_optimum for i in instances] == optima
    assert all(i.level == 40 for i in instances)
    first = instances[0]
    reference = get_family("smtt").solve(get_family("smtt").parse_data(first.data), time_limit=20)
    assert reference.status == "optimal" and reference.objective == first.published_optimum


def test_smtt_jsonl_import_cli(tmp_path: Path, run_cli: RunCli) -> None:
    source = tmp_path / "set.jsonl"
    rows = [
        {"name": "a", "p": [3, 5, 2], "d": [4, 6, 1], "optimum": 6},
        {"name": "b", "p": [1, 2], "d": [0, 0], "w": [2, 1], "optimum": 5},
    ]
    source.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    out = tmp_path / "suite"
    done = run_cli("import", "smtt-jsonl", str(source), "--out", str(out), "--quiet")
    assert done.returncode == 0, done.stderr
    instances = load_instances(out)
    assert [i.id for i in instances] == ["a", "b"] and [i.stage for i in instances] == ["unweighted", "weighted"]
    for inst in instances:
        assert inst.reference.status == "optimal"
        assert inst.reference.objective == inst.published_optimum


def test_solve_reads_an_orlib_txt_directly(tmp_path: Path, run_cli: RunCli) -> None:
    path = write_wt(tmp_path / "wt2.txt", [[4, 2], [1, 3], [3, 2]])
    done = run_cli("solve", str(path), "--json")
    assert done.returncode == 0, done.stderr
    reference = json.loads(done.stdout)
    # J2 first (C=2, T=0), then J1 (C=6, T=3) → 3; the other order costs 1 + 3·4 = 13
    assert reference["id"] == "wt2-001" and reference["objective"] == 3 and reference["status"] == "optimal"


BAD_JSONL = {
    "non-integer time": ({"p": [3, 2.5], "d": [1, 2]}, "p[1]"),
    "mismatched lengths": ({"p": [3, 2], "d": [1]}, "d"),
    "empty instance": ({"p": [], "d": []}, "p"),
    "string due date": ({"p": [3], "d": ["7"]}, "d[0]"),
}


@pytest.mark.parametrize("case", list(BAD_JSONL))
def test_bad_jsonl_exits_2_with_one_line(tmp_path: Path, case: str, run_cli: RunCli) -> None:
    row, field = BAD_JSONL[case]
    source = tmp_path / "bad.jsonl"
    source.write_text(json.dumps(row) + "\n")
    done = run_cli("import", "smtt-jsonl", str(source), "--out", str(tmp_path / "out"), "--quiet")
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and f"{source}:1: {field}:" in lines[0]


@pytest.mark.parametrize(
    "content, field", [("1 2 x 4 5 6", "value 3"), ("1 2 3 4 5", "values"), ("", None), ("1.5 2 3 4 5 6", "value 1")]
)
def test_bad_orlib_exits_2_with_one_line(tmp_path: Path, content: str, field: str | None, run_cli: RunCli) -> None:
    path = tmp_path / "wt2.txt"
    path.write_text(content)
    done = run_cli("import", "orlib-wt", str(path), "--out", str(tmp_path / "out"), "--quiet")
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and str(path) in lines[0] and (field is None or field in lines[0])


@pytest.mark.parametrize(
    "jobs, field",
    [
        ([{"id": "J1", "p": 1.5, "d": 3}], "data.jobs.0.p"),
        ([], "data.jobs"),
        ([{"id": "J1", "p": 2, "d": "soon"}], "data.jobs.0.d"),
        ([{"id": "J1", "p": 2, "d": 3}, {"id": "J1", "p": 1, "d": 1}], "data"),
    ],
)
def test_bad_instance_file_exits_2(tmp_path: Path, jobs: list, field: str, run_cli: RunCli) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"id": "x", "family": "smtt", "level": 1, "data": {"jobs": jobs}}))
    done = run_cli("solve", str(path))
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and f"{path}: {field}" in lines[0]
