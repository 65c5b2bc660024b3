"""PSPLIB j30: every instance solved by the CP-SAT reference and checked against the published optimum.

Instances are read through the PSPLIB importer and solved one at a time with `--workers` CP-SAT threads (as
`schedbench solve FILE` does for one instance). Figures: instances proven optimal, mismatches with
`j30_optimum.csv` (a proven optimum that differs, or a schedule better than the published optimum, is a
mismatch; an unproven one is reported apart), and the median / 90th percentile / max solve time (the
whole `solve()` call: warm start, model, search), plus the wall time. Exit code 1 on any mismatch.
`--plain` solves the plain model instead (interval + cumulative per resource, makespan as the max of the ends,
no bounds, no warm start), the ablation baseline for the reference model.

    .venv/bin/python bench/rcpsp_j30.py [--time-limit 60] [--workers 2] [--every 1] [--plain]
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
import time
from pathlib import Path

from schedbench import datasets
from schedbench.importers.psplib import read_file
from schedbench.problems import Reference
from schedbench.problems.rcpsp import RcpspData
from schedbench.solvers import _cpsat, rcpsp_cpsat
from schedbench.verifiers.rcpsp import verify

DATA = datasets.ROOT / "psplib"


def published_optima(folder: Path) -> dict[str, int]:
    """Instance stem → optimal makespan from j30_optimum.csv."""
    with open(folder / "j30_optimum.csv", encoding="utf-8") as fh:
        return {Path(row["instance"]).stem: int(row["optimal_makespan"]) for row in csv.DictReader(fh)}


def solve_plain(data: RcpspData, time_limit: float, workers: int) -> Reference:
    """The plain CP-SAT model of a PSPLIB project (no downtime, windows or disjunctive pairs there)."""
    from ortools.sat.python import cp_model

    model = cp_model.CpModel()
    starts = {t.id: model.new_int_var(0, data.horizon - t.duration, t.id) for t in data.tasks}
    intervals = {t.id: model.new_fixed_size_interval_var(starts[t.id], t.duration, f"i{t.id}") for t in data.tasks}
    duration = {t.id: t.duration for t in data.tasks}
    for a, b in data.precedences:
        model.add(starts[b] >= starts[a] + duration[a])
    for r in data.resources:
        users = [t for t in data.tasks if t.demands.get(r.id, 0) > 0 and t.duration > 0]
        model.add_cumulative([intervals[t.id] for t in users], [t.demands[r.id] for t in users], r.capacity)
    makespan = model.new_int_var(0, data.horizon, "makespan")
    model.add_max_equality(makespan, [starts[t.id] + t.duration for t in data.tasks])
    model.minimize(makespan)
    solver, status, seconds = _cpsat.run(model, time_limit, workers)
    found = _cpsat.status_name(status) in ("optimal", "feasible")
    witness = {"starts": {t: int(solver.value(v)) for t, v in starts.items()}} if found else None
    return _cpsat.reference(solver, status, seconds, witness)


def solve_one(path: Path, time_limit: float, workers: int, plain: bool = False) -> tuple[str, int | None, float]:
    """(status, objective, seconds) of one instance; the witness must pass the verifier."""
    data = RcpspData.model_validate(read_file(path).data)
    began = time.perf_counter()
    solve = solve_plain if plain else rcpsp_cpsat.solve
    reference = solve(data, time_limit=time_limit, workers=workers)
    seconds = time.perf_counter() - began
    if reference.witness is not None and not verify(data, reference.witness).feasible:
        raise AssertionError(f"{path.name}: the witness fails the verifier")
    return reference.status, reference.objective, seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DATA, help="folder with j30/ and j30_optimum.csv")
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds per instance")
    parser.add_argument("--workers", type=int, default=2, help="CP-SAT threads per instance")
    parser.add_argument("--every", type=int, default=1, help="take every k-th instance (1 = all 480)")
    parser.add_argument("--plain", action="store_true", help="solve the plain model (ablation)")
    args = parser.parse_args()
    if not (args.data / "j30").is_dir():
        print(f"skipped: no PSPLIB data at {args.data}")
        return 0
    optima = published_optima(args.data)
    files = sorted((args.data / "j30").glob("*.sm"))[:: args.every]
    times: list[float] = []
    mismatches, unproven = [], []
    began = time.perf_counter()
    for path in files:
        status, objective, seconds = solve_one(path, args.time_limit, args.workers, args.plain)
        times.append(seconds)
        expected = optima[path.stem]
        if (status == "optimal" and objective != expected) or (objective is not None and objective < expected):
            mismatches.append(f"{path.stem}: {status} {objective}, published {expected}")
        elif status != "optimal":
            unproven.append(f"{path.stem} ({status} {objective}, published {expected}, {seconds:.1f} s)")
        if seconds > 5:
            print(f"  slow: {path.stem} {status} {objective} in {seconds:.1f} s", flush=True)
    wall = time.perf_counter() - began
    ordered = sorted(times)
    print(
        f"j30: {len(files)} instances, {len(files) - len(unproven) - len(mismatches)} proven optimal, "
        f"{len(mismatches)} mismatches, {len(unproven)} unproven within {args.time_limit:g} s "
        f"({args.workers} CP-SAT workers, {'plain' if args.plain else 'reference'} model)"
    )
    print(
        f"solve time: median {statistics.median(times):.3f} s, p90 {ordered[int(0.9 * (len(ordered) - 1))]:.3f} s, "
        f"max {max(times):.2f} s; wall {wall:.1f} s"
    )
    for line in unproven:
        print(f"  unproven: {line}")
    for line in mismatches:
        print(f"  MISMATCH: {line}")
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
