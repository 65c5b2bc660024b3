"""The overhead benchmark's workload as an inspect_ai task (run by bench/eval_overhead.py --inspect-python):
the same prompts, generate() only, the `includes` scorer on a word every reply contains."""

import json
import os

from inspect_ai import Task, task
from inspect_ai.dataset import Sample
from inspect_ai.scorer import includes
from inspect_ai.solver import generate


@task
def overhead() -> Task:
    with open(os.environ["SCHEDBENCH_PROMPTS"], encoding="utf-8") as fh:
        prompts = json.load(fh)
    return Task(
        dataset=[Sample(input=p, target="starts", id=i) for i, p in enumerate(prompts)],
        solver=generate(),
        scorer=includes(),
    )
