"""Asynchronous-plan verifier: plan answers (violation types of docs/formats.md) and time answers, by event sweep.

Plan answers `{"starts": {...}, "agents": {...}}` are checked for precedence, agent overlap on attended
prefixes, agent ids and station capacity. With unlimited agents (`agents: null`) an agent id is optional (a
step without one has hands of its own); given ids must still look like A1, A2, … and must not overlap.

Time answers `{"makespan": N}` (question mode `time`) are correct iff N is the proven optimum. A wrong time
is reported with the extension type `wrong_time` (N below the proven bound, or above a plan that is known to
exist); a time between an unproven bound and the best known plan is `unverified_time`. For unlimited agents
and no stations the optimum is the longest path, computed here, so no reference is needed.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from fractions import Fraction
from typing import Any

from schedbench.problems._envelope import Reference, Verification, Violation
from schedbench.problems.asyncplan import AsyncplanData, total_in_units
from schedbench.verifiers._result import as_nonnegative_int, entries, finish, hashable_id, shown

VIOLATION_TYPES = (
    "missing",
    "unknown",
    "duplicate",
    "invalid_value",
    "precedence",
    "agent_overlap",
    "unknown_agent",
    "station_capacity",
    "infeasible_claim",
    "wrong_time",
    "unverified_time",
)
_AGENT_ID = re.compile(r"A([1-9][0-9]*)")


def verify(data: AsyncplanData, solution: Any, reference: Reference | None = None) -> Verification:
    """Check a plan or time answer (any JSON value) against an asynchronous plan; never raises."""
    if isinstance(solution, dict) and solution.get("infeasible") is True:
        return finish([], None, reference, claimed_infeasible=True)
    if isinstance(solution, dict) and "starts" not in solution and ("makespan" in solution or "total" in solution):
        return verify_time(data, solution, reference)
    raw_starts = solution.get("starts") if isinstance(solution, dict) else None
    raw_agents = solution.get("agents") if isinstance(solution, dict) else None
    starts, violations = read_starts(data, raw_starts)
    agents, agent_violations = read_agents(data, raw_agents, starts)
    violations += agent_violations
    violations += check_plan(data, starts, agents)
    makespan = (
        max((starts[s.id] + s.duration for s in data.steps), default=0) if len(starts) == len(data.steps) else None
    )
    return finish(violations, makespan, reference)


def read_starts(data: AsyncplanData, raw: Any) -> tuple[dict[str, int], list[Violation]]:
    """Valid starts by step id, and the missing/unknown/duplicate/invalid_value violations.

    A step listed more than once is `duplicate` (once), and none of its values is used or judged.
    """
    known = data.step_index()
    pairs = [(hashable_id(key), key, value) for key, value in entries(raw, ("step", "id"), "start") or []]
    counts = Counter(step for step, _, _ in pairs if step in known)
    starts: dict[str, int] = {}
    violations: list[Violation] = []
    repeated = [step for step, count in counts.items() if count > 1]
    for twice in repeated:
        detail = f"{twice} is scheduled {counts[twice]} times"
        violations.append(Violation(type="duplicate", items=[twice], detail=detail))
    for step, key, value in pairs:
        if step is None or step not in known:
            violations.append(Violation(type="unknown", items=[shown(key)], detail=f"no step {shown(key)}"))
        elif counts[step] > 1:
            continue
        elif (start := as_nonnegative_int(value)) is None:
            violations.append(
                Violation(
                    type="invalid_value", items=[step], detail=f"start {shown(value)} is not a non-negative integer"
                )
            )
        else:
            starts[step] = start
    for step_id in data.step_index():
        if counts[step_id] == 0:
            violations.append(Violation(type="missing", items=[step_id], detail=f"{step_id} has no start"))
    return starts, violations


def read_agents(data: AsyncplanData, raw: Any, starts: dict[str, int]) -> tuple[dict[str, str], list[Violation]]:
    """Valid agent ids of the scheduled steps that need one, and the agent-related violations.

    Entries for unknown steps are `unknown`, repeated entries `duplicate`; a step with attended > 0 whose
    agent is absent or not one of A1..Ak is `unknown_agent` (absent is fine when agents are unlimited).
    """
    steps = {s.id: s for s in data.steps}
    given: dict[str, Any] = {}
    repeated: set[str] = set()
    violations: list[Violation] = []
    for key, value in entries(raw, ("step", "id"), "agent") or []:
        step = hashable_id(key)
        if step is None or step not in steps:
            violations.append(Violation(type="unknown", items=[shown(key)], detail=f"agent for no step {shown(key)}"))
        elif step in given:
            if step not in repeated:
                violations.append(Violation(type="duplicate", items=[step], detail=f"{step} has two agents"))
            repeated.add(step)
        else:
            given[step] = value
    agents: dict[str, str] = {}
    for step_id in starts:
        if steps[step_id].attended == 0 or step_id in repeated:
            continue
        value = given.get(step_id)
        if value is None and data.agents is None and step_id not in given:
            continue
        if not _valid_agent(value, data.agents):
            violations.append(
                Violation(
                    type="unknown_agent",
                    items=[step_id],
                    detail=f"{step_id} needs an agent, got {shown(value)} ({_agent_range(data)})",
                )
            )
        else:
            agents[step_id] = str(value)  # a valid agent id, already a string
    return agents, violations


def _valid_agent(value: Any, limit: int | None) -> bool:
    if not isinstance(value, str):
        return False
    match = _AGENT_ID.fullmatch(value)
    return match is not None and (limit is None or int(match.group(1)) <= limit)


def _agent_range(data: AsyncplanData) -> str:
    return "agents are A1, A2, ..." if data.agents is None else f"agents are A1..A{data.agents}"


def check_plan(data: AsyncplanData, starts: dict[str, int], agents: dict[str, str]) -> list[Violation]:
    """Precedence, agent-overlap and station-capacity violations among steps with a valid start."""
    steps = {s.id: s for s in data.steps}
    out: list[Violation] = []
    for a, b in data.precedences:
        if a in starts and b in starts and starts[b] < starts[a] + steps[a].duration:
            out.append(
                Violation(
                    type="precedence",
                    items=[a, b],
                    detail=f"{b} starts at {starts[b]}, {a} ends at {starts[a] + steps[a].duration}",
                )
            )
    by_agent: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
    for step_id, agent in agents.items():
        by_agent[agent].append((starts[step_id], starts[step_id] + steps[step_id].attended, step_id))
    for agent, prefixes in sorted(by_agent.items()):
        out += _agent_overlaps(agent, prefixes)
    by_station: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
    for step_id, start in starts.items():
        step = steps[step_id]
        if step.station is not None and step.duration > 0:
            by_station[step.station].append((start, start + step.duration, step_id))
    capacity = data.station_capacity()
    for station, uses in sorted(by_station.items()):
        out += _station_overloads(station, capacity[station], uses)
    return out


def _agent_overlaps(agent: str, prefixes: list[tuple[int, int, str]]) -> list[Violation]:
    """Sweep one agent's attended prefixes in start order; report each prefix that starts before the
    latest-ending earlier one has ended."""
    out: list[Violation] = []
    latest: tuple[int, int, str] | None = None
    for start, end, step_id in sorted(prefixes):
        if latest is not None and start < latest[1]:
            out.append(
                Violation(
                    type="agent_overlap",
                    items=[agent, latest[2], step_id],
                    detail=f"{agent} is busy with {latest[2]} until {latest[1]} but starts {step_id} at {start}",
                )
            )
        if latest is None or end > latest[1]:
            latest = (start, end, step_id)
    return out


def _station_overloads(station: str, capacity: int, uses: list[tuple[int, int, str]]) -> list[Violation]:
    """Sweep one station's load over its events; one violation per stretch of constant load above capacity, so
    each interval is exactly where that many steps are held."""
    events = sorted([(s, 1) for s, _, _ in uses] + [(e, -1) for _, e, _ in uses], key=lambda x: (x[0], x[1]))
    out: list[Violation] = []
    load, since, held = 0, 0, 0  # `held` steps from `since` on
    for index, (time, delta) in enumerate(events):
        load += delta
        if index + 1 < len(events) and events[index + 1][0] == time:
            continue  # settle every event at this time first
        if load == held:
            continue
        if held > capacity and time > since:
            running = sorted(step for s, e, step in uses if s < time and e > since)
            out.append(
                Violation(
                    type="station_capacity",
                    items=[station, *running],
                    detail=f"{station} holds {held} steps > capacity {capacity} during [{since}, {time})",
                )
            )
        since, held = time, load
    return out


def verify_time(data: AsyncplanData, answer: dict[str, Any], reference: Reference | None) -> Verification:
    """A time answer (`makespan`, or `total` with `unit`): correct iff it equals the proven minimum total time,
    or, for a plan that defines a range of correct totals (`accepted_range`), iff it falls inside it."""
    value = claimed_total(data, answer)
    if isinstance(value, Violation):
        return finish([value], None, reference)
    shown = int(value) if value.denominator == 1 else float(value)
    accepted = accepted_range(data)
    if accepted is not None:
        lo, hi = accepted
        if lo <= value <= hi:
            return Verification(feasible=True, correct=True, objective=shown, reference=lo, gap_pct=0.0, optimal=True)
        where = "below" if value < lo else "above"
        problem = Violation(
            type="wrong_time", items=["makespan"], detail=f"{shown} is {where} the correct range [{lo}, {hi}]"
        )
        return finish([problem], shown, reference)
    low, high = known_optimum_range(data, reference)
    if low is not None and value < low:
        problem = Violation(type="wrong_time", items=["makespan"], detail=f"{shown} is below the proven minimum {low}")
    elif high is not None and value > high:
        problem = Violation(type="wrong_time", items=["makespan"], detail=f"a plan taking {high} exists")
    elif low is None or high is None or low != high:
        problem = Violation(
            type="unverified_time", items=["makespan"], detail=f"the minimum lies in [{low}, {high}] and is not proven"
        )
    else:
        return finish([], shown, _proven(reference, int(value)))
    return finish([problem], shown, reference)


def claimed_total(data: AsyncplanData, answer: dict[str, Any]) -> Fraction | Violation:
    """The answer's total time in the plan's units (exact), or the `invalid_value` violation saying why not.

    `{"makespan": N}` counts the plan's own units; `{"total": x, "unit": "hours"}` is converted exactly.
    """
    if "total" not in answer:
        claimed = answer.get("makespan")
        value = as_nonnegative_int(claimed)
        if value is None:
            return Violation(
                type="invalid_value",
                items=["makespan"],
                detail=f"makespan {shown(claimed)} is not a non-negative integer",
            )
        return Fraction(value)
    converted = total_in_units(answer.get("total"), answer.get("unit"), data.unit)
    if isinstance(converted, str):
        return Violation(type="invalid_value", items=["total"], detail=converted)
    return converted


def accepted_range(data: AsyncplanData) -> tuple[int, int] | None:
    """The totals that count as correct when the plan itself defines a range: its `answer_range` (a published
    gold range), else, with unlimited agents, no stations and durations given as ranges, the longest path at
    the shortest and at the longest durations. None when a single proven minimum decides."""
    if data.answer_range is not None:
        return data.answer_range[0], data.answer_range[1]
    if data.agents is None and not data.stations and data.has_ranges():
        from schedbench.heuristics.asyncplan import remaining_path

        shortest = max(remaining_path(data).values(), default=0)
        longest = max(remaining_path(data.at_longest()).values(), default=0)
        return shortest, longest
    return None


def known_optimum_range(data: AsyncplanData, reference: Reference | None) -> tuple[int | None, int | None]:
    """(proven lower bound, best known plan) on the minimum total time; equal when the optimum is proven."""
    if data.agents is None and not data.stations:
        from schedbench.problems.asyncplan import remaining_path

        longest = max(remaining_path(data).values(), default=0)
        return longest, longest
    if reference is None or reference.status not in ("optimal", "feasible") or reference.objective is None:
        return None, None
    high = int(reference.objective)
    low = high if reference.status == "optimal" else (int(reference.bound) if reference.bound is not None else None)
    return low, high


def _proven(reference: Reference | None, optimum: int) -> Reference:
    """The reference to report against a correct time (an optimal one, even when computed here)."""
    if reference is not None and reference.status == "optimal":
        return reference
    return Reference(status="optimal", objective=optimum, bound=optimum, solver="longest path")
