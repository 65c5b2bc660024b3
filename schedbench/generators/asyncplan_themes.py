"""Wording of asynchronous plans: kitchen, household and abstract themes. A theme never changes a number.

The generator decides the structure (which steps are attended, which station slot a step uses, which
component a step belongs to); a theme only names things. Station slots are positions 0..2 in a theme's
`stations`. Each slot and the station-less work carry phrase templates, split into attended work and work that
runs alone once started; `{}` in a template is the component's object (a dish, a room).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class StationWords:
    id: str
    name: str
    attended: tuple[str, ...]
    unattended: tuple[str, ...]


@dataclass(frozen=True)
class Theme:
    """Phrase templates of one theme."""

    stations: tuple[StationWords, ...]
    attended: tuple[str, ...]  # hands-on work with no station
    unattended: tuple[str, ...]  # runs alone, no station (resting dough, a drying floor)
    finish: tuple[str, ...]  # the step that joins everything
    objects: tuple[str, ...]  # one per component
    terms: dict[str, str] = field(default_factory=dict)


def _on(verbs: tuple[str, ...]) -> tuple[str, ...]:
    """Verb templates acting on the component's object: 'Chop' → 'Chop {}'."""
    return tuple(f"{verb} {{}}" for verb in verbs)


KITCHEN = Theme(
    stations=(
        StationWords("stove", "stove burner", _on(("Sear", "Stir-fry", "Sauté")), _on(("Boil", "Simmer", "Braise"))),
        StationWords("oven", "oven", _on(("Broil",)), ("Bake {} in the oven", "Roast {} in the oven")),
        StationWords(
            "sink", "sink", _on(("Wash", "Rinse", "Drain")), ("Soak {} in the sink", "Thaw {} under running water")
        ),
    ),
    attended=_on(("Chop", "Peel", "Dice", "Grate", "Whisk", "Knead", "Season", "Slice", "Mix", "Mince")),
    unattended=(*_on(("Marinate", "Chill", "Proof", "Cool")), "Let {} rest"),
    finish=("Plate and serve", "Set the table and serve", "Garnish and serve"),
    objects=(
        "pasta",
        "potatoes",
        "tomato sauce",
        "chicken",
        "rice",
        "bread dough",
        "soup",
        "vegetables",
        "salmon",
        "lentils",
        "apple pie",
        "salad",
        "beans",
        "custard",
        "noodles",
        "mushrooms",
    ),
    terms={"agent": "cook", "agents": "cooks", "station": "appliance", "plan": "meal", "unit": "minutes"},
)

HOUSEHOLD = Theme(
    stations=(
        StationWords(
            "washer",
            "washing machine",
            ("Sort the laundry from {}", "Load the washing machine"),
            (
                "Wash the towels",
                "Wash the bed sheets",
                "Run a wash cycle for the shirts",
                "Wash the kitchen rags",
                "Wash the jeans",
            ),
        ),
        StationWords(
            "dishwasher",
            "dishwasher",
            ("Rinse and load the dishes", "Unload the dishwasher"),
            ("Run the dishwasher", "Run the dishwasher's quick cycle", "Run the dishwasher for the pots"),
        ),
        StationWords(
            "sink",
            "sink",
            ("Scrub the pans", "Hand-wash the glasses", "Fill a bucket for {}"),
            ("Soak the pans", "Soak the stained shirt", "Soak the oven racks", "Soak the baking trays"),
        ),
    ),
    attended=(
        "Vacuum {}",
        "Dust {}",
        "Tidy {}",
        "Mop the floor of {}",
        "Wipe the surfaces in {}",
        "Fold the clean laundry",
        "Iron the shirts",
        "Clean the windows of {}",
        "Sweep {}",
    ),
    unattended=(
        "Let the floor of {} dry",
        "Air out {}",
        "Let the carpet cleaner work in {}",
        "Charge the robot vacuum",
    ),
    finish=("Put everything away", "Do a final walk-through", "Take out the trash"),
    objects=(
        "the living room",
        "the kitchen",
        "the bathroom",
        "the bedroom",
        "the hallway",
        "the study",
        "the guest room",
        "the garage",
        "the nursery",
        "the dining room",
    ),
    terms={"agent": "person", "agents": "people", "station": "appliance", "plan": "chores", "unit": "minutes"},
)

ABSTRACT = Theme(
    stations=tuple(StationWords(f"M{k}", f"machine M{k}", ("Operate",), ("Process",)) for k in (1, 2, 3)),
    attended=("Work on",),
    unattended=("Wait for",),
    finish=("Finish",),
    objects=("job",),
    terms={"agent": "agent", "agents": "agents", "station": "station", "plan": "plan", "unit": "time units"},
)

THEMES: dict[str, Theme] = {"kitchen": KITCHEN, "household": HOUSEHOLD, "abstract": ABSTRACT}

#: Words each theme uses for prompt templates (agent, station, plan, time unit).
TERMS: dict[str, dict[str, str]] = {name: theme.terms for name, theme in THEMES.items()}


def station_words(theme: str, slot: int) -> StationWords:
    """The id, name and phrases of station slot `slot` in a theme."""
    return THEMES[theme].stations[slot]


def step_names(theme: str, roles: list[tuple[str, int | None, int]], seed: int) -> list[str]:
    """A name per step from its role, in a random stream of its own (so numbers never depend on it).

    Each role is (kind, station slot or None, component): kind is "attended", "unattended" or "finish".
    Abstract plans are named "Step 1", "Step 2", …; elsewhere a repeated phrase gets a counter ("#2").
    """
    if theme == "abstract":
        return [f"Step {i + 1}" for i in range(len(roles))]
    words = THEMES[theme]
    rng = np.random.default_rng([seed & 0xFFFFFFFF, 4243])
    objects = list(rng.permutation(words.objects))
    names: list[str] = []
    counts: dict[str, int] = {}
    for kind, slot, component in roles:
        template = str(rng.choice(_templates(words, kind, slot)))
        phrase = template.replace("{}", objects[component % len(objects)])
        counts[phrase] = counts.get(phrase, 0) + 1
        names.append(phrase if counts[phrase] == 1 else f"{phrase} #{counts[phrase]}")
    return names


def _templates(words: Theme, kind: str, slot: int | None) -> tuple[str, ...]:
    if kind == "finish":
        return words.finish
    if slot is None:
        return words.attended if kind == "attended" else words.unattended
    station = words.stations[slot]
    return station.attended if kind == "attended" else station.unattended
