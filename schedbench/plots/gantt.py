"""Gantt charts of one answer beside the reference witness, drawn per family on a shared time axis.

- rcpsp: one bar per task, then one resource profile per resource (load vs. capacity, downtime shaded,
  overload in red).
- asyncplan: agent lanes (attended prefixes on the agent that does them), one row per step (attended part
  solid, unattended tail light), then one occupancy profile per station.
- smtt: the sequence on the machine (tardy jobs red, due dates marked), then weighted tardiness per job.
- jobshop: one lane per machine, operations coloured by job and labelled, downtime shaded, the horizon dotted.

Answers are model output, so drawing never trusts them: unknown ids, duplicates and non-integer starts are
left out and counted in the panel title. Items named by the verification's violations are outlined in red.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from schedbench.plots._figure import PALETTE, chart, colour, empty_note, new_figure, series_gid
from schedbench.verifiers._result import as_nonnegative_int, entries, hashable_id

VIOLATION_RED = "#d62728"
_CALM = tuple(c for c in PALETTE if c != VIOLATION_RED)


def calm(index: int) -> str:
    """A palette colour other than the red that marks violations."""
    return _CALM[index % len(_CALM)]


@dataclass(frozen=True)
class GanttSpec:
    """How a family draws a schedule: the height ratios of its panels, and the drawing function.

    `draw(axes, data, solution, flagged)` fills the panels and returns a short note for the column title.
    """

    rows: Callable[[Any], list[float]]
    draw: Callable[[list[Axes], Any, Any, set[str]], str]


#: The largest start time drawn: beyond it a float no longer holds every integer, and past int64 matplotlib
#: cannot draw the number at all (an answer may say `1e20`; the verifier judges it, the drawing leaves it out).
MAX_DRAWN_START = 2**53


def clean_starts(data_ids: Sequence[str], solution: Any) -> tuple[dict[str, int], int]:
    """Drawable start times of known ids (first occurrence wins), and how many ids have none."""
    pairs = (
        entries(solution.get("starts") if isinstance(solution, Mapping) else None, ("id", "task", "step"), "start")
        or []
    )
    known, starts = set(data_ids), {}
    for raw_id, raw_start in pairs:
        item, start = hashable_id(raw_id), as_nonnegative_int(raw_start)
        if item in known and item not in starts and start is not None and start <= MAX_DRAWN_START:
            starts[item] = start
    return starts, len(known) - len(starts)


def _not_drawn(count: int) -> str:
    return f"; {count} without a drawable start" if count > 0 else ""


def _no_schedule(solution: Any) -> str | None:
    """Why an answer has no schedule to draw (infeasibility claim, time-only answer, not an object)."""
    if not isinstance(solution, Mapping):
        return "no parsable answer"
    if solution.get("infeasible") is True:
        return "answer claims the instance is infeasible"
    if "makespan" in solution and "starts" not in solution:
        return f"answer gives only the makespan: {solution.get('makespan')}"
    return None


def _task_bars(ax: Axes, rows: Sequence[tuple[str, int, int, float]], flagged: set[str], role: str = "task") -> None:
    """One horizontal bar per (id, start, length, y); flagged ids outlined in red."""
    for index, (item, start, length, y) in enumerate(rows):
        ax.broken_barh(
            [(start, max(length, 0.15))],
            (y - 0.4, 0.8),
            facecolors=calm(index),
            edgecolors=VIOLATION_RED if item in flagged else "none",
            linewidth=1.6 if item in flagged else 0,
            gid=series_gid(role, item),
        )


def _rcpsp_rows(data: Any) -> list[float]:
    return [max(2.0, 0.22 * len(data.tasks)), *([1.0] * len(data.resources))]


def _profiles(data: Any, starts: Mapping[str, int], resource: Any) -> tuple[list[int], list[int], list[int]]:
    """Change points, load and capacity of one resource as step functions (cheap for any start value)."""
    downs = _downtimes(data, resource)
    users = [t for t in data.tasks if t.id in starts and t.demands.get(resource.id) and t.duration > 0]
    points = sorted(
        {
            0,
            data.horizon,
            *(x for a, b, _ in downs for x in (a, b)),
            *(x for t in users for x in (starts[t.id], starts[t.id] + t.duration)),
        }
    )
    load = [sum(t.demands[resource.id] for t in users if starts[t.id] <= x < starts[t.id] + t.duration) for x in points]
    capacity = [next((level for a, b, level in downs if a <= x < b), resource.capacity) for x in points]
    return points, load, capacity


def _draw_rcpsp(axes: list[Axes], data: Any, solution: Any, flagged: set[str]) -> str:
    starts, dropped = clean_starts([t.id for t in data.tasks], solution)
    durations = {t.id: t.duration for t in data.tasks}
    rows = [(t.id, starts[t.id], t.duration, y) for y, t in enumerate(data.tasks) if t.id in starts]
    _task_bars(axes[0], rows, flagged)
    for task_id, window in data.windows.items():
        y = next(i for i, t in enumerate(data.tasks) if t.id == task_id)
        if window.deadline is not None:
            axes[0].plot([window.deadline], [y], marker="|", color="#555", markersize=9)
    axes[0].set_yticks(range(len(data.tasks)), [t.id for t in data.tasks], fontsize=6)
    axes[0].invert_yaxis()
    for ax, resource in zip(axes[1:], data.resources, strict=True):
        _profile_panel(ax, *_profiles(data, starts, resource), resource.id)
        for a, b, _ in _downtimes(data, resource):
            ax.axvspan(a, b, color="#999", alpha=0.25, linewidth=0)
    for ax in axes:
        ax.axvline(data.horizon, color="#999", linewidth=0.8, linestyle=":")
    makespan = max((starts[i] + durations[i] for i in starts), default=0)
    return f"makespan {makespan}{_not_drawn(dropped)}"


def _profile_panel(ax: Axes, times: list[int], load: list[int], capacity: list[int], label: str) -> None:
    """Load (filled) against capacity (dashed) as step functions over change points; overload in red."""
    ax.step(times, capacity, where="post", color="#444", linestyle="--", linewidth=1, gid=series_gid("capacity", label))
    ax.fill_between(times, load, step="post", color="#4c72b0", alpha=0.5, gid=series_gid("load", label))
    ax.fill_between(
        times,
        capacity,
        load,
        where=[a > b for a, b in zip(load, capacity, strict=True)],
        step="post",
        color=VIOLATION_RED,
        alpha=0.8,
    )
    ax.set_ylabel(label, rotation=0, ha="right", fontsize=7)
    ax.set_ylim(0, max([*capacity, *load]) + 0.5)


def _downtimes(data: Any, resource: Any) -> list[tuple[int, int, int]]:
    from schedbench.problems.rcpsp import downtime_profile

    return downtime_profile(data, resource.id, resource.capacity)


def _asyncplan_rows(data: Any) -> list[float]:
    return [max(1.0, 0.35 * (data.agents or 3)), max(2.0, 0.22 * len(data.steps)), *([0.8] * len(data.stations))]


def _station_panels(axes: list[Axes], data: Any, starts: Mapping[str, int]) -> None:
    """One occupancy profile per station (a step holds its station for its whole duration)."""
    end = max((starts[s.id] + s.duration for s in data.steps if s.id in starts), default=0)
    for ax, station in zip(axes, data.stations, strict=True):
        users = [s for s in data.steps if s.station == station.id and s.id in starts and s.duration > 0]
        times = sorted({0, end, *(x for s in users for x in (starts[s.id], starts[s.id] + s.duration))})
        load = [sum(1 for s in users if starts[s.id] <= t < starts[s.id] + s.duration) for t in times]
        _profile_panel(ax, times, load, [station.capacity] * len(times), station.id)


def _draw_asyncplan(axes: list[Axes], data: Any, solution: Any, flagged: set[str]) -> str:
    lanes_ax, steps_ax, *station_axes = axes
    starts, dropped = clean_starts([s.id for s in data.steps], solution)
    assigned = solution.get("agents")
    assigned = assigned if isinstance(assigned, Mapping) else {}
    lanes = data.agent_ids(limit=len(data.steps)) or sorted({str(a) for a in assigned.values() if isinstance(a, str)})
    lane_of = {agent: y for y, agent in enumerate(lanes)}
    for step in data.steps:
        if step.id not in starts or step.attended == 0:
            continue
        agent = assigned.get(step.id)
        y = lane_of.get(agent) if isinstance(agent, str) else None
        if y is None:
            flagged = flagged | {step.id}
            continue
        lanes_ax.broken_barh(
            [(starts[step.id], step.attended)],
            (y - 0.4, 0.8),
            facecolors=calm(y),
            edgecolors=VIOLATION_RED if step.id in flagged else "white",
            linewidth=0.8,
            gid=series_gid("agent", f"{agent}:{step.id}"),
        )
        lanes_ax.text(
            starts[step.id] + step.attended / 2, y, step.id, ha="center", va="center", fontsize=6, color="white"
        )
    lanes_ax.set_yticks(range(len(lanes)), lanes, fontsize=7)
    lanes_ax.set_ylim(len(lanes) - 0.5, -0.5)
    for y, step in enumerate(data.steps):
        if step.id not in starts:
            continue
        agent = assigned.get(step.id)
        tone = calm(lane_of[agent]) if isinstance(agent, str) and agent in lane_of else "#888"
        edge = VIOLATION_RED if step.id in flagged else "none"
        steps_ax.broken_barh(
            [(starts[step.id], max(step.attended, 0.15))],
            (y - 0.4, 0.8),
            facecolors=tone,
            edgecolors=edge,
            linewidth=1.4,
            gid=series_gid("step", step.id),
        )
        if step.unattended:
            steps_ax.broken_barh(
                [(starts[step.id] + step.attended, step.unattended)],
                (y - 0.4, 0.8),
                facecolors=tone,
                alpha=0.3,
                edgecolors=edge,
                linewidth=1.4,
            )
    steps_ax.set_yticks(range(len(data.steps)), [s.id for s in data.steps], fontsize=6)
    steps_ax.set_ylim(len(data.steps) - 0.5, -0.5)
    _station_panels(station_axes, data, starts)
    makespan = max((starts[s.id] + s.duration for s in data.steps if s.id in starts), default=0)
    return f"makespan {makespan}{_not_drawn(dropped)}"


def _smtt_rows(data: Any) -> list[float]:
    return [1.0, 1.6]


def clean_sequence(job_ids: Sequence[str], solution: Any) -> tuple[list[str], int]:
    """The answer's sequence restricted to known ids (first occurrence each), and how many jobs it lacks."""
    raw = solution.get("sequence") if isinstance(solution, Mapping) else None
    known, order = set(job_ids), []
    for entry in raw if isinstance(raw, list) else []:
        item = hashable_id(entry)
        if item in known and item not in order:
            order.append(item)
    return order, len(known) - len(order)


