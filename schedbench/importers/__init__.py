"""Readers for published instance sets, each producing normal schedbench instances."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from schedbench.problems import Instance

Importer = Callable[[list[Path]], list[Instance]]


def importers() -> dict[str, Importer]:
    """Importers by the name used in `schedbench import NAME`."""
    from schedbench.importers import jobshop, orlib, psplib, smtt_jsonl

    return {
        "psplib": psplib.read_files,
        "orlib-wt": orlib.read_files,
        "smtt-jsonl": smtt_jsonl.read_files,
        "jsplib": jobshop.read_jsplib_files,
        "taillard": jobshop.read_taillard_files,
        "fjsp": jobshop.read_fjs_files,
    }


#: Suffixes of the files an importer takes from a folder, beyond those `importer_for_suffix` maps to it
#: (JSPLIB instances carry no suffix; Taillard's files are .txt, which `solve` reads as OR-Library).
FOLDER_SUFFIXES = {"jsplib": ("", ".jss"), "taillard": (".txt",)}


def importer_for_suffix(path: Path) -> Importer | None:
    """The importer that reads files with this suffix directly (for `schedbench solve FILE`)."""
    by_suffix = {".sm": "psplib", ".txt": "orlib-wt", ".fjs": "fjsp"}
    name = by_suffix.get(path.suffix.lower())
    return importers()[name] if name else None


def reads_from_folder(name: str, path: Path) -> bool:
    """Whether the importer `name` takes this file when given its folder."""
    if path.name.startswith(".") or path.suffix.lower() in (".md", ".json", ".csv"):
        return False
    return path.suffix.lower() in FOLDER_SUFFIXES.get(name, ()) or importer_for_suffix(path) is importers()[name]
