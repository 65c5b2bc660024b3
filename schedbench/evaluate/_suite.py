"""Loading a suite for evaluation: instances now, their family data parsed once and only when needed.

JSON-lines suites take a fast path (pydantic-core parses each envelope); Parquet files and Hub datasets go
through `schedbench.suites`. Family data is validated for the items a run still has to do, before the first
request (so a resumed run with nothing left parses nothing, and a bad instance stops a run before it starts).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from schedbench.errors import InputError, pydantic_location, pydantic_message
from schedbench.problems import Instance, family_names, get_family
from schedbench.suites import INSTANCES, load_instances


@dataclass
class LoadedSuite:
    """Instances, where each came from (for error messages), and their parsed family data."""

    instances: list[Instance]
    sources: dict[str, str] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)

    def parsed(self, inst: Instance) -> Any:
        """The instance's typed family data (parsed on first use); InputError names the line and field."""
        found = self.data.get(inst.id)
        if found is None:
            try:
                found = self.data[inst.id] = get_family(inst.family).parse_data(inst.data)
            except ValidationError as exc:
                source = self.sources.get(inst.id, inst.id)
                raise InputError(source, "data." + pydantic_location(exc), pydantic_message(exc)) from None
        return found

    def parse_all(self, instances: Iterable[Instance]) -> None:
        """Validate the family data of these instances now."""
        for inst in instances:
            self.parsed(inst)


def load_suite(location: str | Path) -> LoadedSuite:
    """Instances from a suite folder, .jsonl/.json/.parquet file, or Hub dataset name."""
    path = Path(location)
    jsonl = path / INSTANCES if path.is_dir() and (path / INSTANCES).exists() else path
    if jsonl.suffix == ".jsonl" and jsonl.is_file():
        return _read_jsonl(jsonl)
    return with_data(load_instances(location))


def with_data(instances: list[Instance]) -> LoadedSuite:
    """A LoadedSuite for instances already in memory."""
    return LoadedSuite(list(instances))


def _read_jsonl(path: Path) -> LoadedSuite:
    known = set(family_names())
    suite = LoadedSuite([])
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
        if inst.id in suite.sources:
            raise InputError(source, "id", f"duplicate instance id {inst.id!r}")
        suite.sources[inst.id] = source
        suite.instances.append(inst)
    return suite
