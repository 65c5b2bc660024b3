"""Prompts per family and question mode (Jinja templates) and answer extraction."""

from __future__ import annotations

import sys

from pydantic import BaseModel

from schedbench.problems import Family


def answer_model(family: Family, mode: str) -> type[BaseModel]:
    """The answer model of a question mode: the family module's ANSWER_MODELS[mode], else its solution model."""
    models = getattr(sys.modules.get(family.solution_model.__module__), "ANSWER_MODELS", None) or {}
    return models.get(mode, family.solution_model)
