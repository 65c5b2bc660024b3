"""Job-shop files: the standard JSPLIB/OR-Library format, Taillard's two-block format and flexible `.fjs` files.

- JSPLIB: `#` comment lines, then `jobs machines`, then one line per job of `machine duration` pairs in
  processing order, machines numbered from 0.
- Taillard: per instance an optional header (`Nb of jobs, Nb of Machines, Time seed, Machine seed, Upper bound,
  Lower bound` and its numbers), a `Times` block (jobs × machines durations) and a `Machines` block (the
  machine of each step, numbered from 1); a file may hold several instances (tai15_15.txt holds ten). Without
  the header the block starts with `jobs machines`.
- `.fjs` (Brandimarte, Kacem, Fattahi, Hurink): `jobs machines [average]`, then per job the number of
  operations and, per operation, the number of eligible machines followed by `machine duration` pairs,
  machines numbered from 1.

Published values are attached when an instance's name matches the tables shipped in `schedbench/datasets`:
`published_optimum` (a proven optimum), else `published_bounds` ({"lower", "upper"}), with
`published_source`. The reference solver then reports a match with a published optimum as optimal.
"""

from __future__ import annotations

import csv
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from schedbench.errors import InputError, pydantic_location, pydantic_message
from schedbench.problems import Instance
from schedbench.problems.jobshop import MAX_TIME, Job, JobshopData, Machine, Operation

DATASETS = Path(__file__).resolve().parents[1] / "datasets"


class Tokens:
    """Integers of a file with their line numbers, read one at a time; errors name the line."""

    def __init__(self, path: Path, lines: list[tuple[int, str]]) -> None:
        self.path = path
        self.items: list[tuple[int, str]] = [(number, token) for number, text in lines for token in text.split()]
        self.at = 0

    def left(self) -> int:
        return len(self.items) - self.at

    def line(self) -> int:
        return self.items[min(self.at, len(self.items) - 1)][0] if self.items else 1

    def next(self, what: str, low: int = 0, high: int = MAX_TIME) -> int:
        if self.at >= len(self.items):
            raise InputError(str(self.path), f"line {self.line()}", f"file ends where {what} was expected")
        number, token = self.items[self.at]
        self.at += 1
        try:
            value = int(token)
        except ValueError:
            raise InputError(str(self.path), f"line {number}", f"{what}: {token!r} is not an integer") from None
        if not low <= value <= high:
            raise InputError(str(self.path), f"line {number}", f"{what}: {value} is outside {low}..{high}")
        return value


def read_lines(path: Path) -> list[tuple[int, str]]:
    """Numbered lines of a file, `#` comments and blank lines dropped."""
    if not path.is_file():
        raise InputError(str(path), None, "no such file")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(str(path), None, f"cannot read: {exc}") from None
    return [
        (i, line)
        for i, line in enumerate(text.splitlines(), start=1)
        if line.strip() and not line.lstrip().startswith("#")
    ]


def build_data(path: Path, routes: list[list[dict[int, int]]], machine_count: int) -> JobshopData:
    """Validated data from routes (per job, per operation: machine number from 1 → duration)."""
    try:
        return JobshopData(
            machines=[Machine(id=f"M{k + 1}") for k in range(machine_count)],
            jobs=[
                Job(
                    id=f"J{j + 1}",
                    operations=[
                        Operation(id=f"J{j + 1}.{k + 1}", durations={f"M{m}": d for m, d in op.items()})
                        for k, op in enumerate(route)
                    ],
                )
                for j, route in enumerate(routes)
            ],
        )
    except ValidationError as exc:
        raise InputError(str(path), pydantic_location(exc), pydantic_message(exc)) from None


def read_jsplib(path: Path) -> list[Instance]:
    """One instance in the standard format (machines from 0)."""
    tokens = Tokens(path, read_lines(path))
    n = tokens.next("number of jobs", 1, 100_000)
    m = tokens.next("number of machines", 1, 10_000)
    routes = []
    for j in range(n):
        route = []
        seen: set[int] = set()
        for k in range(m):
            machine = tokens.next(f"job {j + 1} step {k + 1} machine", 0, m - 1)
            duration = tokens.next(f"job {j + 1} step {k + 1} duration")
            if machine in seen:
                raise InputError(str(path), f"line {tokens.line()}", f"job {j + 1} visits machine {machine} twice")
            seen.add(machine)
            route.append({machine + 1: duration})
        routes.append(route)
    if tokens.left():
        raise InputError(str(path), f"line {tokens.line()}", f"{tokens.left()} values after the last job")
    return [make_instance(path.stem, build_data(path, routes, m), "jsplib")]


_HEADER = re.compile(r"nb\s+of\s+jobs", re.IGNORECASE)
_LABEL = re.compile(r"^\s*(times|machines)\s*$", re.IGNORECASE)


