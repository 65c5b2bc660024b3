"""The `schedbench` command line: one module per command, errors mapped to exit codes (0, 1, 2)."""

from __future__ import annotations

import sys

import typer

from schedbench.cli import evaluate, evolve, generate, importing, models, report, solve, verify
from schedbench.errors import InputError

app = typer.Typer(name="schedbench", help="Benchmark LLM reasoning on scheduling, with exact references.",
                  no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False)
app.add_typer(generate.app, name="generate")
app.add_typer(importing.app, name="import")
app.add_typer(evolve.app, name="evolve")
app.command("solve")(solve.solve)
app.command("verify")(verify.verify)
app.command("evaluate")(evaluate.evaluate)
app.command("report")(report.report)
app.command("models")(models.models)


def main() -> None:
    """Console-script entry point: exit 2 with one line for bad input, 1 for internal errors."""
    try:
        code = app(standalone_mode=False)  # usage errors come back here instead of a multi-line panel
    except typer.Abort:
        print("interrupted", file=sys.stderr)
        sys.exit(130)
    except typer.TyperException as exc:  # bad option value, missing option, unknown command: one line
        message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
        if message:  # empty for a bare group, whose help is already on stdout
            print(f"error: command line: {message}".replace("\n", " "), file=sys.stderr)
        sys.exit(2)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(130)
    except Exception as exc:
        print(f"internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        sys.exit(1)
    if isinstance(code, int) and code:  # typer.Exit(code) is returned, not raised, outside standalone mode
        sys.exit(code)