def _draw_smtt(axes: list[Axes], data: Any, solution: Any, flagged: set[str]) -> str:
    machine_ax, tardiness_ax = axes
    jobs = {job.id: job for job in data.jobs}
    order, dropped = clean_sequence(list(jobs), solution)
    time, total = 0, 0
    for job_id in order:
        job = jobs[job_id]
        completion = time + job.p
        tardiness = job.w * max(0, completion - job.d)
        total += tardiness
        machine_ax.broken_barh(
            [(time, max(job.p, 0.15))],
            (-0.4, 0.8),
            facecolors=VIOLATION_RED if tardiness else colour(0),
            edgecolors="white",
            linewidth=0.6,
            gid=series_gid("job", job_id),
        )
        if job.p >= 0.04 * max(1, sum(j.p for j in data.jobs)):
            machine_ax.text(time + job.p / 2, 0, job_id, ha="center", va="center", fontsize=6, color="white")
        machine_ax.plot([job.d], [0.45], marker="v", markersize=3, color="#555")
        tardiness_ax.bar(
            [time + job.p / 2],
            [tardiness],
            width=max(job.p, 0.3) * 0.9,
            color=VIOLATION_RED if tardiness else colour(0),
            gid=series_gid("tardiness", job_id),
        )
        time = completion
    machine_ax.set_yticks([])
    machine_ax.set_ylim(-0.6, 0.7)
    tardiness_ax.set_ylabel("w·T", fontsize=7)
    tardiness_ax.set_ylim(0, None if total else 1)
    return f"total weighted tardiness {total}" + (f"; {dropped} jobs missing" if dropped else "")


