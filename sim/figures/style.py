"""One figure style for papers: palette, sizes, fonts and deterministic files.

Categorical colours follow Okabe & Ito (2008) and ordered levels of a parameter
take steps of viridis; both stay distinguishable with the common colour-vision
deficiencies.
Figures are sized for one column (89 mm) or two columns (183 mm) and legible at
8 pt. PDF files embed TrueType fonts (``pdf.fonttype`` 42), SVG files keep text as
text (``svg.fonttype`` ``'none'``), and the same data always gives the same bytes,
whatever other formats are saved in the same call: a fixed SVG hash salt, metadata
without dates, and the layout computed once before the first file is written (each
format's renderer would otherwise place the axes differently in the last digits,
which changes the SVG's clip-path ids).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

import matplotlib
import matplotlib.pyplot as plt
from cycler import cycler
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

from sim.names import OUTCOMES

OKABE_ITO: tuple[str, ...] = (
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#009E73",  # bluish green
    "#E69F00",  # orange
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#F0E442",  # yellow
    "#000000",  # black
)
"""The categorical palette, in the order series get it."""

OUTCOME_COLOURS: dict[str, str] = dict(
    zip(OUTCOMES, ("#D55E00", "#E69F00", "#CC79A7", "#56B4E9", "#009E73"), strict=True)
)
"""One fixed colour per outcome class (in the order of :data:`sim.names.OUTCOMES`)."""

MM = 1 / 25.4
ONE_COLUMN = 89 * MM
TWO_COLUMN = 183 * MM
SIZES: dict[str, float] = {"one": ONE_COLUMN, "two": TWO_COLUMN}
HASH_SALT = "alliance-sim"
FORMATS: tuple[str, ...] = ("pdf", "svg", "png")
DPI = 300

RC: dict[str, Any] = {
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],
    "font.size": 8,
    "axes.titlesize": 8,
    "axes.labelsize": 8,
    "xtick.labelsize": 7,
    "ytick.labelsize": 7,
    "legend.fontsize": 7,
    "legend.title_fontsize": 7,
    "legend.frameon": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.linewidth": 0.6,
    "xtick.major.width": 0.6,
    "ytick.major.width": 0.6,
    "lines.linewidth": 1.2,
    "axes.prop_cycle": cycler(color=list(OKABE_ITO)),
    "figure.dpi": 100,
    "savefig.dpi": DPI,
    "savefig.bbox": None,
    "pdf.fonttype": 42,
    "ps.fonttype": 42,
    "svg.fonttype": "none",
    "svg.hashsalt": HASH_SALT,
    "path.simplify": True,
}
"""The rcParams of the style."""

METADATA: dict[str, dict[str, Any]] = {
    "pdf": {"Creator": "alliance-sim", "Producer": None, "CreationDate": None, "ModDate": None},
    "svg": {"Creator": "alliance-sim", "Date": None},
    "png": {"Software": "alliance-sim"},
}
"""File metadata per format: a fixed creator, no dates, no library versions."""


def apply() -> None:
    """Apply the style to matplotlib's global rcParams."""
    matplotlib.rcParams.update(cast(Any, RC))


@contextmanager
def context() -> Iterator[None]:
    """Use the style inside a ``with`` block, restoring the previous rcParams after."""
    with matplotlib.rc_context(cast(Any, RC)):
        yield


def figsize(width: str = "one", aspect: float = 0.75) -> tuple[float, float]:
    """A figure size in inches.

    Args:
        width: ``"one"`` (one column, 89 mm) or ``"two"`` (two columns, 183 mm).
        aspect: height over width.
    """
    inches = SIZES[width]
    return inches, inches * aspect


def new_figure(
    width: str = "one", aspect: float = 0.75, nrows: int = 1, ncols: int = 1, **kwargs: Any
) -> tuple[Figure, Any]:
    """A styled figure and its axes (``plt.subplots`` with the style and a column width).

    Args:
        width: ``"one"`` or ``"two"`` columns.
        aspect: height over width of the whole figure.
        nrows: rows of panels.
        ncols: columns of panels.
        **kwargs: passed to ``plt.subplots``.
    """
    # The figure is made outside the style's rc_context: the first pyplot figure may
    # activate an interactive backend (Jupyter's inline one sets ``interactive``), and
    # leaving the context would undo that.
    fig = plt.figure(figsize=figsize(width, aspect), layout="constrained", dpi=RC["figure.dpi"])
    with context():
        axes = fig.subplots(nrows, ncols, **kwargs)
    return fig, axes


def sequential(n: int) -> list[str]:
    """``n`` ordered colours (light to dark viridis) for the levels of one parameter."""
    cmap = matplotlib.colormaps["viridis"]
    if n == 1:
        return [to_hex(cmap(0.3))]
    return [to_hex(cmap(0.8 - 0.8 * i / (n - 1))) for i in range(n)]


def outcome_colours(classes: Sequence[str]) -> list[str]:
    """The fixed colour of each outcome class (grey for an unknown class)."""
    return [OUTCOME_COLOURS.get(str(c), "#999999") for c in classes]


def freeze_layout(fig: Figure) -> None:
    """Compute the figure's layout once and keep it: no renderer moves the axes after."""
    fig.draw_without_rendering()
    fig.set_layout_engine("none")


def save(
    fig: Figure,
    path: str | os.PathLike[str],
    formats: Sequence[str] = FORMATS,
) -> list[Path]:
    """Save ``fig`` as ``path`` with each suffix in ``formats``, byte-deterministically.

    The figure's layout is computed once, then frozen (its layout engine is set to
    ``"none"``), so that every format gets the same positions.

    Args:
        fig: the figure.
        path: the file path without suffix (a suffix given is replaced).
        formats: any of ``pdf``, ``svg``, ``png``.

    Returns:
        The files written.
    """
    base = Path(path)
    base.parent.mkdir(parents=True, exist_ok=True)
    for fmt in formats:
        if fmt not in METADATA:
            raise ValueError(f"unknown figure format {fmt!r} (one of {', '.join(FORMATS)})")
    written = []
    with matplotlib.rc_context(cast(Any, RC)):
        freeze_layout(fig)
        for fmt in formats:
            target = base.with_suffix(f".{fmt}")
            fig.savefig(target, format=fmt, metadata=METADATA[fmt], dpi=DPI)
            written.append(target)
    return written
