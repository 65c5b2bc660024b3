"""`schedbench verify`: check one answer (a solution file, or a model's raw reply) against one instance.

Exit 0 when the answer is correct (a feasible schedule, or a correct infeasibility claim), 1 when it is not
(an infeasible schedule, a wrong claim, a reply without an answer), 2 for bad input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from schedbench.cli._common import out, print_json
from schedbench.cli.solve import load_any
from schedbench.errors import InputError
from schedbench.problems import Instance
from schedbench.suites import TOO_DEEP


def verify(
    instance: Path = typer.Option(..., help="instance .json (or a suite with --id)"),
    solution: Path | None = typer.Option(None, help="the answer as a JSON file"),
    reply: Path | None = typer.Option(
        None, "--reply", help="a model's raw reply (text); the answer is extracted as `evaluate` does"
    ),
    mode: str = typer.Option("plan", "--mode", help="the question mode the reply answers (with --reply)"),
    instance_id: str = typer.Option(None, "--id", help="which instance of a suite"),
    as_json: bool = typer.Option(False, "--json", help="print the verification result as JSON"),
) -> None:
    """Verify an answer: feasibility with a named violation per broken constraint, objective and gap.

    Exits 1 when the answer is not correct (infeasible, a wrong infeasibility claim, no answer in the reply)."""
    if (solution is None) == (reply is None):
        raise InputError("command line", "--solution", "give exactly one of --solution FILE and --reply FILE")
    inst = one_instance(instance, instance_id)
    answer: Any
    if reply is not None:
        answer, parse_error = answer_from_reply(inst, reply, mode)
        if parse_error is not None:
            report_parse_error(inst, parse_error, as_json)
            raise typer.Exit(1)
    else:
        assert solution is not None
        answer = read_answer_file(solution)
    from schedbench import api

    result = api.verify(inst, answer)
    if as_json:
        print_json(result.model_dump(exclude_none=True))
    else:
        print_verdict(inst, result)
    if not result.correct:
        raise typer.Exit(1)


def one_instance(location: Path, instance_id: str | None) -> Instance:
    """The one instance of `location` (a suite needs --id)."""
    candidates = load_any(location)
    if instance_id is not None:
        candidates = [c for c in candidates if c.id == instance_id]
    if len(candidates) != 1:
        raise InputError(str(location), "--id", f"expected one instance, found {len(candidates)}")
    return candidates[0]


def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(str(path), None, f"cannot read: {exc}") from None


def read_answer_file(path: Path) -> Any:
    """The answer in a JSON file. Repeated keys inside it reach the verifier, which names them (`duplicate`);
    a key repeated at the top level is an InputError naming the file and the key."""
    from schedbench.prompts import DuplicateKeys, decode_keeping_duplicates, repeated_key

    try:
        value = decode_keeping_duplicates(read_text(path))
    except json.JSONDecodeError as exc:
        raise InputError(
            str(path), None, f"malformed JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except RecursionError:
        raise InputError(str(path), None, TOO_DEEP) from None
    if isinstance(value, DuplicateKeys):
        raise InputError(str(path), repeated_key(value), "duplicate key: the answer gives it twice")
    return value


def answer_from_reply(inst: Instance, path: Path, mode: str) -> tuple[dict[str, Any] | None, str | None]:
    """The answer extracted from a raw reply exactly as `evaluate` extracts it, or the parse error."""
    from schedbench.prompts import answer_shape, extract_answer, question_modes

    modes = question_modes(inst.family)
    if mode not in modes:
        raise InputError("command line", "--mode", f"{inst.family} asks in modes {', '.join(modes)}, not {mode!r}")
    extraction = extract_answer(read_text(path), answer_shape(inst.family, mode))
    return extraction.answer, extraction.error


def report_parse_error(inst: Instance, reason: str, as_json: bool) -> None:
    if as_json:
        print_json({"instance": inst.id, "feasible": False, "correct": False, "parse_error": reason})
    else:
        out.print(f"{inst.id}: [red]parse error[/]: {reason}", highlight=False)


def print_verdict(inst: Instance, result: Any) -> None:
    if result.claimed_infeasible:
        verdict = "[green]correct infeasibility claim[/]" if result.correct else "[red]wrong infeasibility claim[/]"
    else:
        verdict = "[green]feasible[/]" if result.feasible else "[red]infeasible[/]"
    parts = [f"{inst.id}: {verdict}"]
    if result.objective is not None:
        parts.append(f"objective {result.objective}")
    if result.reference is not None:
        parts.append(f"reference {result.reference}")
    if result.gap_pct is not None:
        parts.append(f"gap {result.gap_pct}%")
    out.print(", ".join(parts))
    for v in result.violations:
        out.print(f"  {v.type}: {v.detail}", markup=False, highlight=False)
