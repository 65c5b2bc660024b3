"""Suites on disk (docs/formats.md): instances.jsonl, manifest.json and a Hugging Face parquet copy."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from schedbench import __version__
from schedbench._io import atomic_write
from schedbench.errors import InputError, pydantic_location, pydantic_message
from schedbench.problems import Instance, family_names, get_family

INSTANCES = "instances.jsonl"
MANIFEST = "manifest.json"
PARQUET = "instances.parquet"
_HUB_NAME = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
"""A Hugging Face dataset name: owner/name."""


def write_suite(out: Path, instances: list[Instance], manifest: dict[str, Any]) -> Path:
    """Write the three suite files; returns the folder."""
    out.mkdir(parents=True, exist_ok=True)
    atomic_write(out / INSTANCES, "".join(inst.to_json_line() + "\n" for inst in instances))
    counts: dict[str, int] = {}
    for inst in instances:
        status = inst.reference.status if inst.reference else "unsolved"
        counts[status] = counts.get(status, 0) + 1
    full = {"schedbench_version": __version__, **manifest, "count": len(instances), "status_counts": counts}
    atomic_write(out / MANIFEST, json.dumps(full, indent=2) + "\n")
    write_parquet(out / PARQUET, instances)
    return out


def write_parquet(path: Path, instances: list[Instance]) -> None:
    """A `datasets` copy; `data` and `reference` are JSON strings since their shape varies by family."""
    import datasets

    datasets.disable_progress_bars()
    rows = [flat_row(inst) for inst in instances]
    chained = any("chain" in row for row in rows)
    for row in rows:  # every row needs the same columns
        for key in CHAIN_KEYS:
            if chained:
                row.setdefault(key, None)
    datasets.Dataset.from_list(rows).to_parquet(str(path))


CHAIN_KEYS = ("ramp", "chain")
"""Envelope keys of instances on a nested ramp chain (absent on independent draws)."""


def flat_row(inst: Instance) -> dict[str, Any]:
    """One parquet/HF row of an instance (with `ramp` and `chain` when it lies on a nested chain)."""
    extra = inst.model_extra or {}
    return {
        "id": inst.id,
        "family": inst.family,
        "level": inst.level,
        "stage": inst.stage,
        "scenario": inst.scenario,
        "seed": inst.seed,
        "data": json.dumps(inst.data),
        "reference": inst.reference.model_dump_json() if inst.reference else None,
        **{key: extra[key] for key in CHAIN_KEYS if extra.get(key) is not None},
        "extra": json.dumps(others, sort_keys=True) if (others := _other_extras(extra)) else None,
    }


def _other_extras(extra: dict[str, Any]) -> dict[str, Any]:
    """The instance's extra fields that have no column of their own (a published optimum, a title, ...)."""
    return {key: value for key, value in extra.items() if key not in CHAIN_KEYS}


def from_flat_row(row: dict[str, Any], source: str) -> Instance:
    """An instance from a parquet/HF row (data and reference as JSON strings or objects)."""
    row = {key: value for key, value in row.items() if not (key in CHAIN_KEYS and value is None)}
    for key in ("data", "reference", "extra"):
        if isinstance(row.get(key), str):
            row[key] = json.loads(row[key])
    extra = row.pop("extra", None)
    if isinstance(extra, dict):
        row = {**extra, **row}
    return parse_instance(row, source)


def parse_instance(raw: Any, source: str) -> Instance:
    """Validate an envelope and its family data; InputError names the file and the field."""
    try:
        inst = Instance.model_validate(raw)
    except ValidationError as exc:
        raise InputError(source, pydantic_location(exc), pydantic_message(exc).removeprefix("Value error, ")) from None
    check_family(inst, source)
    check_data(inst, source)
    return inst


def check_family(inst: Instance, source: str) -> None:
    """InputError unless the instance's family is registered."""
    if inst.family not in family_names():
        raise InputError(source, "family", f"unknown family {inst.family!r}; known: {', '.join(family_names())}")


def check_data(inst: Instance, source: str) -> None:
    """InputError (field `data.<path>`) unless the instance data fit its family's data model."""
    try:
        get_family(inst.family).parse_data(inst.data)
    except ValidationError as exc:
        location = pydantic_location(exc)
        field = "data" if location == "(root)" else f"data.{location}"
        raise InputError(source, field, pydantic_message(exc).removeprefix("Value error, ")) from None


def check_unique(instances: list[Instance], sources: list[str]) -> None:
    """InputError at the second instance that repeats an id (ids name items in runs and reports)."""
    seen: set[str] = set()
    for inst, source in zip(instances, sources, strict=True):
        if inst.id in seen:
            raise InputError(source, "id", f"duplicate instance id {inst.id!r}")
        seen.add(inst.id)


@dataclass
class JsonlSuite:
    """The envelopes of a JSON-lines suite, where each came from (`file:line`), and each line's text."""

    instances: list[Instance] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)
    lines: dict[str, str] = field(default_factory=dict)


