"""The family registry: families come from the entry-point group `schedbench.families`.

Each entry point names a zero-argument function returning a `Family` (the built-in families are registered
the same way, in schedbench's own pyproject.toml). Only the names are read at start-up; a family's record —
and with it its generator, verifier and solver modules — is built the first time it is asked for.
"""

from __future__ import annotations

from functools import cache
from importlib.metadata import EntryPoint, PackageNotFoundError, distribution, entry_points
from pathlib import Path

from schedbench.errors import UnknownFamilyError
from schedbench.problems._family import Family

GROUP = "schedbench.families"


@cache
def _entry_points() -> dict[str, EntryPoint]:
    """Entry points by family name, in name order (a name declared twice: schedbench's own wins)."""
    found = [*entry_points(group=GROUP), *_shipped_without_metadata()]
    points: dict[str, EntryPoint] = {}
    for point in sorted(found, key=lambda p: (p.name, p.value.split(".")[0] != "schedbench")):
        points.setdefault(point.name, point)
    return dict(sorted(points.items()))


def _shipped_without_metadata() -> list[EntryPoint]:
    """schedbench's own families when its code runs without install metadata (a Ray node that received the
    package as a `py_modules` folder): the entry points pyproject.toml declares, one per module of
    `schedbench/families/` (listed, not imported). Empty when schedbench is installed."""
    try:
        distribution("schedbench")
    except PackageNotFoundError:
        folder = Path(__file__).resolve().parents[1] / "families"
        names = sorted(p.stem for p in folder.glob("*.py") if not p.stem.startswith("_"))
        return [EntryPoint(name, f"schedbench.families.{name}:family", GROUP) for name in names]
    return []


def family_names() -> list[str]:
    """Names of every registered family, in name order."""
    return list(_entry_points())


@cache
def get_family(name: str) -> Family:
    """The Family record registered under `name`.

    Raises:
        UnknownFamilyError: no entry point of that name (a KeyError; the message lists the known names).
        TypeError: the entry point does not give a Family.
    """
    points = _entry_points()
    if name not in points:
        hint = "" if points else " (no family is registered: reinstall schedbench, e.g. `pip install -e .`)"
        raise UnknownFamilyError(name, list(points), hint)
    family = points[name].load()()
    if not isinstance(family, Family) or family.name != name:
        raise TypeError(f"entry point {points[name].value} must return the Family named {name!r}")
    return family


def refresh() -> None:
    """Forget the cached registry (after installing a family package into the running interpreter)."""
    _entry_points.cache_clear()
    get_family.cache_clear()
