"""Scenario themes of the job shop: names and words only, never a number."""

from __future__ import annotations

import numpy as np

FACTORY_MACHINES = [
    "lathe",
    "milling machine",
    "drill press",
    "grinder",
    "paint booth",
    "heat-treatment oven",
    "laser cutter",
    "press brake",
    "welding cell",
    "inspection bench",
    "assembly station",
    "deburring station",
]
FACTORY_PARTS = [
    "gear",
    "shaft",
    "bracket",
    "housing",
    "flange",
    "valve body",
    "pulley",
    "bearing cap",
    "axle",
    "hinge",
]

#: Words each theme uses (read by the prompt template).
TERMS = {
    "abstract": {
        "machine": "machine",
        "job": "job",
        "operation": "operation",
        "downtime": "downtime",
        "shop": "job shop",
    },
    "factory": {
        "machine": "workstation",
        "job": "customer order",
        "operation": "processing step",
        "downtime": "planned maintenance",
        "shop": "machining plant",
    },
}


def names(scenario: str, n_jobs: int, n_machines: int, seed: int) -> tuple[list[str], list[str]]:
    """Job and machine names for a theme, from their own random stream (numbers never depend on them)."""
    if scenario == "abstract":
        return [f"Job {j + 1}" for j in range(n_jobs)], [f"Machine {k + 1}" for k in range(n_machines)]
    rng = np.random.default_rng([seed, 7907])
    machines = [
        FACTORY_MACHINES[k % len(FACTORY_MACHINES)]
        + (f" #{k // len(FACTORY_MACHINES) + 1}" if k >= len(FACTORY_MACHINES) else "")
        for k in range(n_machines)
    ]
    jobs = [f"Order {1000 + j}: {FACTORY_PARTS[rng.integers(len(FACTORY_PARTS))]}" for j in range(n_jobs)]
    return jobs, machines
