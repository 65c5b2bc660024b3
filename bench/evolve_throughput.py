"""Evolution throughput: iterations per minute with 1 and 2 workers on the SMTT training set (200 Potts–VW
instances, n = 25), sandbox on, with an instant local stand-in LLM, and the per-iteration overhead of the
harness excluding the LLM call and the candidate's own run time.

    .venv/bin/python bench/evolve_throughput.py [--iterations 100] [--workers 1,2] [--llm stub|mutator] [--spawn]

`--llm stub` (default) serves the offline mutator's edits from the local OpenAI-compatible server through
the real OpenAI adapter (HTTP included); `--llm mutator` calls the mutator in-process. Anchor (issue 6):
OpenEvolve 0.4.1 runs 100 iterations of a 200-instance n=25 SMTT evaluator in ~17 s with 2 parallel evaluations,
with candidates inside its own process (≈ 350 iterations/minute).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import re
import shutil
import sqlite3
import statistics
import tempfile
import threading
import time
from pathlib import Path

from schedbench.evolve import Evolution, get_spec, load_config
from schedbench.evolve.evaluator import build_instances
from schedbench.evolve.mutator import EditContext, Mutator
from schedbench.llm.stub_server import StubReply, StubRequest, StubServer
from schedbench.sandbox import isolation

_CODE = re.compile(r"```python\n(.*?)\n```", re.DOTALL)


def stub_script(seed: int):
    """An instant 'LLM': the mutator's edit of the program shown in the prompt."""
    spec = get_spec("smtt")
    mutator = Mutator()
    counter = itertools.count()
    lock = threading.Lock()

    def answer(request: StubRequest) -> StubReply:
        blocks = _CODE.findall(request.prompt)
        if not blocks:
            return StubReply(text="no program in the prompt")
        with lock:
            k = next(counter)
        others = tuple(f"# EVOLVE-BLOCK-START\n{b}\n# EVOLVE-BLOCK-END\n" for b in blocks[1:])
        proposal = mutator.propose(
            EditContext(
                parent=blocks[0],
                inspirations=others,
                vocabulary=spec.vocabulary,
                rule_function=spec.rule_function,
                seed=seed,
                iteration=k,
            )
        )
        return StubReply(text="No applicable edit." if proposal is None else f"{proposal[0]}\n\n{proposal[1]}\n")

    return answer


def prepare_sets(cache: Path) -> None:
    spec = get_spec("smtt")
    build_instances(spec, dict(spec.train), cache / "train", 10.0, 2)
    build_instances(spec, dict(spec.gate), cache / "gate", 10.0, 2)


def measure(
    workers: int, iterations: int, llm: str, cache: Path, seed: int, spawn: bool, isolated: bool = True
) -> dict[str, float]:
    out = Path(tempfile.mkdtemp(prefix="evolve-bench-"))
    for name in ("train", "gate"):
        shutil.copytree(cache / name, out / name)
    server = StubServer(stub_script(seed)) if llm == "stub" else None
    try:
        if server is not None:
            server.__enter__()
            os.environ.setdefault("OPENAI_API_KEY", "bench")
            models = [{"spec": "openai-compatible/stand-in", "base_url": server.openai_url}]
        else:
            models = [{"spec": "baseline/mutator"}]
        config = load_config(
            None,
            {
                "family": "smtt",
                "iterations": iterations,
                "workers": workers,
                "seed": seed,
                "models": models,
                "sandbox": {"fork_server": not spawn, "isolation": isolated, "allow_unisolated": not isolated},
            },
        )
        evolution = Evolution(out, config, show_progress=False)
        began = time.perf_counter()
        try:
            asyncio.run(evolution.run())
        finally:
            evolution.close()
        total = time.perf_counter() - began
        return {"workers": workers, "total_s": total, **timeline(out / "evolve.db")}
    finally:
        if server is not None:
            server.__exit__(None, None, None)
        shutil.rmtree(out, ignore_errors=True)


def timeline(db: Path) -> dict[str, float]:
    """Iteration rate between the first iteration's start and the last one's end, and per-iteration costs."""
    conn = sqlite3.connect(db)
    rows = conn.execute(
        "SELECT i.started, i.finished, i.llm_s, i.status, p.metrics FROM iterations i LEFT JOIN "
        "programs p ON p.id = i.program_id WHERE i.iteration > 0 AND i.state = 'done'"
    ).fetchall()
    first, last = min(r[0] for r in rows), max(r[1] for r in rows)
    evaluated = [(r[1] - r[0], r[2] or 0.0, json.loads(r[4])) for r in rows if r[3] == "ok" and r[4]]
    overhead = [wall - llm - m["candidate_s"] for wall, llm, m in evaluated]
    return {
        "iterations": len(rows),
        "span_s": last - first,
        "per_minute": 60.0 * len(rows) / (last - first),
        "statuses": dict(
            conn.execute("SELECT status, COUNT(*) FROM iterations WHERE iteration > 0 GROUP BY status").fetchall()
        ),
        "llm_ms": 1000 * statistics.fmean(llm for _, llm, _ in evaluated),
        "candidate_ms": 1000 * statistics.fmean(m["candidate_s"] for _, _, m in evaluated),
        "overhead_ms": 1000 * statistics.fmean(overhead),
        "overhead_median_ms": 1000 * statistics.median(overhead),
        "sandbox_start_ms": 1000 * statistics.fmean(m["startup_s"] for _, _, m in evaluated),
        "verify_ms": 1000 * statistics.fmean(m["verify_s"] for _, _, m in evaluated),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=100)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--llm", choices=("stub", "mutator"), default="stub")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--spawn",
        action="store_true",
        help="a zygote (sandbox) per candidate instead of one long-lived fork server",
    )
    parser.add_argument(
        "--no-isolation", action="store_true", help="without bubblewrap (rlimits and audit hook only), to compare"
    )
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "schedbench-bench-evolve-sets")
    args = parser.parse_args()
    mode = "zygote per candidate" if args.spawn else "fork server"
    iso = "off" if args.no_isolation else isolation().note
    print(f"{mode}, isolation: {iso}; load average: {os.getloadavg()[0]:.2f} (1 min)")
    prepare_sets(args.cache)
    results = [
        measure(int(w), args.iterations, args.llm, args.cache, args.seed, args.spawn, not args.no_isolation)
        for w in args.workers.split(",")
    ]
    base = results[0]["per_minute"]
    print(
        f"{'workers':>7} {'it/min':>8} {'100 it (s)':>10} {'efficiency':>10} {'overhead ms':>11} "
        f"{'(median)':>8} {'start ms':>8} {'verify ms':>9} {'cand. ms':>8} {'LLM ms':>7}  statuses"
    )
    for r in results:
        efficiency = r["per_minute"] / (base * r["workers"])
        print(
            f"{r['workers']:>7} {r['per_minute']:>8.0f} {6000 / r['per_minute']:>10.1f} {efficiency:>10.2f} "
            f"{r['overhead_ms']:>11.1f} {r['overhead_median_ms']:>8.1f} {r['sandbox_start_ms']:>8.1f} "
            f"{r['verify_ms']:>9.1f} {r['candidate_ms']:>8.1f} {r['llm_ms']:>7.1f}  {r['statuses']}"
        )
    print(json.dumps({"llm": args.llm, "mode": mode, "results": results}, default=str))
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
