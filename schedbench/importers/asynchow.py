"""AsyncHow plans (Lin et al., ICML 2024) as asynchronous-planning instances.

A line of the published JSON-lines files holds one WikiHow plan: `steps` ({id: text}), `edges` (pairs, with
`START` and `END` as the plan's ends), `duration_text` (the plan's own words: "15 minutes", "2 month"),
`duration_s` ([min, max] seconds: months and years are ranges) and `answer_s`, the gold [min, max] of the
shortest total time with unlimited parallelism.

Each plan becomes one instance per stage. Time runs in the coarsest unit (weeks, days, hours, minutes or
seconds) that counts every duration and the gold range in whole units; each step keeps its duration in the
plan's own unit word. AsyncHow gives no attended share, so a step occupies one agent for its whole duration.

- `unlimited` (AsyncHow's question): id = the plan's name; durations given as ranges stay ranges, and the
  gold range is the instance's `answer_range`: a time answer is correct when it falls inside it.
- `one_agent`, `two_agents`: id = name + "-" + stage; a plan must hold however long a step takes, so a step
  given as a range takes its longest duration; the reference is CP-SAT's proven optimum.

Every instance records the source's `published_answer_s` and the plan's `title`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

from schedbench.errors import InputError
from schedbench.problems import Instance
from schedbench.problems.asyncplan import (
    RANGE_UNIT_DAYS,
    UNIT_SECONDS,
    AsyncplanData,
    Step,
    unit_name,
    unit_phrase,
    unit_seconds,
)

STAGES: dict[str, int | None] = {"unlimited": None, "one_agent": 1, "two_agents": 2}
"""Stage name → number of agents (None: unlimited)."""

SCENARIO = "wikihow"
_QUANTITY = re.compile(r"^\s*(\d+(?:\.\d+)?)\s+([A-Za-z]+)\s*$")


def read_file(path: Path, stages: Sequence[str] = ("unlimited",)) -> list[Instance]:
    """Every plan of one AsyncHow JSON-lines file, once per stage (plans in file order)."""
    from schedbench.suites import json_lines

    unknown = [s for s in stages if s not in STAGES]
    if unknown:
        raise InputError(str(path), "stage", f"unknown stage {unknown[0]!r}; known: {', '.join(STAGES)}")
    rows = json_lines(path) if path.is_file() else None
    if rows is None:
        raise InputError(str(path), None, "no such file")
    if not rows:
        raise InputError(str(path), None, "empty file: no plan")
    out = []
    for number, raw in rows:
        plan = Plan.parse(raw, f"{path}:{number}")
        out += [plan.instance(stage) for stage in stages]
    return out


def read_files(paths: list[Path], stages: Sequence[str] = ("unlimited",)) -> list[Instance]:
    """Every plan of every file, in the order given."""
    return [inst for path in paths for inst in read_file(path, stages)]


class Plan:
    """One AsyncHow plan, validated: steps, dependencies among them, durations in seconds, the gold range."""

    def __init__(self, raw: dict[str, Any], source: str) -> None:
        self.source = source
        self.name = str(raw["name"])
        self.title = str(raw.get("title") or "")
        self.steps: dict[str, str] = {str(k): str(v) for k, v in raw["steps"].items()}
        self.edges: list[tuple[str, str]] = [(str(a), str(b)) for a, b in raw["edges"]]
        self.words: dict[str, str] = {str(k): str(v) for k, v in raw["duration_text"].items()}
        self.seconds: dict[str, tuple[int, int]] = {
            str(k): (int(v[0]), int(v[1])) for k, v in raw["duration_s"].items()
        }
        self.answer_s: tuple[int, int] = (int(raw["answer_s"][0]), int(raw["answer_s"][1]))

    @classmethod
    def parse(cls, raw: Any, source: str) -> Plan:
        """A plan from one JSON line; InputError naming the line and the field otherwise."""
        if not isinstance(raw, dict):
            raise InputError(source, None, "expected a JSON object")
        for field, kind in (("name", str), ("steps", dict), ("edges", list), ("duration_s", dict)):
            if not isinstance(raw.get(field), kind):
                raise InputError(source, field, f"missing or not a {kind.__name__}")
        for field in ("duration_text",):
            if not isinstance(raw.get(field), dict):
                raise InputError(source, field, "missing or not a dict")
        answer = raw.get("answer_s")
        if not (isinstance(answer, list) and len(answer) == 2 and all(_is_int(x) for x in answer)):
            raise InputError(source, "answer_s", "expected [min, max] seconds")
        try:
            plan = cls(raw, source)
        except (TypeError, ValueError, KeyError, IndexError) as exc:
            raise InputError(source, None, f"malformed plan: {exc}") from None
        plan.check()
        return plan

    def check(self) -> None:
        """Every step has a duration [min ≤ max] in seconds; edges name steps or START/END."""
        for step in self.steps:
            if step not in self.seconds:
                raise InputError(self.source, f"duration_s.{step}", "missing")
            low, high = self.seconds[step]
            if not 0 <= low <= high:
                raise InputError(self.source, f"duration_s.{step}", f"[{low}, {high}] is not [min, max] >= 0")
        for a, b in self.edges:
            for end in (a, b):
                if end not in self.steps and end not in ("START", "END"):
                    raise InputError(self.source, "edges", f"names unknown step {end!r}")

    def precedences(self) -> list[tuple[str, str]]:
        """The dependencies between steps (START and END edges dropped), in the file's order."""
        return [(a, b) for a, b in self.edges if a in self.steps and b in self.steps]

    def unit(self) -> str:
        """The coarsest fixed unit counting every duration and the gold range in whole units."""
        values = [v for pair in self.seconds.values() for v in pair] + list(self.answer_s)
        for name in sorted(UNIT_SECONDS, key=UNIT_SECONDS.__getitem__, reverse=True):
            if all(v % UNIT_SECONDS[name] == 0 for v in values):
                return name
        return "seconds"

    def words_of(self, step: str, unit: str) -> str:
        """The step's duration in the plan's own unit word, from its seconds ("30 minutes", "2 months").

        The published seconds are the truth (the gold answers are computed from them); the words only choose
        the unit, so a text such as "2 hours 30 minutes" whose seconds count 30 minutes reads "30 minutes".
        """
        low, high = self.seconds[step]
        match = _QUANTITY.match(self.words.get(step, ""))
        word = unit_name(match.group(2)) if match else ""
        if word in RANGE_UNIT_DAYS and match:
            days_low, days_high = RANGE_UNIT_DAYS[word]
            count = float(match.group(1))
            if (low, high) == (round(count * days_low * 86400), round(count * days_high * 86400)):
                return unit_phrase(int(count) if count.is_integer() else Fraction(count), word)
        size = unit_seconds(word) if word else None
        if size is None or low % size or high % size:
            word, size = unit, UNIT_SECONDS[unit]
        if low == high:
            return unit_phrase(low // size, word)
        return f"{low // size} to {high // size} {word}"

    def instance(self, stage: str) -> Instance:
        """The plan as an instance of one stage."""
        unit = self.unit()
        size = UNIT_SECONDS[unit]
        ranged = STAGES[stage] is None
        steps = []
        for step_id, text in self.steps.items():
            low, high = (v // size for v in self.seconds[step_id])
            shortest = low if ranged else high
            steps.append(
                Step(
                    id=step_id,
                    name=text,
                    duration=shortest,
                    attended=shortest,
                    duration_max=high if ranged and high != low else None,
                    duration_text=self.words_of(step_id, unit),
                )
            )
        answer = (self.answer_s[0] // size, self.answer_s[1] // size) if ranged else None
        try:
            data = AsyncplanData(
                agents=STAGES[stage], steps=steps, precedences=self.precedences(), unit=unit, answer_range=answer
            )
        except ValueError as exc:
            raise InputError(self.source, "edges", str(exc).splitlines()[-1].strip()) from None
        return Instance(
            id=self.name if ranged else f"{self.name}-{stage}",
            family="asyncplan",
            level=len(steps),
            stage=stage,
            scenario=SCENARIO,
            seed=0,
            data=data.model_dump(),
            title=self.title,
            published_answer_s=list(self.answer_s),
        )


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
