"""The compiled SMTT core (`_smtt_core.c`), loaded in one place for both SMTT solvers."""

from __future__ import annotations

from typing import Any


def core() -> Any:
    """The compiled core; a clear error if the package was installed without building it."""
    try:
        from schedbench.solvers import _smtt_core
    except ImportError as exc:  # pragma: no cover - only on a broken install
        raise RuntimeError(
            "the compiled SMTT core is missing: reinstall with `pip install -e .` "
            "(it builds schedbench/solvers/_smtt_core.c)"
        ) from exc
    return _smtt_core
