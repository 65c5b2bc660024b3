"""Exact references for SMTT: the compiled decomposition algorithm (1‖ΣTj); 1‖ΣwjTj in `smtt_weighted`.

Unweighted: the cheapest of the compiled MDD, EDD and SPT rules (MDDC and PSK too up to 200 jobs) and the
hint, if any, is the starting upper bound; the compiled core (`_smtt_core.c`: Lawler's decomposition on the
longest job, memoised subproblems, interchange rules on its positions, lower bounds against budgets) proves
the optimum. At the time limit the reference is `feasible` with the best known sequence and a proven lower
bound.

Every reference also carries `edd_objective` (the EDD rule's cost) so that metrics can report the normalised
gap (obj − opt)/(EDD − opt) of DESIGN.md §5.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from schedbench.heuristics.smtt import edd_order, mddc_order, psk_order, spt_order
from schedbench.problems._envelope import Reference
from schedbench.problems.smtt import SmttData, total_tardiness
from schedbench.solvers.smtt_core import core

SOLVER = "smtt-decomposition 1"


def lower_bound(p: np.ndarray, d: np.ndarray) -> int:
    """Σ_k max(0, C_k^SPT − d_(k)): the k-th completion time is at least SPT's, matched to sorted due dates.

    (Valid for any sequence: completions are at least the SPT ones, and matching sorted with sorted minimises
    a sum of convex functions of the differences.)
    """
    completion = np.cumsum(np.sort(p))
    return int(np.maximum(completion - np.sort(d), 0).sum())


SMALL = 200
"""Up to this many jobs the (numpy) MDDC and PSK rules join the compiled MDD for the upper bound."""


def best_heuristic(
    p: np.ndarray, d: np.ndarray, w: np.ndarray, hint: list[int] | None = None
) -> tuple[int, np.ndarray]:
    """The cheapest sequence among the compiled MDD, EDD, SPT (and MDDC, PSK on small instances), and a hint."""
    rules = (edd_order, spt_order, mddc_order, psk_order) if len(p) <= SMALL else (edd_order, spt_order)
    candidates = [rule(p, d, w) for rule in rules]
    candidates.append(np.asarray(core().mdd(p.tolist(), d.tolist()), dtype=np.int64))
    if hint is not None:
        candidates.append(np.asarray(hint, dtype=np.int64))
    costs = [total_tardiness(p, d, w, order) for order in candidates]
    best = int(np.argmin(costs))
    return costs[best], candidates[best]


def hint_order(data: SmttData, hint: dict[str, Any] | None) -> list[int] | None:
    """The hint's sequence as job indices, if it is a permutation of the job ids."""
    sequence = (hint or {}).get("sequence")
    index = data.job_index()
    if not isinstance(sequence, list) or sorted(map(str, sequence)) != sorted(index):
        return None
    return [index[str(job)] for job in sequence]


def solve(data: SmttData, time_limit: float = 10.0, workers: int = 1, hint: dict[str, Any] | None = None) -> Reference:
    """Exact reference: a proven optimum, or at the time limit the best sequence and a proven lower bound."""
    if data.weighted:
        from schedbench.solvers import smtt_weighted

        return smtt_weighted.solve(data, time_limit=time_limit, workers=workers, hint=hint)
    began = time.perf_counter()
    p, d, w = data.arrays()
    upper, upper_order = best_heuristic(p, d, w, hint_order(data, hint))
    remaining = max(0.01, time_limit - (time.perf_counter() - began))
    try:
        proven, objective, sequence, states = core().solve(p.tolist(), d.tolist(), remaining, upper)
    except ValueError:  # beyond the core's size or key range: the heuristic and the bound stand
        proven, objective, sequence, states = False, -1, None, 0
    edd = total_tardiness(p, d, w, edd_order(p, d))
    seconds = round(time.perf_counter() - began, 4)
    ids = [job.id for job in data.jobs]
    if proven:
        return Reference(
            status="optimal",
            objective=objective,
            bound=objective,
            solver=SOLVER,
            time_s=seconds,
            witness={"sequence": [ids[i] for i in sequence]},
            edd_objective=edd,
            states=states,
        )
    bound = lower_bound(p, d)
    status = "optimal" if bound >= upper else "feasible"
    return Reference(
        status=status,
        objective=upper,
        bound=max(bound, 0),
        solver=SOLVER,
        time_s=seconds,
        witness={"sequence": [ids[i] for i in upper_order]},
        edd_objective=edd,
        states=states,
    )
