"""What a run records about the software that produced it (lm-evaluation-harness style)."""

from __future__ import annotations

import platform
import subprocess
from functools import cache
from importlib import metadata
from pathlib import Path


def versions() -> dict[str, str]:
    """Versions of Python, schedbench and the libraries that shape results."""
    out = {"python": platform.python_version()}
    for package in ("schedbench", "openai", "anthropic", "ortools", "pydantic", "numpy"):
        try:
            out[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            continue
    return out


@cache
def git_hash() -> str | None:
    """The commit of the schedbench checkout (with '-dirty' for local changes), or None outside git."""
    root = Path(__file__).resolve().parents[2]
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=5)
        if head.returncode != 0:
            return None
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=5,
        )
        return head.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return None
