"""Running on an existing Ray cluster whose worker node has Ray but not schedbench, with token authentication.

A two-node cluster on loopback: a head (from this virtual environment, no CPUs, so it runs no task) and a worker
node started from a separate virtual environment that holds only `ray[default]` and offers the custom resource
`raynode`. The drivers are schedbench commands that find the token in a file (`RAY_AUTH_TOKEN_PATH`, with
`RAY_AUTH_MODE` unset) and pin their tasks to `raynode`: every task runs where schedbench is not installed, so
it runs only if the code and its libraries were shipped. Results must equal the local executor's.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ray = pytest.importorskip("ray")

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
NODE_VENV = ROOT / ".venv-raynode"
HEAD_IP, NODE_IP = "127.0.0.2", "127.0.0.3"  # loopback addresses Ray does not rewrite to the machine's own IP


@dataclass
class Cluster:
    address: str
    token_file: Path
    processes: list[subprocess.Popen[bytes]]


def node_venv() -> Path:
    """A virtual environment with only Ray (the version of this one), made once and kept beside the project."""
    ray_bin = NODE_VENV / "bin" / "ray"
    if not ray_bin.exists():
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(NODE_VENV)], check=True)
        pip = [str(NODE_VENV / "bin" / "python"), "-m", "pip", "install", "--quiet"]
        subprocess.run([*pip, f"ray[default]=={ray.__version__}"], check=True)
    return NODE_VENV


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HEAD_IP, 0))
        return int(sock.getsockname()[1])


def base_env() -> dict[str, str]:
    """This process's environment without anything that would point Ray elsewhere."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("RAY_", "SCHEDBENCH_RAY"))}


def wait_for_worker(address: str, token: str, deadline: float) -> None:
    probe = (
        "import ray, sys; ray.init(address=sys.argv[1], log_to_driver=False); "
        "sys.exit(0 if ray.cluster_resources().get('raynode', 0) >= 2 else 1)"
    )
    env = base_env() | {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": token}
    while time.monotonic() < deadline:
        if subprocess.run([sys.executable, "-c", probe, address], env=env, capture_output=True).returncode == 0:
            return
        time.sleep(1)
    raise TimeoutError("the worker node did not join the cluster")


def start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """A `ray start --block` in its own session, so that teardown can stop it and everything it started."""
    with log.open("wb") as sink:
        return subprocess.Popen(command, env=env, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True)


def stop(processes: list[subprocess.Popen[bytes]], port: int) -> None:
    for process in reversed(processes):
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(process.pid, sig)
            except ProcessLookupError:
                break
            try:
                process.wait(timeout=15)
                break
            except subprocess.TimeoutExpired:
                continue
    deadline = time.monotonic() + 15
    while leftovers(port) and time.monotonic() < deadline:
        time.sleep(0.5)


def leftovers(port: int) -> list[str]:
    """Command lines of processes that still belong to the cluster on `port`."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if f"{HEAD_IP}:{port}" in cmdline or f"gcs_server_port={port}" in cmdline:
            found.append(cmdline[:120])
    return found


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    venv = node_venv()
    token = secrets.token_hex(24)
    scratch = Path(tempfile.mkdtemp(prefix="sbray", dir="/tmp"))  # short: Ray's socket paths must fit
    token_file = scratch / "token"
    token_file.write_text(token)
    port = free_port()
    env = base_env() | {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": token}
    address = f"{HEAD_IP}:{port}"
    common = ["--block", "--disable-usage-stats"]
    head_cmd = [str(Path(sys.executable).with_name("ray")), "start", "--head", f"--node-ip-address={HEAD_IP}"]
    head_cmd += [f"--port={port}", "--num-cpus=0", "--include-dashboard=false", f"--temp-dir={scratch}", *common]
    node_cmd = [str(venv / "bin" / "ray"), "start", f"--address={address}", f"--node-ip-address={NODE_IP}"]
    node_cmd += ["--num-cpus=2", '--resources={"raynode": 2}', *common]
    processes = [start(head_cmd, env, scratch / "head.log")]
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                socket.create_connection((HEAD_IP, port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.5)
        processes.append(start(node_cmd, env | {"PATH": f"{venv / 'bin'}:{env['PATH']}"}, scratch / "node.log"))
        wait_for_worker(address, token, time.monotonic() + 120)
        yield Cluster(address, token_file, processes)
    finally:
        stop(processes, port)
        assert not leftovers(port), "cluster processes left running"
        shutil.rmtree(scratch, ignore_errors=True)


def schedbench(*args: str, env: dict[str, str] | None = None, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "schedbench", *args],
        capture_output=True,
        text=True,
        env=env if env is not None else base_env(),
        timeout=timeout,
        check=False,
    )


def driver_env(cluster: Cluster) -> dict[str, str]:
    """A driver that finds the token in a file and pins its tasks to the worker node."""
    return base_env() | {"RAY_AUTH_TOKEN_PATH": str(cluster.token_file), "SCHEDBENCH_RAY_RESOURCES": '{"raynode": 1}'}


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
def suites(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
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
    cluster: Cluster, suites: dict[str, Path], tmp_path: Path
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


def test_evolve_evaluates_candidates_on_the_node_in_the_sandbox(cluster: Cluster, tmp_path: Path) -> None:
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


def test_a_missing_or_wrong_token_is_one_line_within_seconds(cluster: Cluster, tmp_path: Path) -> None:
    wrong = tmp_path / "wrong-token"
    wrong.write_text("not-the-token")
    cases = {
        "none was found": base_env() | {"HOME": str(tmp_path)},
        "rejected the token": base_env() | {"HOME": str(tmp_path), "RAY_AUTH_TOKEN_PATH": str(wrong)},
    }
    for expected, env in cases.items():
        started = time.monotonic()
        args = ["generate", "rcpsp", "--levels", "1", "--quiet", "--out", str(tmp_path / "never")]
        done = schedbench(*args, "--executor", "ray", "--ray-address", cluster.address, env=env, timeout=120)
        elapsed = time.monotonic() - started
        assert done.returncode == 2, done.stderr
        assert expected in done.stderr and done.stderr.strip().count("\n") == 0, done.stderr
        assert elapsed < 15, f"took {elapsed:.1f} s to say so"
