"""Job-shop generator: levels, paired stages, infeasible share, scenarios, Taillard mode; prompt and Gantt."""

from __future__ import annotations

import json
from pathlib import Path

from schedbench.generators.jobshop import JobshopGeneratorConfig, generate, shape
from schedbench.generators.jobshop_taillard import taillard_jobshop
from schedbench.plots.gantt import schedule_comparison
from schedbench.problems import get_family
from schedbench.problems.jobshop import JobshopData
from schedbench.prompts._render import render_question
from schedbench.references import generate_suite
from schedbench.suites import load_instances
from schedbench.verifiers.jobshop import verify


def drafts(**options: object) -> list:
    return generate(JobshopGeneratorConfig(**options))


def test_level_is_the_number_of_operations() -> None:
    for level in (1, 2, 4, 7, 10, 23, 100):
        machines, counts = shape(level, None)
        assert sum(counts) == level and max(counts) - min(counts) <= 1 and max(counts) <= machines
    for draft in drafts(levels="4,7,16", stage="all"):
        assert draft.instance.level == JobshopData.model_validate(draft.instance.data).n_operations()


def test_stages_are_paired_on_one_base_shop() -> None:
    by_stage = {d.instance.stage: JobshopData.model_validate(d.instance.data) for d in drafts(levels="25", stage="all")}
    classic, flexible, downtime, combined = (by_stage[s] for s in ("classic", "flexible", "downtime", "combined"))
    for job_c, job_f, job_x in zip(classic.jobs, flexible.jobs, combined.jobs, strict=True):
        for op_c, op_f, op_x in zip(job_c.operations, job_f.operations, job_x.operations, strict=True):
            assert op_c.durations.items() <= op_f.durations.items()
            assert op_f.durations == op_x.durations
    assert flexible.flexible() and not classic.flexible()
    assert downtime.downtimes and downtime.downtimes == combined.downtimes
    assert any(job.deadline is not None for job in by_stage["windows"].jobs)


def test_witnesses_are_feasible_and_scenarios_change_words_only() -> None:
    plain = drafts(levels="9,30", stage="all", seed=3)
    themed = drafts(levels="9,30", stage="all", seed=3, scenario="factory")
    for a, b in zip(plain, themed, strict=True):
        data = JobshopData.model_validate(a.instance.data)
        assert verify(data, a.hint).feasible
        strip = json.dumps(a.instance.data, sort_keys=True), json.dumps(b.instance.data, sort_keys=True)
        assert strip[0] != strip[1]
        for side in (a.instance.data, b.instance.data):
            for item in side["machines"] + side["jobs"]:
                item.pop("name", None)
        assert a.instance.data == b.instance.data


def test_infeasible_share_is_proven_infeasible_with_the_stage_kinds(tmp_path: Path) -> None:
    config = JobshopGeneratorConfig(levels="6,12", stage="all", infeasible_share=1.0, time_limit=5, workers=2)
    generate_suite(get_family("jobshop"), config, tmp_path / "suite", show_progress=False)
    instances = load_instances(tmp_path / "suite")
    assert len(instances) == 10 and all(inst.reference.status == "infeasible" for inst in instances)
    classic = next(i for i in instances if i.stage == "classic")
    feasible = drafts(levels="6", stage="classic")[0]
    assert classic.data["horizon"] < feasible.instance.data["horizon"]  # only the horizon moved
    windows = next(i for i in instances if i.stage == "windows")
    assert "downtimes" not in windows.data


def test_taillard_mode_draws_with_the_published_generator() -> None:
    (draft,) = drafts(levels="25", stage="classic", taillard=True)
    seeds = draft.instance.model_extra["taillard_seeds"]
    routes = taillard_jobshop(5, 5, seeds["time"], seeds["machine"])
    data = JobshopData.model_validate(draft.instance.data)
    assert [
        [(int(next(iter(op.durations))[1:]) - 1, *op.durations.values()) for op in job.operations] for job in data.jobs
    ] == routes


def test_prompt_states_every_constraint_and_gantt_draws_lanes() -> None:
    draft = drafts(levels="9", stage="combined", scenario="factory")[0]
    data = JobshopData.model_validate(draft.instance.data)
    text = render_question(draft.instance)
    assert "workstation" in text and "planned maintenance" in text.lower() and '"machines"' in text
    for job in data.jobs:
        for op in job.operations:
            assert op.id in text
    figure = schedule_comparison("jobshop", data, draft.hint, draft.hint)
    bars = [a for a in figure.axes[0].get_children() if "operation" in str(getattr(a, "get_gid", lambda: "")())]
    assert len(bars) == data.n_operations()
