"""Exact references for SMTT: the compiled decomposition algorithm (1‖ΣTj); 1‖ΣwjTj in `smtt_weighted`.

Method (unweighted):
1. Upper bound: the cheapest of the compiled MDD, EDD and SPT rules (MDDC and PSK too up to 200 jobs) and the
   hint, if any, improved by `local_search` (adjacent interchanges, insertions, windowed pairwise
   interchanges, repeated until none improves).
2. The compiled core (`_smtt_core.c`) proves the optimum by Lawler's decomposition on the longest job with
   memoised subproblems (Branch & Memorize: a subproblem is a canonical job set and a start time):
   - positions of the longest job are cut by the Potts–Van Wassenhove / Emmons rules, and a position stops
     as soon as lower bounds of its two parts (matching bound, memo entries) reach the best value or budget;
   - branching order: every admissible position is scored first by those cheap bounds (plus the longest
     job's own tardiness there) and searched in increasing order of the score, so a good value is found early
     and cuts the remaining positions;
   - memo reuse between sibling positions: the parts of a position already searched bound those of the next
     (a left part that gains jobs costs at least as much, plus the last job's unavoidable delay; jobs a part
     loses can be put back at its end or front, so the smaller part costs at least the larger one's value
     minus that tardiness);
   - a subproblem is asked only whether it beats a budget; if not, it stores the smallest lower bound over
     its positions, which a later call with a larger budget resumes from;
   - the same job set at another start time t' bounds the subproblem at t: its optimum is nondecreasing in t
     and changes by at most one unit per possibly-late job per unit of time; every start time met is kept per
     job set (sorted), and the nearest ones bound both a call and, before any list is built, a position's parts;
   - budgets rise in passes from the proven bound to the known cost, so a stopped search still reports the
     best bound it proved.
3. Limit: work, not time. `time_limit` seconds buy `WORK_PER_SECOND` units of work (members scanned by the
   search, about one second of one core of the reference machine), so the same instance with the same limit
   gets the same reference on a quiet or a loaded machine.

At the limit the reference is `feasible`: the best sequence (rule + local search) and the best proven lower
bound; `incumbent` names the method that produced the sequence. Every reference also carries `edd_objective`
(the EDD rule's cost) for the normalised gap (obj − opt)/(EDD − opt).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from schedbench.heuristics.smtt import edd_order, mddc_order, psk_order, spt_order
from schedbench.problems._envelope import Reference
from schedbench.problems.smtt import SmttData, total_tardiness
from schedbench.solvers import _deadline
from schedbench.solvers.smtt_core import core, local_search, offer_sequence

SOLVER = "smtt-decomposition 3"

WORK_PER_SECOND = 60_000_000
"""Work units of the exact core per second of time limit: about one second of one core of the reference
machine (2-core x86-64; hard n=500 instances run about 7·10⁷ units per CPU second there)."""


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
    p: np.ndarray,
    d: np.ndarray,
    w: np.ndarray,
    hint: list[int] | None = None,
    work_limit: int | None = None,
    offer: Callable[[int, np.ndarray, str], None] | None = None,
) -> tuple[int, np.ndarray, str, int]:
    """(cost, sequence, method, rule cost): the cheapest of the compiled MDD, EDD, SPT (and MDDC, PSK on small
    instances) and the hint, improved by `local_search`; the last entry is that rule's own cost. MDD takes n²
    steps: it is left out when that passes `work_limit` (the work the time limit buys). `offer` gets the best
    rule's sequence before the local search starts."""
    rules = {"edd": edd_order, "spt": spt_order}
    if len(p) <= SMALL:
        rules |= {"mddc": mddc_order, "psk": psk_order}
    candidates = {name: rule(p, d, w) for name, rule in rules.items()}
    if work_limit is None or len(p) ** 2 <= work_limit:
        candidates["mdd"] = np.asarray(core().mdd(p.tolist(), d.tolist()), dtype=np.int64)
    if hint is not None:
        candidates["hint"] = np.asarray(hint, dtype=np.int64)
    costs = {name: total_tardiness(p, d, w, order) for name, order in candidates.items()}
    name = min(costs, key=lambda key: (costs[key], key))
    if offer is not None:
        offer(costs[name], candidates[name], f"baseline/{name}")
    improved = local_search(p, d, w, candidates[name])
    cost = total_tardiness(p, d, w, improved)
    if cost < costs[name]:
        return cost, improved, f"baseline/{name}+local-search", costs[name]
    return costs[name], candidates[name], f"baseline/{name}", costs[name]


