"""Factories of the built-in providers (imported on first use; SDKs are imported only by their adapters)."""

from __future__ import annotations

import os
from pathlib import Path

from schedbench.llm._secrets import remember_secret
from schedbench.llm._types import ChatModel, ModelOptions, ModelSpecError

VLLM_URL = "http://localhost:8000/v1"
OLLAMA_URL = "http://localhost:11434/v1"


def _need_name(spec: str, name: str) -> str:
    if not name:
        raise ModelSpecError(f"model spec {spec!r} names no model (e.g. {spec.rstrip('/')}/<model>)")
    return name


def _key(variable: str, spec: str, default: str | None = None) -> str:
    value = os.environ.get(variable) or default
    if not value:
        raise ModelSpecError(f"{spec} needs the environment variable {variable}")
    remember_secret(value)
    return value


def openai_model(spec: str, name: str, opts: ModelOptions) -> ChatModel:
    from schedbench.llm._http import OpenAIChat

    base_url = opts.base_url or os.environ.get("OPENAI_BASE_URL") or None
    return OpenAIChat(spec, _need_name(spec, name), opts, _key("OPENAI_API_KEY", spec), base_url)


def compatible_model(spec: str, name: str, opts: ModelOptions) -> ChatModel:
    from schedbench.llm._http import OpenAIChat

    base_url = opts.base_url or os.environ.get("OPENAI_BASE_URL")
    if not base_url:
        raise ModelSpecError(f"{spec} needs --base-url (or OPENAI_BASE_URL)")
    return OpenAIChat(spec, _need_name(spec, name), opts, _key("OPENAI_API_KEY", spec, "EMPTY"), base_url)


def vllm_model(spec: str, name: str, opts: ModelOptions) -> ChatModel:
    from schedbench.llm._http import OpenAIChat

    return OpenAIChat(
        spec, _need_name(spec, name), opts, _key("VLLM_API_KEY", spec, "EMPTY"), opts.base_url or VLLM_URL
    )


def ollama_model(spec: str, name: str, opts: ModelOptions) -> ChatModel:
    from schedbench.llm._http import OpenAIChat

    return OpenAIChat(spec, _need_name(spec, name), opts, "ollama", opts.base_url or OLLAMA_URL)


def anthropic_model(spec: str, name: str, opts: ModelOptions) -> ChatModel:
    from schedbench.llm._http import AnthropicChat

    base_url = opts.base_url or os.environ.get("ANTHROPIC_BASE_URL") or None
    return AnthropicChat(spec, _need_name(spec, name), opts, _key("ANTHROPIC_API_KEY", spec), base_url)


def baseline_model(spec: str, name: str, opts: ModelOptions) -> ChatModel:
    from schedbench.llm._offline import BaselineModel
    from schedbench.problems import family_names, get_family

    rule = _need_name(spec, name)
    known = sorted({r for family in family_names() for r in get_family(family).baselines})
    if rule not in known:
        raise ModelSpecError(f"{spec}: no family has a baseline rule {rule!r}; known: {', '.join(known)}")
    return BaselineModel(spec, rule, executor=opts.executor, ray_address=opts.ray_address)


def oracle_model(spec: str, name: str, opts: ModelOptions) -> ChatModel:
    from schedbench.llm._offline import OracleModel

    return OracleModel(spec)


def formalizer_model(spec: str, name: str, opts: ModelOptions) -> ChatModel:
    from schedbench.llm._offline import FormalizerModel

    return FormalizerModel(spec)


def repairer_model(spec: str, name: str, opts: ModelOptions) -> ChatModel:
    from schedbench.llm._offline import RepairerModel

    return RepairerModel(spec)


def tooluser_model(spec: str, name: str, opts: ModelOptions) -> ChatModel:
    from schedbench.llm._offline import ToolUserModel

    return ToolUserModel(spec)


def replay_model(spec: str, name: str, opts: ModelOptions) -> ChatModel:
    from schedbench.llm._offline import ReplayModel

    path = Path(_need_name(spec, name))
    if not path.is_file():
        raise ModelSpecError(f"{spec}: no such file {path}")
    try:
        return ReplayModel(spec, path)
    except (ValueError, OSError) as exc:
        raise ModelSpecError(f"{spec}: {exc}") from None
