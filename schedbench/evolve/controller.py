"""The evolution controller: iterations in parallel pipelines (sample → prompt → model → edit → novelty →
sandboxed evaluation → database), live progress, cost cap, resume, and the run folder of docs/formats.md.

Run folder: `evolve.db` (everything), `run.json` (what the run is), `train/` and `gate/` (the instance sets,
with references), and the contract files `best_program.py`, `best.json`, `history.jsonl` (iteration 0 is
the seed). Rerunning the same command on the same folder continues the run up to `--iterations` in total;
Ctrl-C or a kill leaves a consistent database (each step is one SQLite transaction and model replies are
stored before they are used, so a rerun never pays for a reply twice nor evaluates a program twice).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.progress import Progress

from schedbench._io import atomic_write, progress_bar
from schedbench.errors import InputError, ModelUnavailableError, OptionError
from schedbench.evolve.config import EvolveConfig, ModelChoice
from schedbench.evolve.database import Program, ProgramDatabase
from schedbench.evolve.edits import EditError, child_from_reply
from schedbench.evolve.evaluator import Evaluation, Evaluator, InstanceSet, build_instances, prepare_set
from schedbench.evolve.mutator import EditContext
from schedbench.evolve.program import ProgramError, split_block
from schedbench.evolve.prompts import build_messages, task_text
from schedbench.evolve.specs import EvolveSpec, get_spec
from schedbench.llm import classify, close_model, describe, is_fatal, open_model, probing
from schedbench.llm._prices import load_prices

DB_FILE = "evolve.db"
MAX_CONSECUTIVE_MODEL_ERRORS = 5
"""Unfixable model errors of one kind in a row (authentication, not found, ...) that stop a run."""
RUN_FILE = "run.json"


@dataclass
class RunSummary:
    """What a finished (or stopped) run reports."""

    out: Path
    iterations: int
    """Finished iterations, the seed's evaluation excluded: the sum of `counts`."""
    best_id: str | None
    best_score: float | None
    seed_score: float | None
    cost_usd: float
    counts: dict[str, int]
    """Finished iterations by outcome: ok, rejected, failed."""
    stopped: str | None = None
    tokens: tuple[int, int] = (0, 0)


