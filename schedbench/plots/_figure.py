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
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, ParamSpec, TypeVar

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.typing import RcKeyType

PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#882255")
"""Okabe–Ito (without its yellow, hard to see on white) and Tol's wine: colour-blind-safe, one colour per series.
Charts overlay at most MAX_OVERLAY series; beyond that they are drawn as small multiples, and `colour` goes on
with hues that are still distinct (but no longer colour-blind-safe), so a colour never repeats within a chart."""
MAX_OVERLAY = len(PALETTE)

FORMATS = ("png", "svg", "pdf")
"""Files written per chart for papers: PNG (slides), SVG and PDF (vector, fonts embedded as outlines/Type 42)."""
_RC: dict[RcKeyType, Any] = {
    "text.parse_math": False,  # labels come from data (ids, run names): "$\\frac$" is text, never math
    "text.usetex": False,
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
    """The colour of series number `index`: the palette, then distinct hues (golden-angle steps on the colour
    wheel, three lightness levels), never a repeat."""
    if index < len(PALETTE):
        return PALETTE[index]
    import colorsys

    extra = index - len(PALETTE)
    hue = (0.11 + extra * 0.381966) % 1.0
    lightness = (0.38, 0.52, 0.30)[extra % 3]
    red, green, blue = colorsys.hls_to_rgb(hue, lightness, 0.75)
    return f"#{round(red * 255):02x}{round(green * 255):02x}{round(blue * 255):02x}"


def abbreviate(text: str, limit: int) -> str:
    """`text` cut to `limit` characters with an ellipsis (for labels whose full text is shown on hover)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def short_ticks(ax: Axes, labels: Sequence[str], axis: str = "x") -> None:
    """Category tick labels that never overlap: as they are when few and short, turned upright when many."""
    positions = range(len(labels))
    longest = max((len(label) for label in labels), default=0)
    if axis == "y":
        ax.set_yticks(positions, labels, fontsize=7 if len(labels) > 12 else 8)
        return
    crowded = len(labels) * max(longest, 3) > 48
    ax.set_xticks(positions, labels, rotation=90 if crowded else 0, fontsize=7 if len(labels) > 12 else 8)


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


def inline_svg(svg: str, prefix: str, names: Mapping[str, str] | None = None) -> str:
    """SVG text ready to sit inside HTML beside other figures.

    Drops the XML prologue, prefixes every id (and its references) with `prefix`, and turns series gids into
    ``class="sb-series" data-role=… data-series=…`` with a ``<title>`` (shown on hover): the full name from
    `names` for a short label, else the label itself.
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
    names = names or {}

    def titled(match: re.Match[str]) -> str:
        label = html.unescape(match.group(1))
        return match.group(0) + f"<title>{html.escape(names.get(label, label))}</title>"

    body = _SERIES_OPEN.sub(titled, body)
    return _REF.sub(lambda m: f"{m.group(1)}{prefix}-{m.group(2)}", body)


_SERIES_OPEN = re.compile(r'<g class="sb-series" data-role="[^"]*" data-series="([^"]*)"[^>]*>')


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
        columns = 1 if max(len(label) for label in labels) > 42 else min(2, len(labels))
        fig.legend(handles, labels, loc="outside lower center", ncol=columns, fontsize=7)


def empty_note(ax: Axes, text: str) -> None:
    """Say in the axes why there is nothing to draw."""
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color="#777")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
