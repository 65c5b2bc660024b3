"""Repair strategy overhead: `schedbench evaluate --strategy repair --rounds 3` as a whole process against the
local server, next to a bare asyncio loop over the official OpenAI SDK sending the same number of requests.

Workload (issue 11): 2,000 RCPSP items; the server (100 ms latency) answers every conversation wrong twice
(each start at 0) and right the third time (bench/repair_script.py), so each item takes three rounds: two
verifications with findings worded back to the model, then the correct schedule. Concurrency 64. The floor is
bench/naive_sdk_loop.py with three turns per prompt (same server, same latency, same concurrency, nothing
rendered, parsed, verified or stored). Target: evaluate within 1.15x of the floor. Both are timed as whole
processes, start-up included, `--repeat` times each (best and median printed).

    .venv/bin/python bench/repair_overhead.py [--instances 2000] [--rounds 3] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import tempfile
from pathlib import Path

from eval_common import OUT, PYTHON, ROOT, benchmark_suite, load_average, local_server, timed
from repair_script import WRONG_TURNS


def replies_file(folder: Path) -> Path:
    """{digest of the question: [wrong reply, right reply]} for every instance of the suite."""
    from schedbench.llm._offline import answer_text
    from schedbench.llm.stub_server import prompt_digest
    from schedbench.prompts import render_question
    from schedbench.suites import load_instances

    path = folder / "repair-replies.json"
    if not path.exists():
        replies = {}
        for inst in load_instances(folder):
            starts = inst.reference.witness["starts"]
            wrong = answer_text({"starts": dict.fromkeys(starts, 0)})
            replies[prompt_digest(render_question(inst))] = [wrong, answer_text(inst.reference.witness)]
        path.write_text(json.dumps(replies))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--instances", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=WRONG_TURNS + 1)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    suite = benchmark_suite(args.instances)
    env = {"SCHEDBENCH_REPAIR_ANSWERS": str(replies_file(suite))}
    ours, floor = [], []
    with (
        local_server(None, args.latency, "bench.repair_script:answer", env) as url,
        tempfile.TemporaryDirectory() as tmp,
    ):
        for attempt in range(args.repeat):
            db = Path(tmp) / f"run{attempt}.db"
            ours.append(timed(_evaluate(args, suite, url, db))[0])
            requests, per_item = _check(db, args.instances)
        prompts = _prompts(suite, args.instances)
        for _ in range(args.repeat):
            command = [PYTHON, str(ROOT / "bench" / "naive_sdk_loop.py"), url, str(prompts), str(args.concurrency)]
            floor.append(timed([*command, str(per_item)])[0])
    ideal = requests * args.latency / args.concurrency
    print(f"load average after: {load_average()}")
    print(
        f"{args.instances} items x {per_item} rounds = {requests} requests, latency {args.latency * 1000:.0f} ms, "
        f"concurrency {args.concurrency}: ideal {ideal:.2f} s"
    )
    print(
        f"schedbench evaluate --strategy repair: best {min(ours):.2f} s, median {statistics.median(ours):.2f} s "
        f"(runs: {', '.join(f'{t:.2f}' for t in ours)})"
    )
    print(
        f"bare official-SDK loop, {per_item} turns per prompt: best {min(floor):.2f} s, median "
        f"{statistics.median(floor):.2f} s (runs: {', '.join(f'{t:.2f}' for t in floor)})"
    )
    print(
        f"ratio evaluate / bare loop: best {min(ours) / min(floor):.3f}x, median "
        f"{statistics.median(ours) / statistics.median(floor):.3f}x (target 1.15x); "
        f"to the ideal: best {min(ours) / ideal:.2f}x"
    )


def _evaluate(args: argparse.Namespace, suite: Path, url: str, db: Path) -> list[str]:
    return [
        PYTHON, "-m", "schedbench", "evaluate", "--model", "openai-compatible/bench", "--suite", str(suite),
        "--base-url", url, "--strategy", "repair", "--rounds", str(args.rounds), "--concurrency",
        str(args.concurrency), "--results", str(db), "--quiet", "--no-cache",
    ]  # fmt: skip


def _check(db: Path, instances: int) -> tuple[int, int]:
    """Every item stored and feasible after the same number of rounds; returns (requests, rounds per item)."""
    with sqlite3.connect(db) as conn:
        stored, feasible = conn.execute("SELECT COUNT(*), SUM(feasible) FROM items").fetchone()
        per_item = {n for (n,) in conn.execute("SELECT COUNT(*) FROM rounds GROUP BY instance_id, sample")}
        requests = conn.execute("SELECT COUNT(*) FROM rounds").fetchone()[0]
    if stored != instances or feasible != instances or len(per_item) != 1:
        raise RuntimeError(
            f"expected {instances} feasible items after equal rounds: {stored} stored, "
            f"{feasible} feasible, rounds per item {sorted(per_item)}"
        )
    return requests, per_item.pop()


def _prompts(suite: Path, instances: int) -> Path:
    from schedbench.prompts import render_question
    from schedbench.suites import load_instances

    path = OUT / f"prompts-{instances}.json"
    if not path.exists():
        path.write_text(json.dumps([render_question(inst) for inst in load_instances(suite)]))
    return path


if __name__ == "__main__":
    main()
