"""Asynchronous-planning instance data and solution models (DESIGN.md §2, `asyncplan`).

A plan is a DAG of steps. Each step runs for `duration` time units; only its first `attended` units need an
agent's hands (setting up the washing machine), after which it runs alone. Agents are limited (`agents`, or
None for unlimited — the AsyncHow setting) and a step holds its station (stove, oven) for its whole duration.
The objective is the makespan.
"""

from __future__ import annotations

from typing import Any

import networkx as nx
from pydantic import BaseModel, ConfigDict, Field, model_validator

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

    @model_validator(mode="after")
    def _attended_within_duration(self) -> Step:
        if self.attended > self.duration:
            raise ValueError(f"step {self.id!r}: attended {self.attended} exceeds duration {self.duration}")
        return self

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

    @model_validator(mode="after")
    def _consistent(self) -> AsyncplanData:
        check_references(self)
        check_total("the sum of the step durations", sum(s.duration for s in self.steps))
        return self

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


class AsyncplanSolution(BaseModel):
    """A plan answer: start per step and agent per attended step (`plan` mode)."""

    starts: dict[str, int]
    agents: dict[str, str] = Field(default_factory=dict)


class AsyncplanTimeAnswer(BaseModel):
    """A `time`-mode answer: only the minimum total time."""

    makespan: int


#: The answer model of each question mode (`plan`: a full schedule; `time`: only the minimum total time).
ANSWER_MODELS: dict[str, type[BaseModel]] = {"plan": AsyncplanSolution, "time": AsyncplanTimeAnswer}


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
