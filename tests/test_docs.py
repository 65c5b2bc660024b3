"""The documentation lives in the repository: no file points outside it, links resolve, one version."""

from __future__ import annotations

import importlib.metadata
import re
import tomllib
from pathlib import Path

import pytest

import schedbench

ROOT = Path(__file__).resolve().parents[1]
TEXT_SUFFIXES = {".py", ".md", ".toml", ".j2", ".cfg", ".yaml", ".txt", ".c"}
SKIP_DIRS = {".venv", ".git", "build", "dist", "node_modules", "__pycache__", ".hypothesis", ".pytest_cache"}
OUTSIDE = ["DESIGN" + ".md", "REFERENCES" + ".md", "../" + "shared", "DESIGN" + " §"]


def repository_text_files() -> list[Path]:
    """Text files of the checkout (not the published data, whose files are the sources' own)."""
    files = []
    for path in ROOT.rglob("*"):
        parts = set(path.relative_to(ROOT).parts)
        if parts & SKIP_DIRS or any(p.endswith(".egg-info") for p in parts) or not path.is_file():
            continue
        if "datasets" in parts and path.suffix != ".py" and path.name != "README.md":
            continue
        if path.suffix in TEXT_SUFFIXES or path.name in ("Makefile", "run"):
            files.append(path)
    return files


def test_no_file_points_to_documents_outside_the_repository() -> None:
    files = repository_text_files()
    assert len(files) > 100 and ROOT / "docs" / "formats.md" in files
    offenders = [
        f"{path.relative_to(ROOT)}: {needle}"
        for path in files
        for needle in OUTSIDE
        if needle in path.read_text(encoding="utf-8", errors="replace")
    ]
    assert offenders == []


@pytest.mark.parametrize("page", [*sorted(p.name for p in (ROOT / "docs").glob("*.md")), "CONTRIBUTING.md"])
def test_relative_links_resolve(page: str) -> None:
    path = ROOT / "docs" / page if (ROOT / "docs" / page).exists() else ROOT / page
    links = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", path.read_text(encoding="utf-8"))
    for link in links:
        if "://" not in link:
            assert (path.parent / link).exists(), f"{page}: {link}"


@pytest.mark.parametrize("family", ["rcpsp", "smtt", "asyncplan"])
def test_every_violation_type_of_a_built_in_family_is_documented(family: str) -> None:
    from schedbench.problems import get_family

    formats = (ROOT / "docs" / "formats.md").read_text(encoding="utf-8")
    types = get_family(family).violation_types
    assert types and [t for t in types if f"| `{t}` |" not in formats] == []


def test_the_version_is_written_once() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert "version" not in project and "version" in project["dynamic"]
    assert importlib.metadata.version("schedbench") == schedbench.__version__
