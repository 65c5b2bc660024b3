"""The Family record: everything one problem family brings, in one place (the single extension point).

A family is registered through the entry-point group `schedbench.families` (see `_registry.py`); the entry
point names a zero-argument function returning a `Family`. Every layer reads what it needs from the record —
no table anywhere else is keyed by a family's name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from schedbench.problems._envelope import Instance, Reference, Verification

Baseline = Callable[[Any], dict[str, Any]]
"""A baseline rule: typed instance data → solution dict (the same JSON an LLM must produce)."""


@dataclass(frozen=True)
class Importer:
    """A reader of published instance files (`schedbench import NAME`).

    `read(paths)` returns instances without references; `suffixes` are the file name endings it reads
    directly (so `schedbench solve FILE` and folders of such files work; empty: only through `import`);
    `folder_suffixes` are endings it takes from a folder only when named (`schedbench import NAME FOLDER`).
    """

    read: Callable[[list[Path]], list[Instance]]
    suffixes: tuple[str, ...] = ()
    description: str = ""
    folder_suffixes: tuple[str, ...] = ()
    """Further endings (\"\" for none) of the files it takes from a folder given to `schedbench import NAME` —
    for formats that `solve FILE` cannot tell apart by their suffix."""
    by_content: bool = False
    """Whether `schedbench solve` may try it on a file whose name has no suffix (JSPLIB's `ft10`): such a file
    goes to the first importer, in registration order, that reads it without error."""


@dataclass(frozen=True)
class Family:
    """Data and functions of one problem family.

    Core (every family):
    - `data_model` / `solution_model`: pydantic models of the instance data and of a solution.
    - `generator_config`: pydantic model of the generator's options (`schedbench generate NAME` derives its
      command-line options from it); `generate(config)` returns `generators.Draft`s (no references yet).
    - `verify(data, solution, reference)`: never raises on any JSON value.
    - `solve(data, time_limit, workers, hint)`: the exact reference.
    - `violation_types`: every violation type the verifier reports.

    Questions:
    - `prompts`: question mode → Jinja template file name inside `template_dir` (which may also include the
      shared templates of `schedbench/prompts/templates`, e.g. `_answer.j2`).
    - `answer_models`: question mode → pydantic model of the answer (default: `solution_model`).
    - `terms`: scenario → the words its prompts use (a scenario changes wording, never a number).

    Offline answers and metrics:
    - `baselines`: offline rules by name; `gap_baseline`: the rule whose objective is 1 in the normalised gap
      (obj − opt) / (rule − opt), None when the family reports no normalised gap.
    - `baseline_violations`: the violation types a baseline answer may show on a feasible instance (the
      constraints the rules leave to the verifier, e.g. deadlines); empty when every baseline is always feasible.

    Loaded on first use (zero-argument functions, so their modules — matplotlib, evolution — load only then):
    - `gantt`: returns a `schedbench.plots.gantt.GanttSpec` drawing a schedule of this family.
    - `evolve`: returns a `schedbench.evolve.specs.EvolveSpec` (seeds, input/output conversion, zero point).

    Other:
    - `importers`: published-set readers by the name of `schedbench import NAME`.
    - `demo`: generator options of a small suite that still shows the ramp (`make demo`, tests).

    Formalize (a model writes a program that reads the instance data as JSON on stdin and prints the answer):
    - `program_prompts`: question mode → Jinja template (in `template_dir`) asking for such a program; a mode
      without one gets the shared `program.j2`, which describes the input by the data model's JSON schema.
    - `formalizer_program`: the file (in `template_dir/programs`) of a complete exact program for this family
      as a model would write it (CP-SAT), the answer of the offline model `oracle/formalizer`; a `.j2` file is
      rendered with `mode` (a family with several question modes answers each).
    - `rule_programs`: baseline rule → Jinja template (in `template_dir/programs`, rendered with `rule`) of a
      program implementing that rule: the answer of `baseline/<rule>` under the formalize strategy.
    """

    name: str
    description: str
    data_model: type[BaseModel]
    solution_model: type[BaseModel]
    generator_config: type[BaseModel]
    generate: Callable[[Any], list[Any]]
    verify: Callable[[Any, Any, Reference | None], Verification]
    solve: Callable[..., Reference]
    violation_types: Sequence[str]
    template_dir: Path
    prompts: Mapping[str, str]
    stages: Sequence[str] = ("default",)
    scenarios: Sequence[str] = ("abstract",)
    answer_models: Mapping[str, type[BaseModel]] = field(default_factory=dict)
    terms: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    baselines: Mapping[str, Baseline] = field(default_factory=dict)
    baseline_violations: frozenset[str] = frozenset()
    gap_baseline: str | None = None
    gantt: Callable[[], Any] | None = None
    evolve: Callable[[], Any] | None = None
    importers: Mapping[str, Importer] = field(default_factory=dict)
    demo: Mapping[str, Any] = field(default_factory=dict)
    program_prompts: Mapping[str, str] = field(default_factory=dict)
    formalizer_program: str | None = None
    rule_programs: Mapping[str, str] = field(default_factory=dict)

    @property
    def prompt_modes(self) -> tuple[str, ...]:
        """The question modes this family can be asked in (`--mode`)."""
        return tuple(self.prompts)

    def parse_data(self, data: Mapping[str, Any]) -> BaseModel:
        """Validate raw instance data into the family's typed model (raises pydantic.ValidationError)."""
        return self.data_model.model_validate(data)

    def answer_model(self, mode: str) -> type[BaseModel]:
        """The model of an answer in question mode `mode` (the solution model unless the mode has its own)."""
        return self.answer_models.get(mode, self.solution_model)

    def scenario_terms(self, scenario: str) -> dict[str, str]:
        """The words a scenario uses in this family's prompts (empty when the scenario has none)."""
        return dict(self.terms.get(scenario) or {})
