"""Loading a suite for evaluation: instances plus their parsed family data, each parsed once.

JSON-lines suites take a fast path (pydantic-core parses each line; the family data is validated once and
kept for prompting and verification). Parquet files and Hub datasets go through `schedbench.suites`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from schedbench.errors import InputError, pydantic_location, pydantic_message
from schedbench.problems import Instance, family_names, get_family
from schedbench.suites import INSTANCES, load_instances


@dataclass
class LoadedSuite:
    instances: list[Instance]
    data: dict[str, Any]


def load_suite(location: str | Path) -> LoadedSuite:
    """Instances and parsed data from a suite folder, .jsonl/.json/.parquet file, or Hub dataset name."""
    path = Path(location)
    jsonl = path / INSTANCES if path.is_dir() and (path / INSTANCES).exists() else path
    if jsonl.suffix == ".jsonl" and jsonl.is_file():
        return _read_jsonl(jsonl)
    instances = load_instances(location)
    return LoadedSuite(instances, {inst.id: get_family(inst.family).parse_data(inst.data) for inst in instances})


def with_data(instances: list[Instance]) -> LoadedSuite:
    """A LoadedSuite for instances already in memory."""
    return LoadedSuite(instances, {inst.id: get_family(inst.family).parse_data(inst.data) for inst in instances})


def _read_jsonl(path: Path) -> LoadedSuite:
    known = set(family_names())
    instances: list[Instance] = []
    data: dict[str, Any] = {}
    try:
        lines = path.read_bytes().splitlines()
    except OSError as exc:
        raise InputError(str(path), None, f"cannot read: {exc.strerror}") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        source = f"{path}:{number}"
        try:
            inst = Instance.model_validate_json(line)
        except ValidationError as exc:
            raise InputError(source, pydantic_location(exc), pydantic_message(exc)) from None
        if inst.family not in known:
            raise InputError(source, "family", f"unknown family {inst.family!r}; known: {', '.join(sorted(known))}")
        if inst.id in data:
            raise InputError(source, "id", f"duplicate instance id {inst.id!r}")
        try:
            data[inst.id] = get_family(inst.family).parse_data(inst.data)
        except ValidationError as exc:
            raise InputError(source, "data." + pydantic_location(exc), pydantic_message(exc)) from None
        instances.append(inst)
    return LoadedSuite(instances, data)
