"""Loading a suite for evaluation: the instance envelopes, where each came from, and its JSON.

JSON-lines suites take a fast path (pydantic-core parses each envelope and the line is kept as the instance's
JSON); Parquet files and Hub datasets go through `schedbench.suites`. Family data is validated later, by the
run, for the items it still has to do and before its first request (see `_work.load`), so a resumed run with
nothing left parses nothing and a bad instance stops a run before it starts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from schedbench.importers import load_published, names_published_set
from schedbench.problems import Instance
from schedbench.suites import INSTANCES, load_instances, scan_jsonl


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
    """Instances from a suite folder, .jsonl/.json/.parquet file, published set (`psplib/j30`, see
    `schedbench datasets`; a path of the same name wins) or Hub dataset name.

    A published set's instances carry its published optima as their references.
    """
    path = Path(location)
    if names_published_set(location):
        return from_instances(load_published(path.as_posix()))
    jsonl = path / INSTANCES if path.is_dir() and (path / INSTANCES).exists() else path
    if jsonl.suffix == ".jsonl" and jsonl.is_file():
        return _read_jsonl(jsonl)
    return from_instances(load_instances(location))


def from_instances(instances: list[Instance]) -> LoadedSuite:
    """A LoadedSuite for instances already in memory."""
    return LoadedSuite(list(instances))


def _read_jsonl(path: Path) -> LoadedSuite:
    scanned = scan_jsonl(path)
    return LoadedSuite(scanned.instances, scanned.sources, scanned.lines)
