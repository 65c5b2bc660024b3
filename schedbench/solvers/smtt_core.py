"""The compiled SMTT core (`_smtt_core.c`), loaded in one place for both SMTT solvers."""

from __future__ import annotations

from typing import Any


def core() -> Any:
    """The compiled core: the one built at install time, else one built here from the shipped C source (a Ray
    node of another platform, an uninstalled checkout); RuntimeError when neither is possible."""
    try:
        from schedbench.solvers import _smtt_core
    except ImportError:
        from schedbench.solvers._build_core import build_core

        return build_core()
    return _smtt_core
