"""RCPSP baselines: priority rules feeding a serial schedule-generation scheme (SGS).

The SGS honours precedences, releases, downtime and disjunctive pairs; deadlines and the horizon are not
searched for, so a rule can produce an infeasible schedule (the verifier reports it, as for any model).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import networkx as nx
import numpy as np

from schedbench.problems.rcpsp import RcpspData
from schedbench.verifiers.exact.rcpsp_cpsat import downtime_profile

Priority = Callable[[RcpspData], dict[str, float]]


def serial_sgs(data: RcpspData, priority: dict[str, float], horizon: int | None = None) -> dict[str, int]:
    """Schedule tasks one by one, the eligible task with the smallest priority value first, each at its
    earliest precedence- and resource-feasible start."""
    durations = {t.id: t.duration for t in data.tasks}
    limit = horizon or (sum(durations.values()) + max([data.horizon, *(d.end for d in data.downtimes)]) + 1)
    res_index = {r.id: k for k, r in enumerate(data.resources)}
    capacity = np.zeros((len(data.resources), limit + 1), dtype=np.int64)
    for r in data.resources:
        capacity[res_index[r.id], :] = r.capacity
        for a, b, level in downtime_profile(data, r.id, r.capacity):
            capacity[res_index[r.id], a:min(b, limit + 1)] = level
    graph = nx.DiGraph()
    graph.add_nodes_from(durations)
    graph.add_edges_from(data.precedences)
    partners: dict[str, list[str]] = {t: [] for t in durations}
    for a, b in data.disjunctive:
        partners[a].append(b)
        partners[b].append(a)
    remaining_preds = {t: graph.in_degree(t) for t in graph}
    eligible = [t for t, k in remaining_preds.items() if k == 0]
    starts: dict[str, int] = {}
    tasks = {t.id: t for t in data.tasks}
    while eligible:
        eligible.sort(key=lambda t: (priority[t], t))
        task_id = eligible.pop(0)
        task = tasks[task_id]
        window = data.windows.get(task_id)
        earliest = max([window.release if window else 0,
                        *(starts[p] + durations[p] for p in graph.predecessors(task_id))])
        start = _first_fit(task, earliest, capacity, res_index, starts, durations, partners[task_id], limit)
        starts[task_id] = start
        for rid, q in task.demands.items():
            capacity[res_index[rid], start:start + task.duration] -= q
        for succ in graph.successors(task_id):
            remaining_preds[succ] -= 1
            if remaining_preds[succ] == 0:
                eligible.append(succ)
    return starts


def _first_fit(task, earliest: int, capacity: np.ndarray, res_index: dict[str, int], starts: dict[str, int],
               durations: dict[str, int], partners: Sequence[str], limit: int) -> int:
    demands = [(res_index[r], q) for r, q in task.demands.items() if q > 0]
    busy = sorted((starts[p], starts[p] + durations[p]) for p in partners if p in starts and durations[p] > 0)
    t = earliest
    while t + task.duration <= limit:
        end = t + task.duration
        clash = next((b for a, b in busy if task.duration > 0 and a < end and t < b), None)
        if clash is not None:
            t = clash
            continue
        short = [k for k, q in demands if (capacity[k, t:end] < q).any()]
        if not short:
            return t
        t += 1
    return t


def latest_finish_times(data: RcpspData) -> dict[str, float]:
    """Backward pass over precedences from the horizon (and deadlines): the LFT of each task."""
    graph = nx.DiGraph(list(data.precedences))
    graph.add_nodes_from(t.id for t in data.tasks)
    durations = {t.id: t.duration for t in data.tasks}
    lft: dict[str, float] = {}
    for task_id in reversed(list(nx.topological_sort(graph))):
        window = data.windows.get(task_id)
        own = window.deadline if window and window.deadline is not None else data.horizon
        succ = [lft[s] - durations[s] for s in graph.successors(task_id)]
        lft[task_id] = min([own, *succ])
    return lft


def lft_priority(data: RcpspData) -> dict[str, float]:
    """Latest finish time first."""
    return latest_finish_times(data)


def mts_priority(data: RcpspData) -> dict[str, float]:
    """Most total successors first."""
    graph = nx.DiGraph(list(data.precedences))
    graph.add_nodes_from(t.id for t in data.tasks)
    return {t: -float(len(nx.descendants(graph, t))) for t in graph}


def spt_priority(data: RcpspData) -> dict[str, float]:
    """Shortest processing time first."""
    return {t.id: float(t.duration) for t in data.tasks}


def random_priority(data: RcpspData, seed: int = 0) -> dict[str, float]:
    """A random order (seeded)."""
    rng = np.random.default_rng(seed)
    return {t.id: float(x) for t, x in zip(data.tasks, rng.random(len(data.tasks)), strict=True)}


def _rule(priority: Priority) -> Callable[[RcpspData], dict[str, object]]:
    def baseline(data: RcpspData) -> dict[str, object]:
        return {"starts": serial_sgs(data, priority(data))}

    baseline.__doc__ = f"Serial SGS with priority: {priority.__doc__}"
    return baseline


BASELINES = {
    "lft": _rule(lft_priority),
    "mts": _rule(mts_priority),
    "spt": _rule(spt_priority),
    "random": _rule(random_priority),
}
