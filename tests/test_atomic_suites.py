"""Atomic suites: generate/import write a temporary folder renamed into place; the manifest's count and hash
are checked by evaluate and solve (exit 2 on a mismatch); a SIGKILLed generate leaves no half suite."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from schedbench.problems import get_family
from schedbench.references import generate_suite
from schedbench.suites import INSTANCES, MANIFEST, PARQUET, load_instances, read_manifest


@pytest.fixture
def suite(tmp_path: Path) -> Path:
    family = get_family("smtt")
    config = family.generator_config(levels="5,6", stage="unweighted", tf="0.2", rdd="0.2,0.4", workers=1)
    return generate_suite(family, config, tmp_path / "suite", show_progress=False)


def one_line_error(result: tuple[int, str, str], *fragments: str) -> None:
    code, _, err = result
    assert code == 2, (code, err)
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    for fragment in fragments:
        assert fragment in err, (fragment, err)


def test_the_manifest_carries_the_count_and_the_hash(suite) -> None:
    manifest = read_manifest(suite)
    assert manifest["count"] == len(load_instances(suite)) == 4
    assert len(manifest["instances_sha256"]) == 64
    assert sorted(p.name for p in suite.parent.iterdir()) == ["suite"]  # no temporary folder left


@pytest.mark.parametrize("damage", ["truncate", "append", "edit"])
def test_a_suite_that_does_not_match_its_manifest_is_refused(damage, suite, tmp_path, cli) -> None:
    path = suite / INSTANCES
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    if damage == "truncate":
        path.write_text("".join(lines[:2]), encoding="utf-8")
    elif damage == "append":
        path.write_text("".join(lines + lines[:1]).replace('"id":"', '"id":"x', 1), encoding="utf-8")
    else:
        path.write_text("".join(lines).replace('"p":', '"p": ', 1), encoding="utf-8")
    field = "instances_sha256" if damage == "edit" else "count"
    db = str(tmp_path / "r.db")
    one_line_error(
        cli(["evaluate", "--model", "oracle/exact", "--suite", str(suite), "--results", db]), MANIFEST, field
    )
    one_line_error(cli(["solve", str(suite)]), MANIFEST, field)


def test_regenerating_replaces_the_whole_suite(suite, cli) -> None:
    old = (suite / PARQUET).stat().st_mtime_ns
    command = ["generate", "smtt", "--out", str(suite), "--levels", "7", "--tf", "0.2", "--rdd", "0.2", "--quiet"]
    code, _, err = cli(command)
    assert code == 2 and "--overwrite" in err and (suite / PARQUET).stat().st_mtime_ns == old
    code, _, err = cli([*command, "--overwrite"])
    assert code == 0, err
    assert read_manifest(suite)["count"] == 1 == len(load_instances(suite))
    assert (suite / PARQUET).stat().st_mtime_ns != old
    assert sorted(p.name for p in suite.parent.iterdir()) == ["suite"]


def test_a_folder_of_other_files_is_never_overwritten(tmp_path, cli) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("keep me", encoding="utf-8")
    command = ["generate", "smtt", "--out", str(folder), "--levels", "5", "--tf", "0.2", "--rdd", "0.2", "--quiet"]
    code, _, err = cli(command)
    assert code == 2 and "--out" in err and "not empty" in err
    code, _, err = cli([*command, "--overwrite"])
    assert code == 2 and "--out" in err and "notes.txt" in err
    assert [p.name for p in folder.iterdir()] == ["notes.txt"]


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a running process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_a_sigkilled_generate_leaves_no_half_suite(tmp_path) -> None:
    out = tmp_path / "suite"
    command = [
        *(sys.executable, "-m", "schedbench", "generate", "rcpsp", "--out", str(out)),
        *("--levels", "1-60", "--per-level", "20", "--tasks", "30", "--workers", "1", "--quiet"),
    ]  # 1,200 references: about 20 s of CPU, solved in this one process
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 300
    while process.poll() is None and cpu_seconds(process.pid) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)  # CPU time, not wall time: past the imports and into the solving, whatever the load
    assert process.poll() is None, f"generate ended before it could be killed: {process.stderr.read()}"
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    process.stderr.close()
    assert not out.exists()
    leftovers = [p for p in tmp_path.iterdir() if p.name != "suite"]
    assert all(p.name.startswith(".suite.") for p in leftovers)  # at most a hidden temporary folder, never a suite
