"""Suites on disk (docs/formats.md): instances.jsonl, manifest.json and a Hugging Face parquet copy."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from schedbench import __version__
from schedbench._files import atomic_folder
from schedbench.errors import InputError, pydantic_location, pydantic_message
from schedbench.problems import Instance, family_names, get_family

INSTANCES = "instances.jsonl"
MANIFEST = "manifest.json"
PARQUET = "instances.parquet"
SUITE_FILES = frozenset({INSTANCES, MANIFEST, PARQUET})
TOO_DEEP = "malformed JSON: nested too deeply"
_HUB_NAME = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
"""A Hugging Face dataset name: owner/name."""


def write_suite(out: Path, instances: list[Instance], manifest: dict[str, Any]) -> Path:
    """Write the three suite files into a temporary folder renamed to `out` when complete (an earlier suite in
    `out` is replaced whole); the manifest records the count and the SHA-256 of instances.jsonl, which readers
    check. Returns the folder; InputError when `out` holds other files or cannot be written."""
    content = "".join(inst.to_json_line() + "\n" for inst in instances).encode("utf-8")
    counts: dict[str, int] = {}
    for inst in instances:
        status = inst.reference.status if inst.reference else "unsolved"
        counts[status] = counts.get(status, 0) + 1
    full = {
        "schedbench_version": __version__,
        **manifest,
        "count": len(instances),
        "instances_sha256": hashlib.sha256(content).hexdigest(),
        "status_counts": counts,
    }
    try:
        with atomic_folder(out, SUITE_FILES) as folder:
            (folder / INSTANCES).write_bytes(content)
            (folder / MANIFEST).write_text(json.dumps(full, indent=2) + "\n", encoding="utf-8")
            write_parquet(folder / PARQUET, instances)
    except OSError as exc:  # FileExistsError included: never write over a folder of other files
        raise InputError(str(out), "--out", f"cannot write the suite: {exc.strerror or exc}") from None
    return out


def check_manifest(folder: Path, count: int, content: bytes | None) -> None:
    """InputError unless the suite read from `folder` is the one its manifest describes: the same number of
    instances and, for instances.jsonl (`content`), the same SHA-256. A folder without a manifest passes."""
    manifest = read_manifest(folder)
    if not isinstance(manifest, dict) or not manifest:
        return
    source = str(folder / MANIFEST)
    expected = manifest.get("count")
    if isinstance(expected, int) and expected != count:
        raise InputError(source, "count", f"says {expected} instances, the suite holds {count} (half written?)")
    digest = manifest.get("instances_sha256")
    if content is not None and isinstance(digest, str) and hashlib.sha256(content).hexdigest() != digest:
        raise InputError(source, "instances_sha256", f"{INSTANCES} was changed after it was written")


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
            try:
                row[key] = json.loads(row[key])
            except json.JSONDecodeError as exc:
                raise InputError(source, key, f"malformed JSON: {exc.msg} at column {exc.colno}") from None
            except RecursionError:
                raise InputError(source, key, TOO_DEEP) from None
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
        out.append((number, loads_strict(line, f"{path}:{number}", where="column")))
    return out


def read_jsonl(path: Path) -> list[Instance]:
    """Instances from a JSON-lines file, family data validated; InputError on the first bad line."""
    suite = scan_jsonl(path)
    for inst in suite.instances:
        check_data(inst, suite.sources[inst.id])
    return suite.instances


def read_suite_folder(path: Path) -> list[Instance]:
    """The instances of a suite folder (instances.jsonl, else the parquet copy), checked against its manifest."""
    if (path / INSTANCES).exists():
        instances = read_jsonl(path / INSTANCES)
        check_manifest(path, len(instances), (path / INSTANCES).read_bytes())
        return instances
    if (path / PARQUET).exists():
        instances = read_parquet(path / PARQUET)
        check_manifest(path, len(instances), None)
        return instances
    if (path / "README.md").exists() and any(path.glob("data/*.parquet")):
        return read_dataset_folder(path)
    raise InputError(str(path), None, f"not a suite folder (no {INSTANCES})")


class RepeatedKeyError(ValueError):
    """A JSON object gives one key twice (`key`); plain JSON parsing would silently keep the last value."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def refuse_repeated_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """`object_pairs_hook` for `json.loads`: a dict, or RepeatedKeyError at the first key given twice."""
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise RepeatedKeyError(key)
        result[key] = value
    return result


def loads_strict(text: str, source: str, where: str = "at") -> Any:
    """JSON text read as `source`: InputError (source, position) when malformed, (source, key) when an object
    repeats a key, instead of silently keeping one of the values."""
    try:
        return json.loads(text, object_pairs_hook=refuse_repeated_keys)
    except RepeatedKeyError as exc:
        raise InputError(source, exc.key, "duplicate key: an object gives it twice") from None
    except json.JSONDecodeError as exc:
        position = f"line {exc.lineno} column {exc.colno}" if where == "at" else f"column {exc.colno}"
        raise InputError(source, None, f"malformed JSON: {exc.msg} at {position}") from None
    except RecursionError:
        raise InputError(source, None, TOO_DEEP) from None


def read_json_file(path: Path) -> Any:
    """A JSON document from a file; InputError naming the file and the position if it is malformed, or the key
    if an object repeats one."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(str(path), None, f"cannot read: {exc}") from None
    return loads_strict(text, str(path))


def load_instances(location: str | Path) -> list[Instance]:
    """Instances from a suite folder, a .jsonl file, a single-instance .json, a .parquet file, an exported
    dataset folder, or a Hub name."""
    path = Path(location)
    if path.is_dir():
        return read_suite_folder(path)
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
    """Instances from a parquet copy of a suite; InputError when the file is not a readable parquet table."""
    import pyarrow
    import pyarrow.parquet

    try:
        rows = pyarrow.parquet.read_table(path).to_pylist()
    except (OSError, pyarrow.ArrowException) as exc:
        raise InputError(str(path), None, f"not a readable parquet file: {exc}".splitlines()[0]) from None
    return _unique_rows([(row, f"{path}[{i}]") for i, row in enumerate(rows)])


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
