"""Running on an existing Ray cluster whose worker node has Ray but not schedbench, with token authentication.

A two-node cluster on loopback: a head (from this virtual environment, no CPUs, so it runs no task) and a worker
node started from a separate virtual environment that holds only `ray[default]` and offers the custom resource
`raynode`. The drivers are schedbench commands that find the token in a file (`RAY_AUTH_TOKEN_PATH`, with
`RAY_AUTH_MODE` unset) and pin their tasks to `raynode`: every task runs where schedbench is not installed, so
it runs only if the code and its libraries were shipped. Results must equal the local executor's.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from schedbench._loopback_ray import (
    LoopbackCluster,
    WorkerNode,
    clean_environment,
    leftovers,
    loopback_cluster,
    node_virtualenv,
)

ray = pytest.importorskip("ray")

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
NODE_VENV = ROOT / ".venv-raynode"  # Ray only; made once, kept beside the project (git ignores it)


@pytest.fixture(scope="module")
def cluster() -> Iterator[LoopbackCluster]:
    node = WorkerNode(node_virtualenv(NODE_VENV, ray.__version__), cpus=2, resources={"raynode": 2})
    with loopback_cluster(head_cpus=0, workers=[node]) as running:
        yield running
    assert not leftovers(running.port), "cluster processes left running"


def schedbench(*args: str, env: dict[str, str] | None = None, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "schedbench", *args],
        capture_output=True,
        text=True,
        env=env if env is not None else clean_environment(),
        timeout=timeout,
        check=False,
    )


def driver_env(cluster: LoopbackCluster) -> dict[str, str]:
    """A driver that finds the token in a file and pins its tasks to the worker node."""
    return clean_environment() | {
        "RAY_AUTH_TOKEN_PATH": str(cluster.token_file),
        "SCHEDBENCH_RAY_RESOURCES": '{"raynode": 1}',
    }


def suite_rows(suite: Path) -> list[dict[str, Any]]:
    """instances.jsonl without what may differ between runs (solve time, witness)."""
    rows = [json.loads(line) for line in (suite / "instances.jsonl").read_text().splitlines()]
    for row in rows:
        row["reference"].pop("time_s", None)
        row["reference"].pop("witness", None)
    return rows


def generate(family: str, out: Path, *extra: str, env: dict[str, str] | None = None) -> None:
    args = ["generate", family, "--levels", "3-6", "--seed", "3", "--quiet", "--out", str(out), *extra]
    done = schedbench(*args, env=env)
    assert done.returncode == 0, done.stderr


@pytest.fixture(scope="module")
def suites(cluster: LoopbackCluster, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """RCPSP and SMTT suites generated locally and on the cluster (SMTT needs the compiled core on the node)."""
    root = tmp_path_factory.mktemp("suites")
    made = {}
    for family in ("rcpsp", "smtt"):
        generate(family, root / f"{family}-local")
        ray_args = ("--executor", "ray", "--ray-address", cluster.address)
        generate(family, root / f"{family}-ray", *ray_args, env=driver_env(cluster))
        made[f"{family}-local"], made[f"{family}-ray"] = root / f"{family}-local", root / f"{family}-ray"
    return made


def test_generate_on_a_node_without_schedbench_writes_the_same_suites(suites: dict[str, Path]) -> None:
    for family in ("rcpsp", "smtt"):
        assert suite_rows(suites[f"{family}-ray"]) == suite_rows(suites[f"{family}-local"])


def test_evaluate_checks_answers_on_the_node_with_the_same_results(
    cluster: LoopbackCluster, suites: dict[str, Path], tmp_path: Path
) -> None:
    stored = {}
    for executor in ("local", "ray"):
        db = tmp_path / f"{executor}.db"
        extra = ("--executor", "ray", "--ray-address", cluster.address) if executor == "ray" else ()
        env = driver_env(cluster) if executor == "ray" else None
        args = ["evaluate", "--model", "baseline/lft", "--suite", str(suites["rcpsp-local"]), "--results", str(db)]
        done = schedbench(*args, "--run", "lft", "--quiet", *extra, env=env)
        assert done.returncode == 0, done.stderr
        report = schedbench("report", "lft", "--results", str(db), "--json")
        assert report.returncode == 0, report.stderr
        document = json.loads(report.stdout)
        stored[executor] = {k: document[k] for k in ("n", "feasible_rate", "optimal_rate", "by_level", "taxonomy")}
    assert stored["ray"] == stored["local"] and stored["local"]["n"] > 0


def test_evolve_evaluates_candidates_on_the_node_in_the_sandbox(cluster: LoopbackCluster, tmp_path: Path) -> None:
    config = tmp_path / "evolve.toml"
    config.write_text('[evaluator]\ntrain = { levels = "8", per_level = 1 }\n[database]\nislands = 1\n')
    histories = {}
    for executor in ("local", "ray"):
        extra = ("--executor", "ray", "--ray-address", cluster.address) if executor == "ray" else ()
        env = driver_env(cluster) if executor == "ray" else None
        args = ["evolve", "--family", "smtt", "--model", "baseline/mutator", "--out", str(tmp_path / executor)]
        args += ["--iterations", "4", "--workers", "1", "--config", str(config), "--quiet", *extra]
        done = schedbench(*args, env=env)
        assert done.returncode == 0, done.stderr
        rows = [json.loads(line) for line in (tmp_path / executor / "history.jsonl").read_text().splitlines()]
        histories[executor] = [(row["iteration"], row["status"], row.get("error")) for row in rows]
    assert histories["ray"] == histories["local"] and histories["local"][0][1] == "ok"


def test_a_missing_or_wrong_token_is_one_line_within_seconds(cluster: LoopbackCluster, tmp_path: Path) -> None:
    wrong = tmp_path / "wrong-token"
    wrong.write_text("not-the-token")
    cases = {
        "none was found": clean_environment() | {"HOME": str(tmp_path)},
        "rejected the token": clean_environment() | {"HOME": str(tmp_path), "RAY_AUTH_TOKEN_PATH": str(wrong)},
    }
    for expected, env in cases.items():
        started = time.monotonic()
        args = ["generate", "rcpsp", "--levels", "1", "--quiet", "--out", str(tmp_path / "never")]
        done = schedbench(*args, "--executor", "ray", "--ray-address", cluster.address, env=env, timeout=120)
        elapsed = time.monotonic() - started
        assert done.returncode == 2, done.stderr
        assert expected in done.stderr and done.stderr.strip().count("\n") == 0, done.stderr
        assert elapsed < 60, f"took {elapsed:.1f} s to say so"  # not Ray's minutes of reconnecting
