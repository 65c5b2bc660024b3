"""The report as tables: one set per family and suite, built once from report documents and written as rich
tables for the terminal, Markdown, or LaTeX (`schedbench report [--format md|latex]`).

A `Table` is plain data (a title, headers, rows of strings); runs are rows, labelled `[k]` after the run list at
the top, so a table grows downwards with the number of runs. For the terminal, `fit_columns` splits a table
into parts that fit the console width: the label column wraps, a number is never cut.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from schedbench.evaluate.by_strategy import gap_by_level, strategy_of
from schedbench.evaluate.outcomes import OUTCOMES

Document = Mapping[str, Any]

SHORT_OUTCOMES = {
    "optimal": "optimal",
    "feasible": "feasible",
    "correct_claim": "claim ok",
    "wrong_claim": "claim wrong",
    "unchecked_claim": "claim unchecked",
    "infeasible": "infeasible",
    "parse_error": "parse error",
    "api_error": "API error",
}
"""Column headers of the outcome table (the legend under it gives the full words of OUTCOMES)."""


@dataclass
class Table:
    """One table: `headers[0]` labels the rows; every other column holds numbers (right-aligned)."""

    title: str
    headers: list[str]
    rows: list[list[str]] = field(default_factory=list)
    note: str = ""
    section: str = ""  # the family and suite the table belongs to ("" for tables about every run)

    def widths(self) -> list[int]:
        """The widest cell (or header) of each column."""
        return [max([len(h), *(len(r[k]) for r in self.rows)]) for k, h in enumerate(self.headers)]

    def fit_columns(self, width: int, label_min: int = 14, padding: int = 2) -> list[Table]:
        """The table split by columns into parts no wider than `width` characters (the label column repeated,
        wrapping at `label_min` characters at least); one part when it fits."""
        widths = self.widths()
        label = min(widths[0], label_min)
        parts: list[list[int]] = [[]]
        used = label + padding
        for k in range(1, len(self.headers)):
            need = widths[k] + padding
            if parts[-1] and used + need > width:
                parts.append([])
                used = label + padding
            parts[-1].append(k)
            used += need
        if len(parts) == 1:
            return [self]
        return [
            Table(
                f"{self.title} ({n}/{len(parts)})",
                [self.headers[0], *(self.headers[k] for k in columns)],
                [[row[0], *(row[k] for k in columns)] for row in self.rows],
                self.note if n == len(parts) else "",
                self.section,
            )
            for n, columns in enumerate(parts, start=1)
        ]


def run_key(index: int) -> str:
    return f"[{index}]"


def families_of(document: Document) -> list[Mapping[str, Any]]:
    """The document's per-family sections (one family for a one-family suite)."""
    return list(document.get("by_family") or [])


def report_tables(documents: Sequence[Document]) -> list[Table]:
    """Every table of the report: the runs, then per family and suite a summary, outcomes, feasibility by level,
    the violation taxonomy, and (when present) nested chains and the rounds of multi-turn strategies."""
    tables = [runs_table(documents), cost_table(documents)]
    groups: dict[tuple[str, str], list[tuple[int, Document, Mapping[str, Any]]]] = {}
    for index, document in enumerate(documents, start=1):
        for part in families_of(document):
            groups.setdefault((str(part["family"]), str(document.get("suite"))), []).append((index, document, part))
    for (family, suite), members in groups.items():
        section = [summary_table(members), outcome_table(members), level_table(members), taxonomy_table(members)]
        singles = [m for m in members if len(families_of(m[1])) == 1]
        for key, name in (("by_stage", "stage"), ("by_scenario", "scenario")):
            if singles and any(len(m[1].get(key) or []) > 1 for m in singles):
                section.append(breakdown_table(singles, key, name))
        if any(m[1].get("chains") for m in singles):
            section.append(chain_table(singles))
        if any(m[1].get("multi_turn") for m in singles):
            section.append(rounds_table(singles))
        if len({strategy_of(d) for _, d, _ in members}) > 1:
            section.append(strategy_gap_table(members))
        for table in section:
            table.section = f"{family} · {suite}"
        tables += section
    return tables


def runs_table(documents: Sequence[Document]) -> Table:
    rows = [
        [
            f"{run_key(i)} {d['run']}",
            str(d.get("strategy") or "direct"),
            str((d.get("config") or {}).get("mode") or "plan"),
            str(d.get("status", "")),
            f"{d['n']}/{d.get('planned', d['n'])}",
        ]
        for i, d in enumerate(documents, start=1)
    ]
    suites = sorted({str(d.get("suite")) for d in documents})
    return Table("Runs", ["run", "strategy", "mode", "status", "items"], rows, note="suites: " + ", ".join(suites))


def cost_table(documents: Sequence[Document]) -> Table:
    rows = [
        [
            run_key(i),
            f"{d.get('tokens', 0):,}",
            f"{float(d.get('cost_usd') or 0):.4f}",
            str(d.get("cached", 0)),
            number((d.get("latency_s") or {}).get("p50")),
            number((d.get("latency_s") or {}).get("p95")),
        ]
        for i, d in enumerate(documents, start=1)
    ]
    return Table("Cost and speed", ["run", "tokens", "cost $", "cached", "p50 s", "p95 s"], rows)