class Evolution:
    """One run folder: its database, instance sets, evaluator and models."""

    def __init__(
        self,
        out: Path,
        config: EvolveConfig,
        *,
        show_progress: bool = True,
        model_factory: Callable[[ModelChoice, EvolveConfig], Any] | None = None,
    ) -> None:
        if not config.family:
            raise OptionError("family", "which family to evolve (e.g. smtt)")
        try:
            self.spec: EvolveSpec = get_spec(config.family)
        except KeyError as exc:
            raise OptionError("family", str(exc.args[0])) from None
        if not config.models:
            raise OptionError("model", "a model spec (e.g. baseline/mutator) or a models list in the configuration")
        self.out = out
        self.config = config
        self.show_progress = show_progress
        self.model_factory = model_factory or _default_model
        self._models: dict[str, Any] = {}
        self.out.mkdir(parents=True, exist_ok=True)
        self._check_run_file()
        self.db = ProgramDatabase(out / DB_FILE, config.database)
        self.stop_reason: str | None = None
        self.model_answered = False  # until a model call succeeds, calls probe (one retry) and one fatal error stops
        self.model_streak: tuple[str, int] = ("", 0)  # kind of the last unfixable model errors in a row, how many
        self.unavailable: ModelUnavailableError | None = None
        self._cost_per_call = 0.0

    # --- set-up -------------------------------------------------------------------------------------------

    def _check_run_file(self) -> None:
        identity = {
            "family": self.config.family,
            "seed_program": self.config.seed_program,
            "seed": self.config.seed,
            "islands": self.config.database.islands,
            "train_suite": self.config.evaluator.train_suite,
            "train": self.config.evaluator.train,
        }
        path = self.out / RUN_FILE
        if path.exists():
            recorded = json.loads(path.read_text(encoding="utf-8"))
            for key, value in identity.items():
                if recorded.get(key) != value:
                    raise InputError(
                        str(path),
                        key,
                        f"this run folder was started with {recorded.get(key)!r}, not {value!r}; use another --out",
                    )
        else:
            import platform

            from schedbench import __version__
            from schedbench.sandbox import isolation

            facts = {
                "schedbench_version": __version__,
                "python": platform.python_version(),
                "isolation": isolation().note if self.config.sandbox.isolation else "turned off",
                "started": time.time(),
                "prices_usd_per_million_tokens": price_snapshot(self.config),
            }
            path.write_text(
                json.dumps({**identity, **facts, "config": self.config.model_dump(mode="json")}, indent=2),
                encoding="utf-8",
            )

    def load_sets(self) -> tuple[InstanceSet, InstanceSet]:
        """The stage-1 and training sets (generated and solved once, then read from the run folder)."""
        ev = self.config.evaluator
        workers = max(1, self.config.workers)
        gate = build_instances(
            self.spec, {**self.spec.gate, **ev.gate}, self.out / "gate", ev.reference_time_limit, workers
        )
        if ev.train_suite:
            from schedbench.suites import load_instances

            train_instances = load_instances(ev.train_suite)
        else:
            train_instances = build_instances(
                self.spec,
                {**self.spec.train, **ev.train},
                self.out / "train",
                ev.reference_time_limit,
                workers,
                show_progress=self.show_progress,
            )
        try:
            return prepare_set(self.spec, gate), prepare_set(self.spec, train_instances)
        except ValueError as exc:
            raise InputError(ev.train_suite or str(self.out / "train"), None, str(exc)) from None

    def seed_code(self) -> str:
        name = self.config.seed_program
        if name and name not in self.spec.seeds:
            path = Path(name)
            if not path.exists():
                raise OptionError(
                    "seed_program",
                    f"{name!r} is neither a seed of {self.spec.family} ({', '.join(self.spec.seeds)}) nor a file",
                )
            code = path.read_text(encoding="utf-8")
            try:
                split_block(code)
            except ProgramError as exc:
                raise InputError(str(path), None, str(exc)) from None
            return code
        return self.spec.seed_code(name)

    def model(self, choice: ModelChoice) -> Any:
        if choice.spec not in self._models:
            self._models[choice.spec] = self.model_factory(choice, self.config)
        return self._models[choice.spec]

    # --- the run ------------------------------------------------------------------------------------------

    async def run(self) -> RunSummary:
        """Evaluate the seed (iteration 0) if needed, finish interrupted iterations, run the rest."""
        for choice in self.config.models:  # bad specs and missing keys fail now, as input errors
            self.model(choice)
        self.seed_code()
        gate, train = self.load_sets()
        self.evaluator = Evaluator(self.spec, gate, train, self.config.evaluator, self.config.sandbox)
        self.task = task_text(self.spec.task, n_train=len(train), level=train.instances[0].level if len(train) else 0)
        self.rewrite_history()
        with self._progress() as progress:
            self.progress = progress
            self.bar = progress.add_task("evolving", total=self.config.iterations, best="-", cost=0.0, failed=0)
            try:
                await self.ensure_seed()
                self._refresh()
                pending = [row["iteration"] for row in self.db.unfinished()]
                await asyncio.gather(*(self.advance(k) for k in pending))
                await asyncio.gather(*(self.worker() for _ in range(self.config.workers)))
            finally:
                self.write_outputs()
                await self.close_models()
        if self.unavailable is not None:
            raise self.unavailable
        return self.summary()

    async def close_models(self) -> None:
        """Close the models' connection pools (in the event loop that opened them)."""
        for model in self._models.values():
            await close_model(model)

    async def ensure_seed(self) -> None:
        """Iteration 0: store the seed program and evaluate it (once; a rerun evaluates the stored one)."""
        row = self.db.iteration(0)
        if row.get("state") == "done":
            return
        seed_id = self.db.program_id(0)
        if not row:
            with self.db.transaction():
                self.db.start_iteration(0, 0, None, [], "seed", "seed")
                self.db.add_program(0, None, 0, self.seed_code(), edit_kind="seed", model="seed")
                self.db.update_iteration(0, state="evaluating", program_id=seed_id)
        evaluation = await self.evaluate(self.db.program(seed_id).code)
        if evaluation.status != "ok":
            raise InputError("seed program", None, f"the seed fails: {evaluation.error}")
        self.store(0, seed_id, evaluation)
        with self.db.transaction():
            features = self.db.stored_features(seed_id)
            for island in range(1, self.config.database.islands):
                self.db.place(island, seed_id, evaluation.score, features)

    async def evaluate(self, code: str) -> Evaluation:
        """Evaluate here (a sandbox process per candidate) or as a Ray task (the sandbox on a cluster node)."""
        if self.config.executor == "local":
            return await self.evaluator.evaluate(code)
        from schedbench.executors import run_one

        return await run_one(evaluate_remotely, (self.evaluator, code), "ray", self.config.ray_address)

    async def worker(self) -> None:
        while self.stop_reason is None:
            iteration = self.reserve()
            if iteration is None:
                return
            await self.advance(iteration)

    def reserve(self) -> int | None:
        """Claim the next iteration: island, parent, inspirations, prompt mode and model (one transaction)."""
        iteration = self.db.next_iteration()
        if iteration > self.config.iterations:
            return None
        if not self.within_budget():
            return None
        db_config, prompt = self.config.database, self.config.prompt
        island = (iteration - 1) % db_config.islands
        rng = random.Random(f"{self.config.seed}:{iteration}")
        parent, top, inspirations = self.db.sample(island, rng, prompt.top_programs, prompt.inspirations)
        failed_edits = self.db.failed_edits_in_a_row(island)
        rewrite = prompt.mode == "rewrite" or (0 < prompt.rewrite_after_failed_edits <= failed_edits)
        choice = rng.choices(self.config.models, [m.weight for m in self.config.models])[0]
        with self.db.transaction():
            self.db.start_iteration(
                iteration,
                island,
                parent.id,
                [p.id for p in top + inspirations],
                "rewrite" if rewrite else "diff",
                choice.spec,
            )
        return iteration

    def model_failed(self, spec: str, kind: str, error: str) -> None:
        """Stop the run when the model cannot answer: an unfixable error before any success, or
        MAX_CONSECUTIVE_MODEL_ERRORS of one kind in a row."""
        if not is_fatal(kind):
            self.model_streak = ("", 0)
            return
        count = self.model_streak[1] + 1 if self.model_streak[0] == kind else 1
        self.model_streak = (kind, count)
        if not self.model_answered or count >= MAX_CONSECUTIVE_MODEL_ERRORS:
            example = error.split(": ", 2)[-1]
            self.unavailable = ModelUnavailableError(spec, kind, example, count)
            self.stop_reason = f"{spec} cannot answer ({kind})"

    def within_budget(self) -> bool:
        """False (and the stop reason set) when the next call could spend past --max-cost."""
        cap = self.config.max_cost
        if cap is None:
            return True
        if self.db.spent() + self._cost_per_call > cap:
            self.stop_reason = f"max cost ${cap:g} reached"
            return False
        return True

    async def advance(self, iteration: int) -> None:
        """Carry one iteration from its stored state to `done`."""
        row = self.db.iteration(iteration)
        if row["state"] == "requested":
            if not await self.ask_model(row):
                return
            row = self.db.iteration(iteration)
        if row["state"] == "answered":
            self.make_child(row)
            row = self.db.iteration(iteration)
        if row["state"] == "evaluating":
            program = self.db.program(row["program_id"])
            evaluation = await self.evaluate(program.code)
            self.store(iteration, program.id, evaluation)
        self._refresh()
        completed = self.db.completed() - 1
        if completed > 0 and completed % self.config.database.migration_interval == 0:
            self.db.migrate()

    async def ask_model(self, row: dict[str, Any]) -> bool:
        """Prompt the iteration's model and store the reply; False if the iteration ended here."""
        iteration = row["iteration"]
        parent = self.db.program(row["parent_id"])
        others = [self.db.program(pid) for pid in json.loads(row["inspirations"] or "[]")]
        n_top = min(self.config.prompt.top_programs, len(others))
        attempts = self.db.recent_attempts(row["island"], self.config.prompt.recent_attempts)
        messages = build_messages(
            self.task, parent, others[:n_top], others[n_top:], attempts, row["mode"], self.config.prompt.artifact_chars
        )
        context = EditContext(
            parent=parent.code,
            inspirations=tuple(p.code for p in others),
            vocabulary=self.spec.vocabulary,
            rule_function=self.spec.rule_function,
            rule_kind=self.spec.rule_kind,
            seed=self.config.seed,
            iteration=iteration,
        )
        choice = next((m for m in self.config.models if m.spec == row["model"]), self.config.models[0])
        params = {} if self.config.temperature is None else {"temperature": self.config.temperature}
        asked = time.perf_counter()
        try:
            with probing() if not self.model_answered else contextlib.nullcontext():
                completion = await asyncio.wait_for(
                    self.model(choice).complete(messages, context=context, **params), self.config.llm_timeout_s
                )
        except (asyncio.CancelledError, KeyboardInterrupt):
            raise
        except Exception as exc:  # any API fault ends this iteration with its reason
            error = f"model error: {describe(exc)}"[:300]
            with self.db.transaction():
                self.db.finish_iteration(iteration, "failed", None, error)
            self.append_history(iteration)
            self.model_failed(choice.spec, classify(exc), error)
            return False
        self.model_answered, self.model_streak = True, ("", 0)
        self._cost_per_call = max(self._cost_per_call, completion.cost_usd)
        with self.db.transaction():
            self.db.update_iteration(
                iteration,
                state="answered",
                response=completion.text,
                llm_s=round(time.perf_counter() - asked, 4),
                cost_usd=completion.cost_usd,
                input_tokens=completion.input_tokens,
                output_tokens=completion.output_tokens,
            )
        return True

    def make_child(self, row: dict[str, Any]) -> None:
        """Apply the reply to the parent; store the child (pending), or end the iteration (failed / rejected)."""
        iteration = row["iteration"]
        parent = self.db.program(row["parent_id"])
        mode = "diff" if row["mode"] == "diff" else "rewrite"
        try:
            child, kind = child_from_reply(row["response"] or "", parent.code, mode)
        except EditError as exc:
            with self.db.transaction():
                self.db.finish_iteration(iteration, "failed", None, f"edit: {exc}")
            self.append_history(iteration)
            return
        duplicate = self.db.duplicate_of(child, row["island"])
        with self.db.transaction():
            status = "rejected" if duplicate else "pending"
            program_id = self.db.add_program(
                iteration,
                parent.id,
                row["island"],
                child,
                status=status,
                edit_kind=kind,
                model=row["model"],
                error=f"not novel: {duplicate}" if duplicate else None,
            )
            if duplicate:
                self.db.finish_iteration(iteration, "rejected", None, f"not novel: {duplicate}", program_id)
            else:
                self.db.update_iteration(iteration, state="evaluating", program_id=program_id)
        if duplicate:
            self.append_history(iteration)

    def store(self, iteration: int, program_id: str, evaluation: Evaluation) -> None:
        """Commit an evaluation and finish its iteration (one transaction), then the run-folder files."""
        best_before = self.db.best()
        with self.db.transaction():
            self.db.record_evaluation(
                program_id,
                evaluation.status,
                evaluation.score,
                evaluation.metrics,
                evaluation.artifacts,
                evaluation.error,
            )
            self.db.finish_iteration(iteration, evaluation.status, evaluation.score, evaluation.error, program_id)
        self.append_history(iteration)
        best = self.db.best()
        if best is not None and (best_before is None or best.id != best_before.id):
            self.write_best(best)

    # --- run folder ---------------------------------------------------------------------------------------

    def history_row(self, row: dict[str, Any]) -> dict[str, Any]:
        return {
            "iteration": row["iteration"],
            "program_id": row["program_id"],
            "parent_id": row["parent_id"],
            "island": row["island"],
            "status": row["status"],
            "score": row["score"],
            "error": row["error"],
            "model": row["model"],
            "cost_usd": row["cost_usd"],
        }

    def append_history(self, iteration: int) -> None:
        row = self.db.iteration(iteration)
        with open(self.out / "history.jsonl", "a", encoding="utf-8") as fh:
            fh.write(json.dumps(self.history_row(row)) + "\n")

    def rewrite_history(self) -> None:
        """history.jsonl from the database (repairs a line lost or half-written by a kill)."""
        rows = [self.history_row(r) for r in self.db.history()]
        atomic_write(self.out / "history.jsonl", "".join(json.dumps(r) + "\n" for r in rows))

    def write_best(self, best: Program) -> None:
        atomic_write(self.out / "best_program.py", best.code)
        atomic_write(
            self.out / "best.json",
            json.dumps(
                {"program_id": best.id, "score": best.score, "metrics": best.metrics, "iteration": best.iteration},
                indent=2,
            )
            + "\n",
        )

    def write_outputs(self) -> None:
        self.rewrite_history()
        best = self.db.best()
        if best is not None:
            self.write_best(best)

    def summary(self) -> RunSummary:
        best = self.db.best()
        seed = self.db.iteration(0)
        counts = self.db.counts()
        return RunSummary(
            self.out,
            counts.pop("iterations"),
            best.id if best else None,
            best.score if best else None,
            seed.get("score"),
            round(self.db.spent(), 6),
            counts,
            self.stop_reason,
            self.db.tokens(),
        )

    # --- progress -----------------------------------------------------------------------------------------

    def _progress(self) -> Progress:
        return progress_bar(
            self.show_progress, "best {task.fields[best]}  ${task.fields[cost]:.4f}  failed {task.fields[failed]}"
        )

    def _refresh(self) -> None:
        best = self.db.best()
        counts = self.db.counts()
        self.progress.update(
            self.bar,
            completed=max(0, self.db.completed() - 1),
            best=f"{best.score:.3f}" if best and best.score is not None else "-",
            cost=self.db.spent(),
            failed=counts.get("failed", 0),
        )

    def close(self) -> None:
        if getattr(self, "evaluator", None) is not None:
            self.evaluator.close()
        self.db.close()


