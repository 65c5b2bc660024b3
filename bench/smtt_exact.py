"""Exact SMTT references: generated Potts–Van Wassenhove sets, the published sets with optima, OR-Library wt40.

Sections (pick with --only):
- `generated`: for each n in --sizes, 20 classes (TF 0.2–0.8 × RDD 0.2–1.0) × --per-class instances drawn
  by the schedbench generator (deterministic seeds), each solved by `smtt_exact.solve` (heuristic upper
  bound + compiled decomposition core). Figures per n: share proven optimal, median / 90th percentile / max
  seconds of the whole solve() call (wall clock, then CPU time of this process: the latter barely moves with
  the machine's load), for all instances, the hard classes (TF 0.4/0.6 with RDD 0.2) and
  every class. --seed changes every instance. --classes (e.g. `0.6:0.2,0.4:0.2`) and --ks (e.g. `0,3`) pick
  classes and instance numbers, to measure the hard classes on their own.
- `weighted`: the same grid with weights (1‖ΣwjTj) at --weighted-sizes (default 50,100): proven share, times,
  and a check that every reference is at most the cheapest baseline rule and at most the best rule improved
  by the local search (OR-Library ships published optima only up to n = 40 here: `wt40`).
- `shared`: the 800 n=20 and 200 n=100 instances with published optima: mismatches and times.
- `wt40`: the 125 OR-Library n=40 weighted instances (dynamic program, CP-SAT fallback): how many proven
  optimal and equal to wtopt40.txt, median / max seconds.
Instances run one after another on one core. The core is compiled ahead of time (no JIT warm-up to exclude).
Exit code 1 on any value that contradicts a published optimum, or a weighted reference above a rule.

    .venv/bin/python bench/smtt_exact.py [--sizes 100,200,500,1000] [--per-class 5] [--time-limit 60]
                                         [--only generated,shared,wt40,weighted] [--seed 2026]
                                         [--classes 0.6:0.2,0.4:0.2] [--ks 0,1,2] [--weighted-sizes 50,100]
The limit is work-based (`smtt_exact.WORK_PER_SECOND` units per second of --time-limit): the proven share
does not depend on load, the seconds do.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from schedbench.generators.smtt import draw
from schedbench.heuristics.smtt import RULES
from schedbench.importers.orlib import read_file as read_orlib
from schedbench.importers.smtt_jsonl import read_file as read_jsonl
from schedbench.problems.smtt import SmttData, from_arrays, total_tardiness
from schedbench.solvers import smtt_exact, smtt_weighted
from schedbench.verifiers.smtt import verify

DATA = Path(__file__).resolve().parents[1] / "schedbench" / "datasets"
HARD = ((0.4, 0.2), (0.6, 0.2))
"""The classes that stayed open longest (clustered due dates, medium tardiness), reported on their own."""
TF = (0.2, 0.4, 0.6, 0.8)
RDD = (0.2, 0.4, 0.6, 0.8, 1.0)


def solve_checked(data: SmttData, time_limit: float) -> tuple[str, int, float, dict]:
    """(status, objective, seconds, reference fields); the witness must pass the verifier with the objective."""
    began, cpu_began = time.perf_counter(), time.process_time()
    reference = smtt_exact.solve(data, time_limit=time_limit)
    seconds, cpu = time.perf_counter() - began, time.process_time() - cpu_began
    result = verify(data, reference.witness, reference)
    if not result.feasible or result.objective != reference.objective:
        raise AssertionError("the witness does not reproduce the reported objective")
    extra = {
        "bound": reference.bound,
        "incumbent": reference.incumbent,
        "work": getattr(reference, "work", None),
        "cpu_seconds": round(cpu, 4),
    }
    return reference.status, int(reference.objective), seconds, extra


def rule_costs(data: SmttData) -> dict[str, int]:
    """The cheapest baseline rule's objective and the best weighted rule improved by the local search."""
    p, d, w = data.arrays()
    cheapest = min(total_tardiness(p, d, w, rule(p, d, w)) for rule in RULES.values())
    improved, _, _ = smtt_weighted.best_hint(p, d, w)
    return {"best_rule": int(cheapest), "best_rule_ls": int(improved)}


def summary(times: list[float]) -> str:
    ordered = sorted(times)
    p90 = ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]
    return f"median {statistics.median(ordered):.3f} s, p90 {p90:.3f} s, max {ordered[-1]:.3f} s"


def class_line(label: str, rows: list[dict]) -> str:
    proven = sum(r["status"] == "optimal" for r in rows)
    works = [r["work"] for r in rows if r.get("work") is not None]
    work = f", median work {statistics.median(works):.3g}, max {max(works):.3g}" if works else ""
    cpu = f"; CPU {summary([r['cpu_seconds'] for r in rows])}"
    return f"{label}: {proven}/{len(rows)} proven, {summary([r['seconds'] for r in rows])}{cpu}{work}"


def parse_classes(text: str | None) -> list[tuple[float, float]]:
    """`TF:RDD,...` (None: all 20 classes)."""
    if not text:
        return list(itertools.product(TF, RDD))
    return [(float(tf), float(rdd)) for tf, rdd in (item.split(":") for item in text.split(","))]


