"""The baseline rules as programs (`baseline/<rule>` under the formalize strategy): every rule of every family
has one, for every question mode, and each, run through the formalize strategy's own sandbox runner, answers
exactly as the in-process rule does — the same answer, so the same objective — on generated instances and, for
the single machine, on instances full of ties (equal processing times, due dates and weights, zero lengths)."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Iterator
from typing import Any

import pytest

from schedbench.evaluate._programs import Programs
from schedbench.problems import Instance, family_names, get_family
from schedbench.problems.smtt import from_arrays
from schedbench.prompts import answer_for_mode, answer_shape, extract_answer, offline_program
from schedbench.sandbox import ForkServer


def _cases(slow: bool) -> list[Any]:
    """(family, rule, mode) of every baseline rule in every question mode of every registered family."""
    return [
        pytest.param(name, rule, mode, id=f"{name}-{rule}-{mode}", marks=[pytest.mark.slow] if slow else [])
        for name in family_names()
        for rule in get_family(name).baselines
        for mode in get_family(name).prompt_modes
    ]


def test_every_baseline_rule_of_every_family_has_a_program_in_every_mode() -> None:
    missing = []
    for name in family_names():
        family = get_family(name)
        for rule in family.baselines:
            for mode in family.prompt_modes:
                source = offline_program(name, rule, mode)
                if source is None or f'RULE = "{rule}"' not in source:
                    missing.append(f"{name} {rule} ({mode})")
        assert set(family.rule_programs) <= set(family.baselines), f"{name}: a program for a rule it does not have"
    assert not missing, f"baseline rules without a program: {', '.join(missing)}"


def _smtt_ties(count: int, seed: int) -> list[dict[str, Any]]:
    """Small single-machine instances drawn from narrow ranges, so most of them hold ties of every kind; the
    first two jobs of each are twins, and every other one is weighted (zero weights included)."""
    rng = random.Random(seed)
    datas = []
    for k in range(count):
        n = rng.randint(1, 14)
        p = [rng.randint(0, 4) for _ in range(n)]
        d = [rng.randint(-2, 12) for _ in range(n)]
        w = [rng.randint(0, 3) for _ in range(n)] if k % 2 else [1] * n
        if n > 2:
            p[1], d[1], w[1] = p[0], d[0], w[0]
        datas.append(from_arrays(p, d, w).model_dump())
    return datas


def _suite(name: str, slow: bool) -> list[dict[str, Any]]:
    """Instance data of a family's demo suite (drafts: no references needed), more of them in the slow tier."""
    family = get_family(name)
    options = {k: v for k, v in family.demo.items() if k in family.generator_config.model_fields}
    drafts = family.generate(family.generator_config(seed=11, per_level=3 if slow else 1, **options))
    datas = [draft.instance.data for draft in drafts]
    if name == "smtt":
        datas = _smtt_ties(300 if slow else 10, seed=3) + datas
    return datas if slow else datas[:16]


@pytest.fixture(scope="module")
def sandbox() -> Iterator[ForkServer]:
    """One zygote of the formalize runner for the whole module (starting one takes about a second)."""
    programs = Programs(timeout_s=60.0, memory_mb=2048)
    server = programs._server()
    yield server
    server.close()


def _run_all(server: ForkServer, source: str, datas: list[dict[str, Any]]) -> list[Any]:
    """Run `source` on every instance through the formalize strategy's runner (the shared zygote)."""

    async def run() -> list[Any]:
        programs = Programs(timeout_s=60.0, memory_mb=2048)
        programs.server = server
        return await asyncio.gather(*(programs.run(source, json.dumps(data).encode()) for data in datas))

    return asyncio.run(run())


def _check_rule(server: ForkServer, name: str, rule: str, mode: str, slow: bool) -> None:
    family = get_family(name)
    datas = _suite(name, slow)
    source = offline_program(name, rule, mode)
    assert source is not None
    for data, run in zip(datas, _run_all(server, source, datas), strict=True):
        assert run.failure is None, (run.failure, run.detail, run.stderr[-500:])
        printed = extract_answer(run.stdout, answer_shape(name, mode))
        assert printed.answer is not None, printed.error
        typed = family.parse_data(data)
        instance = Instance(id="x", family=name, level=1, data=data)
        expected = answer_for_mode(instance, mode, family.baselines[rule](typed))
        assert printed.answer == json.loads(json.dumps(expected)), data
        if mode == "plan":
            assert (
                family.verify(typed, printed.answer, None).objective == family.verify(typed, expected, None).objective
            )


@pytest.mark.parametrize(("name", "rule", "mode"), _cases(slow=False))
def test_rule_programs_answer_as_their_rules_through_the_sandbox(sandbox, name, rule, mode) -> None:
    _check_rule(sandbox, name, rule, mode, slow=False)


@pytest.mark.parametrize(("name", "rule", "mode"), _cases(slow=True))
def test_rule_programs_answer_as_their_rules_on_a_large_suite(sandbox, name, rule, mode) -> None:
    _check_rule(sandbox, name, rule, mode, slow=True)
