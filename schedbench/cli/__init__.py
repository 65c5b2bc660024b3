"""The `schedbench` command line: one module per command, errors mapped to exit codes (0, 1, 2)."""

from __future__ import annotations

import contextlib
import importlib
import multiprocessing
import os
import sys
import threading
from typing import NoReturn

import typer

from schedbench.errors import InputError, ModelUnavailableError, OptionError, StorageError, flag_name

#: command name → (module, attribute, is a group of subcommands). Modules are imported only for the command
#: being run (all of them for help or an unknown command): `generate` builds its options from every family's
#: generator config, which would otherwise put every family's generator on the start-up path of `evaluate`.
COMMANDS: dict[str, tuple[str, str, bool]] = {
    "generate": ("generate", "app", True),
    "import": ("importing", "app", True),
    "evolve": ("evolve", "app", True),
    "solve": ("solve", "solve", False),
    "verify": ("verify", "verify", False),
    "evaluate": ("evaluate", "evaluate", False),
    "report": ("report", "report", False),
    "compare": ("compare", "compare", False),
    "export-suite": ("export_suite", "export_suite", False),
    "runs": ("runs", "app", True),
    "merge": ("merge", "merge", False),
    "models": ("models", "models", False),
    "datasets": ("datasets", "datasets", False),
    "doctor": ("doctor", "doctor", False),
}


INTERRUPT_GRACE_S = 10.0
"""After Ctrl-C, clean-up (a run marked interrupted, a half-written suite removed) gets this long; then the
process exits anyway, so that Ctrl-C never waits on work."""


def exit_interrupted() -> NoReturn:
    """Ctrl-C: kill the worker processes now, print one line and exit 130, within INTERRUPT_GRACE_S whatever
    state the interrupt left the process in.

    Workers ignore SIGINT (only this process decides), so they must be stopped from here: a process pool whose
    iterator the interrupt did not reach would otherwise run all its queued work at interpreter exit, and a lock
    interrupted half way through could hang the exit."""
    for child in multiprocessing.active_children():
        with contextlib.suppress(Exception):
            child.kill()
    watchdog = threading.Timer(INTERRUPT_GRACE_S, os._exit, (130,))
    watchdog.daemon = True
    watchdog.start()
    print("interrupted", file=sys.stderr, flush=True)
    sys.exit(130)


def build_app(argv: list[str] | None = None) -> typer.Typer:
    """The command-line app with the command named in `argv` (every command when none is named)."""
    app = typer.Typer(
        name="schedbench",
        help="Benchmark LLM reasoning on scheduling, with exact references.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        add_completion=False,
    )
    app.callback()(lambda: None)  # a group even with one command registered: `schedbench evaluate …` keeps its name
    named = argv[0] if argv and argv[0] in COMMANDS else None
    for name in [named] if named else COMMANDS:
        module_name, attribute, group = COMMANDS[name]
        target = getattr(importlib.import_module(f"schedbench.cli.{module_name}"), attribute)
        if group:
            app.add_typer(target, name=name)
        else:
            app.command(name)(target)
    return app


def input_error_line(exc: InputError) -> str:
    """One line for bad input; an option error names the command-line flag of its option."""
    if not isinstance(exc, OptionError):
        return str(exc)
    return f"command line: {flag_name(exc.field)}: {exc.message}" if exc.field else f"command line: {exc.message}"


def main() -> None:
    """Console-script entry point: exit 2 with one line for bad input, 1 for internal errors."""
    try:
        # usage errors come back here instead of a multi-line panel
        code = build_app(sys.argv[1:])(standalone_mode=False)
    except typer.Abort:
        exit_interrupted()
    except typer.TyperException as exc:  # bad option value, missing option, unknown command: one line
        message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
        if message:  # empty for a bare group, whose help is already on stdout
            print(f"error: command line: {message}".replace("\n", " "), file=sys.stderr)
        sys.exit(2)
    except InputError as exc:
        print(f"error: {input_error_line(exc)}", file=sys.stderr)
        sys.exit(2)
    except (StorageError, ModelUnavailableError) as exc:  # results cannot be written / the model is gone
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        exit_interrupted()
    except Exception as exc:
        print(f"internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        sys.exit(1)
    if code == 130:  # typer turns Ctrl-C inside a command into a returned exit code 130, silently
        exit_interrupted()
    if isinstance(code, int) and code:  # typer.Exit(code) is returned, not raised, outside standalone mode
        sys.exit(code)