RCPSP_GANTT = GanttSpec(_rcpsp_rows, _draw_rcpsp)
ASYNCPLAN_GANTT = GanttSpec(_asyncplan_rows, _draw_asyncplan)
SMTT_GANTT = GanttSpec(_smtt_rows, _draw_smtt)


def _jobshop_rows(data: Any) -> list[float]:
    return [max(1.5, 0.4 * len(data.machines))]


def _draw_jobshop(axes: list[Axes], data: Any, solution: Any, flagged: set[str]) -> str:
    """Machine lanes: each operation on the machine the answer gives (or its only eligible one)."""
    from schedbench.problems.jobshop import downtime_blocks

    (ax,) = axes
    ops = {op.id: (j, op) for j, job in enumerate(data.jobs) for op in job.operations}
    starts, dropped = clean_starts(list(ops), solution)
    named = solution.get("machines") if isinstance(solution, Mapping) else None
    named = named if isinstance(named, Mapping) else {}
    lane = {m.id: y for y, m in enumerate(data.machines)}
    end = 0
    for op_id, start in starts.items():
        j, op = ops[op_id]
        machine = named.get(op_id) if len(op.durations) > 1 else next(iter(op.durations))
        if not isinstance(machine, str) or machine not in op.durations:
            dropped += 1
            continue
        length = op.durations[machine]
        end = max(end, start + length)
        ax.broken_barh(
            [(start, max(length, 0.15))],
            (lane[machine] - 0.4, 0.8),
            facecolors=calm(j),
            edgecolors=VIOLATION_RED if op_id in flagged else "white",
            linewidth=1.6 if op_id in flagged else 0.5,
            gid=series_gid("operation", op_id),
        )
        if len(data.jobs) <= 20:
            ax.text(start + length / 2, lane[machine], op_id, ha="center", va="center", fontsize=5, color="white")
    for machine, blocks in downtime_blocks(data).items():
        for a, b in blocks:
            ax.broken_barh([(a, b - a)], (lane[machine] - 0.45, 0.9), facecolors="#999", alpha=0.35, hatch="//")
    if data.horizon is not None:
        ax.axvline(data.horizon, color="#999", linewidth=0.8, linestyle=":")
    ax.set_yticks(range(len(data.machines)), [m.id for m in data.machines], fontsize=6)
    ax.set_ylim(len(data.machines) - 0.5, -0.5)
    return f"makespan {end}{_not_drawn(dropped)}"


