"""The files of a scenario discovery (:func:`sim.analysis.discovery.discover`).

:func:`write_discovery` writes ``trajectory.csv`` (one row per box of the peeling
trajectory), ``box.json`` (the chosen box, its limits and quasi-p-values, and how it was
found) and the figures ``trajectory`` (coverage against density, coloured by the number
of restricted parameters, the chosen box marked) and ``box`` (the chosen box's limits on
each restricted parameter's range in the runs, with their quasi-p-values), each as SVG
and PNG. By default they go to ``STORE/discover/SLUG/``, SLUG made of the condition; like
``report``, this writes beside a sweep's tables without the store's lock, so a sweep
writing the store goes on undisturbed.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.lines import Line2D

from sim.figures import style
from sim.figures.labels import name_label
from sim.figures.plots import not_drawn
from sim.figures.report import slug
from sim.store.create import DISCOVER

if TYPE_CHECKING:
    from sim.analysis.discovery import Box, Discovery

FORMATS: tuple[str, ...] = ("svg", "png")
"""The formats of the discovery's figures."""
OPERATOR_WORDS: dict[str, str] = {
    "==": "eq", "!=": "ne", "<=": "le", ">=": "ge", "<": "lt", ">": "gt",
    "&": "and", "|": "or", "~": "not",
}  # fmt: skip
"""Operators of a condition as words in its folder's name (``lifetime < 60`` ->
``lifetime-lt-60``)."""
TINY_QP = 1e-300
"""Quasi-p-values below this (the binomial tail underflows) are shown as ``<1e-300``."""


def where_slug(where: str) -> str:
    """A folder name for a condition: its words (operators as words, at most 60
    characters) and 6 hex digits of its hash, so two conditions never share a folder."""
    text = where
    for operator, word in OPERATOR_WORDS.items():
        text = text.replace(operator, f" {word} ")
    digest = hashlib.sha256(" ".join(where.split()).encode()).hexdigest()[:6]
    return f"{slug(text)[:60].strip('-')}-{digest}"


def discovery_folder(store: str | os.PathLike[str], where: str) -> Path:
    """Where a discovery is written by default: ``STORE/discover/SLUG``."""
    return Path(store) / DISCOVER / where_slug(where)


def format_qp(qp: float) -> str:
    """A quasi-p-value as text (two significant digits)."""
    return f"<{TINY_QP:.0e}" if qp < TINY_QP else f"{qp:.2g}"


def format_limit(value: Any) -> str:
    """A box limit as text (three significant digits for a number)."""
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def trajectory_plot(found: Discovery, ax: Axes) -> Axes:
    """Coverage against density of every box of the trajectory, coloured by the number
    of restricted parameters; the threshold as a dashed line; the chosen box ringed."""
    traj = found.trajectory
    counts = sorted(set(traj["restricted_dims"]))
    colours = dict(zip(counts, style.sequential(len(counts)), strict=True))
    for count in counts:
        rows = traj[traj["restricted_dims"] == count]
        ax.scatter(rows["coverage"], rows["density"], s=10, color=colours[count], label=str(count))
    ax.axhline(found.threshold, color="0.5", lw=0.6, ls="--")
    if found.box is not None:
        box = found.box
        ax.scatter([box.coverage], [box.density], s=60, facecolors="none", edgecolors="black")
        ax.annotate(
            f"box {box.index}", (box.coverage, box.density), xytext=(6, 6),
            textcoords="offset points",
        )  # fmt: skip
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("coverage (share of the cases inside)")
    ax.set_ylabel("density (share of the box's runs that are cases)")
    handles, labels = ax.get_legend_handles_labels()
    handles.append(Line2D([], [], color="0.5", lw=0.6, ls="--"))
    labels.append(f"threshold {found.threshold:g}")
    ax.legend(handles, labels, title="restricted parameters", loc="best", ncol=2)
    return ax


def _numeric_row(ax: Axes, y: int, row: dict[str, Any]) -> None:
    """A numeric parameter's limits as a bar; the value at each restricted end."""
    span = (row["high"] - row["low"]) or 1.0
    start = (row["min"] - row["low"]) / span
    end = (row["max"] - row["low"]) / span
    ax.barh(y, end - start, left=start, height=0.5, color=style.OKABE_ITO[0])
    for value, at, edge in ((row["min"], start, row["low"]), (row["max"], end, row["high"])):
        if value != edge:
            ax.text(at, y + 0.3, format_limit(value), ha="center", va="bottom", fontsize=6)


def box_plot(box: Box, ax: Axes) -> Axes:
    """The box's limits on each restricted parameter's range in the runs (0 its smallest
    value, 1 its largest), the most significant parameter at the top; the quasi-p-values
    beside the names."""
    rows = box.limits.to_dict("records")
    if not rows:
        return not_drawn(ax, f"box {box.index} restricts no parameter")
    ticks = []
    for y, row in enumerate(reversed(rows)):
        ax.barh(y, 1.0, height=0.5, color="0.9")
        if row["levels"] is None:
            _numeric_row(ax, y, row)
        else:
            ax.barh(y, 1.0, height=0.5, color=style.OKABE_ITO[0])
            kept = ", ".join(sorted(map(str, row["levels"])))
            ax.text(0.5, y, kept, ha="center", va="center", color="white", fontsize=6)
        ticks.append(f"{name_label(row['parameter'])}\nqp {format_qp(row['qp_value'])}")
    ax.set_yticks(np.arange(len(rows)), ticks)
    ax.set_ylim(-0.6, len(rows) - 0.2)
    ax.set_xlim(-0.02, 1.02)
    ax.set_xlabel("share of the range in the runs")
    ax.figure.suptitle(
        f"box {box.index}: coverage {box.coverage:.2f}, density {box.density:.2f}", fontsize=8
    )
    return ax


def _save(fig: Any, path: Path) -> list[Path]:
    written = style.save(fig, path, FORMATS)
    plt.close(fig)
    return written


def write_discovery(found: Discovery, out: str | os.PathLike[str] | None = None) -> list[Path]:
    """Write a discovery's files into ``out`` (default :func:`discovery_folder`).

    Returns:
        The files written; a ``box`` figure of an earlier discovery with a chosen box is
        removed when this one has none.
    """
    folder = Path(out) if out is not None else discovery_folder(found.store, found.where)
    folder.mkdir(parents=True, exist_ok=True)
    table = folder / "trajectory.csv"
    found.trajectory.to_csv(table, index=False, float_format="%.6g", lineterminator="\n")
    summary = {k: v for k, v in found.to_json().items() if k != "trajectory"}
    box_json = folder / "box.json"
    box_json.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    written = [table, box_json]
    with style.context():
        written += _figures(found, folder)
    return written


def _figures(found: Discovery, folder: Path) -> list[Path]:
    """The trajectory figure, and the chosen box's (a stale one removed when there is none)."""
    _, ax = style.new_figure("one", aspect=0.9)
    written = _save(trajectory_plot(found, ax).figure, folder / "trajectory")
    if found.box is None:
        for fmt in FORMATS:
            (folder / f"box.{fmt}").unlink(missing_ok=True)
        return written
    rows = max(len(found.box.limits), 1)
    _, ax = style.new_figure("one", aspect=0.25 + 0.16 * rows)
    return written + _save(box_plot(found.box, ax).figure, folder / "box")
