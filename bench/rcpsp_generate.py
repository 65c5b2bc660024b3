"""Suite generation: 1,000 RCPSP instances (levels 1–40 × 25, combined stage, 15 tasks), generated and solved.

Runs what `schedbench generate rcpsp --levels 1-40 --per-level 25 --stage combined --workers 2` runs (draw the
instances, solve every reference with CP-SAT in `--workers` processes, check each against its construction,
write instances.jsonl, manifest.json and the parquet copy). Figures: wall time of drawing alone and of the
whole command, reference statuses, and the median / max reference solve time.

    .venv/bin/python bench/rcpsp_generate.py [--per-level 25] [--workers 2] [--infeasible-share 0]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from schedbench.generators.rcpsp import RcpspGeneratorConfig, generate
from schedbench.problems import get_family
from schedbench.references import generate_suite
from schedbench.suites import load_instances


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--per-level", type=int, default=25)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--infeasible-share", type=float, default=0.0)
    parser.add_argument("--time-limit", type=float, default=10.0)
    args = parser.parse_args()
    config = RcpspGeneratorConfig(
        levels="1-40",
        per_level=args.per_level,
        stage="combined",
        tasks=15,
        workers=args.workers,
        infeasible_share=args.infeasible_share,
        time_limit=args.time_limit,
        seed=2026,
    )
    began = time.perf_counter()
    drafts = generate(config)
    drawing = time.perf_counter() - began
    with tempfile.TemporaryDirectory() as folder:
        began = time.perf_counter()
        generate_suite(get_family("rcpsp"), config, Path(folder), show_progress=False)
        total = time.perf_counter() - began
        instances = load_instances(folder)
    times = [inst.reference.time_s for inst in instances]
    statuses = Counter(inst.reference.status for inst in instances)
    print(
        f"{len(drafts)} instances ({config.tasks} tasks, levels {config.levels}, {config.stage}), "
        f"{args.workers} workers: drawing {drawing:.1f} s, whole command {total:.1f} s"
    )
    print(f"references: {dict(statuses)}; CP-SAT time median {statistics.median(times):.3f} s, max {max(times):.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