def evaluate_remotely(payload: tuple[Evaluator, str]) -> Evaluation:
    """Ray task body: one sandboxed evaluation on whichever node runs it."""
    evaluator, code = payload
    return asyncio.run(evaluator.evaluate(code))


def price_table(config: EvolveConfig) -> Any:
    """The price table (shipped, updated by `config.prices`); InputError when the file is bad."""
    return load_prices(config.prices)


def price_snapshot(config: EvolveConfig) -> dict[str, Any]:
    """USD per million tokens of each ensemble member, as used by this run (None when unknown)."""
    table = price_table(config)
    snapshot = {}
    for choice in config.models:
        price = table.lookup(choice.spec)
        snapshot[choice.spec] = None if price is None else {"input": price.input, "output": price.output}
    return snapshot


def _default_model(choice: ModelChoice, config: EvolveConfig) -> Any:
    return open_model(
        choice.spec,
        base_url=choice.base_url,
        model_args=choice.model_args,
        timeout_s=config.llm_timeout_s,
        concurrency=max(1, config.workers),
        prices=price_table(config),
        max_cost=config.max_cost,
    )


def run_evolution(out: Path, config: EvolveConfig, *, show_progress: bool = True) -> RunSummary:
    """Run (or resume) an evolution in `out`; Ctrl-C stops it with a consistent database."""
    evolution = Evolution(out, config, show_progress=show_progress)
    try:
        return asyncio.run(evolution.run())
    finally:
        evolution.close()
