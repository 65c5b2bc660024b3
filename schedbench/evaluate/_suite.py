"""Loading a suite for evaluation: the instance envelopes, where each came from, and its JSON.

JSON-lines suites take a fast path (pydantic-core parses each envelope and the line is kept as the instance's
JSON); Parquet files and Hub datasets go through `schedbench.suites`. Family data is validated later, by the
run, for the items it still has to do and before its first request (see `_work.load`), so a resumed run with
nothing left parses nothing and a bad instance stops a run before it starts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from schedbench.errors import InputError, pydantic_location, pydantic_message
from schedbench.problems import Instance, family_names
from schedbench.suites import INSTANCES, check_manifest, load_instances


@dataclass
class LoadedSuite:
    """Instances, where each came from (for error messages), and their JSON lines when read from JSONL."""

    instances: list[Instance]
    sources: dict[str, str] = field(default_factory=dict)
    lines: dict[str, str] = field(default_factory=dict)

    def source(self, inst: Instance) -> str:
        return self.sources.get(inst.id, inst.id)

    def json(self, inst: Instance) -> str:
        """The instance as JSON (its original line when there is one)."""
        return self.lines.get(inst.id) or inst.model_dump_json()


def load_suite(location: str | Path) -> LoadedSuite:
    """Instances from a suite folder, .jsonl/.json/.parquet file, or Hub dataset name."""
    path = Path(location)
    folder = path.is_dir() and (path / INSTANCES).exists()
    jsonl = path / INSTANCES if folder else path
    if jsonl.suffix == ".jsonl" and jsonl.is_file():
        return _read_jsonl(jsonl, path if folder else None)
    return from_instances(load_instances(location))


def from_instances(instances: list[Instance]) -> LoadedSuite:
    """A LoadedSuite for instances already in memory."""
    return LoadedSuite(list(instances))


def _read_jsonl(path: Path, folder: Path | None) -> LoadedSuite:
    """A JSON-lines suite; a suite folder's is checked against its manifest (count and hash)."""
    known = set(family_names())
    suite = LoadedSuite([])
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise InputError(str(path), None, f"cannot read: {exc.strerror}") from None
    lines = content.splitlines()
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
        suite.lines[inst.id] = line.decode("utf-8")
        suite.instances.append(inst)
    if folder is not None:
        check_manifest(folder, len(suite.instances), content)
    return suite
