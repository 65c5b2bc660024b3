"""Job-shop exact reference: exhaustive enumeration on tiny shops, published optima of classic instances."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from schedbench.generators.jobshop import JobshopGeneratorConfig, generate
from schedbench.heuristics.jobshop import BASELINES
from schedbench.importers.jobshop import read_fjs, read_jsplib
from schedbench.problems import get_family
from schedbench.problems.jobshop import JobshopData
from schedbench.references import solve_references
from schedbench.solvers.jobshop_cpsat import basic_lower_bound, lower_bound, solve
from schedbench.verifiers.jobshop import verify

INSTANCES = Path(__file__).resolve().parents[1] / "schedbench" / "datasets" / "jsplib" / "instances"


def left_justified(data: JobshopData, assignment: dict[str, str], orders: dict[str, tuple[str, ...]]) -> dict | None:
    """Earliest starts for fixed machines and machine sequences (each start after the job predecessor, the
    machine predecessor, the release, and past any downtime it would overlap); None if the orders deadlock."""
    ops = {op.id: (job, k, op) for job in data.jobs for k, op in enumerate(job.operations)}
    machine_prev = {o: seq[i - 1] if i else None for seq in orders.values() for i, o in enumerate(seq)}
    end: dict[str, int] = {}
    starts: dict[str, int] = {}
    pending = list(ops)
    while pending:
        progressed = False
        for o in list(pending):
            job, k, op = ops[o]
            before = [job.operations[k - 1].id] if k else []
            if machine_prev.get(o):
                before.append(machine_prev[o])
            if any(b not in end for b in before):
                continue
            d = op.durations[assignment[o]]
            t = max([job.release, *(end[b] for b in before)])
            moved = d > 0
            while moved:
                moved = False
                for down in data.downtimes:
                    if down.machine == assignment[o] and down.start < t + d and t < down.end and down.end > down.start:
                        t, moved = down.end, True
            starts[o], end[o] = t, t + d
            pending.remove(o)
            progressed = True
        if not progressed:
            return None
    return {"starts": starts, "machines": dict(assignment)}


def enumerate_optimum(data: JobshopData) -> int | None:
    """The best makespan over every machine assignment and every sequence on every machine (None: infeasible)."""
    ops = [op for job in data.jobs for op in job.operations]
    best = None
    for choice in itertools.product(*(sorted(op.durations) for op in ops)):
        assignment = {op.id: m for op, m in zip(ops, choice, strict=True)}
        on = {m.id: [o for o, a in assignment.items() if a == m.id] for m in data.machines}
        for orders in itertools.product(*(itertools.permutations(v) for v in on.values())):
            schedule = left_justified(data, assignment, dict(zip(on, orders, strict=True)))
            if schedule is None:
                continue
            result = verify(data, schedule)
            if result.feasible and (best is None or result.objective < best):
                best = result.objective
    return best


def tiny_shop(rng: np.random.Generator, flexible: bool, windows: bool, downtime: bool) -> JobshopData:
    m = 2
    jobs = []
    for j in range(3):
        ops = []
        for k in range(2 if j < 2 else 1):
            eligible = (
                [f"M{int(rng.integers(m))}"] if not flexible else [f"M{i}" for i in range(m) if rng.random() < 0.7]
            )
            eligible = eligible or ["M0"]
            ops.append({"id": f"J{j}.{k}", "durations": {e: int(rng.integers(1, 5)) for e in eligible}})
        job = {"id": f"J{j}", "operations": ops}
        if windows and rng.random() < 0.6:
            job["release"] = int(rng.integers(0, 4))
            job["deadline"] = job["release"] + int(rng.integers(2, 12))
        jobs.append(job)
    downs = []
    if downtime:
        for i in range(m):
            if rng.random() < 0.7:
                start = int(rng.integers(0, 6))
                downs.append({"machine": f"M{i}", "start": start, "end": start + int(rng.integers(1, 4))})
    return JobshopData.model_validate(
        {"machines": [{"id": f"M{i}"} for i in range(m)], "jobs": jobs, "downtimes": downs}
    )


@pytest.mark.parametrize(("flexible", "windows", "downtime"), list(itertools.product([False, True], repeat=3)))
def test_exact_solver_matches_exhaustive_enumeration(flexible: bool, windows: bool, downtime: bool) -> None:
    rng = np.random.default_rng([flexible, windows, downtime, 11])
    statuses = set()
    for _ in range(6):
        data = tiny_shop(rng, flexible, windows, downtime)
        expected = enumerate_optimum(data)
        reference = solve(data, time_limit=5, workers=1)
        statuses.add(reference.status)
        if expected is None:
            assert reference.status == "infeasible"
            continue
        assert reference.status == "optimal" and reference.objective == expected == reference.bound
        assert verify(data, reference.witness).objective == expected
    assert "optimal" in statuses


@pytest.mark.parametrize(("flexible", "windows", "downtime"), list(itertools.product([False, True], repeat=3)))
def test_lower_bound_is_between_the_basic_bound_and_the_enumerated_optimum(
    flexible: bool, windows: bool, downtime: bool
) -> None:
    rng = np.random.default_rng([flexible, windows, downtime, 23])
    for _ in range(12):
        data = tiny_shop(rng, flexible, windows, downtime)
        optimum = enumerate_optimum(data)
        assert basic_lower_bound(data) <= lower_bound(data)
        if optimum is not None:
            assert lower_bound(data) <= optimum


def test_lower_bound_on_solved_generated_shops_is_sound_and_often_stronger() -> None:
    config = JobshopGeneratorConfig(levels="9,12,16,20", per_level=3, stage="flexible,downtime,combined", seed=2)
    stronger = 0
    for draft in generate(config):
        data = JobshopData.model_validate(draft.instance.data)
        reference = solve(data, time_limit=10, workers=1, hint=draft.hint)
        assert reference.status == "optimal", draft.instance.id
        assert basic_lower_bound(data) <= lower_bound(data) <= reference.objective, draft.instance.id
        stronger += lower_bound(data) > basic_lower_bound(data)
    assert stronger >= 6


def test_lower_bound_on_published_sets_stays_below_their_optima_and_a_feasible_reference_reports_it() -> None:
    flexible = [read_fjs(path)[0] for path in sorted((INSTANCES.parents[1] / "fjsp" / "Brandimarte").glob("*.fjs"))]
    classic = [read_jsplib(INSTANCES / name)[0] for name in ("ft10", "la21", "la29", "ta01")]
    gains = {}
    for instance in flexible + classic:
        data = JobshopData.model_validate(instance.data)
        extra = instance.model_extra or {}
        best_known = extra.get("published_optimum") or extra["published_bounds"]["upper"]
        assert basic_lower_bound(data) <= lower_bound(data) <= best_known, instance.id
        gains[instance.id] = lower_bound(data) - basic_lower_bound(data)
    assert gains["Mk05"] > 0 and gains["Mk10"] > 0 and gains["ft10"] > 0
    mk10 = JobshopData.model_validate(flexible[-1].data)
    reference = solve(mk10, time_limit=0.5, workers=1)
    assert reference.status == "feasible" and lower_bound(mk10) <= reference.bound < reference.objective


def test_ft06_is_55() -> None:
    (instance,) = read_jsplib(INSTANCES / "ft06")
    reference = solve(get_family("jobshop").parse_data(instance.data), time_limit=20, workers=1)
    assert (reference.status, reference.objective, reference.bound) == ("optimal", 55, 55)


SAMPLE = ["la01", "la06", "la11", "la16", "la17"]


def check_published(names: list[str], time_limit: float) -> list[str]:
    """Solve each instance; every objective is at least the published optimum, and a proven one equals it.
    Returns the names proven optimal."""
    instances = [inst for name in names for inst in read_jsplib(INSTANCES / name)]
    references = solve_references(instances, time_limit=time_limit, workers=2, show_progress=False)
    proven = []
    for inst, ref in zip(instances, references, strict=True):
        optimum = inst.model_extra["published_optimum"]
        assert ref.objective is not None and ref.objective >= optimum, inst.id
        assert ref.bound is not None and ref.bound <= optimum, inst.id
        if ref.status == "optimal":
            assert ref.objective == optimum, inst.id
            proven.append(inst.id)
    return proven


def test_sample_of_lawrence_instances_matches_published_optima() -> None:
    assert check_published(SAMPLE, time_limit=30) == SAMPLE


@pytest.mark.slow
def test_every_lawrence_instance_is_never_below_its_published_optimum() -> None:
    """Correctness over all 40 (how many are proven within a time is bench/jobshop_solve.py's business)."""
    names = [f"la{i:02d}" for i in range(1, 41)]
    assert set(SAMPLE) <= set(check_published(names, time_limit=20))


def test_baselines_are_feasible_without_deadlines() -> None:
    rng = np.random.default_rng(5)
    for flexible, downtime in itertools.product([False, True], repeat=2):
        data = tiny_shop(rng, flexible, False, downtime)
        optimum = enumerate_optimum(data)
        for name, rule in BASELINES.items():
            result = verify(data, rule(data))
            assert result.feasible, (name, result.violations)
            assert result.objective >= optimum
