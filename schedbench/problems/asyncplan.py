"""Asynchronous-planning instance data and solution models (docs/formats.md, `asyncplan`).

A plan is a DAG of steps. Each step runs for `duration` time units; only its first `attended` units need an
agent's hands (setting up the washing machine), after which it runs alone. Agents are limited (`agents`, or
None for unlimited — the AsyncHow setting) and a step holds its station (stove, oven) for its whole duration.
The objective is the makespan.

Plans imported from real data (AsyncHow) also carry a time `unit` (the word for one time unit: "minutes"),
per step the duration in the plan's own words (`duration_text`) and, when the plan gives it only as a range
(a month is 28 to 31 days), its longest value (`duration_max`; `duration` is then the shortest), and the range
of totals that count as correct answers to the time question (`answer_range`, in `unit`). A time answer may
then name its own unit (`{"total": 7, "unit": "hours"}`), converted exactly.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import networkx as nx
from pydantic import BaseModel, ConfigDict, Field, model_serializer, model_validator

from schedbench.problems._bounds import NonNegativeInt64 as NonNegativeInt
from schedbench.problems._bounds import PositiveInt64 as PositiveInt
from schedbench.problems._bounds import Text, check_total
from schedbench.problems._graph import check_acyclic


class Station(BaseModel):
    """A shared appliance or place: at most `capacity` steps hold it at any time."""

    model_config = ConfigDict(extra="forbid")

    id: Text
    name: Text = ""
    capacity: PositiveInt


class Step(BaseModel):
    """One step: it runs in [start, start + duration); an agent is busy in [start, start + attended)."""

    model_config = ConfigDict(extra="forbid")

    id: Text
    name: Text = ""
    duration: NonNegativeInt
    attended: NonNegativeInt
    station: Text | None = None
    duration_max: NonNegativeInt | None = None
    duration_text: str | None = None

    @model_validator(mode="after")
    def _attended_within_duration(self) -> Step:
        if self.attended > self.duration:
            raise ValueError(f"step {self.id!r}: attended {self.attended} exceeds duration {self.duration}")
        if self.duration_max is not None and self.duration_max < self.duration:
            raise ValueError(f"step {self.id!r}: duration_max {self.duration_max} is below duration {self.duration}")
        return self

    @model_serializer(mode="wrap")
    def _without_unset_extensions(self, handler: Any) -> dict[str, Any]:
        return _drop_none(handler(self), ("duration_max", "duration_text"))

    @property
    def longest(self) -> int:
        """The step's longest duration (its only one unless it is given as a range)."""
        return self.duration if self.duration_max is None else self.duration_max

    @property
    def unattended(self) -> int:
        """Time units the step runs on its own after its attended prefix."""
        return self.duration - self.attended


