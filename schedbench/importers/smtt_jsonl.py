"""JSON-lines SMTT sets as published with the seed paper: {"name", "p": [...], "d": [...], "optimum"} per line.

Optional "w" makes an instance weighted. The published optimum is kept as `published_optimum`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from schedbench._json import has_lone_surrogate
from schedbench.errors import InputError, input_errors
from schedbench.problems import Instance
from schedbench.problems.smtt import from_arrays


def integer_list(raw: Any, source: str, name: str) -> list[int]:
    """A JSON list of integers, or InputError naming the field (and the first bad entry)."""
    if not isinstance(raw, list):
        raise InputError(source, name, "expected a list of integers")
    for i, value in enumerate(raw):
        if isinstance(value, bool) or not isinstance(value, int):
            raise InputError(source, f"{name}[{i}]", f"{value!r} is not an integer")
    return raw


def parse_row(raw: Any, source: str, number: int) -> Instance:
    """One line's instance; InputError on missing, non-integer or mismatched lists, or an empty instance."""
    if not isinstance(raw, dict):
        raise InputError(source, None, "expected a JSON object")
    p = integer_list(raw.get("p"), source, "p")
    d = integer_list(raw.get("d"), source, "d")
    w = integer_list(raw["w"], source, "w") if "w" in raw else None
    if not p:
        raise InputError(source, "p", "empty instance: no jobs")
    for name, values in (("d", d), ("w", w)):
        if values is not None and len(values) != len(p):
            raise InputError(source, name, f"has {len(values)} values but p has {len(p)}")
    if any(x < 0 for x in p) or any(x < 0 for x in w or []):
        raise InputError(source, "p", "processing times and weights must be >= 0")
    with input_errors(source):
        data = from_arrays(p, d, w)
    name = str(raw.get("name") or f"line{number}")
    if has_lone_surrogate(name):
        raise InputError(source, "name", "holds a lone surrogate (not valid Unicode text)")
    extra = {"published_optimum": raw["optimum"]} if isinstance(raw.get("optimum"), int) else {}
    return Instance(
        id=name,
        family="smtt",
        level=len(p),
        stage="weighted" if data.weighted else "unweighted",
        scenario="abstract",
        seed=0,
        data=data.model_dump(),
        **extra,
    )


def read_file(path: Path) -> list[Instance]:
    """Every instance of one JSON-lines file."""
    from schedbench.suites import json_lines

    out = [parse_row(raw, f"{path}:{number}", number) for number, raw in json_lines(path)]
    if not out:
        raise InputError(str(path), None, "empty file: no instance")
    return out


def read_files(paths: list[Path]) -> list[Instance]:
    """Every instance of every file, in the order given."""
    return [inst for path in paths for inst in read_file(path)]
