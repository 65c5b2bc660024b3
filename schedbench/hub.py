"""Suites as Hugging Face datasets: parquet plus a dataset card (README.md with YAML metadata).

`export_suite(instances, out, ...)` writes `data/<split>-00000-of-00001.parquet` (one row per instance, the
columns of `suites.flat_row`) and `README.md`, whose YAML header declares the licence, the features, the split
and the data files, so `datasets.load_dataset(out)` (or the folder pushed to the Hub) reads the instances
back, and `schedbench evaluate --suite user/name` evaluates it.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import jinja2

from schedbench import __version__
from schedbench.problems import Instance
from schedbench.suites import flat_row

SPLIT = "test"
TEMPLATE = Path(__file__).parent / "templates" / "dataset_card.md.j2"

SCHEDBENCH_CITATION = """@software{schedbench,
  title = {schedbench: a benchmark harness for LLM reasoning on scheduling, with exact verifiers and references},
  year = {2026},
  version = {VERSION}
}""".replace("VERSION", __version__)

SOURCE_CITATIONS = {
    "asynchow": """@inproceedings{lin2024graph,
  title = {Graph-enhanced Large Language Models in Asynchronous Plan Reasoning},
  author = {Lin, Fangru and La Malfa, Emanuele and Hofmann, Valentin and Yang, Elle Michelle and Cohn, Anthony G.
            and Pierrehumbert, Janet B.},
  booktitle = {Proceedings of the 41st International Conference on Machine Learning},
  year = {2024}
}""",
    "psplib": """@article{kolisch1997psplib,
  title = {PSPLIB -- A project scheduling problem library},
  author = {Kolisch, Rainer and Sprecher, Arno},
  journal = {European Journal of Operational Research},
  volume = {96},
  number = {1},
  pages = {205--216},
  year = {1997}
}""",
}

FEATURES = (
    ("id", "string"),
    ("family", "string"),
    ("level", "int64"),
    ("stage", "string"),
    ("scenario", "string"),
    ("seed", "int64"),
    ("data", "string"),
    ("reference", "string"),
    ("extra", "string"),
)


def data_file(split: str = SPLIT) -> str:
    """The parquet file's path inside the dataset folder."""
    return f"data/{split}-00000-of-00001.parquet"


def export_suite(
    instances: list[Instance],
    out: Path,
    source: str,
    manifest: dict[str, Any] | None = None,
    license_id: str = "mit",
    name: str | None = None,
) -> list[Path]:
    """Write the parquet file and the dataset card; returns the paths written."""
    import datasets

    datasets.disable_progress_bars()
    out.mkdir(parents=True, exist_ok=True)
    parquet = out / data_file()
    parquet.parent.mkdir(parents=True, exist_ok=True)
    features = datasets.Features({column: datasets.Value(kind) for column, kind in FEATURES})
    rows = [_fixed_columns(flat_row(inst)) for inst in instances]
    dataset = datasets.Dataset.from_list(rows, features=features)
    dataset.to_parquet(str(parquet))
    card = out / "README.md"
    text = dataset_card(instances, source, manifest or {}, license_id, name or out.name, dataset.data.nbytes)
    card.write_text(text, encoding="utf-8")
    return [parquet, card]


def _fixed_columns(row: dict[str, Any]) -> dict[str, Any]:
    """A suite row with the dataset's fixed columns: envelope keys without a column of their own (a nested
    chain's `ramp` and `chain`) move into `extra`, from where reading restores them."""
    from schedbench.suites import CHAIN_KEYS

    moved = {key: row.pop(key) for key in CHAIN_KEYS if key in row}
    if moved:
        extra = {**json.loads(row.get("extra") or "{}"), **moved}
        row["extra"] = json.dumps(extra, sort_keys=True)
    return row


def card_metadata(
    instances: list[Instance], family: str, license_id: str, name: str, num_bytes: int = 0
) -> dict[str, Any]:
    """The card's YAML header: licence, tags, the features, the split and where its data files are."""
    return {
        "license": license_id,
        "pretty_name": name,
        "tags": ["scheduling", "benchmark", "llm-reasoning", "schedbench", family],
        "size_categories": [_size_category(len(instances))],
        "configs": [{"config_name": "default", "data_files": [{"split": SPLIT, "path": data_file()}]}],
        "dataset_info": {
            "features": [{"name": column, "dtype": kind} for column, kind in FEATURES],
            "splits": [{"name": SPLIT, "num_bytes": num_bytes, "num_examples": len(instances)}],
        },
    }


def dataset_card(
    instances: list[Instance], source: str, manifest: dict[str, Any], license_id: str, name: str, num_bytes: int = 0
) -> str:
    """README.md: the YAML header, a description with counts, columns, usage, licence and citation."""
    import yaml

    families = sorted({inst.family for inst in instances}) or ["none"]
    family = families[0] if len(families) == 1 else "mixed"
    generator = str(manifest.get("generator") or "")
    origin = generator.removeprefix("import:") if generator.startswith("import:") else None
    citations = [SCHEDBENCH_CITATION] + ([SOURCE_CITATIONS[origin]] if origin in SOURCE_CITATIONS else [])
    statuses = Counter(inst.reference.status if inst.reference else "unsolved" for inst in instances)
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE.parent),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
        keep_trailing_newline=True,
    )
    metadata = yaml.safe_dump(card_metadata(instances, family, license_id, name, num_bytes), sort_keys=False).strip()
    description = f"A schedbench suite imported from the published {origin} set." if origin else "A schedbench suite."
    return environment.get_template(TEMPLATE.name).render(
        metadata=metadata,
        title=name,
        description=description,
        count=len(instances),
        family=family,
        version=__version__,
        source=source,
        levels=sorted(Counter(inst.level for inst in instances).items()),
        stages=sorted(Counter(inst.stage for inst in instances).items()),
        statuses=sorted(statuses.items()),
        hub_name=f"<user>/{name}",
        split=SPLIT,
        license_text=_license_text(license_id, origin),
        citation="\n\n".join(citations),
    )


def _license_text(license_id: str, origin: str | None) -> str:
    text = f"Released under the `{license_id}` licence."
    if origin:
        text += f" The instances come from the published {origin} set; its own licence and terms apply to them."
    return text


def _size_category(count: int) -> str:
    for limit, label in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K")):
        if count < limit:
            return label
    return "100K<n<1M"


def rows_to_instances(rows: Any, source: str) -> list[Instance]:
    """Instances from the rows of an exported dataset (any iterable of dicts with the exported columns)."""
    from schedbench.suites import from_flat_row

    return [from_flat_row(dict(row), f"{source}[{i}]") for i, row in enumerate(rows)]
