import itertools
import json
import sys

from ortools.sat.python import cp_model

data = json.load(sys.stdin)
horizon = data["horizon"]
tasks = data["tasks"]
resources = data["resources"]
windows = data.get("windows") or {}

model = cp_model.CpModel()
start, end, interval = {}, {}, {}
for task in tasks:
    tid, duration = task["id"], task["duration"]
    window = windows.get(tid) or {}
    release = window.get("release") or 0
    latest_end = horizon if window.get("deadline") is None else min(horizon, window["deadline"])
    start[tid] = model.new_int_var(release, max(release, latest_end - duration), f"start_{tid}")
    end[tid] = model.new_int_var(0, horizon, f"end_{tid}")
    interval[tid] = model.new_interval_var(start[tid], duration, end[tid], f"task_{tid}")
    model.add(end[tid] <= latest_end)

for a, b in data.get("precedences") or []:
    model.add(start[b] >= end[a])

for resource in resources:
    rid, capacity = resource["id"], resource["capacity"]
    users = [t for t in tasks if (t.get("demands") or {}).get(rid, 0) > 0]
    intervals = [interval[t["id"]] for t in users]
    demands = [t["demands"][rid] for t in users]
    # a downtime lowers the capacity during [start, end): block the missing units with fixed intervals
    downs = [d for d in data.get("downtimes") or [] if d["resource"] == rid and d["end"] > d["start"]]
    points = sorted({x for d in downs for x in (d["start"], d["end"])})
    for a, b in itertools.pairwise(points):
        level = min([capacity] + [d["capacity"] for d in downs if d["start"] <= a and b <= d["end"]])
        if level < capacity:
            intervals.append(model.new_fixed_size_interval_var(a, b - a, f"down_{rid}_{a}"))
            demands.append(capacity - level)
    if intervals:
        model.add_cumulative(intervals, demands, capacity)

for a, b in data.get("disjunctive") or []:
    model.add_no_overlap([interval[a], interval[b]])

makespan = model.new_int_var(0, horizon, "makespan")
model.add_max_equality(makespan, [end[t["id"]] for t in tasks])
model.minimize(makespan)

solver = cp_model.CpSolver()
solver.parameters.num_workers = 1
solver.parameters.max_time_in_seconds = 50.0
status = solver.solve(model)
if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
    print(json.dumps({"starts": {t["id"]: solver.value(start[t["id"]]) for t in tasks}}))
elif status == cp_model.INFEASIBLE:
    print(json.dumps({"infeasible": True}))
else:
    sys.exit("no schedule found within the time limit")
