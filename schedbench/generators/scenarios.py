"""Scenario themes: names and wording for instances. A theme never changes a number."""

from __future__ import annotations

import numpy as np

DATACENTER_RESOURCES = [
    "network engineers",
    "forklifts",
    "electricians",
    "rack technicians",
    "storage admins",
    "security escorts",
    "cabling crews",
    "pallet jacks",
]
DATACENTER_VERBS = [
    "Drain",
    "Decommission",
    "Migrate",
    "Re-cable",
    "Power down",
    "Image",
    "Rack",
    "Burn-in test",
    "Label",
    "Patch",
    "Back up",
    "Verify",
    "Unbox",
    "Inspect",
    "Re-IP",
]
DATACENTER_OBJECTS = [
    "rack",
    "storage array",
    "core switch",
    "VM cluster",
    "PDU",
    "blade chassis",
    "firewall pair",
    "database host",
    "tape library",
    "load balancer",
    "UPS",
    "CRAC unit",
]

#: Words each theme uses for the constraint kinds (read by the prompt templates).
TERMS = {
    "abstract": {"resource": "resource", "downtime": "downtime", "disjunctive": "cannot overlap", "project": "project"},
    "datacenter": {
        "resource": "crew or equipment",
        "downtime": "change freeze / maintenance window",
        "disjunctive": "share a power feed and cannot run at the same time",
        "project": "data-center migration",
    },
}


def rcpsp_names(scenario: str, n_tasks: int, n_resources: int, seed: int) -> tuple[list[str], list[str]]:
    """Task and resource names for a theme, from their own random stream (so numbers never depend on it).

    Names are unique within an instance, so a prompt never shows two tasks or resources under one name.
    """
    if scenario == "abstract":
        return [f"Task {i + 1}" for i in range(n_tasks)], [f"Resource {k + 1}" for k in range(n_resources)]
    rng = np.random.default_rng([seed, 7919])
    resources = [
        DATACENTER_RESOURCES[k % len(DATACENTER_RESOURCES)]
        + (f" (group {k // len(DATACENTER_RESOURCES) + 1})" if k >= len(DATACENTER_RESOURCES) else "")
        for k in range(n_resources)
    ]
    tasks: list[str] = []
    taken: set[str] = set()
    while len(tasks) < n_tasks:
        verb = DATACENTER_VERBS[rng.integers(len(DATACENTER_VERBS))]
        obj = DATACENTER_OBJECTS[rng.integers(len(DATACENTER_OBJECTS))]
        name = f"{verb} {obj} {chr(65 + rng.integers(8))}{rng.integers(1, 20)}"
        if name in taken:  # 15 × 12 × 8 × 19 combinations: a clash is rare, a retry is cheap
            name = f"{name} (step {len(tasks) + 1})"
        taken.add(name)
        tasks.append(name)
    return tasks, resources