def hint_order(data: SmttData, hint: dict[str, Any] | None) -> list[int] | None:
    """The hint's sequence as job indices, if it is a permutation of the job ids."""
    sequence = (hint or {}).get("sequence")
    index = data.job_index()
    if not isinstance(sequence, list) or sorted(map(str, sequence)) != sorted(index):
        return None
    return [index[str(job)] for job in sequence]


def solve(data: SmttData, time_limit: float = 10.0, workers: int = 1, hint: dict[str, Any] | None = None) -> Reference:
    """Exact reference: a proven optimum, or at the work limit the best sequence and the best proven bound."""
    if data.weighted:
        from schedbench.solvers import smtt_weighted

        return smtt_weighted.solve(data, time_limit=time_limit, workers=workers, hint=hint)
    began = time.perf_counter()
    p, d, w = data.arrays()
    _deadline.stage("running the dispatching rules and local search")
    work_limit = max(1, int(time_limit * WORK_PER_SECOND))

    def offer(cost: int, order: np.ndarray, method: str) -> None:
        offer_sequence(data, cost, order, method, SOLVER, began)

    upper, upper_order, method, rule_cost = best_heuristic(p, d, w, hint_order(data, hint), work_limit, offer)
    offer(upper, upper_order, method)
    _deadline.stage("searching with the exact decomposition")
    try:
        # The search's top budget is the rule's cost, not the (lower) local-search cost: with the tighter
        # budget fewer subproblems end exact and get reused (2.9e8 vs 4.4e8 work on a hard n=500 instance).
        proven, value, sequence, states, work = core().solve(p.tolist(), d.tolist(), work_limit, rule_cost)
    except ValueError:  # beyond the core's size or key range: the heuristic and the bound stand
        proven, value, sequence, states, work = False, 0, None, 0, 0
    edd = total_tardiness(p, d, w, edd_order(p, d))
    seconds = round(time.perf_counter() - began, 4)
    ids = [job.id for job in data.jobs]
    if proven:
        found_by_search = value < upper  # else the optimum is the heuristic's own sequence
        return Reference(
            status="optimal",
            objective=value,
            bound=value,
            solver=SOLVER,
            time_s=seconds,
            witness={"sequence": [ids[i] for i in (sequence if found_by_search else upper_order)]},
            incumbent=SOLVER if found_by_search else method,
            edd_objective=edd,
            states=states,
            work=work,
        )
    bound = min(upper, max(value, lower_bound(p, d), 0))
    return Reference(
        status="optimal" if bound >= upper else "feasible",
        objective=upper,
        bound=bound,
        solver=SOLVER,
        time_s=seconds,
        witness={"sequence": [ids[i] for i in upper_order]},
        incumbent=method,
        edd_objective=edd,
        states=states,
        work=work,
    )


def improve_solution(data: SmttData, solution: dict[str, Any]) -> dict[str, Any]:
    """An answer's sequence improved by `local_search` (unchanged when it is not a permutation of the jobs)."""
    order = hint_order(data, solution)
    if order is None:
        return solution
    p, d, w = data.arrays()
    ids = [job.id for job in data.jobs]
    return {"sequence": [ids[j] for j in local_search(p, d, w, np.asarray(order, dtype=np.int64))]}
