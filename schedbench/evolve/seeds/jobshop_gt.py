"""Job shop: a dispatching priority inside Giffler–Thompson's active-schedule generation.

`schedule(instance)` gets read-only data: `jobs[j]` is the list of job j's operations in order, each a list
of [machine, duration] pairs (its eligible machines), `release[j]`, `deadline[j]` (None when free),
`machines` (how many), `downtime` ([machine, start, end) stretches where a machine is down) and `horizon`.
It returns, per operation in job order, [start, machine]. The objective is the makespan. The generation
scheme below is fixed: every job offers its next operation on its earliest-completion machine; the one that
could complete first fixes a machine and a time, and among the operations offered on that machine that
could start before then, the one with the smallest priority is placed. Evolution changes `priority`.
"""


def earliest_fit(instance, machine, t, duration):
    """The first start >= t where the operation misses every downtime stretch of the machine."""
    moved = duration > 0
    while moved:
        moved = False
        for m, a, b in instance["downtime"]:
            if m == machine and a < t + duration and t < b:
                t, moved = b, True
    return t


def schedule(instance):
    """Giffler–Thompson driven by the evolved priority."""
    jobs = instance["jobs"]
    free = [0] * instance["machines"]
    ready = list(instance["release"])
    position = [0] * len(jobs)
    tails = [[sum(min(d for _, d in op) for op in job[k:]) for k in range(len(job))] for job in jobs]
    answer = [[None, None] for job in jobs for _ in job]
    first_index = [sum(len(job) for job in jobs[:j]) for j in range(len(jobs))]
    for _ in range(len(answer)):
        offered = []
        for j, job in enumerate(jobs):
            if position[j] == len(job):
                continue
            k = position[j]
            best = None
            for machine, duration in job[k]:
                start = earliest_fit(instance, machine, max(ready[j], free[machine]), duration)
                if best is None or start + duration < best["start"] + best["duration"]:
                    best = {"job": j, "position": k, "machine": machine, "start": start, "duration": duration}
            best.update(ready=ready[j], work_remaining=tails[j][k], ops_remaining=len(job) - k)
            offered.append(best)
        first = min(offered, key=lambda op: (op["start"] + op["duration"], op["job"]))
        finish = first["start"] + first["duration"]
        conflict = [op for op in offered if op["machine"] == first["machine"] and op["start"] < finish] or [first]
        pick = min(conflict, key=lambda op: (priority(op, instance), op["job"]))
        answer[first_index[pick["job"]] + pick["position"]] = [pick["start"], pick["machine"]]
        end = pick["start"] + pick["duration"]
        if pick["duration"] > 0:
            free[pick["machine"]] = end
        ready[pick["job"]] = end
        position[pick["job"]] += 1
    return answer


# EVOLVE-BLOCK-START
def priority(op, instance):
    """Smaller is dispatched first: most work remaining in the job (MWKR)."""
    return -op["work_remaining"]


# EVOLVE-BLOCK-END
