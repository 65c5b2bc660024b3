"""Charts for reports and papers (matplotlib, no pyplot): evaluation metrics, Gantt charts, evolution.

Every chart function returns a `matplotlib.figure.Figure`; `figure_svg` / `inline_svg` turn it into SVG for
the HTML report and `save_figure` writes PNG/SVG files. Data series carry gids ``series:<role>:<label>``.
"""

from schedbench.plots._figure import FORMATS, figure_svg, inline_svg, save_figure, series_gid
from schedbench.plots.evolution import best_row, lineage, lineage_chart, read_history, score_over_iterations
from schedbench.plots.gantt import GanttSpec, draw_schedule, gantt_spec, schedule_comparison
from schedbench.plots.metrics import (
    breakdown_bars,
    chain_breakpoints,
    cost_tokens,
    feasibility_curves,
    gap_curves,
    gap_distribution,
    taxonomy_bars,
)

__all__ = [
    "FORMATS",
    "GanttSpec",
    "best_row",
    "breakdown_bars",
    "chain_breakpoints",
    "cost_tokens",
    "draw_schedule",
    "feasibility_curves",
    "figure_svg",
    "gantt_spec",
    "gap_curves",
    "gap_distribution",
    "inline_svg",
    "lineage",
    "lineage_chart",
    "read_history",
    "save_figure",
    "schedule_comparison",
    "score_over_iterations",
    "series_gid",
    "taxonomy_bars",
]
