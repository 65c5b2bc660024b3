"""Domain errors of the library; the command line turns them into exit codes (and option names into flags)."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError


class InputError(Exception):
    """Bad user input: shown as one line naming the file and the field, exit code 2."""

    def __init__(self, source: str, field: str | None, message: str) -> None:
        self.source = source
        self.field = field
        self.message = message
        super().__init__(str(self))

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        """Picklable, so an InputError raised in a worker process reaches the command line intact."""
        return (InputError, (self.source, self.field, self.message))

    def __str__(self) -> str:
        where = f"{self.source}: {self.field}" if self.field else self.source
        return f"{where}: {self.message}"


def pydantic_location(error: ValidationError) -> str:
    """Dotted path of the first failing field of a pydantic ValidationError."""
    errors = error.errors()
    if not errors:
        return "(root)"
    loc = errors[0].get("loc", ())
    return ".".join(str(part) for part in loc) or "(root)"


def pydantic_message(error: ValidationError) -> str:
    """The first message of a pydantic ValidationError, on one line."""
    errors = error.errors()
    return errors[0]["msg"].replace("\n", " ") if errors else "invalid value"


class UnknownFamilyError(KeyError):
    """No family is registered under this name (a KeyError, so lookups by name keep their meaning)."""

    def __init__(self, name: str, known: list[str], hint: str = "") -> None:
        self.name = name
        self.known = known
        super().__init__(f"unknown family {name!r}; known: {', '.join(known) or 'none'}{hint}")

    def __str__(self) -> str:
        return str(self.args[0])


class UnknownModeError(KeyError):
    """The family has no question mode of this name."""

    def __init__(self, family: str, mode: str, known: list[str]) -> None:
        self.family = family
        self.mode = mode
        self.known = known
        super().__init__(f"family {family} has no question mode {mode!r}; known: {', '.join(known)}")

    def __str__(self) -> str:
        return str(self.args[0])


class OptionError(InputError):
    """A bad option value (a configuration field, by its Python name). The command line names the flag
    (`time_limit` → `--time-limit`); library users see the field name."""

    def __init__(self, option: str | None, message: str) -> None:
        super().__init__("options", option, message)

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return (OptionError, (self.field, self.message))


def flag_name(option: str) -> str:
    """The command-line flag of a configuration field: `time_limit` → `--time-limit`."""
    return option if option.startswith("-") else "--" + option.replace("_", "-")


class ModelUnavailableError(Exception):
    """The model or its server cannot answer (a wrong key, an unknown model, nothing listening, ...): the run
    stops at once; the command line prints this one line and exits 1."""

    def __init__(self, model: str, kind: str, example: str, count: int) -> None:
        self.model = model
        self.kind = kind
        self.example = example
        self.count = count
        super().__init__(str(self))

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return (ModelUnavailableError, (self.model, self.kind, self.example, self.count))

    def __str__(self) -> str:
        times = "the first request" if self.count == 1 else f"{self.count} requests in a row"
        return f"{self.model}: stopped after {times} failed with {self.kind}: {self.example}"
