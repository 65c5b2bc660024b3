"""Choosing runs: by name, id, or a unique start of a name, narrowed by filters (model, suite, family, status,
strategy, mode, tag). `report`, `runs` and the Python API share this, so a run is found the same way everywhere."""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase

from schedbench.results.store import Run, Store


class RunSelectionError(LookupError):
    """A selector matches no run, or more than one."""


@dataclass(frozen=True)
class RunFilter:
    """Conditions a run must meet; each is a glob (`openai/*`) matched against the run's value, None for any."""

    model: str | None = None
    suite: str | None = None
    family: str | None = None
    status: str | None = None
    strategy: str | None = None
    mode: str | None = None
    tag: str | None = None

    def active(self) -> bool:
        return any(value is not None for value in vars(self).values())


def strategy_of(run: Run) -> str:
    """How the run asked: `direct` unless its configuration names another strategy."""
    return str(run.config.get("strategy") or "direct")


def mode_of(run: Run) -> str:
    """The question mode the run asked in (`plan` when the configuration predates modes)."""
    return str(run.config.get("mode") or "plan")


def resolve(store: Store, selector: str) -> Run:
    """The one run that `selector` names: an exact name, an id, or the unique start of a name."""
    exact = store.run(selector)
    if exact is not None:
        return exact
    runs = store.runs()
    if selector.isdigit():
        by_id = next((run for run in runs if run.id == int(selector)), None)
        if by_id is not None:
            return by_id
    starting = [run for run in runs if run.name.startswith(selector)]
    if len(starting) == 1:
        return starting[0]
    if not starting:
        known = ", ".join(f"{run.id} {run.name}" for run in runs) or "none"
        raise RunSelectionError(f"no run {selector!r}; known: {known}")
    names = ", ".join(f"{run.id} {run.name}" for run in starting[:5])
    raise RunSelectionError(f"{selector!r} names {len(starting)} runs ({names}{', ...' if len(starting) > 5 else ''})")


def select(store: Store, selectors: list[str] | None = None, where: RunFilter | None = None) -> list[Run]:
    """The runs named by `selectors` (every run when there are none) that pass `where`, in id order."""
    chosen = [resolve(store, s) for s in selectors] if selectors else store.runs()
    unique = {run.id: run for run in chosen}
    if where is None or not where.active():
        return sorted(unique.values(), key=lambda run: run.id)
    return [run for _, run in sorted(unique.items()) if _passes(store, run, where)]


def _passes(store: Store, run: Run, where: RunFilter) -> bool:
    checks = (
        (where.model, [run.model]),
        (where.suite, [run.suite]),
        (where.status, [run.status]),
        (where.strategy, [strategy_of(run)]),
        (where.mode, [mode_of(run)]),
        (where.family, store.families(run.id) if where.family is not None else []),
        (where.tag, store.tags(run.id) if where.tag is not None else []),
    )
    return all(pattern is None or any(fnmatchcase(value, pattern) for value in values) for pattern, values in checks)
