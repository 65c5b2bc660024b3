import json
import sys

from ortools.sat.python import cp_model

data = json.load(sys.stdin)
jobs = data["jobs"]
limit = data.get("horizon")
horizon = (
    limit
    if limit is not None
    else max([job.get("release", 0) for job in jobs] + [d["end"] for d in data.get("downtimes") or []])
    + sum(max(op["durations"].values()) for job in jobs for op in job["operations"])
)

model = cp_model.CpModel()
start, end, on_machine = {}, {}, {}
machine_intervals = {m["id"]: [] for m in data["machines"]}
for job in jobs:
    previous = None
    for op in job["operations"]:
        oid = op["id"]
        start[oid] = model.new_int_var(0, horizon, f"start_{oid}")
        end[oid] = model.new_int_var(0, horizon, f"end_{oid}")
        choices = []
        for machine, duration in op["durations"].items():
            chosen = model.new_bool_var(f"{oid}_on_{machine}")
            machine_intervals[machine].append(
                model.new_optional_interval_var(start[oid], duration, end[oid], chosen, f"{oid}_{machine}")
            )
            on_machine[(oid, machine)] = chosen
            choices.append(chosen)
        model.add_exactly_one(choices)
        if previous is None:
            model.add(start[oid] >= (job.get("release") or 0))
        else:
            model.add(start[oid] >= end[previous])
        previous = oid
    if job.get("deadline") is not None:
        model.add(end[previous] <= job["deadline"])

for downtime in data.get("downtimes") or []:
    if downtime["end"] > downtime["start"]:
        machine_intervals[downtime["machine"]].append(
            model.new_fixed_size_interval_var(downtime["start"], downtime["end"] - downtime["start"], "downtime")
        )
for intervals in machine_intervals.values():
    model.add_no_overlap(intervals)

makespan = model.new_int_var(0, horizon, "makespan")
model.add_max_equality(makespan, [end[job["operations"][-1]["id"]] for job in jobs])
model.minimize(makespan)

solver = cp_model.CpSolver()
solver.parameters.num_workers = 1
solver.parameters.max_time_in_seconds = 50.0
status = solver.solve(model)
if status == cp_model.INFEASIBLE:
    print(json.dumps({"infeasible": True}))
elif status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
    operations = [op for job in jobs for op in job["operations"]]
    print(
        json.dumps(
            {
                "starts": {op["id"]: solver.value(start[op["id"]]) for op in operations},
                "machines": {
                    op["id"]: next(m for m in op["durations"] if solver.value(on_machine[(op["id"], m)]))
                    for op in operations
                },
            }
        )
    )
else:
    sys.exit("no schedule found within the time limit")
