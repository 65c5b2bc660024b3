"""A real multi-node Ray cluster on one machine, on loopback addresses only, for tests and benchmarks.

The head runs from this interpreter's environment; worker nodes may run from another virtual environment (one
with Ray but not schedbench, to prove that code is shipped). Each `ray start --block` runs in its own session,
so stopping the cluster stops everything it started; nothing is left behind. Token authentication is on.

Ray rewrites `127.0.0.1` to the machine's outward address for multi-node clusters, so nodes bind other
loopback addresses (127.0.0.2, 127.0.0.3, ...), which Ray keeps as given.
"""

from __future__ import annotations

import contextlib
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
from dataclasses import dataclass, field
from pathlib import Path

HEAD_IP = "127.0.0.2"


@dataclass(frozen=True)
class WorkerNode:
    """A node to join: the `ray` executable to start it with, its CPUs and custom resources."""

    ray_executable: Path
    cpus: int
    resources: dict[str, float] = field(default_factory=dict)


@dataclass
class LoopbackCluster:
    address: str
    token: str
    token_file: Path
    port: int
    processes: list[subprocess.Popen[bytes]]


def node_virtualenv(path: Path, ray_version: str) -> Path:
    """A virtual environment with only `ray[default]==ray_version` at `path` (made once); its `ray`."""
    ray_bin = path / "bin" / "ray"
    if not ray_bin.exists():
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(path)], check=True)
        pip = [str(path / "bin" / "python"), "-m", "pip", "install", "--quiet"]
        subprocess.run([*pip, f"ray[default]=={ray_version}"], check=True, stdout=subprocess.DEVNULL)
    return ray_bin


def clean_environment() -> dict[str, str]:
    """This process's environment without anything that would point Ray or schedbench elsewhere."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("RAY_", "SCHEDBENCH_RAY"))}


@contextlib.contextmanager
def loopback_cluster(head_cpus: int, workers: list[WorkerNode], timeout: float = 180) -> Iterator[LoopbackCluster]:
    """Start a head with `head_cpus` and the given worker nodes; yield once every node has joined; stop all."""
    token = secrets.token_hex(24)
    scratch = Path(tempfile.mkdtemp(prefix="sbray", dir="/tmp"))  # short: Ray's socket paths must fit
    token_file = scratch / "token"
    token_file.write_text(token)
    port = _free_port()
    env = clean_environment() | {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": token}
    address = f"{HEAD_IP}:{port}"
    flags = ["--block", "--disable-usage-stats", "--include-dashboard=false"]
    head = [str(Path(sys.executable).with_name("ray")), "start", "--head", f"--node-ip-address={HEAD_IP}"]
    head += [f"--port={port}", f"--num-cpus={head_cpus}", f"--temp-dir={scratch}", *flags]
    processes = [_start(head, env, scratch / "head.log")]
    try:
        _wait_for_port(port, time.monotonic() + timeout)
        for k, node in enumerate(workers):
            command = [str(node.ray_executable), "start", f"--address={address}", f"--node-ip-address=127.0.0.{3 + k}"]
            command += [f"--num-cpus={node.cpus}", f"--resources={json.dumps(node.resources)}", *flags[:2]]
            path = f"{node.ray_executable.parent}:{env.get('PATH', '')}"
            processes.append(_start(command, env | {"PATH": path}, scratch / f"node{k}.log"))
        expected = head_cpus + sum(node.cpus for node in workers)
        _wait_for_cpus(address, token, expected, time.monotonic() + timeout)
        yield LoopbackCluster(address, token, token_file, port, processes)
    finally:
        _stop(processes, port)
        shutil.rmtree(scratch, ignore_errors=True)


def leftovers(port: int) -> list[str]:
    """Command lines of processes that still belong to the cluster whose head listens on `port`."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if f"{HEAD_IP}:{port}" in cmdline or f"gcs_server_port={port}" in cmdline:
            found.append(cmdline[:160])
    return found


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HEAD_IP, 0))
        return int(sock.getsockname()[1])


def _start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as sink:
        return subprocess.Popen(command, env=env, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True)


def _wait_for_port(port: int, deadline: float) -> None:
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection((HEAD_IP, port), timeout=1):
            return
        time.sleep(0.5)
    raise TimeoutError(f"the Ray head did not listen on {HEAD_IP}:{port}")


def _wait_for_cpus(address: str, token: str, cpus: int, deadline: float) -> None:
    """Poll from a separate interpreter (this one stays unconnected) until the cluster has `cpus` CPUs."""
    probe = (
        "import ray, sys; ray.init(address=sys.argv[1], log_to_driver=False); "
        "sys.exit(0 if ray.cluster_resources().get('CPU', 0) >= int(sys.argv[2]) else 1)"
    )
    env = clean_environment() | {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": token}
    while time.monotonic() < deadline:
        done = subprocess.run([sys.executable, "-c", probe, address, str(cpus)], env=env, capture_output=True)
        if done.returncode == 0:
            return
        time.sleep(1)
    raise TimeoutError("the worker nodes did not join the cluster")


def _stop(processes: list[subprocess.Popen[bytes]], port: int) -> None:
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
