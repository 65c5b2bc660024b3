"""RCPSP: a priority rule feeding a serial schedule-generation scheme (SGS).

`schedule(instance)` gets read-only data (`n` tasks, `m` resources): `duration[i]`, `capacity[r]`,
`demand[i][r]`, `predecessors[i]` / `successors[i]` (task indices), `release[i]`, `deadline[i]` (None when
free), `horizon`, `downtime` ((resource, start, end, capacity) stretches where a capacity drops) and
`disjunctive` ((a, b) pairs that must not overlap). It returns one start time per task. The objective is the
makespan. The SGS below is fixed; evolution changes `priorities`.
"""


def serial_sgs(instance, priority):
    """Schedule eligible tasks, smallest priority first, each at its earliest feasible start."""
    n, duration, demand = instance["n"], instance["duration"], instance["demand"]
    limit = sum(duration) + max([instance["horizon"], *(e for _, _, e, _ in instance["downtime"])]) + 1
    free = [[c] * (limit + 1) for c in instance["capacity"]]
    for r, a, b, level in instance["downtime"]:
        for t in range(a, min(b, limit + 1)):
            free[r][t] = min(free[r][t], level)
    partners = [[] for _ in range(n)]
    for a, b in instance["disjunctive"]:
        partners[a].append(b)
        partners[b].append(a)
    waiting = [len(instance["predecessors"][i]) for i in range(n)]
    eligible = [i for i in range(n) if waiting[i] == 0]
    start = [None] * n
    while eligible:
        eligible.sort(key=lambda i: (priority[i], i))
        i = eligible.pop(0)
        t = max([instance["release"][i], *(start[k] + duration[k] for k in instance["predecessors"][i])])
        while not fits(i, t, start, free, instance, partners[i]):
            t += 1
        start[i] = t
        for r, q in enumerate(demand[i]):
            for u in range(t, t + duration[i]):
                free[r][u] -= q
        for s in instance["successors"][i]:
            waiting[s] -= 1
            if waiting[s] == 0:
                eligible.append(s)
    return start


def fits(i, t, start, free, instance, partners):
    """Whether task i can start at t: capacity left all along, no overlap with a started partner."""
    d = instance["duration"][i]
    for k in partners:
        if (
            start[k] is not None
            and d > 0
            and instance["duration"][k] > 0
            and start[k] < t + d
            and t < start[k] + instance["duration"][k]
        ):
            return False
    return all(free[r][u] >= q for r, q in enumerate(instance["demand"][i]) if q for u in range(t, t + d))


def schedule(instance):
    """The serial SGS driven by the evolved priorities."""
    return serial_sgs(instance, priorities(instance))


# EVOLVE-BLOCK-START
def priorities(instance):
    """Most total successors first (MTS): minus the number of tasks reachable from each task."""
    n = instance["n"]
    reach = [set() for _ in range(n)]
    pending = [len(instance["successors"][i]) for i in range(n)]
    stack = [i for i in range(n) if pending[i] == 0]
    while stack:
        i = stack.pop()
        for s in instance["successors"][i]:
            reach[i] |= reach[s] | {s}
        for k in instance["predecessors"][i]:
            pending[k] -= 1
            if pending[k] == 0:
                stack.append(k)
    return [-len(r) for r in reach]


# EVOLVE-BLOCK-END