class AsyncplanData(BaseModel):
    """A plan: steps with attended prefixes, precedences, stations, and a number of agents (None = unlimited)."""

    model_config = ConfigDict(extra="forbid")

    agents: PositiveInt | None
    stations: list[Station] = Field(default_factory=list)
    steps: list[Step]
    precedences: list[tuple[Text, Text]] = Field(default_factory=list)
    unit: str | None = None
    answer_range: tuple[NonNegativeInt, NonNegativeInt] | None = None

    @model_validator(mode="after")
    def _consistent(self) -> AsyncplanData:
        check_references(self)
        check_total("the sum of the step durations", sum(s.duration for s in self.steps))
        if self.unit is not None and unit_seconds(self.unit) is None:
            raise ValueError(f"unit {self.unit!r} is not one of {', '.join(UNIT_SECONDS)}")
        if self.answer_range is not None and self.answer_range[0] > self.answer_range[1]:
            raise ValueError(f"answer_range {list(self.answer_range)} is not [low, high]")
        return self

    @model_serializer(mode="wrap")
    def _without_unset_extensions(self, handler: Any) -> dict[str, Any]:
        return _drop_none(handler(self), ("unit", "answer_range"))

    def has_ranges(self) -> bool:
        """Whether some step's duration is given as a range."""
        return any(s.duration_max is not None for s in self.steps)

    def graph_edges(self) -> list[tuple[str, str]]:
        """The dependency graph as an edge list with START and END (AsyncHow's "plan like a graph" form):
        START before every step without a predecessor, every precedence, every step without a successor
        before END."""
        has_before = {b for _, b in self.precedences}
        has_after = {a for a, _ in self.precedences}
        starts = [("START", s.id) for s in self.steps if s.id not in has_before]
        ends = [(s.id, "END") for s in self.steps if s.id not in has_after]
        return starts + [(a, b) for a, b in self.precedences] + ends

    def at_longest(self) -> AsyncplanData:
        """The same plan with every ranged step at its longest duration (attended prefixes kept within it)."""
        steps = [s.model_copy(update={"duration": s.longest, "duration_max": None}) for s in self.steps]
        return self.model_copy(update={"steps": steps})

    def step_index(self) -> dict[str, int]:
        """Step id → position in `steps`."""
        return {s.id: i for i, s in enumerate(self.steps)}

    def station_capacity(self) -> dict[str, int]:
        """Station id → capacity."""
        return {s.id: s.capacity for s in self.stations}

    def agent_ids(self, limit: int | None = None) -> list[str]:
        """The valid agent ids A1..Ak (the first `limit` of them), or an empty list when agents are unlimited."""
        count = self.agents or 0
        return [f"A{k}" for k in range(1, (count if limit is None else min(count, limit)) + 1)]

    def agent_names(self, listed: int = 12) -> str:
        """The agent ids as prompt text: every id up to `listed` agents, else the first and the last (the text
        stays the same size whatever the number of agents)."""
        count = self.agents or 0
        return ", ".join(self.agent_ids()) if count <= listed else f"A1, A2, ..., A{count}"


def check_references(data: AsyncplanData) -> None:
    """Raise ValueError naming the first duplicate id, unknown id or precedence cycle."""
    for kind, ids in (("step", [s.id for s in data.steps]), ("station", [s.id for s in data.stations])):
        seen: set[str] = set()
        for item in ids:
            if item in seen:
                raise ValueError(f"duplicate {kind} id {item!r}")
            seen.add(item)
    steps = {s.id for s in data.steps}
    stations = {s.id for s in data.stations}
    for step in data.steps:
        if step.station is not None and step.station not in stations:
            raise ValueError(f"step {step.id!r} uses unknown station {step.station!r}")
    for a, b in data.precedences:
        for item in (a, b):
            if item not in steps:
                raise ValueError(f"precedences names unknown step {item!r}")
    check_acyclic(data.precedences)


def _drop_none(dumped: Any, keys: tuple[str, ...]) -> Any:
    """A dump without the optional extension fields that are unset, so plans without them dump as before."""
    if isinstance(dumped, dict):
        for key in keys:
            if key in dumped and dumped[key] is None:
                del dumped[key]
    return dumped


UNIT_SECONDS: dict[str, int] = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400, "weeks": 604800}
"""Time units of fixed length, in seconds (months and years are not: their length is a range)."""

_UNIT_WORDS = {
    "s": "seconds",
    "sec": "seconds",
    "secs": "seconds",
    "second": "seconds",
    "min": "minutes",
    "mins": "minutes",
    "minute": "minutes",
    "h": "hours",
    "hr": "hours",
    "hrs": "hours",
    "hour": "hours",
    "d": "days",
    "day": "days",
    "week": "weeks",
    "wk": "weeks",
    "wks": "weeks",
    "month": "months",
    "year": "years",
    "yr": "years",
    "yrs": "years",
}

RANGE_UNIT_DAYS: dict[str, tuple[int, int]] = {"months": (28, 31), "years": (365, 366)}
"""Calendar units whose length is a range of days."""


def unit_name(word: str) -> str:
    """The canonical plural name of a time unit word ("hr" → "hours", "month" → "months"); unknown words as
    they are, lower-cased."""
    word = word.strip().lower()
    return _UNIT_WORDS.get(word, word)


