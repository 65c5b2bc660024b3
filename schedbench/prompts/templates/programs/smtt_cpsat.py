import json
import sys

from ortools.sat.python import cp_model

jobs = json.load(sys.stdin)["jobs"]
total = sum(job["p"] for job in jobs)

model = cp_model.CpModel()
start, end, tardiness, intervals = {}, {}, {}, []
for job in jobs:
    jid, p, d = job["id"], job["p"], job["d"]
    start[jid] = model.new_int_var(0, total - p, f"start_{jid}")
    end[jid] = model.new_int_var(p, total, f"end_{jid}")
    intervals.append(model.new_interval_var(start[jid], p, end[jid], f"job_{jid}"))
    tardiness[jid] = model.new_int_var(0, max(0, total - d), f"tardiness_{jid}")
    model.add_max_equality(tardiness[jid], [end[jid] - d, 0])
model.add_no_overlap(intervals)
# start from the modified-due-date order: it is a good schedule, so the solver improves on it at once
t, left = 0, list(jobs)
while left:
    job = min(left, key=lambda j: (max(t + j["p"], j["d"]), j["d"]))
    model.add_hint(start[job["id"]], t)
    t += job["p"]
    left.remove(job)
model.minimize(sum(job.get("w", 1) * tardiness[job["id"]] for job in jobs))

solver = cp_model.CpSolver()
solver.parameters.num_workers = 1
solver.parameters.max_time_in_seconds = 2.0  # a short search: the best sequence found is printed
status = solver.solve(model)
if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
    sys.exit("no sequence found within the time limit")
# a job of zero length may share its start with the next one: order by start, then end
order = sorted(jobs, key=lambda job: (solver.value(start[job["id"]]), solver.value(end[job["id"]])))
print(json.dumps({"sequence": [job["id"] for job in order]}))
