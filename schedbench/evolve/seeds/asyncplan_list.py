"""Asynchronous planning: a dispatch rule feeding a list scheduler (the parallel schedule-generation scheme).

`schedule(instance)` gets read-only data for `n` steps: `duration[i]`, `attended[i]` (time units at the start
that need an agent), `station[i]` (a station index or None), `station_capacity[k]`, `agents` (None when
unlimited), `predecessors[i]` and `successors[i]` (step indices). It returns one start time per step; the
harness assigns agents to attended prefixes by interval colouring. The objective is the makespan. The list
scheduler below is fixed; evolution changes `priorities`.
"""

import heapq


def list_schedule(instance, priority):
    """At each event time, start every ready step that has an agent and a station unit free, by priority."""
    n, duration, attended, station = instance["n"], instance["duration"], instance["attended"], instance["station"]
    agents_free = instance["agents"] if instance["agents"] is not None else n
    load = [0] * len(instance["station_capacity"])
    waiting = [len(instance["predecessors"][i]) for i in range(n)]
    ready = [i for i in range(n) if waiting[i] == 0]
    events, start, now = [], [None] * n, 0
    while any(s is None for s in start):
        ready.sort(key=lambda i: (priority[i], i))
        for i in list(ready):
            needs_agent = attended[i] > 0
            if (needs_agent and agents_free == 0) or (
                station[i] is not None and load[station[i]] >= instance["station_capacity"][station[i]]
            ):
                continue
            ready.remove(i)
            start[i] = now
            agents_free -= needs_agent
            if station[i] is not None:
                load[station[i]] += 1
            if needs_agent:
                heapq.heappush(events, (now + attended[i], 0, i))
            heapq.heappush(events, (now + duration[i], 1, i))
        if not events:
            break
        now = events[0][0]
        while events and events[0][0] == now:
            _, kind, i = heapq.heappop(events)
            if kind == 0:
                agents_free += 1
                continue
            if station[i] is not None:
                load[station[i]] -= 1
            for s in instance["successors"][i]:
                waiting[s] -= 1
                if waiting[s] == 0:
                    ready.append(s)
    return start


def schedule(instance):
    """The list scheduler driven by the evolved priorities."""
    return list_schedule(instance, priorities(instance))


# EVOLVE-BLOCK-START
def priorities(instance):
    """Longest remaining path first: minus the longest duration chain from each step to the end."""
    n, duration = instance["n"], instance["duration"]
    tail = [0] * n
    pending = [len(instance["successors"][i]) for i in range(n)]
    stack = [i for i in range(n) if pending[i] == 0]
    while stack:
        i = stack.pop()
        tail[i] = duration[i] + max([tail[s] for s in instance["successors"][i]], default=0)
        for k in instance["predecessors"][i]:
            pending[k] -= 1
            if pending[k] == 0:
                stack.append(k)
    return [-t for t in tail]


# EVOLVE-BLOCK-END
