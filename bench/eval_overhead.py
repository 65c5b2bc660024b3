"""Harness overhead: `schedbench evaluate` as a whole process (start-up, prompts, requests through the
official OpenAI SDK, extraction, verification, SQLite storage) against the local server.

Workload (issue 5): 2,000 requests, 100 ms server latency, concurrency 64. The ideal is
requests × latency / concurrency = 3.125 s; the target is within 1.4× of it.

    .venv/bin/python bench/eval_overhead.py [--instances 2000] [--samples 1] [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

from eval_common import PYTHON, answers_file, benchmark_suite, load_average, local_server, timed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--instances", type=int, default=2000)
    parser.add_argument("--samples", type=int, default=1)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    suite = benchmark_suite(args.instances)
    answers = answers_file(suite)
    requests = args.instances * args.samples
    ideal = requests * args.latency / args.concurrency
    times, cpu = [], []
    with local_server(answers, args.latency) as url, tempfile.TemporaryDirectory() as tmp:
        for attempt in range(args.repeat):
            db = Path(tmp) / f"run{attempt}.db"
            command = [PYTHON, "-m", "schedbench", "evaluate", "--model", "openai-compatible/bench", "--suite",
                       str(suite), "--base-url", url, "--concurrency", str(args.concurrency), "--samples",
                       str(args.samples), "--results", str(db), "--quiet", "--no-cache"]
            wall, seconds = timed(command)
            times.append(wall)
            cpu.append(seconds)
            _check(db, requests)
    best, median = min(times), statistics.median(times)
    print(f"load average before/after: {load_average()}")
    print(f"requests {requests}, latency {args.latency * 1000:.0f} ms, concurrency {args.concurrency}: "
          f"ideal {ideal:.2f} s")
    print(f"whole process: best {best:.2f} s, median {median:.2f} s  (runs: {', '.join(f'{t:.2f}' for t in times)})")
    print(f"ratio to ideal: best {best / ideal:.2f}x, median {median / ideal:.2f}x (target 1.40x)")
    print(f"overhead per item: best {(best - ideal) / requests * 1000:.2f} ms, "
          f"median {(median - ideal) / requests * 1000:.2f} ms")
    print(f"CPU of the evaluate process (user+sys): median {statistics.median(cpu):.2f} s, "
          f"{statistics.median(cpu) / requests * 1000:.2f} ms per item, start-up included")


def _check(db: Path, requests: int) -> None:
    """Every item stored, verified, and feasible (the server answers with the reference witness)."""
    import sqlite3

    with sqlite3.connect(db) as conn:
        stored, feasible = conn.execute("SELECT COUNT(*), SUM(feasible) FROM items").fetchone()
    if stored != requests or feasible != requests:
        raise RuntimeError(f"expected {requests} feasible items, found {stored} stored, {feasible} feasible")


if __name__ == "__main__":
    main()
