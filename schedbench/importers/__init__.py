"""Readers for published instance sets, each producing normal schedbench instances.

Each family's record names its importers (`Family.importers`); this module gathers them across families.
"""

from __future__ import annotations

from pathlib import Path

from schedbench.problems import Importer, family_names, get_family


def importers() -> dict[str, Importer]:
    """Importers of every registered family by the name used in `schedbench import NAME`."""
    return {name: importer for family in family_names() for name, importer in get_family(family).importers.items()}


def importer_for_suffix(path: Path) -> Importer | None:
    """The importer that reads files with this suffix directly (for `schedbench solve FILE`)."""
    suffix = path.suffix.lower()
    return next((imp for imp in importers().values() if suffix in imp.suffixes), None)
