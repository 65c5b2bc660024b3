"""Figures without pyplot: creation, the series naming convention, SVG text for HTML, files for papers.

Every data series is drawn with a gid ``series:<role>:<label>`` (see `series_gid`). In an SVG file that gid is
the id of the series' group; `inline_svg` turns it into ``class="sb-series" data-role=… data-series=…`` and
prefixes every other id, so many figures can share one HTML page and tests can count series in the DOM.
"""

from __future__ import annotations

import functools
import html
import io
import itertools
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, ParamSpec, TypeVar

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.typing import RcKeyType

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22")
"""Colour-blind-tolerant tab10 order: one colour per run/model, stable across charts."""

FORMATS = ("png", "svg", "pdf")
"""Files written per chart for papers: PNG (slides), SVG and PDF (vector, fonts embedded as outlines/Type 42)."""
_RC: dict[RcKeyType, Any] = {
    "svg.fonttype": "none",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "legend.frameon": False,
    "savefig.bbox": "tight",
}
_counter = itertools.count(1)
P = ParamSpec("P")
R = TypeVar("R")


def chart(fn: Callable[P, R]) -> Callable[P, R]:
    """Decorator: build the chart inside the house style (rc parameters are read as artists are made)."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        import matplotlib

        with matplotlib.rc_context(_RC):
            return fn(*args, **kwargs)

    return wrapper


def new_figure(
    width: float = 6.4,
    height: float = 3.6,
    rows: int = 1,
    cols: int = 1,
    layout: Literal["constrained", "compressed", "tight"] | None = "constrained",
    **subplot_kw: Any,
) -> tuple[Figure, list[Axes]]:
    """A pyplot-free figure with `rows` × `cols` axes (flattened); call it inside a `@chart` function.

    `layout=None` skips the constrained-layout pass (about 40% faster to draw) for figures that set their margins.
    """
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout=layout)
    axes = fig.subplots(rows, cols, squeeze=False, **subplot_kw).ravel().tolist()
    return fig, axes


def colour(index: int) -> str:
    """The palette colour for series number `index`."""
    return PALETTE[index % len(PALETTE)]


def series_gid(role: str, label: str) -> str:
    """The gid of a data series: its role in the chart (line, band, bar, …) and its label."""
    return f"series:{role}:{label}"


def figure_svg(fig: Figure) -> str:
    """The figure as SVG text (fonts as text, so it stays small and searchable)."""
    import matplotlib

    buffer = io.StringIO()
    # constrained layout already fits the canvas: no second "tight" drawing pass
    with matplotlib.rc_context({**_RC, "svg.hashsalt": f"sb{next(_counter)}", "savefig.bbox": None}):
        fig.savefig(buffer, format="svg")
    return buffer.getvalue()


_ID = re.compile(r'\bid="([^"]*)"')
_REF = re.compile(r'(url\(#|xlink:href="#|href="#)([^)"]*)')


def inline_svg(svg: str, prefix: str) -> str:
    """SVG text ready to sit inside HTML beside other figures.

    Drops the XML prologue, prefixes every id (and its references) with `prefix`, and turns series gids into
    ``class="sb-series" data-role=… data-series=…``.
    """
    start = svg.find("<svg")
    body = svg[start:] if start >= 0 else svg

    def rename(match: re.Match[str]) -> str:
        value = html.unescape(match.group(1))
        if value.startswith("series:"):
            _, role, label = value.split(":", 2)
            return f'class="sb-series" data-role="{html.escape(role)}" data-series="{html.escape(label)}"'
        return f'id="{prefix}-{match.group(1)}"'

    body = _ID.sub(rename, body)
    return _REF.sub(lambda m: f"{m.group(1)}{prefix}-{m.group(2)}", body)


def save_figure(fig: Figure, stem: Path, formats: Iterable[str] = FORMATS, dpi: int = 200) -> list[Path]:
    """Write the figure as `stem.png`, `stem.svg`, … (for papers); returns the paths written.

    Unlike the inline SVG of the HTML report, files carry their glyphs (SVG text as paths, PDF with TrueType
    fonts embedded), so a paper renders them the same on any machine.
    """
    import matplotlib

    stem.parent.mkdir(parents=True, exist_ok=True)
    written = []
    for fmt in formats:
        path = stem.with_suffix(f".{fmt}")
        with matplotlib.rc_context({**_RC, "svg.fonttype": "path", "pdf.fonttype": 42}):
            fig.savefig(path, format=fmt, dpi=dpi)
        written.append(path)
    return written


def runs_legend(fig: Figure, ax: Axes) -> None:
    """One legend entry per run, below the axes (run names are long; inside they would hide the data)."""
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, loc="outside lower center", ncol=min(2, len(labels)), fontsize=7)


def empty_note(ax: Axes, text: str) -> None:
    """Say in the axes why there is nothing to draw."""
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color="#777")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
