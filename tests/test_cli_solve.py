"""`schedbench solve` and `verify` through the real command line: one JSON document on stdout, progress on stderr."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import RunCli

from schedbench.problems import Instance

TINY = {
    "horizon": 30,
    "resources": [{"id": "R1", "capacity": 2}],
    "tasks": [
        {"id": "T1", "duration": 3, "demands": {"R1": 2}},
        {"id": "T2", "duration": 2, "demands": {"R1": 1}},
        {"id": "T3", "duration": 4, "demands": {"R1": 1}},
    ],
    "precedences": [["T1", "T3"]],
    "disjunctive": [["T2", "T3"]],
}
TINY_OPTIMUM = 9  # T1 [0,3) alone (demand 2 = capacity); T2 and T3 share no time: 3 + 4 + 2


def instance(id_: str, **changes: Any) -> dict[str, Any]:
    return {"id": id_, "family": "rcpsp", "level": 1, "data": {**TINY, **changes}}


@pytest.fixture()
def suite(tmp_path: Path) -> Path:
    folder = tmp_path / "suite"
    folder.mkdir()
    rows = [instance("a"), instance("b", horizon=8), instance("c", disjunctive=[])]
    (folder / "instances.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return folder


def test_solve_one_instance_prints_one_reference_object(tmp_path: Path, run_cli: RunCli) -> None:
    path = tmp_path / "one.json"
    path.write_text(json.dumps(instance("only")))
    done = run_cli("solve", str(path), "--json")
    assert done.returncode == 0, done.stderr
    reference = json.loads(done.stdout)
    assert reference["id"] == "only" and reference["status"] == "optimal"
    assert reference["objective"] == reference["bound"] == TINY_OPTIMUM
    assert set(reference) >= {"status", "objective", "bound", "solver", "time_s", "witness"}
    assert reference["solver"].startswith("cp-sat")


def test_solve_a_suite_prints_one_list_and_keeps_progress_off_stdout(suite: Path, run_cli: RunCli) -> None:
    done = run_cli("solve", str(suite), "--json", "--workers", "2")
    assert done.returncode == 0, done.stderr
    references = json.loads(done.stdout)
    assert [(r["id"], r["status"], r["objective"]) for r in references] == [
        ("a", "optimal", TINY_OPTIMUM),
        ("b", "infeasible", None),
        ("c", "optimal", 7),
    ]
    table = run_cli("solve", str(suite))
    assert table.returncode == 0, table.stderr
    assert "solving references" not in table.stdout and "optimal" in table.stdout
    assert "solving references" in table.stderr


def test_a_one_instance_suite_is_still_a_list(tmp_path: Path, run_cli: RunCli) -> None:
    path = tmp_path / "one.jsonl"
    path.write_text(json.dumps(instance("solo")) + "\n")
    done = run_cli("solve", str(path), "--json")
    assert done.returncode == 0, done.stderr
    assert [r["id"] for r in json.loads(done.stdout)] == ["solo"]


def test_solve_psplib_files_and_folders(published_data: Path, tmp_path: Path, run_cli: RunCli) -> None:
    source = published_data / "psplib" / "j30"
    done = run_cli("solve", str(source / "j301_1.sm"), "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["objective"] == 43  # j30_optimum.csv
    folder = tmp_path / "psplib"
    folder.mkdir()
    for name in ("j301_1.sm", "j301_2.sm"):
        shutil.copy(source / name, folder / name)
    done = run_cli("solve", str(folder), "--json")
    assert done.returncode == 0, done.stderr
    assert [(r["id"], r["objective"]) for r in json.loads(done.stdout)] == [("j301_1", 43), ("j301_2", 47)]


def test_verify_json_follows_the_contract(tmp_path: Path, run_cli: RunCli) -> None:
    solved = Instance.model_validate({**instance("v"), "reference": {"status": "optimal", "objective": 9, "bound": 9}})
    path = tmp_path / "v.json"
    path.write_text(solved.model_dump_json())
    answers = {
        "late.json": {"starts": {"T1": 0, "T2": 7, "T3": 3}},
        "broken.json": {"starts": {"T1": 0, "T2": 3, "T3": 2, "T9": 1}},
    }
    results = {}
    for name, answer in answers.items():
        (tmp_path / name).write_text(json.dumps(answer))
        done = run_cli("verify", "--instance", str(path), "--solution", str(tmp_path / name), "--json")
        assert done.returncode == (0 if name == "late.json" else 1), done.stderr  # 1: the answer is infeasible
        results[name] = json.loads(done.stdout)
    late = results["late.json"]
    assert late["feasible"] and late["objective"] == 9 and late["reference"] == 9 and late["gap_pct"] == 0
    assert late["optimal"] and late["violations"] == []
    broken = results["broken.json"]
    assert not broken["feasible"] and broken["objective"] == 6
    assert {v["type"] for v in broken["violations"]} == {"precedence", "disjunctive", "capacity", "unknown"}
    assert all(set(v) == {"type", "items", "detail"} for v in broken["violations"])
    assert "gap_pct" not in broken
