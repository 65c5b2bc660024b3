"""SMTT baseline rules: time per instance at n=500 and mean gaps on the published sets with optima.

Time: each rule runs on 20 generated n=500 instances (one per TF × RDD class, TF 0.2–0.8, RDD 0.2–1.0), after
one untimed warm-up call; the figure is the median wall time per instance (the rule's function on numpy
arrays, as the exact solver and evolution call it). Gaps: mean 100·(obj − opt)/opt over the instances with a
non-zero optimum of the 800 n=20 and 200 n=100 published instances, next to the published figure.

    .venv/bin/python bench/smtt_heuristics.py [--n 500] [--repeat 3]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import sys
import time

import numpy as np

from schedbench import datasets
from schedbench.generators.smtt import draw
from schedbench.heuristics.smtt import RULES
from schedbench.problems.smtt import total_tardiness
from schedbench.solvers.smtt_exact import core

DATA = datasets.ROOT / "smtt"
PUBLISHED = {
    "n20": {"edd": 46.6, "eddc": 12.8, "mdd": 1.86, "mddc": 1.70, "psk": 1.77, "aug_mddc": 0.79},
    "n100": {"edd": 59.6, "eddc": 28.1, "mdd": 1.81, "mddc": 1.52, "psk": 1.79, "aug_mddc": 1.08},
}
UNWEIGHTED = ("edd", "spt", "mdd", "eddc", "mddc", "aug_mdd", "aug_mddc", "psk")


def timings(n: int, repeat: int) -> None:
    cases = [
        draw(n, tf, rdd, np.random.default_rng([7, n, round(tf * 10), round(rdd * 10)]), weighted=True)
        for tf, rdd in itertools.product((0.2, 0.4, 0.6, 0.8), (0.2, 0.4, 0.6, 0.8, 1.0))
    ]
    for name, rule in RULES.items():
        rule(*cases[0])
        per_instance = []
        for p, d, w in cases:
            best = float("inf")
            for _ in range(repeat):
                began = time.perf_counter()
                rule(p, d, w)
                best = min(best, time.perf_counter() - began)
            per_instance.append(best)
        print(
            f"n={n} {name:9s} median {1000 * statistics.median(per_instance):9.2f} ms per instance "
            f"(max {1000 * max(per_instance):.2f} ms)",
            flush=True,
        )
    compiled = []
    for p, d, _ in cases:
        began = time.perf_counter()
        core().mdd(p.tolist(), d.tolist())
        compiled.append(time.perf_counter() - began)
    print(
        f"n={n} mdd (compiled, the exact solver's upper bound) median "
        f"{1000 * statistics.median(compiled):.2f} ms per instance",
        flush=True,
    )


def gaps() -> None:
    for size, name in (("n20", "smtt_n20_discoverheuristics.jsonl"), ("n100", "smtt_n100_discoverheuristics.jsonl")):
        rows = [json.loads(line) for line in (DATA / name).read_text().splitlines() if line.strip()]
        for rule in UNWEIGHTED:
            values = []
            for row in rows:
                if row["optimum"] == 0:
                    continue
                p, d = np.array(row["p"]), np.array(row["d"])
                w = np.ones_like(p)
                cost = total_tardiness(p, d, w, RULES[rule](p, d, w))
                values.append(100 * (cost - row["optimum"]) / row["optimum"])
            published = PUBLISHED[size].get(rule)
            print(
                f"{size} {rule:9s} mean gap {np.mean(values):7.2f}% over {len(values)} instances"
                + (f" (published {published})" if published is not None else ""),
                flush=True,
            )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=500, help="jobs per timed instance")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per instance (the fastest counts)")
    args = parser.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.2f} (2 cores)", flush=True)
    timings(args.n, args.repeat)
    gaps()
    return 0


if __name__ == "__main__":
    sys.exit(main())
