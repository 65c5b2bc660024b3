"""Evaluation: the async runner (`evaluate`) and the metrics of docs/metrics.md."""

from __future__ import annotations

from schedbench.evaluate.runner import EvalConfig, EvalOutcome, default_run_name, evaluate, suite_hash

__all__ = ["EvalConfig", "EvalOutcome", "default_run_name", "evaluate", "suite_hash"]
