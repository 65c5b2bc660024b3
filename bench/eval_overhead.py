"""Harness overhead: `schedbench evaluate` as a whole process (start-up, prompts, requests through the
official OpenAI SDK, extraction, verification, SQLite storage) against the local server.

Workload (issue 5): 2,000 requests, 100 ms server latency, concurrency 64. The ideal is
requests × latency / concurrency = 3.125 s; the target is within 1.4× of it.

For scale, the same prompts against the same server through two other clients, whole processes timed alike:
the floor — a naive asyncio loop over the official SDK that only sends the requests (bench/naive_sdk_loop.py,
`--no-naive` skips it) — and inspect_ai (bench/inspect_task.py, only with `--inspect-python` naming the
Python of an environment where inspect_ai is installed; it is not a dependency of schedbench).

    .venv/bin/python bench/eval_overhead.py [--instances 2000] [--samples 1] [--repeat 3]
        [--no-naive] [--inspect-python /path/to/venv/bin/python]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
from pathlib import Path

from eval_common import OUT, PYTHON, ROOT, answers_file, benchmark_suite, load_average, local_server, timed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--instances", type=int, default=2000)
    parser.add_argument("--samples", type=int, default=1)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-naive", action="store_true", help="skip the naive SDK loop")
    parser.add_argument("--inspect-python", default=None, help="a Python with inspect_ai installed")
    args = parser.parse_args()
    suite = benchmark_suite(args.instances)
    answers = answers_file(suite)
    requests = args.instances * args.samples
    ideal = requests * args.latency / args.concurrency
    times, cpu = [], []
    with local_server(answers, args.latency) as url, tempfile.TemporaryDirectory() as tmp:
        for attempt in range(args.repeat):
            db = Path(tmp) / f"run{attempt}.db"
            command = [
                PYTHON,
                "-m",
                "schedbench",
                "evaluate",
                "--model",
                "openai-compatible/bench",
                "--suite",
                str(suite),
                "--base-url",
                url,
                "--concurrency",
                str(args.concurrency),
                "--samples",
                str(args.samples),
                "--results",
                str(db),
                "--quiet",
                "--no-cache",
            ]
            wall, seconds = timed(command)
            times.append(wall)
            cpu.append(seconds)
            _check(db, requests)
        others = _other_clients(args, suite, url)
    best, median = min(times), statistics.median(times)
    print(f"load average before/after: {load_average()}")
    print(
        f"requests {requests}, latency {args.latency * 1000:.0f} ms, concurrency {args.concurrency}: "
        f"ideal {ideal:.2f} s"
    )
    print(f"whole process: best {best:.2f} s, median {median:.2f} s  (runs: {', '.join(f'{t:.2f}' for t in times)})")
    print(f"ratio to ideal: best {best / ideal:.2f}x, median {median / ideal:.2f}x (target 1.40x)")
    print(
        f"overhead per item: best {(best - ideal) / requests * 1000:.2f} ms, "
        f"median {(median - ideal) / requests * 1000:.2f} ms"
    )
    print(
        f"CPU of the evaluate process (user+sys): median {statistics.median(cpu):.2f} s, "
        f"{statistics.median(cpu) / requests * 1000:.2f} ms per item, start-up included"
    )
    for name, runs in others.items():
        print(
            f"{name}: best {min(runs):.2f} s = {min(runs) / ideal:.2f}x the ideal "
            f"(runs: {', '.join(f'{t:.2f}' for t in runs)}); schedbench evaluate best / this best: "
            f"{best / min(runs):.2f}"
        )


def _other_clients(args: argparse.Namespace, suite: Path, url: str) -> dict[str, list[float]]:
    """Wall times of the naive SDK loop and of inspect_ai on the same prompts (requests × 1 sample)."""
    if args.samples != 1:
        return {}
    from schedbench.prompts import render_question
    from schedbench.suites import load_instances

    prompts = OUT / f"prompts-{args.instances}.json"
    if not prompts.exists():
        prompts.write_text(json.dumps([render_question(inst) for inst in load_instances(suite)]))
    out: dict[str, list[float]] = {}
    if not args.no_naive:
        command = [PYTHON, str(ROOT / "bench" / "naive_sdk_loop.py"), url, str(prompts), str(args.concurrency)]
        out["naive official-SDK loop (requests only)"] = [timed(command)[0] for _ in range(args.repeat)]
    if args.inspect_python:
        out["inspect_ai (generate + includes scorer)"] = [_inspect(args, prompts, url) for _ in range(args.repeat)]
    return out


def _inspect(args: argparse.Namespace, prompts: Path, url: str) -> float:
    """One `inspect eval` of bench/inspect_task.py against the local server (its defaults: samples logged)."""
    import subprocess
    import time

    env = {**os.environ, "SCHEDBENCH_PROMPTS": str(prompts), "BENCH_API_KEY": "unused", "BENCH_BASE_URL": url}
    with tempfile.TemporaryDirectory() as logs:
        command = [
            args.inspect_python,
            "-m",
            "inspect_ai",
            "eval",
            "inspect_task.py",
            "--model",
            "openai-api/bench/bench",
            "--max-connections",
            str(args.concurrency),
            "--log-dir",
            logs,
            "--display",
            "none",
        ]
        started = time.perf_counter()
        subprocess.run(command, env=env, cwd=ROOT / "bench", check=True, capture_output=True)
        return time.perf_counter() - started


def _check(db: Path, requests: int) -> None:
    """Every item stored, verified, and feasible (the server answers with the reference witness)."""
    import sqlite3

    with sqlite3.connect(db) as conn:
        stored, feasible = conn.execute("SELECT COUNT(*), SUM(feasible) FROM items").fetchone()
    if stored != requests or feasible != requests:
        raise RuntimeError(f"expected {requests} feasible items, found {stored} stored, {feasible} feasible")


if __name__ == "__main__":
    main()
