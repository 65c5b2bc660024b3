"""schedbench: a benchmark harness for LLM reasoning on scheduling.

    import schedbench as sb
    suite = sb.generate("smtt", levels="5,8", per_level=2)
    result = sb.evaluate("baseline/edd", suite, results="results.db")
    sb.report(result)["feasible_rate"]

The functions live in `schedbench.api` and are imported on first use, so `import schedbench` stays cheap.
"""

from __future__ import annotations

import sys
import types

__version__ = "0.1.0"

_API = ("EvalResult", "evaluate", "evaluate_async", "families", "generate", "load_suite", "report", "solve", "verify")

__all__ = ["__version__", *_API]


def __getattr__(name: str) -> object:
    if name in _API:
        from schedbench import api

        return getattr(api, name)
    raise AttributeError(f"module 'schedbench' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)


class _Package(types.ModuleType):
    """This package's module type: importing a submodule sets it as an attribute of its parent, and the
    subpackage `schedbench.evaluate` would then hide the function `sb.evaluate`. The API names stay the API's
    functions; the subpackage is still imported normally (`from schedbench.evaluate import EvalConfig`)."""

    def __setattr__(self, name: str, value: object) -> None:
        if name in _API and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
