"""Wording of asynchronous plans: kitchen, household and abstract themes. A theme never changes a number.

The generator decides the structure (which steps are attended, which station slot a step uses); a theme only
names things. Station slots are positions 0..2 in a theme's `stations` list; each slot carries the verbs of
steps that run on it, split into attended work and work that runs alone once started.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class StationWords:
    id: str
    name: str
    attended_verbs: tuple[str, ...]
    unattended_verbs: tuple[str, ...]


@dataclass(frozen=True)
class Theme:
    """Word lists of one theme."""

    stations: tuple[StationWords, ...]
    attended_verbs: tuple[str, ...]  # hands-on work with no station
    unattended_verbs: tuple[str, ...]  # runs alone, no station (resting dough, soaking)
    finish_verbs: tuple[str, ...]  # the step that joins everything
    objects: tuple[str, ...]  # one per component (a dish, a chore)
    terms: dict[str, str] = field(default_factory=dict)


KITCHEN = Theme(
    stations=(
        StationWords("stove", "stove burner", ("Sear", "Stir-fry", "Sauté"), ("Boil", "Simmer", "Braise")),
        StationWords("oven", "oven", ("Broil",), ("Bake", "Roast")),
        StationWords("sink", "sink", ("Wash", "Rinse", "Drain"), ("Soak", "Thaw under running water")),
    ),
    attended_verbs=("Chop", "Peel", "Dice", "Grate", "Whisk", "Knead", "Season", "Slice", "Mix", "Mince"),
    unattended_verbs=("Marinate", "Let rest", "Chill", "Proof"),
    finish_verbs=("Plate and serve", "Set out", "Garnish and serve"),
    objects=("pasta", "potatoes", "tomato sauce", "chicken", "rice", "bread dough", "soup", "vegetables",
             "salmon", "lentils", "apple pie", "salad", "beans", "custard", "noodles", "mushrooms"),
    terms={"agent": "cook", "agents": "cooks", "station": "appliance", "plan": "meal", "unit": "minutes"},
)

HOUSEHOLD = Theme(
    stations=(
        StationWords("washer", "washing machine", ("Load", "Sort"), ("Wash", "Run a cycle for")),
        StationWords("dishwasher", "dishwasher", ("Rinse and load",), ("Run the dishwasher on",)),
        StationWords("sink", "sink", ("Scrub", "Hand-wash"), ("Soak",)),
    ),
    attended_verbs=("Fold", "Iron", "Vacuum", "Dust", "Wipe", "Tidy", "Mop", "Sweep", "Sort", "Polish"),
    unattended_verbs=("Air-dry", "Let dry", "Let the cleaner work on", "Charge"),
    finish_verbs=("Put everything away", "Do a final walk-through", "Take out the trash"),
    objects=("towels", "bed sheets", "dishes", "the kitchen floor", "the living room", "shirts", "the bathroom",
             "the windows", "the rugs", "the pantry", "the garage", "jackets", "the oven racks", "the car"),
    terms={"agent": "person", "agents": "people", "station": "appliance", "plan": "chores", "unit": "minutes"},
)

ABSTRACT = Theme(
    stations=(
        StationWords("M1", "machine M1", ("Operate",), ("Process",)),
        StationWords("M2", "machine M2", ("Operate",), ("Process",)),
        StationWords("M3", "machine M3", ("Operate",), ("Process",)),
    ),
    attended_verbs=("Work on",),
    unattended_verbs=("Wait for",),
    finish_verbs=("Finish",),
    objects=("job",),
    terms={"agent": "agent", "agents": "agents", "station": "station", "plan": "plan", "unit": "time units"},
)

THEMES: dict[str, Theme] = {"kitchen": KITCHEN, "household": HOUSEHOLD, "abstract": ABSTRACT}

#: Words each theme uses for prompt templates (agent, station, plan, time unit).
TERMS: dict[str, dict[str, str]] = {name: theme.terms for name, theme in THEMES.items()}


def station_words(theme: str, slot: int) -> StationWords:
    """The id, name and verbs of station slot `slot` in a theme."""
    return THEMES[theme].stations[slot]


def step_names(theme: str, roles: list[tuple[str, int | None, int]], seed: int) -> list[str]:
    """A name per step from its role, in a random stream of its own (so numbers never depend on it).

    Each role is (kind, station slot or None, component): kind is "attended", "unattended" or "finish".
    Names are made unique by a counter where a phrase repeats.
    """
    words = THEMES[theme]
    if theme == "abstract":
        return [f"Step {i + 1}" for i in range(len(roles))]
    rng = np.random.default_rng([seed & 0xFFFFFFFF, 4243])
    objects = list(rng.permutation(words.objects))
    names: list[str] = []
    counts: dict[str, int] = {}
    for kind, slot, component in roles:
        if kind == "finish":
            phrase = str(rng.choice(words.finish_verbs))
        else:
            verbs = _verbs(words, kind, slot)
            phrase = f"{rng.choice(verbs)} {objects[component % len(objects)]}"
            if slot is not None and kind == "unattended":
                phrase += f" ({words.stations[slot].name})"
        counts[phrase] = counts.get(phrase, 0) + 1
        names.append(phrase if counts[phrase] == 1 else f"{phrase} #{counts[phrase]}")
    return names


def _verbs(words: Theme, kind: str, slot: int | None) -> tuple[str, ...]:
    if slot is None:
        return words.attended_verbs if kind == "attended" else words.unattended_verbs
    station = words.stations[slot]
    return station.attended_verbs if kind == "attended" else station.unattended_verbs