JOBSHOP_GANTT = GanttSpec(_jobshop_rows, _draw_jobshop)


def gantt_spec(family: str) -> GanttSpec | None:
    """How a registered family draws schedules (its record's `gantt`), None when it has no drawer."""
    from schedbench.problems import get_family

    loader = get_family(family).gantt
    return loader() if loader is not None else None


@chart
def schedule_comparison(
    family: str,
    data: Any,
    answer: Any,
    witness: Any = None,
    flagged: set[str] | None = None,
    titles: tuple[str, str] = ("answer", "optimal"),
) -> Figure:
    """The answer's schedule (left) beside the reference witness (right), panels sharing one time axis.

    `data` is the family's typed instance data; `answer` and `witness` are solution JSON (either may be None);
    `flagged` are item ids named by the answer's violations.
    """
    spec = gantt_spec(family)
    if spec is None:
        fig, (ax,) = new_figure(4, 1.5)
        empty_note(ax, f"no Gantt chart for family {family!r}")
        return fig
    ratios = spec.rows(data)
    columns = [(titles[0], answer, flagged or set())]
    if witness is not None:
        columns.append((titles[1], witness, set()))
    width, height = 5.2 * len(columns), min(12.0, 0.9 + 0.75 * sum(ratios))
    fig, axes = new_figure(
        width,
        height,
        rows=len(ratios),
        cols=len(columns),
        layout=None,
        sharex=True,
        gridspec_kw={"height_ratios": ratios},
    )
    # fixed margins in inches: many Gantt charts go into one report, and constrained layout doubles drawing time
    fig.subplots_adjust(
        left=0.5 / width,
        right=1 - 0.15 / width,
        top=1 - 0.35 / height,
        bottom=0.5 / height,
        wspace=0.6 / 5.2,
        hspace=0.25,
    )
    for column, (title, solution, marks) in enumerate(columns):
        panel = [axes[row * len(columns) + column] for row in range(len(ratios))]
        reason = _no_schedule(solution)
        if reason:
            for ax in panel:
                empty_note(ax, reason if ax is panel[0] else "")
            panel[0].set_title(title, fontsize=9)
            continue
        note = spec.draw(panel, data, solution, marks)
        panel[0].set_title(f"{title}: {note}", fontsize=9)
        panel[-1].set_xlabel("time")
    return fig


def draw_schedule(family: str, data: Any, solution: Any, title: str = "schedule") -> Figure:
    """One schedule on its own (no reference column)."""
    return schedule_comparison(family, data, solution, None, titles=(title, ""))
