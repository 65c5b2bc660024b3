"""LLM-driven heuristic evolution (OpenEvolve / ADRS style) with a real sandbox.

Public API: `EvolveConfig` / `load_config` (every knob, TOML), `run_evolution(out, config)` (run or resume a
run folder), `Evolution` (the controller, for embedding), `build_report` (the evolved rule against the
family's baselines on held-out sets), (untrusted code runs through `schedbench.sandbox`),
`get_spec` / `EvolveSpec` (a family's bindings, from its record). Importing this package registers the offline model
`baseline/mutator`; everything else is imported on first use, so the command line starts fast.
"""

from __future__ import annotations

import importlib
from typing import Any

from schedbench.evolve import mutator as _mutator  # noqa: F401 - registers baseline/mutator

_EXPORTS = {
    "EvolveConfig": "config",
    "load_config": "config",
    "Evolution": "controller",
    "RunSummary": "controller",
    "run_evolution": "controller",
    "EvolveSpec": "specs",
    "get_spec": "specs",
    "build_report": "report",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'schedbench.evolve' has no attribute {name!r}")
    return getattr(importlib.import_module(f"schedbench.evolve.{_EXPORTS[name]}"), name)
