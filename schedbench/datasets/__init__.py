"""The published reference sets that ship inside the package, by name (`psplib/j30`, `smtt/n100`, ...).

One table, `SETS`, names every set as `<source>/<set>` and says where its files are (relative to this folder),
which family it belongs to, which importer of `schedbench.importers` reads it, how many instances it holds and
what its reference values are. `resolve(name)` looks a set up, `path(name)` gives its folder or file and
`files(name)` the instance files in a stable order. Loading instances is the importers' job
(`schedbench.importers.load_published`); this module reads nothing but the file system, so every layer may
use it. The files themselves, with their sources and licences, are described in `README.md` beside this module.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from schedbench.errors import InputError

ROOT = Path(__file__).resolve().parent
"""The folder holding the published sets."""


@dataclass(frozen=True)
class PublishedSet:
    """One named published set: where its files are and what they hold."""

    name: str
    """`<source>/<set>`, the name `--suite`, `solve` and `import` accept."""
    family: str
    """The schedbench family its instances become."""
    location: str
    """A file or folder, relative to the datasets folder."""
    pattern: str
    """Glob of the instance files inside `location` when it is a folder ('' for a single file)."""
    importer: str
    """The importer (`schedbench import IMPORTER`) that reads the files."""
    count: int
    """Number of instances."""
    size: str
    """The size of one instance, in the set's own terms (job shops: jobs × machines)."""
    reference: str
    """What the reference values are (where they are kept: README.md beside this module)."""
    source: str
    """Who published the instances (details and links: README.md)."""
    licence: str
    optima: str = ""
    """File with the published optimum per instance, when the importer does not read one itself."""


_JSPLIB_REF = "optimum or bounds (2014, OptalCP newer)"


def _jsplib(prefix: str, count: int, size: str, who: str) -> PublishedSet:
    return PublishedSet(
        name=f"jsplib/{prefix}",
        family="jobshop",
        location="jsplib/instances",
        pattern=f"{prefix}[0-9]*",
        importer="jsplib",
        count=count,
        size=size,
        reference=_JSPLIB_REF,
        source=f"{who}, via JSPLIB",
        licence="none stated; values MIT",
    )


def _fjsp(folder: str, count: int, size: str, who: str) -> PublishedSet:
    return PublishedSet(
        name=f"fjsp/{folder.lower()}",
        family="jobshop",
        location=f"fjsp/{folder}",
        pattern="*.fjs",
        importer="fjsp",
        count=count,
        size=size,
        reference="OptalCP objective and bound",
        source=who,
        licence="research use; values MIT",
    )


def _asynchow(split: str, count: int, steps: str) -> PublishedSet:
    return PublishedSet(
        name=f"asynchow/{split}",
        family="asyncplan",
        location=f"asynchow/asynchow_{split}.jsonl",
        pattern="",
        importer="asynchow",
        count=count,
        size=f"{steps} steps, unlimited agents",
        reference="gold time range (s): longest path",
        source="AsyncHow (Lin et al. 2024)",
        licence="MIT",
    )