def generated(
    sizes: list[int],
    ks: list[int],
    time_limit: float,
    log: Path,
    seed: int,
    weighted: bool,
    classes: list[tuple[float, float]],
) -> int:
    """Solve the generated grid; with weights, also count references above a rule (+ local search)."""
    weaker = 0
    for n in sizes:
        rows = []
        for (tf, rdd), k in itertools.product(classes, ks):
            rng = np.random.default_rng([seed, n, round(tf * 10), round(rdd * 10), k])
            p, d, w = draw(n, tf, rdd, rng, weighted=weighted)
            data = from_arrays(p, d, w)
            status, objective, seconds, extra = solve_checked(data, time_limit)
            if weighted:
                extra |= rule_costs(data)
                weaker += objective > min(extra["best_rule"], extra["best_rule_ls"])
            rows.append(
                {
                    "n": n,
                    "weighted": weighted,
                    "seed": seed,
                    "tf": tf,
                    "rdd": rdd,
                    "k": k,
                    "status": status,
                    "objective": objective,
                    "seconds": round(seconds, 4),
                    **extra,
                }
            )
            with open(log, "a", encoding="utf-8") as fh:
                fh.write(json.dumps(rows[-1]) + "\n")
        by_class: dict[tuple[float, float], list[dict]] = {}
        for r in rows:
            by_class.setdefault((r["tf"], r["rdd"]), []).append(r)
        kind = "weighted " if weighted else ""
        print(f"{kind}n={n}, seed {seed}: " + class_line("all", rows), flush=True)
        if weighted:
            at_most = sum(r["objective"] <= min(r["best_rule"], r["best_rule_ls"]) for r in rows)
            gaps = [
                100 * (r["best_rule_ls"] - r["objective"]) / r["best_rule_ls"] for r in rows if r["best_rule_ls"] > 0
            ]
            gain = f", mean {statistics.mean(gaps):.2f}% below it" if gaps else ""
            print(f"  reference <= best rule and <= best rule + local search: {at_most}/{len(rows)}{gain}", flush=True)
        hard = [r for c in HARD for r in by_class.get(c, [])]
        if not weighted:
            print("  hard classes (TF 0.4/0.6, RDD 0.2): " + class_line("", hard).lstrip(": "), flush=True)
        for c in sorted(by_class):
            print(f"  TF {c[0]} RDD {c[1]}: " + class_line("", by_class[c]).lstrip(": "), flush=True)
    return weaker


def published(time_limit: float) -> int:
    failures = 0
    for name in ("smtt_n20_discoverheuristics.jsonl", "smtt_n100_discoverheuristics.jsonl"):
        instances = read_jsonl(DATA / "smtt" / name)
        times, proven, mismatched = [], 0, 0
        for inst in instances:
            status, objective, seconds, _ = solve_checked(SmttData.model_validate(inst.data), time_limit)
            times.append(seconds)
            proven += status == "optimal"
            mismatched += status == "optimal" and objective != inst.published_optimum
        failures += mismatched
        print(
            f"{name}: {proven}/{len(instances)} proven, {mismatched} differ from the published optimum, "
            f"{summary(times)}, total {sum(times):.2f} s",
            flush=True,
        )
    return failures


def wt40(time_limit: float) -> int:
    instances = read_orlib(DATA / "orlib" / "wt40.txt")
    times, proven, mismatched, open_ids = [], 0, 0, []
    for inst in instances:
        status, objective, seconds, _ = solve_checked(SmttData.model_validate(inst.data), time_limit)
        times.append(seconds)
        if status == "optimal":
            proven += objective == inst.published_optimum
            mismatched += objective != inst.published_optimum
        else:
            open_ids.append(f"{inst.id} (best {objective}, published {inst.published_optimum})")
    print(
        f"wt40: {proven}/{len(instances)} proven optimal and equal to wtopt40, {mismatched} mismatches, "
        f"{summary(times)}, total {sum(times):.1f} s; not proven in {time_limit:g} s: {open_ids or 'none'}",
        flush=True,
    )
    return mismatched


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100,200,500,1000", help="job counts of the generated sets")
    parser.add_argument("--per-class", type=int, default=5, help="instances per TF × RDD class")
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds per instance")
    parser.add_argument("--only", default="generated,shared,wt40", help="sections to run (and: weighted)")
    parser.add_argument("--seed", type=int, default=2026, help="first entry of every generated instance's seed")
    parser.add_argument("--weighted-sizes", default="50,100", help="job counts of the generated weighted sets")
    parser.add_argument("--classes", default=None, help="TF:RDD pairs, e.g. 0.6:0.2,0.4:0.2 (default: all 20)")
    parser.add_argument("--ks", default=None, help="instance numbers within a class, e.g. 0,3 (default: --per-class)")
    parser.add_argument("--log", type=Path, default=Path(__file__).parent / "out" / "smtt_exact.jsonl")
    args = parser.parse_args()
    args.log.parent.mkdir(parents=True, exist_ok=True)
    sections = set(args.only.split(","))
    print(f"load average at start: {os.getloadavg()[0]:.2f} (2 cores)", flush=True)
    failures = 0
    classes = parse_classes(args.classes)
    ks = [int(k) for k in args.ks.split(",")] if args.ks else list(range(args.per_class))
    if sections & {"shared", "published"}:
        failures += published(args.time_limit)
    if "wt40" in sections:
        failures += wt40(args.time_limit)
    if "generated" in sections:
        sizes = [int(x) for x in args.sizes.split(",")]
        failures += generated(sizes, ks, args.time_limit, args.log, args.seed, False, classes)
    if "weighted" in sections:
        sizes = [int(x) for x in args.weighted_sizes.split(",")]
        failures += generated(sizes, ks, args.time_limit, args.log, args.seed, True, classes)
    print(f"load average at end: {os.getloadavg()[0]:.2f}", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