def summary_table(members: Sequence[tuple[int, Document, Mapping[str, Any]]]) -> Table:
    headers = ["run", "n", "success (95% CI)", "optimal", "gap %", "WAUC", "break"]
    rows = []
    for index, document, s in members:
        rows.append(
            [
                f"{run_key(index)} {document['run']}",
                str(s["n"]),
                rate_with_interval(s.get("feasible_rate"), s.get("ci_low"), s.get("ci_high")),
                optimal_cell(s.get("optimal_rate"), s.get("optimal_n")),
                number(s.get("mean_gap_pct")),
                number(s.get("wauc"), 3),
                "-" if s.get("breakpoint_level") is None else str(s["breakpoint_level"]),
            ]
        )
    note = (
        "success: a feasible schedule or a correct infeasibility claim, over all items; optimal: over the items "
        "whose instance has a reference schedule (of N); gap: mean over feasible answers"
    )
    return Table("summary", headers, rows, note)


def outcome_table(members: Sequence[tuple[int, Document, Mapping[str, Any]]]) -> Table:
    present = [k for k in OUTCOMES if any((s.get("outcomes") or {}).get(k) for _, _, s in members)]
    rows = [[run_key(i), *(str((s.get("outcomes") or {}).get(k, 0)) for k in present)] for i, _, s in members]
    legend = "; ".join(f"{SHORT_OUTCOMES[k]}: {OUTCOMES[k]}" for k in present if SHORT_OUTCOMES[k] != OUTCOMES[k])
    return Table("outcomes (items)", ["run", *(SHORT_OUTCOMES[k] for k in present)], rows, legend)


def level_table(members: Sequence[tuple[int, Document, Mapping[str, Any]]]) -> Table:
    levels = sorted({row["level"] for _, _, s in members for row in s.get("by_level") or []})
    rows = []
    for index, _, s in members:
        by = {row["level"]: row for row in s.get("by_level") or []}
        cells = [_level_cell(by.get(level)) for level in levels]
        rows.append([run_key(index), *cells])
    return Table("success by level", ["run", *(f"L{level}" for level in levels)], rows, "% (Wilson 95% interval)")


def _level_cell(row: Mapping[str, Any] | None) -> str:
    if row is None:
        return "-"
    return rate_with_interval(row.get("feasible_rate"), row.get("ci_low"), row.get("ci_high"))


def taxonomy_table(members: Sequence[tuple[int, Document, Mapping[str, Any]]]) -> Table:
    kinds = sorted({k for _, _, s in members for k in s.get("taxonomy") or {}})
    rows = [[kind, *(percent((s.get("taxonomy") or {}).get(kind, 0.0)) for _, _, s in members)] for kind in kinds]
    rows.append(["failed parsed answers", *(str(s.get("taxonomy_n", 0)) for _, _, s in members)])
    return Table(
        "violation taxonomy",
        ["violation", *(run_key(i) for i, _, _ in members)],
        rows,
        "share of the parsed answers that failed showing each violation type at least once",
    )


def breakdown_table(members: Sequence[tuple[int, Document, Mapping[str, Any]]], key: str, name: str) -> Table:
    values = sorted({str(row[name]) for _, d, _ in members for row in d.get(key) or []})
    rows = []
    for value in values:
        cells = []
        for _, document, _ in members:
            row = next((r for r in document.get(key) or [] if str(r[name]) == value), None)
            cells.append("-" if row is None else f"{_level_cell(row)} n{row['n']}")
        rows.append([value, *cells])
    return Table(f"success by {name}", [name, *(run_key(i) for i, _, _ in members)], rows)


def chain_table(members: Sequence[tuple[int, Document, Mapping[str, Any]]]) -> Table:
    rows = []
    for index, document, _ in members:
        chains = document.get("chains")
        if not chains:
            rows.append([run_key(index), "-", "-"])
            continue
        low, high = (">top" if v is None else f"{v:g}" for v in chains["breakpoint_ci"])
        median = ">top" if chains["breakpoint_median"] is None else f"{chains['breakpoint_median']:g}"
        rows.append(
            [
                run_key(index),
                f"{median} ({low}–{high})",
                f"{chains['never_failed']} / {chains['recovered']} of {chains['n_trajectories']}",
            ]
        )
    return Table("nested chains", ["run", "breakpoint (95% CI)", "never failing / recovering"], rows)


