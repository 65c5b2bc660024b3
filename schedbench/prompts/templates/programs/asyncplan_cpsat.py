import json
import sys

from ortools.sat.python import cp_model

data = json.load(sys.stdin)
steps = data["steps"]
agents = data.get("agents")
capacity = {s["id"]: s["capacity"] for s in data.get("stations") or []}
horizon = sum(s["duration"] for s in steps)  # one step after another always works

model = cp_model.CpModel()
start, end, hands = {}, {}, {}
for step in steps:
    sid = step["id"]
    start[sid] = model.new_int_var(0, horizon, f"start_{sid}")
    end[sid] = model.new_int_var(0, horizon, f"end_{sid}")
    model.add(end[sid] == start[sid] + step["duration"])

for a, b in data.get("precedences") or []:
    model.add(start[b] >= end[a])

for station, cap in capacity.items():
    holds = [
        model.new_fixed_size_interval_var(start[s["id"]], s["duration"], f"hold_{s['id']}")
        for s in steps
        if s.get("station") == station and s["duration"] > 0
    ]
    if holds:
        model.add_cumulative(holds, [1] * len(holds), cap)

# each attended step gets exactly one agent; an agent attends one step at a time
attended = [s for s in steps if s["attended"] > 0]
if agents is not None:
    per_agent = {k: [] for k in range(1, agents + 1)}
    for step in attended:
        sid, choices = step["id"], []
        for k in per_agent:
            chosen = model.new_bool_var(f"{sid}_by_A{k}")
            per_agent[k].append(
                model.new_optional_fixed_size_interval_var(start[sid], step["attended"], chosen, f"{sid}_A{k}")
            )
            hands[(sid, k)] = chosen
            choices.append(chosen)
        model.add_exactly_one(choices)
    for intervals in per_agent.values():
        model.add_no_overlap(intervals)

makespan = model.new_int_var(0, horizon, "makespan")
model.add_max_equality(makespan, [end[s["id"]] for s in steps] or [0])
model.minimize(makespan)

solver = cp_model.CpSolver()
solver.parameters.num_workers = 1
solver.parameters.max_time_in_seconds = 50.0
status = solver.solve(model)
if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
    sys.exit("no plan found within the time limit")
answer = {"starts": {s["id"]: solver.value(start[s["id"]]) for s in steps}, "agents": {}}
for i, step in enumerate(attended, start=1):
    if agents is None:  # unlimited: every attended step gets an agent of its own
        answer["agents"][step["id"]] = f"A{i}"
    else:
        answer["agents"][step["id"]] = next(f"A{k}" for k in per_agent if solver.value(hands[(step["id"], k)]))
print(json.dumps(answer))
