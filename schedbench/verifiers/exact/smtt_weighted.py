"""CP-SAT model of 1‖ΣwjTj with dominance precedences, heuristic hints and a sound bound.

One interval per job on a no-overlap machine, tardiness T_j ≥ C_j − d_j, minimise Σ w_j T_j. Two strengthenings:
- Dominance (Rinnooy Kan, Lageweg & Lenstra 1975): if p_i ≤ p_j, w_i ≥ w_j and d_i ≤ d_j, some optimal
  sequence runs i before j. All such pairs agree with the lexicographic order (p, −w, d, index), so imposing
  them together stays acyclic; identical jobs are ordered by index.
- The best of ATC, WSPT, EDD and the augmented MDDC rule is a solution hint and the starting upper bound.
The reported bound is CP-SAT's proven objective bound (never above the optimum).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from schedbench.heuristics.smtt import atc_order, aug_mddc_order, edd_order, wspt_order
from schedbench.problems._envelope import Reference
from schedbench.problems.smtt import SmttData, total_tardiness
from schedbench.verifiers.exact import _cpsat


def dominance_pairs(p: np.ndarray, d: np.ndarray, w: np.ndarray) -> list[tuple[int, int]]:
    """(i, j) pairs where job i may be assumed to precede job j (transitive reduction not applied)."""
    n = len(p)
    pairs = []
    for i in range(n):
        for j in range(n):
            if i == j or not (p[i] <= p[j] and w[i] >= w[j] and d[i] <= d[j]):
                continue
            if p[i] == p[j] and w[i] == w[j] and d[i] == d[j] and i > j:
                continue
            pairs.append((i, j))
    return pairs


def best_hint(p: np.ndarray, d: np.ndarray, w: np.ndarray) -> tuple[int, np.ndarray]:
    """The cheapest sequence among the weighted rules."""
    candidates = [rule(p, d, w) for rule in (atc_order, wspt_order, edd_order)]
    if len(p) <= 200:
        candidates.append(aug_mddc_order(p, d, w))
    costs = [total_tardiness(p, d, w, order) for order in candidates]
    best = int(np.argmin(costs))
    return costs[best], candidates[best]


def solve(data: SmttData, time_limit: float = 10.0, workers: int = 1,
          hint: dict[str, Any] | None = None) -> Reference:
    """Exact reference for a weighted instance (works for unweighted ones too)."""
    from ortools.sat.python import cp_model

    began = time.perf_counter()
    p, d, w = data.arrays()
    upper, order = best_hint(p, d, w)
    horizon = int(p.sum())
    model = cp_model.CpModel()
    starts = [model.new_int_var(0, max(0, horizon - int(p[j])), f"s{j}") for j in range(len(p))]
    intervals = [model.new_fixed_size_interval_var(starts[j], int(p[j]), f"i{j}") for j in range(len(p))]
    model.add_no_overlap(intervals)
    tardiness = []
    for j in range(len(p)):
        late = model.new_int_var(0, max(0, horizon - int(d[j])), f"t{j}")
        model.add(late >= starts[j] + int(p[j]) - int(d[j]))
        tardiness.append(late)
    for i, j in dominance_pairs(p, d, w):
        model.add(starts[j] >= starts[i] + int(p[i]))
    objective = sum(int(w[j]) * tardiness[j] for j in range(len(p)))
    model.add(objective <= upper)
    model.minimize(objective)
    completion = np.cumsum(p[order])
    for position, j in enumerate(order):
        model.add_hint(starts[j], int(completion[position] - p[j]))
    solver, status, _ = _cpsat.run(model, max(0.01, time_limit - (time.perf_counter() - began)), workers)
    ids = [job.id for job in data.jobs]
    edd = total_tardiness(p, d, w, edd_order(p, d))
    name = _cpsat.status_name(status)
    total = round(time.perf_counter() - began, 4)
    if name in ("optimal", "feasible"):
        sequence = sorted(range(len(p)), key=lambda j: solver.value(starts[j]))
        value = total_tardiness(p, d, w, np.asarray(sequence))
        bound = value if name == "optimal" else max(0, int(np.ceil(solver.best_objective_bound - 1e-6)))
        return Reference(status=name, objective=value, bound=min(bound, value), solver=_cpsat.solver_name(),
                         time_s=total, witness={"sequence": [ids[j] for j in sequence]}, edd_objective=edd)
    # no solution found in time (or proven none better than the hint): the hint stands
    proven = name == "infeasible"  # nothing better than the hint exists: the hint is optimal
    return Reference(status="optimal" if proven else "feasible", objective=upper, bound=upper if proven else 0,
                     solver=_cpsat.solver_name(), time_s=total,
                     witness={"sequence": [ids[j] for j in order]}, edd_objective=edd)
