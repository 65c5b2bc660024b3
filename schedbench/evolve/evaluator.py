"""The cascaded evaluator: stage 1 (loads, runs and is feasible on a handful of tiny instances), then stage 2
(the training set). Every output is re-verified by the family verifier in the harness.

Score (higher is better, ADRS style): quality = 100 · (ΣZ − ΣC) / (ΣZ − ΣO) over the training set, where C
is the candidate's objective, O the exact optimum and Z the spec's zero-point baseline rule — 0 means "as good
as the baseline", 100 "optimal on every instance" (for SMTT with EDD as Z this is the normalised
gap, aggregated like the seed paper's FunSearch fitness). With `aggregate = "instance"` quality is instead the
mean of the per-instance normalised gaps (each clipped to [−100, 100]), which weighs every instance equally;
both are always reported as metrics. score = quality, so the same program on the same training set always gets
the same score; its speed is reported beside it, not mixed in (a wall-clock measurement differs between two runs
of the same program): `ms_per_instance` as measured by the harness, and `time_penalty` = time_weight · that.
A failed program scores `failure_score`; artifacts (error, traceback, stderr, worst instances, timing) go
back to the model in the next prompt.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from schedbench.evolve.config import EvaluatorConfig
from schedbench.evolve.specs import EvolveSpec
from schedbench.problems import Family, Instance, get_family
from schedbench.sandbox import ForkServer, SandboxConfig, open_sandbox
from schedbench.verifiers._result import reference_objective


@dataclass
class InstanceSet:
    """Instances with what scoring needs: typed data, plain inputs, optima and zero-point objectives."""

    instances: list[Instance]
    data: list[BaseModel]
    inputs: list[dict[str, Any]]
    optimum: list[float]
    zero: list[float]

    def __len__(self) -> int:
        return len(self.instances)


@dataclass
class Evaluation:
    """The outcome of evaluating one program."""

    status: str
    score: float
    metrics: dict[str, float] = field(default_factory=dict)
    error: str | None = None
    artifacts: dict[str, Any] = field(default_factory=dict)


def prepare_set(spec: EvolveSpec, instances: list[Instance]) -> InstanceSet:
    """Typed data, candidate inputs, optima and zero-point objectives of instances with references."""
    family = get_family(spec.family)
    zero_rule = family.baselines[spec.zero_point]
    data, inputs, optimum, zero = [], [], [], []
    for inst in instances:
        typed = family.parse_data(inst.data)
        best = reference_objective(inst.reference)
        if best is None:
            raise ValueError(
                f"{inst.id}: training instances need a solved reference (status "
                f"{inst.reference.status if inst.reference else 'none'})"
            )
        baseline = family.verify(typed, zero_rule(typed), inst.reference)
        data.append(typed)
        inputs.append(spec.to_input(typed))
        optimum.append(float(best))
        zero.append(float(baseline.objective) if baseline.feasible and baseline.objective is not None else float(best))
    return InstanceSet(instances, data, inputs, optimum, zero)


def build_instances(
    spec: EvolveSpec,
    options: dict[str, Any],
    folder: Path,
    time_limit: float,
    workers: int,
    show_progress: bool = False,
) -> list[Instance]:
    """Generate and solve a set with the family generator (cached as `folder/instances.jsonl`)."""
    from schedbench._io import atomic_write
    from schedbench.references import generate_instances
    from schedbench.suites import read_jsonl

    path = folder / "instances.jsonl"
    if path.exists():
        return read_jsonl(path)
    family = get_family(spec.family)
    config = family.generator_config.model_validate({"time_limit": time_limit, "workers": workers, **options})
    instances = generate_instances(family, config, show_progress)
    atomic_write(path, "".join(inst.to_json_line() + "\n" for inst in instances))
    return instances


class Evaluator:
    """Runs a program through both stages in one sandbox process and scores it."""

    def __init__(
        self, spec: EvolveSpec, gate: InstanceSet, train: InstanceSet, config: EvaluatorConfig, sandbox: SandboxConfig
    ) -> None:
        self.spec = spec
        self.family: Family = get_family(spec.family)
        self.gate = gate
        self.train = train
        self.config = config
        self.sandbox = sandbox
        site = sandbox.model_copy(update={"site_packages": True}) if config.numpy_inputs else sandbox
        self.server = ForkServer(site) if sandbox.fork_server else None

    def close(self) -> None:
        """Stop the fork server, if any."""
        if self.server is not None:
            self.server.close()

    def __getstate__(self) -> dict[str, Any]:
        """Pickled (for Ray) without the fork server: a remote evaluation spawns its runner."""
        return {**self.__dict__, "server": None}

    def failed(self, error: str, **artifacts: Any) -> Evaluation:
        return Evaluation(
            "failed", self.config.failure_score, error=error, artifacts={k: v for k, v in artifacts.items() if v}
        )

    async def evaluate(self, code: str) -> Evaluation:
        """Stage 1 then stage 2; the first failure ends the evaluation with its reason."""
        began = time.perf_counter()
        setup = {
            "array_fields": self.spec.array_fields if self.config.numpy_inputs else (),
            "numpy_inputs": self.config.numpy_inputs,
        }
        candidate_s = verify_s = 0.0
        async with open_sandbox(code, self.sandbox, server=self.server, **setup) as box:
            startup_s = time.perf_counter() - began
            if box.load_error:
                return self.failed(
                    f"stage 1: the program does not load: {box.load_error}",
                    traceback=box.load_traceback,
                    stderr=_text(box.stderr_tail),
                )
            for stage, items, timeout in (
                ("1", self.gate, self.config.gate_timeout_s),
                ("2", self.train, self.config.timeout_s),
            ):
                batch = await box.run(items.inputs, timeout)
                candidate_s += batch.wall_s
                if not batch.ok:
                    where = items.instances[len(batch.outputs)].id if len(batch.outputs) < len(items) else "?"
                    return self.failed(
                        f"stage {stage}: {batch.error} (instance {where})",
                        traceback=batch.traceback,
                        stderr=_text(box.stderr_tail),
                    )
                checked = time.perf_counter()
                objectives, problem = self.verify_all(items, batch.outputs)
                verify_s += time.perf_counter() - checked
                if problem:
                    return self.failed(f"stage {stage}: {problem}", stderr=_text(box.stderr_tail))
            evaluation = self.score(objectives, batch.wall_s)
            evaluation.artifacts["stderr"] = _text(box.stderr_tail)
        evaluation.metrics.update(
            eval_s=round(time.perf_counter() - began, 4),
            startup_s=round(startup_s, 4),
            candidate_s=round(candidate_s, 4),
            verify_s=round(verify_s, 4),
        )
        return evaluation

    def verify_all(self, items: InstanceSet, outputs: list[Any]) -> tuple[list[float], str | None]:
        """Objectives of every output, or the first infeasibility as a reason."""
        objectives = []
        for inst, typed, output in zip(items.instances, items.data, outputs, strict=True):
            result = self.family.verify(typed, self.spec.to_solution(typed, output), inst.reference)
            if not result.feasible or result.objective is None:
                kinds = ", ".join(sorted(result.violation_types())) or "no objective"
                detail = result.violations[0].detail if result.violations else ""
                return [], f"infeasible answer on {inst.id}: {kinds} ({detail[:200]})"
            objectives.append(float(result.objective))
        return objectives, None

    def score(self, objectives: list[float], wall_s: float) -> Evaluation:
        """The score (quality between the zero-point rule and the optimum), metrics with the time reported
        separately, and the worst instances."""
        items = self.train
        total, best, zero = sum(objectives), sum(items.optimum), sum(items.zero)
        quality_total = normalised(total, best, zero)
        per_instance = [normalised(c, o, z) for c, o, z in zip(objectives, items.optimum, items.zero, strict=True)]
        quality_instance = sum(per_instance) / max(1, len(per_instance))
        quality = quality_total if self.config.aggregate == "total" else quality_instance
        ms = 1000.0 * wall_s / max(1, len(items))
        gaps = [100.0 * (c - o) / o for c, o in zip(objectives, items.optimum, strict=True) if o > 0]
        metrics = {
            "quality": round(quality, 4),
            "quality_total": round(quality_total, 4),
            "quality_instance": round(quality_instance, 4),
            "ms_per_instance": round(ms, 4),
            "objective_sum": total,
            "optimum_sum": best,
            "zero_point_sum": zero,
            "mean_gap_pct": round(sum(gaps) / len(gaps), 4) if gaps else 0.0,
            "optimal_share": round(
                sum(c <= o for c, o in zip(objectives, items.optimum, strict=True)) / max(1, len(items)), 4
            ),
        }
        order = sorted(range(len(items)), key=lambda i: objectives[i] - items.optimum[i], reverse=True)
        worst = [
            {
                "instance": items.instances[i].id,
                "objective": objectives[i],
                "optimum": items.optimum[i],
                "zero_point": items.zero[i],
            }
            for i in order[: self.config.worst_instances]
            if objectives[i] > items.optimum[i]
        ]
        metrics["time_penalty"] = round(self.config.time_weight * ms, 4)
        artifacts = {"worst_instances": worst, "timing": f"{ms:.3f} ms per instance"}
        return Evaluation("ok", round(quality, 4), metrics, artifacts=artifacts)


def normalised(objective: float, optimum: float, zero: float) -> float:
    """100 · (zero − objective) / (zero − optimum), clipped to [−100, 100]; when the zero-point rule is already
    optimal: 100 for an optimal answer, else 0."""
    if zero <= optimum:
        return 100.0 if objective <= optimum else 0.0
    return max(-100.0, min(100.0, 100.0 * (zero - objective) / (zero - optimum)))


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace")[-1500:]
