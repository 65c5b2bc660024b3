"""Readers for published instance sets, each producing normal schedbench instances.

Each family's record names its importers (`Family.importers`); this module gathers them across families.
"""

from __future__ import annotations

from pathlib import Path

from schedbench.errors import InputError
from schedbench.problems import Importer, Instance, Reference, family_names, get_family


def importers() -> dict[str, Importer]:
    """Importers of every registered family by the name used in `schedbench import NAME`."""
    return {name: importer for family in family_names() for name, importer in get_family(family).importers.items()}


def importer_for_suffix(path: Path) -> Importer | None:
    """The importer that reads files with this suffix directly (for `schedbench solve FILE`)."""
    suffix = path.suffix.lower()
    return next((imp for imp in importers().values() if suffix in imp.suffixes), None)


def read_by_content(path: Path) -> list[Instance]:
    """The instances of a file without a suffix, read by the first importer that takes files by content
    (`Importer.by_content`) and reads it without error; InputError naming the file when none does."""
    candidates = {name: imp for name, imp in importers().items() if imp.by_content}
    first_error: InputError | None = None
    for importer in candidates.values():
        try:
            return importer.read([path])
        except InputError as exc:
            first_error = first_error or exc
    tried = ", ".join(candidates) or "none"
    reason = f" (as {next(iter(candidates))}: {first_error.field}: {first_error.message})" if first_error else ""
    raise InputError(
        str(path), None, f"format not recognised: no suffix, and the content is no {tried} file{reason}".strip()
    )


def detectable_by_content(path: Path) -> bool:
    """Whether some importer might read this file by its content: a plain file whose name has no suffix."""
    return path.is_file() and not path.suffix and not path.name.startswith(".")


def names_published_set(location: str | Path) -> bool:
    """Whether `location` names a published set (`psplib/j30`, or a misspelt name under a published source)
    rather than a path: a path of that name wins."""
    from schedbench import datasets

    return not Path(location).exists() and datasets.in_namespace(Path(location).as_posix())


def load_published(name: str, *, published_references: bool = True) -> list[Instance]:
    """The instances of the published set `name` (see `schedbench.datasets`), in file order.

    Each instance whose set publishes a proven optimum records it as `published_optimum`; with
    `published_references` it also gets that optimum as its reference (status optimal, solver "published"), so
    the set can be evaluated without solving it again. InputError for an unknown name, or for a listed set
    whose importer is not available yet.
    """
    from schedbench import datasets

    published = datasets.resolve(name)
    reader = importers().get(published.importer)
    if reader is None:
        raise InputError(
            name,
            None,
            f"published set of the {published.family} family; its importer ({published.importer}) is not available yet",
        )
    instances = reader.read(datasets.files(name))
    optima = datasets.published_optima(name)
    for inst in instances:
        optimum = optima.get(inst.id, getattr(inst, "published_optimum", None))
        if optimum is None:
            continue
        inst.published_optimum = optimum  # type: ignore[attr-defined]  # an extra field: the envelope allows them
        if published_references:
            inst.reference = Reference(status="optimal", objective=optimum, bound=optimum, solver="published")
    return instances


def reads_from_folder(name: str, path: Path) -> bool:
    """Whether the importer `name` takes this file when `schedbench import NAME` is given its folder."""
    importer = importers()[name]
    if path.name.startswith(".") or path.suffix.lower() in (".md", ".json", ".csv"):
        return False
    suffix = path.suffix.lower()
    return suffix in importer.folder_suffixes or importer_for_suffix(path) is importer
