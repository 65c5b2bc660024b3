"""The compiled SMTT core (`_smtt_core.c`), loaded in one place for both SMTT solvers."""

from __future__ import annotations

from typing import Any

import numpy as np


def core() -> Any:
    """The compiled core: the one built at install time, else one built here from the shipped C source (a Ray
    node of another platform, an uninstalled checkout); RuntimeError when neither is possible."""
    try:
        import schedbench.solvers._smtt_core as _smtt_core
    except ImportError:
        from schedbench.solvers._build_core import build_core

        return build_core()
    return _smtt_core


LOCAL_SEARCH_WORK = 200_000_000
"""Work cap of one local search (places evaluated): a few tenths of a second at n = 1000, never reached below."""


def local_search(p: np.ndarray, d: np.ndarray, w: np.ndarray, order: np.ndarray, window: int = 50) -> np.ndarray:
    """`order` improved by descents (adjacent interchange, insertion, pairwise interchange at most `window`
    places apart) until none improves: never costlier, always a permutation of `order` (compiled, work-capped)."""
    sequence, _, _ = core().improve(
        p.tolist(), d.tolist(), w.tolist(), [int(j) for j in order], window, LOCAL_SEARCH_WORK
    )
    return np.asarray(sequence, dtype=np.int64)
