"""Readers for published instance sets, each producing normal schedbench instances."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from schedbench.problems import Instance

Importer = Callable[[list[Path]], list[Instance]]


def importers() -> dict[str, Importer]:
    """Importers by the name used in `schedbench import NAME`."""
    from schedbench.importers import asynchow, orlib, psplib, smtt_jsonl

    return {
        "psplib": psplib.read_files,
        "orlib-wt": orlib.read_files,
        "smtt-jsonl": smtt_jsonl.read_files,
        "asynchow": asynchow.read_files,
    }


def importer_for_suffix(path: Path) -> Importer | None:
    """The importer that reads files with this suffix directly (for `schedbench solve FILE`)."""
    by_suffix = {".sm": "psplib", ".txt": "orlib-wt"}
    name = by_suffix.get(path.suffix.lower())
    return importers()[name] if name else None