def unit_seconds(word: str) -> int | None:
    """Seconds in one unit of a fixed-length time unit word, or None (unknown word, months, years)."""
    return UNIT_SECONDS.get(unit_name(word))


def unit_phrase(count: int | Fraction, unit: str) -> str:
    """ "1 hour", "3 hours", "1.5 days": a count with its unit word, singular for exactly one."""
    name = unit_name(unit)
    text = str(count) if isinstance(count, int) or Fraction(count).denominator == 1 else f"{float(count):g}"
    return f"{text} {name[:-1] if Fraction(count) == 1 else name}"


def total_in_units(total: Any, unit: Any, data_unit: str | None) -> Fraction | str:
    """A time answer's total converted exactly into the plan's unit, or why it cannot be.

    `total` is a non-negative number (a float is read as the decimal it prints as, so 0.1 hours is exactly
    6 minutes); `unit` a fixed-length unit word, or None when the plan itself has no unit.
    """
    if isinstance(total, bool) or not isinstance(total, int | float) or not math.isfinite(total) or total < 0:
        return f"total {_json(total)} is not a non-negative number"
    value = Fraction(total) if isinstance(total, int) else Fraction(repr(float(total)))
    if unit is None and data_unit is None:
        return value
    if not isinstance(unit, str):
        return f"unit {_json(unit)} is missing or not a word; use one of {', '.join(UNIT_SECONDS)}"
    seconds = unit_seconds(unit)
    if seconds is None:
        return f"unit {_json(unit)} has no fixed length; use one of {', '.join(UNIT_SECONDS)}"
    if data_unit is None:
        return f"unit {_json(unit)} given, but this plan counts plain time units; give the total without a unit"
    return value * seconds / UNIT_SECONDS[unit_name(data_unit)]


class AsyncplanSolution(BaseModel):
    """A plan answer: start per step and agent per attended step (`plan` mode)."""

    starts: dict[str, int]
    agents: dict[str, str] = Field(default_factory=dict)


class AsyncplanTimeAnswer(BaseModel):
    """A `time`-mode answer: only the minimum total time."""

    makespan: int


class AsyncplanTotalAnswer(BaseModel):
    """A `time`-mode answer for a plan with a named time unit: a total and its unit (converted exactly)."""

    total: float
    unit: str


#: The answer model of each question mode (`plan`: a full schedule; `time`: only the minimum total time).
ANSWER_MODELS: dict[str, type[BaseModel]] = {"plan": AsyncplanSolution, "time": AsyncplanTimeAnswer}

#: Other answer forms a question mode accepts (read by answer extraction): a total with its unit.
ANSWER_ALTERNATIVES: dict[str, tuple[type[BaseModel], ...]] = {"time": (AsyncplanTotalAnswer,)}


def answer_schema(mode: str = "plan") -> dict[str, Any]:
    """The JSON schema of an answer in question mode `plan` or `time`, as shown to models."""
    return ANSWER_MODELS[mode].model_json_schema()


def precedence_graph(data: AsyncplanData) -> nx.DiGraph:
    """The steps as a networkx DAG with a `duration` on every node."""
    graph = nx.DiGraph()
    for step in data.steps:
        graph.add_node(step.id, duration=step.duration)
    graph.add_edges_from(data.precedences)
    return graph


def remaining_path(data: AsyncplanData) -> dict[str, int]:
    """Length of the longest path from the start of each step to the end of the plan (its tail)."""
    graph = precedence_graph(data)
    tail: dict[str, int] = {}
    for step_id in reversed(list(nx.topological_sort(graph))):
        tail[step_id] = graph.nodes[step_id]["duration"] + max((tail[s] for s in graph.successors(step_id)), default=0)
    return tail


def _json(value: object) -> str:
    """A value of an answer as the model wrote it (`null`, `"days"`), never Python's `None`."""
    import json

    try:
        return json.dumps(value, ensure_ascii=False)[:40]
    except (TypeError, ValueError):
        return str(value)[:40]
