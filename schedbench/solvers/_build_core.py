"""Building the compiled SMTT core where no built copy fits: a cluster node of another platform that received
schedbench's source through Ray, or a checkout that was never installed.

The C source ships inside the package. It is compiled with this interpreter's own compiler settings (sysconfig)
into a per-user cache keyed by the source's hash and the interpreter's extension suffix, then loaded from
there; later imports reuse the cached build. Needs a C compiler and the Python headers on the machine.
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import os
import shlex
import subprocess
import sysconfig
import warnings
from functools import cache
from pathlib import Path
from types import ModuleType

SOURCE = Path(__file__).with_name("_smtt_core.c")
MODULE = "schedbench.solvers._smtt_core"


def cache_dir() -> Path:
    """Where built cores are kept (`SCHEDBENCH_CACHE`, else `$XDG_CACHE_HOME/schedbench`, else ~/.cache)."""
    if own := os.environ.get("SCHEDBENCH_CACHE"):
        return Path(own) / "cores"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "schedbench" / "cores"


@cache
def build_core(directory: Path | None = None) -> ModuleType:
    """Compile `_smtt_core.c` (once per source and interpreter) and import the result.

    Raises RuntimeError naming the compiler's complaint when the build fails.
    """
    suffix = importlib.machinery.EXTENSION_SUFFIXES[0]
    digest = hashlib.sha256(SOURCE.read_bytes()).hexdigest()[:16]
    target = (directory or cache_dir()) / f"_smtt_core-{digest}{suffix}"
    if not target.exists():
        warnings.warn(
            f"the compiled SMTT core does not fit this machine; building it from source into {target.parent}",
            RuntimeWarning,
            stacklevel=3,
        )
        _compile(target)
    spec = importlib.util.spec_from_file_location(MODULE, target)
    if spec is None or spec.loader is None:  # pragma: no cover - a path with an extension suffix always has one
        raise RuntimeError(f"cannot load the built SMTT core {target}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _compile(target: Path) -> None:
    """cc -shared with the interpreter's flags; written under a temporary name, then renamed into place."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    compiler = shlex.split(sysconfig.get_config_var("CC") or "cc")
    flags = shlex.split(sysconfig.get_config_var("CCSHARED") or "-fPIC")
    include = sysconfig.get_paths()["include"]
    command = [*compiler, *flags, "-O2", "-shared", f"-I{include}", str(SOURCE), "-o", str(partial)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=300)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise RuntimeError(f"cannot build the SMTT core ({' '.join(command[:1])}): {exc}") from None
    if done.returncode != 0:
        partial.unlink(missing_ok=True)
        complaint = (done.stderr.strip().splitlines() or ["no output"])[0]
        raise RuntimeError(f"cannot build the SMTT core: {complaint} (needs a C compiler and the Python headers)")
    partial.replace(target)
