"""Keeping API keys out of everything the harness writes: the database, logs, reports and error messages."""

from __future__ import annotations

import os
import re
from typing import Any
from urllib.parse import urlsplit, urlunsplit

_SECRET_NAME = re.compile(r"(API_KEY|_KEY|_TOKEN|_SECRET)$")
_KEY_LIKE = re.compile(r"\b(sk-[A-Za-z0-9_\-]{8,}|sk-ant-[A-Za-z0-9_\-]{8,})")
_extra_secrets: set[str] = set()


def remember_secret(value: str | None) -> None:
    """Also redact this value (e.g. a key passed explicitly rather than through the environment)."""
    if value and len(value) >= 6:
        _extra_secrets.add(value)


def _secrets() -> list[str]:
    found = {v for k, v in os.environ.items() if _SECRET_NAME.search(k) and len(v) >= 6}
    return sorted(found | _extra_secrets, key=len, reverse=True)


class Redactor:
    """`redact` with the secrets read once (the environment is read at creation: use one per run)."""

    def __init__(self) -> None:
        self.secrets = _secrets()

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, "***")
        return _KEY_LIKE.sub("***", text) if "sk-" in text else text


def redact(text: str) -> str:
    """The text with every known secret value, and anything shaped like an API key, replaced by ***."""
    return Redactor()(text)


_SECRET_FIELD = re.compile(
    r"(^|[-_. ])(auth\w*|key|token|secret|password|passwd|cookie|credentials?|signature)$", re.IGNORECASE
)
"""Configuration names whose values are secrets (Authorization, api_key, X-Api-Token, Helicone-Auth, …)."""
_HEADERS_FIELD = re.compile(r"headers?$", re.IGNORECASE)
_BEARER = re.compile(r"\b(Bearer|Basic)\s+\S+", re.IGNORECASE)


def redact_config(value: Any, name: str = "") -> Any:
    """A configuration (model arguments, run options) with every secret replaced by ***: any value under a
    name that speaks of auth, keys, tokens, secrets or passwords, every header value except a few harmless
    ones, and any text that looks like a key or a bearer token wherever it sits."""
    if isinstance(value, dict):
        headers = bool(_HEADERS_FIELD.search(name))
        return {k: _redact_entry(k, v, headers) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_config(v, name) for v in value]
    if isinstance(value, str):
        return _BEARER.sub(lambda m: f"{m.group(1)} ***", redact(value))
    return value


def _redact_entry(key: Any, value: Any, in_headers: bool) -> Any:
    name = str(key)
    if _SECRET_FIELD.search(name) and not isinstance(value, dict | list):
        return None if value is None else "***"
    if in_headers and isinstance(value, str) and name.lower() not in _PLAIN_HEADERS:
        return "***"
    return redact_config(value, name)


_PLAIN_HEADERS = frozenset({"content-type", "accept", "user-agent", "http-referer", "x-title"})


def safe_url(url: str | None) -> str | None:
    """A URL without user:password and without query parameters (where keys sometimes travel)."""
    if not url:
        return url
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = host + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))