def scan_jsonl(path: Path) -> JsonlSuite:
    """The one JSON-lines suite reader: envelopes parsed straight from bytes (family data not yet validated);
    InputError names `file:line` and the field for a bad envelope, an unknown family or a repeated id."""
    suite = JsonlSuite()
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
            message = pydantic_message(exc).removeprefix("Value error, ")
            raise InputError(source, pydantic_location(exc), message) from None
        check_family(inst, source)
        if inst.id in suite.sources:
            raise InputError(source, "id", f"duplicate instance id {inst.id!r}")
        suite.sources[inst.id] = source
        suite.lines[inst.id] = line.decode("utf-8")
        suite.instances.append(inst)
    return suite


def json_lines(path: Path) -> list[tuple[int, Any]]:
    """(line number, value) for each non-blank line of a JSON-lines file; InputError names a bad line."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(str(path), None, f"cannot read: {exc}") from None
    out = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            out.append((number, json.loads(line)))
        except json.JSONDecodeError as exc:
            raise InputError(f"{path}:{number}", None, f"malformed JSON: {exc.msg} at column {exc.colno}") from None
    return out


def read_jsonl(path: Path) -> list[Instance]:
    """Instances from a JSON-lines file, family data validated; InputError on the first bad line."""
    suite = scan_jsonl(path)
    for inst in suite.instances:
        check_data(inst, suite.sources[inst.id])
    return suite.instances


def read_json_file(path: Path) -> Any:
    """A JSON document from a file; InputError (file, position) if it is malformed."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(str(path), None, f"cannot read: {exc}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            str(path), None, f"malformed JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None


def load_instances(location: str | Path) -> list[Instance]:
    """Instances from a suite folder, a .jsonl file, a single-instance .json, a .parquet file, an exported
    dataset folder, or a Hub name."""
    path = Path(location)
    if path.is_dir():
        if (path / INSTANCES).exists():
            return read_jsonl(path / INSTANCES)
        if (path / PARQUET).exists():
            return read_parquet(path / PARQUET)
        if (path / "README.md").exists() and any(path.glob("data/*.parquet")):
            return read_dataset_folder(path)
        raise InputError(str(path), None, f"not a suite folder (no {INSTANCES})")
    if path.suffix == ".jsonl":
        return read_jsonl(path)
    if path.suffix == ".json":
        raw = read_json_file(path)
        if not isinstance(raw, list):
            return [parse_instance(raw, str(path))]
        sources = [f"{path}[{i}]" for i in range(len(raw))]
        instances = [parse_instance(item, source) for item, source in zip(raw, sources, strict=True)]
        check_unique(instances, sources)
        return instances
    if path.suffix == ".parquet":
        return read_parquet(path)
    if not path.exists() and _HUB_NAME.match(str(location)) and not path.parent.exists():
        return read_hub(str(location))
    if not path.exists():
        raise InputError(str(path), None, "no such file or folder")
    raise InputError(str(path), None, "not a suite folder, .jsonl, .json or .parquet file")


def read_parquet(path: Path) -> list[Instance]:
    """Instances from a parquet copy of a suite."""
    from datasets import load_dataset

    dataset = load_dataset("parquet", data_files=str(path), split="train")
    return _unique_rows([(row, f"{path}[{i}]") for i, row in enumerate(dataset)])


def read_dataset_folder(path: Path) -> list[Instance]:
    """Instances from a dataset folder as `schedbench export-suite` writes it (data/*.parquet, read directly:
    no `datasets` cache that could serve an earlier export of the same folder)."""
    import pyarrow.parquet as pq

    files = sorted(path.glob("data/*.parquet"))
    rows = [row for file in files for row in pq.read_table(file).to_pylist()]
    return [from_flat_row(row, f"{path}[{i}]") for i, row in enumerate(rows)]


def read_hub(name: str) -> list[Instance]:
    """Instances from a Hugging Face Hub dataset with the suite's columns: its `test` split (what
    `schedbench export-suite` writes), else `train`, else its only split."""
    from datasets import load_dataset

    try:
        splits = load_dataset(name)
    except Exception as exc:  # the Hub client raises many types; all mean "cannot load"
        raise InputError(name, None, f"cannot load dataset: {type(exc).__name__}: {exc}".splitlines()[0]) from None
    chosen = next((s for s in ("test", "train") if s in splits), None)
    if chosen is None and len(splits) != 1:
        raise InputError(name, "split", f"no test or train split among {', '.join(splits)}")
    dataset = splits[chosen or next(iter(splits))]
    return _unique_rows([(row, f"{name}[{i}]") for i, row in enumerate(dataset)])


def _unique_rows(rows: list[tuple[dict[str, Any], str]]) -> list[Instance]:
    instances = [from_flat_row(row, source) for row, source in rows]
    check_unique(instances, [source for _, source in rows])
    return instances


def read_manifest(folder: Path) -> dict[str, Any]:
    """The manifest of a suite folder ({} if absent)."""
    path = folder / MANIFEST
    return read_json_file(path) if path.exists() else {}
