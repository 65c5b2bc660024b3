"""Report documents pooled by the strategy that produced them (direct, repair×3 full, formalize, …): what the
report's strategy table and charts share, so a chart's points and the table's cells are the same numbers.

Works on report documents (or one family's section of them: anything with `strategy`, `config` and
`by_level` rows), never on items, and imports nothing heavy (the terminal report uses it).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

Document = Mapping[str, Any]


def strategy_of(doc: Document) -> str:
    """A run's strategy with its main options (`repair×3 full`), `direct` when it names none."""
    strategy = str(doc.get("strategy") or "direct")
    config = doc.get("config") or {}
    options = config.get("strategy_options") or {}
    rounds = options.get("rounds") or config.get("rounds")
    feedback = options.get("feedback") or config.get("feedback")
    if strategy == "direct":
        return strategy
    return strategy + (f"×{rounds}" if rounds else "") + (f" {feedback}" if feedback else "")


def strategy_line(doc: Document) -> str:
    """The line a document joins in a per-strategy chart or table: `strategy_line` when the caller set one (the
    HTML report's family section names the suite there when its runs span several suites, so runs on different
    instances are never pooled), else `strategy_of`."""
    return str(doc.get("strategy_line") or strategy_of(doc))


def gap_by_level(docs: Sequence[Document]) -> dict[str, list[dict[str, Any]]]:
    """Per strategy line (`strategy_line`, sorted by name): the mean optimality gap (%) of feasible answers at
    each level, pooled over the line's runs — each run's level mean weighted by its number of such answers
    (`gap_n`), so the result is the mean over every feasible answer of the line at that level. Levels where no
    run of the line has a gap are left out; rows are {level, gap_n, mean_gap_pct}."""
    sums: dict[str, dict[int, list[float]]] = defaultdict(lambda: defaultdict(lambda: [0.0, 0.0]))
    for doc in docs:
        for row in doc.get("by_level") or []:
            count = int(row.get("gap_n") or 0)
            if row.get("mean_gap_pct") is None or not count:
                continue
            cell = sums[strategy_line(doc)][int(row["level"])]
            cell[0] += float(row["mean_gap_pct"]) * count
            cell[1] += count
    return {
        strategy: [
            {"level": level, "gap_n": int(n), "mean_gap_pct": round(total / n, 4)}
            for level, (total, n) in sorted(levels.items())
        ]
        for strategy, levels in sorted(sums.items())
    }