def read_taillard(path: Path) -> list[Instance]:
    """Every instance of a Taillard file (times block, then machines block numbered from 1)."""
    lines = read_lines(path)
    chunks: list[list[tuple[int, str]]] = []
    for number, text in lines:
        if _HEADER.search(text) or not chunks:
            chunks.append([])
        if not _HEADER.search(text) and not _LABEL.match(text):
            chunks[-1].append((number, text))
    chunks = [c for c in chunks if c]
    if not chunks:
        raise InputError(str(path), None, "empty file: no instance")
    headed = any(_HEADER.search(text) for _, text in lines)
    instances = []
    for index, chunk in enumerate(chunks, start=1):
        tokens = Tokens(path, chunk)
        n = tokens.next("number of jobs", 1, 100_000)
        m = tokens.next("number of machines", 1, 10_000)
        extra: dict[str, Any] = {}
        if headed:
            extra["taillard_seeds"] = {
                "time": tokens.next("time seed", 0, 2**31),
                "machine": tokens.next("machine seed", 0, 2**31),
            }
            upper, lower = tokens.next("upper bound"), tokens.next("lower bound")
            extra.update(published_bounds={"lower": lower, "upper": upper}, published_source=f"{path.name} header")
        times = [[tokens.next(f"job {j + 1} step {k + 1} time") for k in range(m)] for j in range(n)]
        routes = []
        for j in range(n):
            row = [tokens.next(f"job {j + 1} step {k + 1} machine", 1, m) for k in range(m)]
            if len(set(row)) != m:
                raise InputError(str(path), f"line {tokens.line()}", f"job {j + 1} visits a machine twice")
            routes.append([{machine: times[j][k]} for k, machine in enumerate(row)])
        if tokens.left():
            raise InputError(str(path), f"line {tokens.line()}", f"{tokens.left()} values after the machines block")
        name = path.stem if len(chunks) == 1 else f"{path.stem}-{index:02d}"
        instance = make_instance(name, build_data(path, routes, m), "taillard")
        published = instance.model_extra or {}
        for key, value in extra.items():  # a published table's values win over the file's header
            if key == "taillard_seeds" or not ({"published_optimum", "published_bounds"} & published.keys()):
                setattr(instance, key, value)
        instances.append(instance)
    return instances


def read_fjs(path: Path) -> list[Instance]:
    """One flexible job shop (`.fjs`, machines from 1)."""
    tokens = Tokens(path, read_lines(path))
    first = tokens.items[:3]
    n = tokens.next("number of jobs", 1, 100_000)
    m = tokens.next("number of machines", 1, 10_000)
    if len(first) == 3 and first[2][0] == first[0][0]:  # the optional average on the first line
        tokens.at += 1
    routes = []
    for j in range(n):
        route = []
        for k in range(tokens.next(f"job {j + 1} number of operations", 1, 10_000)):
            op: dict[int, int] = {}
            for _ in range(tokens.next(f"job {j + 1} operation {k + 1} number of machines", 1, m)):
                machine = tokens.next(f"job {j + 1} operation {k + 1} machine", 1, m)
                duration = tokens.next(f"job {j + 1} operation {k + 1} duration")
                if machine in op:
                    raise InputError(
                        str(path),
                        f"line {tokens.line()}",
                        f"job {j + 1} operation {k + 1} lists machine {machine} twice",
                    )
                op[machine] = duration
            route.append(op)
        routes.append(route)
    if tokens.left():
        raise InputError(str(path), f"line {tokens.line()}", f"{tokens.left()} values after the last job")
    return [make_instance(path.stem, build_data(path, routes, m), "fjsp", aliases=(f"{path.parent.name}_{path.stem}",))]


def make_instance(name: str, data: JobshopData, stage: str, aliases: tuple[str, ...] = ()) -> Instance:
    """An imported instance (level = number of operations) with any published values attached."""
    instance = Instance(
        id=name,
        family="jobshop",
        level=data.n_operations(),
        stage=stage,
        scenario="abstract",
        seed=0,
        data=data.model_dump(exclude_defaults=True),
    )
    for key in (name, *aliases):
        found = published_values().get(key)
        if found:
            for field, value in found.items():
                setattr(instance, field, value)
            break
    return instance


@cache
def published_values() -> dict[str, dict[str, Any]]:
    """Published optima and bounds by instance name: the OptalCP tables (newer), else JSPLIB's instances.json."""
    table: dict[str, dict[str, Any]] = {}
    jsplib = DATASETS / "jsplib" / "instances.json"
    if jsplib.is_file():
        for entry in json.loads(jsplib.read_text(encoding="utf-8")):
            if entry.get("optimum") is not None:
                table[entry["name"]] = {
                    "published_optimum": entry["optimum"],
                    "published_source": "JSPLIB instances.json",
                }
            elif entry.get("bounds"):
                bounds = {"lower": entry["bounds"].get("lower"), "upper": entry["bounds"].get("upper")}
                table[entry["name"]] = {"published_bounds": bounds, "published_source": "JSPLIB instances.json"}
    for csv_path in (DATASETS / "jsplib" / "optalcp_4w.csv", DATASETS / "fjsp" / "optalcp_4w.csv"):
        if not csv_path.is_file():
            continue
        with csv_path.open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                source = f"OptalCP 4 workers ({csv_path.parent.name}/{csv_path.name})"
                if row["status"] == "Optimum":
                    table[row["instance"]] = {"published_optimum": int(row["objective"]), "published_source": source}
                elif row["instance"] not in table or "published_optimum" not in table[row["instance"]]:
                    bounds = {"lower": int(row["lower_bound"]), "upper": int(row["objective"])}
                    table[row["instance"]] = {"published_bounds": bounds, "published_source": source}
    return table


def read_jsplib_files(paths: list[Path]) -> list[Instance]:
    return [inst for path in paths for inst in read_jsplib(path)]


def read_taillard_files(paths: list[Path]) -> list[Instance]:
    return [inst for path in paths for inst in read_taillard(path)]


def read_fjs_files(paths: list[Path]) -> list[Instance]:
    return [inst for path in paths for inst in read_fjs(path)]
