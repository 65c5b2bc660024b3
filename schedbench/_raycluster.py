"""Joining an existing Ray cluster: token authentication, shipping schedbench to nodes that lack it, and where
tasks may run.

- **Token.** Ray clusters started with `RAY_AUTH_MODE=token` accept only clients that present the cluster's
  token. It is looked up as Ray itself does: `RAY_AUTH_TOKEN`, else the file named by `RAY_AUTH_TOKEN_PATH`,
  else `~/.ray/auth_token`. When one is found, token mode is switched on for this process, so a user never
  has to set `RAY_AUTH_MODE` by hand on the driver. A missing or rejected token is a one-line error within
  seconds, not Ray's twenty seconds of retries.
- **Code.** Nodes need Ray (`ray[default]`, which brings the `virtualenv` that Ray's pip environments use)
  and the same Python minor version, nothing else: the installed `schedbench` package travels as a Ray
  `py_modules` entry (the compiled SMTT core included; a node of another platform compiles it from the
  shipped C source, see `solvers._build_core`), and the libraries that tasks import are installed on each
  node through the job's `pip` runtime environment, pinned to the driver's versions. Ray caches that
  environment per node, so only a cluster's first job pays for it.
  `SCHEDBENCH_RAY_SHIP=none` turns shipping off for clusters whose nodes already have schedbench.
- **Placement.** `SCHEDBENCH_RAY_RESOURCES` (JSON, e.g. `{"solver": 1}`) adds custom resources to every
  task and actor, so work lands only on the nodes that offer them.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
from pathlib import Path
from typing import Any

from schedbench.errors import InputError, OptionError

SHIP_ENV = "SCHEDBENCH_RAY_SHIP"
RESOURCES_ENV = "SCHEDBENCH_RAY_RESOURCES"
SHIP_CHOICES = ("auto", "none")

DRIVER_ONLY = frozenset({"typer", "datasets", "openai", "anthropic", "matplotlib", "psplib"})
"""Dependencies that only the driver uses (command line, datasets, model SDKs, charts, PSPLIB parsing);
every other requirement of schedbench is installed on the nodes."""

_SOURCE = "Ray cluster"


def token_source() -> str | None:
    """Where this process's Ray token comes from (an environment variable or a file), or None when there is
    none. A `RAY_AUTH_TOKEN_PATH` that cannot be read, or that is empty, is bad input."""
    if os.environ.get("RAY_AUTH_TOKEN", "").strip():
        return "RAY_AUTH_TOKEN"
    named = os.environ.get("RAY_AUTH_TOKEN_PATH")
    if named:
        path = Path(named).expanduser()
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise InputError(str(path), "RAY_AUTH_TOKEN_PATH", f"cannot read the Ray token: {exc.strerror}") from None
        if not text.strip():
            raise InputError(str(path), "RAY_AUTH_TOKEN_PATH", "the Ray token file is empty")
        return f"RAY_AUTH_TOKEN_PATH ({path})"
    default = Path.home() / ".ray" / "auth_token"
    if default.is_file() and default.read_text(encoding="utf-8").strip():
        return str(default)
    return None


def prepare_token_auth() -> str | None:
    """Switch this process to token mode when a token is available; return the token's source.

    `RAY_AUTH_MODE=token` with no token anywhere is bad input (Ray would only say so after its retries)."""
    source = token_source()
    mode = os.environ.get("RAY_AUTH_MODE", "")
    if source is not None and not mode:
        os.environ["RAY_AUTH_MODE"] = "token"
    elif source is None and mode == "token":
        raise InputError(
            _SOURCE,
            "RAY_AUTH_MODE",
            "token authentication is on but no token was found: set RAY_AUTH_TOKEN, "
            "RAY_AUTH_TOKEN_PATH or write the cluster's token to ~/.ray/auth_token",
        )
    return source


def connection_error(address: str, exc: BaseException, token: str | None) -> InputError:
    """The one-line error for a failed `ray.init(address)`, naming what is missing when it is the token."""
    text = f"{exc} {exc.__cause__ or ''}"
    if "InvalidAuthToken" in text or "AuthenticationError" in text or "Unauthenticated" in text:
        if token is None:
            what = (
                "the cluster requires a token and none was found: set RAY_AUTH_TOKEN, RAY_AUTH_TOKEN_PATH or "
                "write it to ~/.ray/auth_token"
            )
        else:
            what = f"the cluster rejected the token from {token}"
        return InputError(_SOURCE, "token", f"cannot connect to Ray at {address}: {what}")
    first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return OptionError("ray_address", f"cannot connect to Ray at {address}: {first_line}")


def ship_mode() -> str:
    """`auto` (ship code and task libraries to an existing cluster) or `none`."""
    mode = os.environ.get(SHIP_ENV, "auto").strip().lower() or "auto"
    if mode not in SHIP_CHOICES:
        raise InputError(_SOURCE, SHIP_ENV, f"unknown value {mode!r}; use {' or '.join(SHIP_CHOICES)}")
    return mode


def task_requirements() -> list[str]:
    """schedbench's requirements that tasks import, pinned to the versions installed here."""
    pins = []
    for requirement in importlib.metadata.requires("schedbench") or []:
        if ";" in requirement and "extra ==" in requirement:
            continue
        name = re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0]
        if name.lower() in DRIVER_ONLY:
            continue
        pins.append(f"{name}=={importlib.metadata.version(name)}")
    return pins


def runtime_env() -> dict[str, Any]:
    """The job's Ray runtime environment that ships schedbench and its task libraries to every node."""
    import schedbench

    package = str(Path(schedbench.__file__).resolve().parent)
    return {"py_modules": [package], "pip": task_requirements(), "excludes": ["__pycache__", "*.pyc"]}


def task_resources() -> dict[str, float]:
    """Custom resources every task and actor asks for (`SCHEDBENCH_RAY_RESOURCES`), empty by default."""
    raw = os.environ.get(RESOURCES_ENV, "").strip()
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise InputError(_SOURCE, RESOURCES_ENV, f"not JSON: {exc.msg}") from None
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, int | float) and not isinstance(v, bool) and v > 0
        for k, v in value.items()
    ):
        raise InputError(_SOURCE, RESOURCES_ENV, 'expected an object of positive amounts, e.g. {"solver": 1}')
    return {k: float(v) for k, v in value.items()}


def setup_error(exc: BaseException) -> InputError:
    """One line for a node that could not build the job's runtime environment, with the likely remedy."""
    text = str(exc)
    if "virtualenv" in text:
        why = "a node lacks virtualenv, which Ray's pip environments need: install ray[default] on the nodes"
    else:
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        why = lines[-1] if lines else type(exc).__name__
    remedy = f"(or set {SHIP_ENV}=none when every node has schedbench installed)"
    return InputError(_SOURCE, "runtime environment", f"cannot set up schedbench on the cluster: {why} {remedy}")
