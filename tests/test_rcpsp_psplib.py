"""PSPLIB import and the j30 published optima (the published set psplib/j30 shipped in the package).

The test solves a deterministic 1-in-24 subsample of j30 (20 instances) to keep the suite fast; all 480 are
solved by `bench/rcpsp_j30.py` (figures in BENCHMARKS.md).
"""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import psplib
import pytest

from schedbench.errors import InputError
from schedbench.importers.psplib import read_file
from schedbench.problems.rcpsp import RcpspData
from schedbench.solvers import rcpsp_cpsat
from schedbench.suites import load_instances, read_manifest
from schedbench.verifiers.rcpsp import verify

J30_SAMPLE_STRIDE = 24


def published_optima(published_data: Path) -> dict[str, int]:
    with open(published_data / "psplib" / "j30_optimum.csv", encoding="utf-8") as fh:
        return {Path(row["instance"]).stem: int(row["optimal_makespan"]) for row in csv.DictReader(fh)}


def test_import_drops_the_dummy_source_and_sink(published_data: Path) -> None:
    path = published_data / "psplib" / "j30" / "j301_1.sm"
    project = psplib.parse(str(path), instance_format="psplib")
    inst = read_file(path)
    data = RcpspData.model_validate(inst.data)
    assert len(project.activities) == 32 and len(data.tasks) == 30
    assert [t.id for t in data.tasks] == [f"T{i}" for i in range(1, 31)]
    assert [r.capacity for r in data.resources] == [r.capacity for r in project.resources]
    real_edges = {
        (f"T{i}", f"T{s}")
        for i, a in enumerate(project.activities)
        for s in a.successors
        if i > 0 and s < len(project.activities) - 1
    }
    assert set(data.precedences) == real_edges and inst.level == len(real_edges)
    assert data.tasks[0].duration == project.activities[1].modes[0].duration
    assert data.horizon == sum(t.duration for t in data.tasks)


def test_every_line_cut_is_rejected_or_identical(published_data: Path, tmp_path: Path) -> None:
    source = published_data / "psplib" / "j30" / "j3013_1.sm"
    full = read_file(source).data
    lines = source.read_text().splitlines(keepends=True)
    rejected = 0
    for cut in range(len(lines)):
        path = tmp_path / "cut.sm"
        path.write_text("".join(lines[:cut]))
        try:
            assert read_file(path).data == full, f"a file cut after line {cut} imports as a different project"
        except InputError as exc:
            assert str(exc).startswith(str(path))
            rejected += 1
    assert rejected >= len(lines) - 3


def test_import_writes_a_normal_suite(published_data: Path, tmp_path: Path) -> None:
    folder = tmp_path / "psplib"
    folder.mkdir()
    for name in ("j3010_1.sm", "j301_1.sm"):
        shutil.copy(published_data / "psplib" / "j30" / name, folder / name)
    (folder / "notes.txt").write_text("not an instance")  # a folder stands for the files its importer reads
    out = tmp_path / "suite"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "schedbench",
            "import",
            "psplib",
            str(folder / "j301_1.sm"),
            str(folder / "j3010_1.sm"),
            "--out",
            str(out),
            "--quiet",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    instances = load_instances(out)
    optima = published_optima(published_data)
    assert [(i.id, i.family, i.stage) for i in instances] == [
        ("j301_1", "rcpsp", "psplib"),
        ("j3010_1", "rcpsp", "psplib"),
    ]
    for inst in instances:
        assert inst.reference.status == "optimal" and inst.reference.objective == optima[inst.id]
        assert verify(RcpspData.model_validate(inst.data), inst.reference.witness, inst.reference).optimal
    manifest = read_manifest(out)
    assert manifest["generator"] == "import:psplib" and manifest["count"] == 2
    assert json.loads((out / "manifest.json").read_text())["status_counts"] == {"optimal": 2}
    assert [i.id for i in load_instances(out / "instances.parquet")] == ["j301_1", "j3010_1"]
    whole = subprocess.run(
        [
            sys.executable,
            "-m",
            "schedbench",
            "import",
            "psplib",
            str(folder),
            "--out",
            str(tmp_path / "whole"),
            "--quiet",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert whole.returncode == 0, whole.stderr
    assert [i.id for i in load_instances(tmp_path / "whole")] == ["j3010_1", "j301_1"]  # name order


@pytest.mark.slow
def test_j30_sample_solves_to_the_published_optimum(published_data: Path) -> None:
    optima = published_optima(published_data)
    files = sorted((published_data / "psplib" / "j30").glob("*.sm"))
    assert len(files) == 480 == len(optima)
    mismatches = []
    for path in files[::J30_SAMPLE_STRIDE]:
        data = RcpspData.model_validate(read_file(path).data)
        reference = rcpsp_cpsat.solve(data, time_limit=30.0, workers=2)
        assert verify(data, reference.witness).objective == reference.objective
        if (reference.status, reference.objective) != ("optimal", optima[path.stem]):
            mismatches.append((path.stem, reference.status, reference.objective, optima[path.stem]))
    assert mismatches == []
