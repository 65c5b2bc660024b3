"""Running untrusted code (LLM-written programs) under operating-system isolation.

Public API:

- `run_python(source, stdin, limits=ProgramLimits(...), modules=(...))` → `ProgramResult` (exit code, stdout,
  stderr, wall time, failure kind); `run_python_async` inside an event loop; `program_server()` reuses one
  zygote across runs.
- `open_sandbox(code, SandboxConfig(...), server=ForkServer(...))`: a runner speaking the evolve protocol
  (a function called on batches of inputs), used by `schedbench.evolve`.
- `isolation()`: which isolation this machine gives (bubblewrap, namespaces, ...); `Isolation.layers()` lists
  them (`schedbench doctor`). Without bubblewrap every entry point raises `IsolationUnavailable` unless the
  caller allows running unisolated.
"""

from __future__ import annotations

from schedbench.sandbox.isolation import INSTALL_HINT, Isolation, IsolationUnavailable, isolation, require_isolation
from schedbench.sandbox.process import (
    BatchResult,
    ForkedProcess,
    ForkServer,
    Sandbox,
    SandboxConfig,
    open_sandbox,
    runner_setup,
    scrubbed_env,
)
from schedbench.sandbox.program import (
    FailureKind,
    ProgramLimits,
    ProgramResult,
    classify,
    program_server,
    run_python,
    run_python_async,
)

__all__ = [
    "INSTALL_HINT",
    "BatchResult",
    "FailureKind",
    "ForkServer",
    "ForkedProcess",
    "Isolation",
    "IsolationUnavailable",
    "ProgramLimits",
    "ProgramResult",
    "Sandbox",
    "SandboxConfig",
    "classify",
    "isolation",
    "open_sandbox",
    "program_server",
    "require_isolation",
    "run_python",
    "run_python_async",
    "runner_setup",
    "scrubbed_env",
]