def rounds_table(members: Sequence[tuple[int, Document, Mapping[str, Any]]]) -> Table:
    depth = max(int((d.get("multi_turn") or {}).get("rounds") or 1) for _, d, _ in members)
    headers = ["run", *(f"success@{k}" for k in range(1, depth + 1)), f"optimal@{depth}", "rounds", "tokens/solved"]
    rows = []
    for index, document, _ in members:
        turns = document.get("multi_turn") or {}
        success = turns.get("success_at") or {}
        optimal = turns.get("optimal_at") or {}
        rows.append(
            [
                run_key(index),
                *(percent(success.get(str(k))) for k in range(1, depth + 1)),
                percent(optimal.get(str(depth))),
                number(turns.get("mean_rounds")),
                number(turns.get("tokens_per_solved"), 0),
            ]
        )
    return Table("rounds", headers, rows, "success@k: solved within the first k answers")


def strategy_gap_table(members: Sequence[tuple[int, Document, Mapping[str, Any]]]) -> Table:
    """Mean gap of feasible answers by level, one row per strategy (its runs pooled): the numbers the HTML
    report's per-strategy gap chart draws."""
    pooled = gap_by_level([{**d, "by_level": s.get("by_level") or []} for _, d, s in members])
    levels = sorted({row["level"] for rows in pooled.values() for row in rows})
    rows = []
    for strategy, cells in pooled.items():
        by = {row["level"]: row for row in cells}
        rows.append([strategy, *(_gap_cell(by.get(level)) for level in levels)])
    note = "mean gap % of the feasible answers (n: how many), the runs of a strategy pooled"
    return Table("gap by level, per strategy", ["strategy", *(f"L{level}" for level in levels)], rows, note)


def _gap_cell(row: Mapping[str, Any] | None) -> str:
    return "-" if row is None else f"{number(row['mean_gap_pct'])} n{row['gap_n']}"


def rate_with_interval(rate: float | None, low: float | None, high: float | None) -> str:
    if rate is None:
        return "-"
    if low is None or high is None:
        return f"{100 * rate:.0f}%"
    return f"{100 * rate:.0f}% ({100 * low:.0f}–{100 * high:.0f})"


def optimal_cell(rate: float | None, defined: int | None) -> str:
    return "-" if rate is None else f"{100 * rate:.0f}% of {defined}"


def percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def number(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


# --- writers ---------------------------------------------------------------------------------------------------


def print_rich(tables: Sequence[Table], console: Any) -> None:
    """Each table as a rich table no wider than the console (split by columns when needed)."""
    from rich import box
    from rich.table import Table as RichTable

    section = None
    for table in tables:
        if table.section != section:
            section = table.section
            console.rule(section, align="left")
        for part in table.fit_columns(console.width):
            shown = RichTable(title=part.title, box=box.SIMPLE_HEAD, title_justify="left", show_edge=False)
            for k, header in enumerate(part.headers):
                if k == 0:
                    shown.add_column(header, overflow="fold", min_width=min(10, len(header) + 2))
                else:
                    shown.add_column(header, justify="right", no_wrap=True, min_width=part.widths()[k])
            for row in part.rows:
                shown.add_row(*row)
            console.print(shown)
            if part.note:
                console.print(part.note, style="dim", markup=False, highlight=False)


def markdown(tables: Sequence[Table]) -> str:
    """GitHub-flavoured Markdown: a heading and a pipe table per table."""
    blocks = []
    for table in tables:
        title = f"{table.section}: {table.title}" if table.section else table.title
        lines = [f"### {_md(title)}", "", "| " + " | ".join(_md(h) for h in table.headers) + " |"]
        lines.append("|" + "|".join([":---", *("---:" for _ in table.headers[1:])]) + "|")
        lines += ["| " + " | ".join(_md(cell) for cell in row) + " |" for row in table.rows]
        if table.note:
            lines += ["", f"*{_md(table.note)}*"]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def _md(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


_LATEX = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "–": "--",
    "·": r"\textperiodcentered{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
}


def latex(tables: Sequence[Table]) -> str:
    """LaTeX `table` environments with booktabs rules (`\\usepackage{booktabs}`), one per table."""
    blocks = []
    for table in tables:
        spec = "l" + "r" * (len(table.headers) - 1)
        lines = [
            r"\begin{table}[ht]",
            r"\centering",
            rf"\caption{{{_tex(f'{table.section}: {table.title}' if table.section else table.title)}}}",
            rf"\begin{{tabular}}{{{spec}}}",
            r"\toprule",
            " & ".join(_tex(h) for h in table.headers) + r" \\",
            r"\midrule",
            *(" & ".join(_tex(cell) for cell in row) + r" \\" for row in table.rows),
            r"\bottomrule",
            r"\end{tabular}",
        ]
        if table.note:
            lines.append(rf"\par\smallskip{{\footnotesize {_tex(table.note)}}}")
        lines.append(r"\end{table}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def _tex(text: str) -> str:
    """Text with LaTeX's special characters escaped; a leading `[` is braced (after `\\` or a booktabs rule
    it would open an optional argument)."""
    escaped = "".join(_LATEX.get(ch, ch) for ch in text.replace("\n", " "))
    return "{}" + escaped if escaped.startswith("[") else escaped


WRITERS: dict[str, Callable[[Sequence[Table]], str]] = {"md": markdown, "latex": latex}
"""Text formats of `report --format` besides the terminal tables."""
