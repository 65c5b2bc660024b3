"""Shared by the evaluate benchmarks: a cached benchmark suite, its answers file, and the local server."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
PYTHON = sys.executable


def benchmark_suite(instances: int) -> Path:
    """An RCPSP suite of `instances` small instances (generated once, then reused from bench/out)."""
    from schedbench.problems import get_family
    from schedbench.references import generate_suite

    folder = OUT / f"eval-suite-{instances}"
    if (folder / "instances.jsonl").exists():
        return folder
    family = get_family("rcpsp")
    levels = 20
    per_level = -(-instances // (levels * 5))
    config = family.generator_config(
        levels=f"1-{levels}", per_level=per_level, stage="all", seed=2024, time_limit=5, workers=2
    )
    generate_suite(family, config, folder, show_progress=True)
    lines = (folder / "instances.jsonl").read_text().splitlines()[:instances]
    (folder / "instances.jsonl").write_text("\n".join(lines) + "\n")
    (folder / "instances.parquet").unlink(missing_ok=True)
    return folder


def answers_file(folder: Path) -> Path:
    """{prompt digest: the reference witness as a fenced JSON reply} for every instance of the suite."""
    from schedbench.llm._offline import answer_text
    from schedbench.llm.stub_server import prompt_digest
    from schedbench.prompts import render_question
    from schedbench.suites import load_instances

    path = folder / "answers.json"
    if not path.exists():
        answers = {
            prompt_digest(render_question(inst)): answer_text(inst.reference.witness) for inst in load_instances(folder)
        }
        path.write_text(json.dumps(answers))
    return path


@contextmanager
def local_server(answers: Path | None, latency_s: float, script: str | None = None, env: dict[str, str] | None = None):
    """The stub server in its own process, replying from an answers file or with a `module:function` script
    importable from the repository root; yields its OpenAI base URL."""
    port_file = OUT / f"port-{os.getpid()}.txt"
    port_file.unlink(missing_ok=True)
    replies = ["--script", script] if script else ["--answers", str(answers)]
    process = subprocess.Popen(
        [
            PYTHON,
            "-m",
            "schedbench.llm.stub_server",
            "--latency",
            str(latency_s),
            *replies,
            "--port-file",
            str(port_file),
        ],
        stdout=subprocess.DEVNULL,
        start_new_session=True,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
    )
    try:
        deadline = time.monotonic() + 30
        while not port_file.exists() or not port_file.read_text():
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("the local server did not start")
            time.sleep(0.02)
        yield f"http://127.0.0.1:{port_file.read_text()}/v1"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(10)
        port_file.unlink(missing_ok=True)


def timed(command: list[str]) -> tuple[float, float]:
    """Wall-clock and CPU seconds (user + system) of a whole process, start-up included; raises if it fails.

    CPU seconds say how much work the harness does, whatever else loads the machine.
    """
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr[-2000:]}")
    return elapsed, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def load_average() -> str:
    """The 1/5/15-minute load averages (other work on the machine skews timings)."""
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())
