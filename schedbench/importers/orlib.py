"""OR-Library single-machine weighted tardiness files (wt40.txt, wt50.txt, wt100.txt).

Each file lists its instances one after another, each as n processing times, n weights and n due dates,
whitespace separated; n comes from the file name (wt40 → 40). If `wtopt<n>.txt` (one optimal or best-known
value per line) sits beside the file, each instance records it as `published_optimum`.
"""

from __future__ import annotations

import re
from pathlib import Path

from schedbench.errors import InputError
from schedbench.problems import Instance
from schedbench.problems.smtt import from_arrays


def jobs_per_instance(path: Path) -> int:
    """The number of jobs named by the file (wt40.txt → 40)."""
    match = re.search(r"(\d+)", path.stem)
    if not match or int(match.group(1)) < 1:
        raise InputError(str(path), "file name", "cannot tell the number of jobs; name the file like wt40.txt")
    return int(match.group(1))


def read_numbers(path: Path) -> list[int]:
    """Every whitespace-separated integer of the file; InputError naming the first token that is not one."""
    try:
        tokens = path.read_text(encoding="utf-8").split()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(str(path), None, f"cannot read: {exc}") from None
    numbers = []
    for position, token in enumerate(tokens, start=1):
        try:
            numbers.append(int(token))
        except ValueError:
            raise InputError(str(path), f"value {position}", f"{token!r} is not an integer") from None
    return numbers


def published_optima(path: Path, n: int) -> list[int] | None:
    """Values of wtopt<n>.txt beside the file, if present."""
    optima = path.with_name(f"wtopt{n}.txt")
    if not optima.is_file() or optima.resolve() == path.resolve():
        return None
    return read_numbers(optima)


def read_file(path: Path) -> list[Instance]:
    """All instances of one OR-Library wt file, ids <stem>-001, <stem>-002, ..."""
    if not path.is_file():
        raise InputError(str(path), None, "no such file")
    n = jobs_per_instance(path)
    numbers = read_numbers(path)
    if not numbers:
        raise InputError(str(path), None, "empty file: no instance")
    if len(numbers) % (3 * n):
        raise InputError(
            str(path),
            "values",
            f"{len(numbers)} values do not split into instances of {n} processing times, {n} weights and {n} due dates",
        )
    optima = published_optima(path, n)
    count = len(numbers) // (3 * n)
    if optima is not None and len(optima) != count:
        optima = None
    instances = []
    for k in range(count):
        block = numbers[3 * n * k : 3 * n * (k + 1)]
        p, w, d = block[:n], block[n : 2 * n], block[2 * n :]
        if any(x < 0 for x in p + w):
            raise InputError(str(path), f"instance {k + 1}", "processing times and weights must be >= 0")
        data = from_arrays(p, d, w)
        extra = (
            {"published_optimum": optima[k], "published_source": f"OR-Library {path.with_name(f'wtopt{n}.txt').name}"}
            if optima is not None
            else {}
        )
        instances.append(
            Instance(
                id=f"{path.stem}-{k + 1:03d}",
                family="smtt",
                level=n,
                stage="weighted",
                scenario="abstract",
                seed=0,
                data=data.model_dump(),
                **extra,
            )
        )
    return instances


def read_files(paths: list[Path]) -> list[Instance]:
    """Every instance of every file, in the order given."""
    return [inst for path in paths for inst in read_file(path)]
