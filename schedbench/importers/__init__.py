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
        if inst.id in optima:
            inst.published_source = f"{name}: {published.optima}"  # type: ignore[attr-defined]  # an extra field too
        if published_references:
            fields = {"status": "optimal", "objective": optimum, "bound": optimum, "solver": "published"}
            inst.reference = Reference.model_validate({**fields, "source": "published"})
    return instances


PUBLISHED_KEYS = ("published_optimum", "published_bounds", "published_source")
"""The extra fields in which an imported instance carries its source's published values."""


def has_published_values(inst: Instance) -> bool:
    """Whether an instance carries a published optimum or published bounds."""
    extra = inst.model_extra or {}
    return extra.get("published_optimum") is not None or extra.get("published_bounds") is not None


def attach_shipped_values(importer_name: str, instances: list[Instance]) -> int:
    """Give each instance that is a copy of an instance of a shipped published set — read by the same importer,
    with the same id and the same data — that set's published values, as if it had been imported by the set's
    name (so `import psplib j3010_1.sm` or `import orlib-wt wt40.txt` from any folder knows the optimum).
    Instances that carry published values already keep them. Returns how many got values."""
    from schedbench import datasets

    lacking = [inst for inst in instances if not has_published_values(inst)]
    attached = 0
    for name in datasets.names() if lacking else []:
        published = datasets.resolve(name)
        if published.importer != importer_name or importer_name not in importers():
            continue
        for path in datasets.files(name):
            wanted = [inst for inst in lacking if inst.id == path.stem or inst.id.startswith(f"{path.stem}-")]
            if wanted:
                attached += _copy_values(name, path, wanted)
    return attached


def _copy_values(name: str, path: Path, wanted: list[Instance]) -> int:
    """Copy the published values of the shipped file `path` of set `name` onto its twins among `wanted`."""
    from schedbench import datasets

    shipped = {inst.id: inst for inst in importers()[datasets.resolve(name).importer].read([path])}
    optima = datasets.published_optima(name)
    copied = 0
    for inst in wanted:
        twin = shipped.get(inst.id)
        if twin is None or twin.data != inst.data:
            continue
        values = {key: value for key, value in (twin.model_extra or {}).items() if key in PUBLISHED_KEYS}
        if inst.id in optima:
            values["published_optimum"] = optima[inst.id]
        if values.get("published_optimum") is None and values.get("published_bounds") is None:
            continue
        values.setdefault("published_source", f"{name} (shipped with schedbench)")
        for key, value in values.items():
            setattr(inst, key, value)
        copied += 1
    return copied


def reads_from_folder(name: str, path: Path) -> bool:
    """Whether the importer `name` takes this file when `schedbench import NAME` is given its folder."""
    importer = importers()[name]
    if path.name.startswith(".") or path.suffix.lower() in (".md", ".json", ".csv"):
        return False
    suffix = path.suffix.lower()
    return suffix in importer.folder_suffixes or importer_for_suffix(path) is importer
