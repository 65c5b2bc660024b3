"""LLM-driven heuristic evolution (OpenEvolve / ADRS style) with a real sandbox.

Public API: `EvolveConfig` / `load_config` (every knob, TOML), `run_evolution(out, config)` (run or resume a
run folder), `Evolution` (the controller, for embedding), `evolve_report(out)` (the evolved rule against the
family's baselines on held-out sets), `open_sandbox` / `SandboxConfig` (run untrusted code), `get_spec`
(per-family bindings). Importing this package registers the offline model `baseline/mutator`.
"""

from schedbench.evolve import mutator as _mutator  # noqa: F401 - registers baseline/mutator
from schedbench.evolve.config import EvolveConfig, load_config
from schedbench.evolve.controller import Evolution, RunSummary, run_evolution
from schedbench.evolve.sandbox import SandboxConfig, isolation, open_sandbox
from schedbench.evolve.specs import EVOLVE_SPECS, EvolveSpec, get_spec

__all__ = ["EVOLVE_SPECS", "Evolution", "EvolveConfig", "EvolveSpec", "RunSummary", "SandboxConfig", "get_spec",
           "isolation", "load_config", "open_sandbox", "run_evolution"]
