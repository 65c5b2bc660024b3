"""What went wrong with a model request, in a few words that say whether trying again can help.

The SDKs' own exception types mislabel some faults (the OpenAI SDK over aiohttp reports a refused connection
as `APITimeoutError: Request timed out.`), so the kind is read from the HTTP status when there is one and from
the chain of causes otherwise. Stored errors start with their kind (`authentication: AuthenticationError:
...`), so reports can count them by kind without a schema of their own.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator

ERROR_KINDS = (
    "authentication",
    "permission",
    "not_found",
    "bad_request",
    "connection_refused",
    "rate_limit",
    "server_error",
    "timeout",
    "connection",
    "other",
)
"""Every kind, in the order reports list them."""

FATAL_KINDS = frozenset({"authentication", "permission", "not_found", "bad_request", "connection_refused"})
"""Kinds that the same request cannot get past by being sent again."""

_STATUS_KINDS = {401: "authentication", 403: "permission", 404: "not_found", 408: "timeout", 429: "rate_limit"}

_probe_retries: contextvars.ContextVar[int | None] = contextvars.ContextVar("probe_retries", default=None)


def classify(exc: BaseException) -> str:
    """The kind of a failed request (one of ERROR_KINDS)."""
    status = getattr(exc, "status_code", None)
    if isinstance(status, int):
        if status in _STATUS_KINDS:
            return _STATUS_KINDS[status]
        if status in (400, 409, 413, 422):
            return "bad_request"
        if status >= 500:
            return "server_error"
    causes = list(_chain(exc))
    if any(isinstance(cause, ConnectionRefusedError) for cause in causes):
        return "connection_refused"
    names = {type(cause).__name__ for cause in causes}
    if names & {"APITimeoutError", "TimeoutError", "ConnectTimeout", "ReadTimeout", "TimeoutException"}:
        return "timeout"
    if names & {"APIConnectionError", "ConnectError", "ClientConnectorError", "ServerDisconnectedError"}:
        return "connection"
    if any(isinstance(cause, ConnectionError | OSError) for cause in causes):
        return "connection"
    return "other"


def describe(exc: BaseException) -> str:
    """`kind: Type: message` on one line, the form errors are stored in."""
    message = " ".join(str(exc).split()) or "no message"
    return f"{classify(exc)}: {type(exc).__name__}: {message}"


def kind_of(stored: str | None) -> str:
    """The kind at the start of a stored error (errors stored before kinds existed count as `other`)."""
    if not stored:
        return "other"
    head = stored.split(":", 1)[0]
    return head if head in ERROR_KINDS else "other"


def is_fatal(kind: str) -> bool:
    return kind in FATAL_KINDS


@contextlib.contextmanager
def probing(retries: int = 1) -> Iterator[None]:
    """Requests made inside the block (in this task) give up after `retries` retries: a first, probing request
    learns quickly that a server does not listen, where the SDK would back off for half a minute."""
    token = _probe_retries.set(retries)
    try:
        yield
    finally:
        _probe_retries.reset(token)


def probe_retries() -> int | None:
    """The retry bound of the probing block this request runs in, or None outside one."""
    return _probe_retries.get()


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__
