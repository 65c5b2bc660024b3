"""Exact 1‖ΣwjTj: dynamic programming over job sets (n ≤ 63), CP-SAT beyond; both with dominance rules.

Up to 63 jobs the compiled core (`_smtt_core.solve_weighted`) runs a bounded dynamic program over the sets of
jobs that end the sequence, restricted by the dominance precedences below and pruned by lower bounds against
the best heuristic sequence (improved by local search). Larger instances, or a DP that hits its limits, fall
back to CP-SAT: one interval per job on a no-overlap machine, tardiness T_j ≥ C_j − d_j, minimise Σ w_j T_j.
Both use:
- Dominance (Rinnooy Kan, Lageweg & Lenstra 1975), see `dominance_pairs`.
- The best of ATC, WSPT, EDD and the augmented MDDC rule, improved by the local search of `smtt_exact`, is a
  solution hint and the starting upper bound; the DP counts work (transitions tried), not time.
An unproven reference carries the larger of CP-SAT's proven objective bound and the closed-form `lower_bound`.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from schedbench.heuristics.smtt import atc_order, aug_mddc_order, edd_order, wspt_order
from schedbench.problems._envelope import Reference
from schedbench.problems.smtt import SmttData, total_tardiness
from schedbench.solvers import _cpsat, _deadline


def dominance_pairs(p: np.ndarray, d: np.ndarray, w: np.ndarray) -> list[tuple[int, int]]:
    """(i, j) pairs such that some optimal sequence runs job i before job j, closed transitively.

    Rules of Rinnooy Kan, Lageweg & Lenstra (1975), applied until nothing changes, with B_j / A_j the jobs
    already known to precede / follow j:
    1. p_i ≤ p_j, w_i ≥ w_j and d_i ≤ max(d_j, p(B_j) + p_j) ⇒ i before j (identical jobs: by index);
    2. a job due no earlier than the total processing time of the jobs not yet placed at the end can go last
       among them, on time (`_on_time_tail`): every other unplaced job precedes it.
    """
    n = len(p)
    before = [0] * n  # bit masks of known predecessors
    after = [0] * n

    def add(i: int, j: int) -> bool:
        if (before[j] >> i) & 1 or (before[i] >> j) & 1 or i == j:
            return False
        up = before[i] | (1 << i)
        down = after[j] | (1 << j)
        for k in _bits(down):
            before[k] |= up
        for k in _bits(up):
            after[k] |= down
        return True

    for j in _on_time_tail(p, d):
        for i in range(n):
            if i != j and not (after[j] >> i) & 1:
                add(i, j)
    changed = True
    while changed:
        changed = False
        for j in range(n):
            p_before = sum(int(p[k]) for k in _bits(before[j]))
            for i in range(n):
                if i == j or not (p[i] <= p[j] and w[i] >= w[j]):
                    continue
                if p[i] == p[j] and w[i] == w[j] and d[i] == d[j] and i > j:
                    continue
                if d[i] <= max(int(d[j]), p_before + int(p[j])):
                    changed |= add(i, j)
    return [(i, j) for j in range(n) for i in _bits(before[j])]


def _on_time_tail(p: np.ndarray, d: np.ndarray) -> list[int]:
    """Jobs that can end the sequence on time, last one first: while some unplaced job has d ≥ the remaining
    total processing time, the one with the latest due date is placed last."""
    remaining = int(p.sum())
    unplaced = set(range(len(p)))
    tail = []
    while unplaced:
        j = max(unplaced, key=lambda k: (int(d[k]), k))
        if d[j] < remaining:
            break
        tail.append(j)
        unplaced.discard(j)
        remaining -= int(p[j])
    return tail


def _bits(mask: int) -> list[int]:
    out = []
    while mask:
        low = mask & -mask
        out.append(low.bit_length() - 1)
        mask ^= low
    return out


def best_hint(p: np.ndarray, d: np.ndarray, w: np.ndarray) -> tuple[int, np.ndarray, str]:
    """(cost, sequence, method): the cheapest of the weighted rules, improved by the local search."""
    from schedbench.solvers.smtt_core import local_search

    rules = {"atc": atc_order, "wspt": wspt_order, "edd": edd_order}
    if len(p) <= 200:
        rules["aug_mddc"] = aug_mddc_order
    candidates = {name: rule(p, d, w) for name, rule in rules.items()}
    costs = {name: total_tardiness(p, d, w, order) for name, order in candidates.items()}
    name = min(costs, key=lambda key: (costs[key], key))
    improved = local_search(p, d, w, candidates[name])
    cost = total_tardiness(p, d, w, improved)
    if cost < costs[name]:
        return cost, improved, f"baseline/{name}+local-search"
    return costs[name], candidates[name], f"baseline/{name}"


def lower_bound(p: np.ndarray, d: np.ndarray, w: np.ndarray) -> int:
    """A proven lower bound of Σ w_j T_j: the largest of Σ w_j max(0, p_j − d_j) (each job ends no earlier than
    its own length), w_min · Σ_k max(0, C_k^SPT − d_(k)) (the unweighted matching bound), and
    Σ w_j C_j^WSPT − Σ w_j d_j (T ≥ C − d, and WSPT minimises Σ w C)."""
    own = int((w * np.maximum(p - d, 0)).sum())
    matching = int(w.min()) * int(np.maximum(np.cumsum(np.sort(p)) - np.sort(d), 0).sum())
    order = wspt_order(p, d, w)
    flow = int((w[order] * np.cumsum(p[order])).sum() - (w * d).sum())
    return max(own, matching, flow, 0)


DP_SOLVER = "smtt-weighted-dp 2"
DP_WORK_PER_SECOND = 20_000_000
"""Work units of the DP (transitions tried) per second of time limit: the DP reads no clock, so its answer
never depends on the machine's load (CP-SAT beyond runs on deterministic time with one thread)."""
DP_MAX_JOBS = 63
DOMINANCE_MAX_JOBS = 300
"""Beyond this many jobs the (pure Python, quadratic per pass) dominance rules are skipped."""