SETS: tuple[PublishedSet, ...] = (
    PublishedSet(
        name="psplib/j30",
        family="rcpsp",
        location="psplib/j30",
        pattern="*.sm",
        importer="psplib",
        count=480,
        size="30 activities, 4 resources",
        reference="proven optimum, every instance",
        source="PSPLIB (Kolisch & Sprecher)",
        licence="research use; optima MIT",
        optima="psplib/j30_optimum.csv",
    ),
    PublishedSet(
        name="smtt/n20",
        family="smtt",
        location="smtt/smtt_n20_discoverheuristics.jsonl",
        pattern="",
        importer="smtt-jsonl",
        count=800,
        size="20 jobs, 1||ΣTj",
        reference="proven optimum, every instance",
        source="DiscoverHeuristics (Çetinkaya et al. 2025)",
        licence="none stated",
    ),
    PublishedSet(
        name="smtt/n100",
        family="smtt",
        location="smtt/smtt_n100_discoverheuristics.jsonl",
        pattern="",
        importer="smtt-jsonl",
        count=200,
        size="100 jobs, 1||ΣTj",
        reference="proven optimum, every instance",
        source="DiscoverHeuristics (Çetinkaya et al. 2025)",
        licence="none stated",
    ),
    PublishedSet(
        name="orlib/wt40",
        family="smtt",
        location="orlib/wt40.txt",
        pattern="",
        importer="orlib-wt",
        count=125,
        size="40 jobs, 1||ΣwjTj",
        reference="proven optimum, every instance",
        source="OR-Library (Beasley 1990)",
        licence="research use",
    ),
    _jsplib("abz", 5, "10×10 to 20×15", "Adams, Balas & Zawack 1988"),
    _jsplib("ft", 3, "6×6, 10×10, 20×5", "Fisher & Thompson 1963"),
    _jsplib("la", 40, "10×5 to 30×10", "Lawrence 1984"),
    _jsplib("orb", 10, "10×10", "Applegate & Cook 1991"),
    _jsplib("swv", 20, "20×10 to 50×10", "Storer, Wu & Vaccari 1992"),
    _jsplib("yn", 4, "20×20", "Yamada & Nakano 1992"),
    _jsplib("ta", 80, "15×15 to 100×20", "Taillard 1993"),
    _fjsp("Brandimarte", 10, "10-20 jobs, 4-15 machines", "Brandimarte 1993"),
    _fjsp("Kacem", 4, "4-15 jobs, 5-10 machines", "Kacem, Hammadi & Borne 2002"),
    _fjsp("Fattahi", 20, "2-12 jobs, 2-8 machines", "Fattahi, Mehrabad & Jolai 2007"),
    _asynchow("async", 1598, "3-17"),
    _asynchow("para", 200, "3-7"),
    _asynchow("seq", 200, "3-7"),
)
"""Every published set, in listing order."""


def names() -> list[str]:
    """The names of every published set, in listing order."""
    return [s.name for s in SETS]


def is_name(name: str) -> bool:
    """Whether `name` is the name of a published set."""
    return any(s.name == name for s in SETS)


def in_namespace(name: str) -> bool:
    """Whether `name` starts with a published source (`psplib/`, `smtt/`, ...): such names are never looked
    up on the Hugging Face Hub, so a misspelt set gets the list of known names instead of a network error."""
    return "/" in name and any(s.name.split("/")[0] == name.split("/")[0] for s in SETS)


def resolve(name: str) -> PublishedSet:
    """The published set called `name`; InputError listing the known names otherwise."""
    for published in SETS:
        if published.name == name:
            return published
    raise InputError(name, None, f"no published set of that name; known: {', '.join(names())}")


def path(name: str) -> Path:
    """The file or folder of the published set called `name`."""
    return ROOT / resolve(name).location


def files(name: str) -> list[Path]:
    """The instance files of the published set `name`, in name order (one file for a JSON-lines set)."""
    published = resolve(name)
    location = ROOT / published.location
    if not published.pattern:
        return [location]
    return sorted(p for p in location.glob(published.pattern) if p.is_file())


def disk_bytes(name: str) -> int:
    """Bytes on disk of the set's instance files."""
    return sum(p.stat().st_size for p in files(name))


def published_optima(name: str) -> dict[str, int]:
    """Instance id → published optimum from the set's `optima` file ({} when the set keeps them elsewhere).

    The file is a CSV whose first column names the instance file and whose second holds the optimum.
    """
    published = resolve(name)
    if not published.optima:
        return {}
    with open(ROOT / published.optima, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    return {Path(row[0]).stem: int(row[1]) for row in rows[1:] if len(row) >= 2}


def optalcp_values(csv_path: Path) -> dict[str, dict[str, str]]:
    """Rows of an OptalCP results file (`instance,status,objective,lower_bound,time_s`) by instance."""
    with open(csv_path, encoding="utf-8", newline="") as fh:
        return {row["instance"]: row for row in csv.DictReader(fh)}