def solve(data: SmttData, time_limit: float = 10.0, workers: int = 1, hint: dict[str, Any] | None = None) -> Reference:
    """Exact reference for a weighted instance (works for unweighted ones too)."""
    began = time.perf_counter()
    from schedbench.solvers.smtt_core import offer_sequence

    p, d, w = data.arrays()
    _deadline.stage("running the weighted dispatching rules and local search")
    upper, order, method = best_hint(p, d, w)
    offer_sequence(data, upper, order, method, DP_SOLVER, began)
    _deadline.stage("searching with the exact dynamic program / CP-SAT")
    pairs = dominance_pairs(p, d, w) if len(p) <= DOMINANCE_MAX_JOBS else []
    if len(p) <= DP_MAX_JOBS:
        from schedbench.solvers.smtt_core import core

        predecessors = [0] * len(p)
        for i, j in pairs:
            predecessors[j] |= 1 << i
        proven, value, sequence, states, work = core().solve_weighted(
            p.tolist(),
            d.tolist(),
            w.tolist(),
            predecessors,
            order.tolist(),
            max(1, int(time_limit * DP_WORK_PER_SECOND)),
        )
        ids = [job.id for job in data.jobs]
        if proven:
            return Reference(
                status="optimal",
                objective=value,
                bound=value,
                solver=DP_SOLVER,
                time_s=round(time.perf_counter() - began, 4),
                witness={"sequence": [ids[j] for j in sequence]},
                incumbent=DP_SOLVER,
                edd_objective=total_tardiness(p, d, w, edd_order(p, d)),
                states=states,
                work=work,
            )
        if value < upper:
            upper, order, method = value, np.asarray(sequence, dtype=np.int64), f"{method}+swap-insert descent"
    return solve_cpsat(
        data, max(0.01, time_limit - (time.perf_counter() - began)), workers, upper, order, pairs, method
    )


def solve_cpsat(
    data: SmttData,
    time_limit: float,
    workers: int,
    upper: int,
    order: np.ndarray,
    pairs: list[tuple[int, int]],
    method: str = "hint",
) -> Reference:
    """CP-SAT with the dominance precedences, the known sequence as hint and its cost as upper bound."""
    from ortools.sat.python import cp_model

    began = time.perf_counter()
    p, d, w = data.arrays()
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
    for i, j in pairs:
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
        if value >= upper:  # CP-SAT only met the hint again: the hint's sequence and method stand
            sequence, value, incumbent = [int(j) for j in order], upper, method
        else:
            incumbent = _cpsat.solver_name()
        proven = max(int(np.ceil(solver.best_objective_bound - 1e-6)), lower_bound(p, d, w))
        if proven >= value:
            name = "optimal"
        bound = value if name == "optimal" else proven
        return Reference(
            status=name,
            objective=value,
            bound=min(bound, value),
            solver=_cpsat.solver_name(),
            time_s=total,
            witness={"sequence": [ids[j] for j in sequence]},
            incumbent=incumbent,
            edd_objective=edd,
        )
    # no solution found in time (or proven none better than the hint): the hint stands
    proven = name == "infeasible"  # nothing better than the hint exists: the hint is optimal
    return Reference(
        status="optimal" if proven else "feasible",
        objective=upper,
        bound=upper if proven else min(upper, lower_bound(p, d, w)),
        solver=_cpsat.solver_name(),
        time_s=total,
        witness={"sequence": [ids[j] for j in order]},
        incumbent=method,
        edd_objective=edd,
    )
