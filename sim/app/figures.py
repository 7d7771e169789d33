"""The demo's Matplotlib figures: the alliance network, performance and the trends.

Each function draws a fresh :class:`~matplotlib.figure.Figure` from one or two running
models; :func:`_png` turns a figure into the PNG bytes the page shows.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib import colormaps
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from sim.app.state import Crisis, _active_members, _horizon, _register, _series, member_label
from sim.app.theme import (
    ALLIANCE_STYLE,
    CRISIS_KINDS,
    FACTION_MARKERS,
    NODE_CMAP,
    OKABE_ITO,
    PHASE_STYLE,
    TIE_CMAP,
)
from sim.names import PHASES


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, pil_kwargs={"compress_level": 1})
    return buffer.getvalue()


def _outward(x: float, y: float) -> tuple[float, float]:
    """Unit vector from the centre of the drawing towards ``(x, y)`` (down for the centre)."""
    norm = float(np.hypot(x, y))
    return (x / norm, y / norm) if norm > 0.05 else (0.0, -1.0)


def _draw_ties(ax: Any, model: Any, positions: dict[int, tuple[float, float]]) -> None:
    """Each tie between active members once: width and colour show the mean trust both ways."""
    live = {m.unique_id: m for m in _active_members(model)}
    trusts = {uid: member.trust for uid, member in live.items()}
    tie_cmap = colormaps[TIE_CMAP]
    drawn = set()
    for uid, ties in trusts.items():
        for partner, trust in ties.items():
            if partner not in live or (partner, uid) in drawn:
                continue
            drawn.add((uid, partner))
            back = trusts[partner].get(uid, trust)
            level = float(np.clip((trust + back) / 2, 0.0, 1.0))
            (x0, y0), (x1, y1) = positions[live[uid].index], positions[live[partner].index]
            ax.plot(
                [x0, x1],
                [y0, y1],
                color=tie_cmap(0.15 + 0.85 * level),
                linewidth=0.6 + 7 * level,
                linestyle="--" if level < 0.35 else "-",
                alpha=0.9,
                zorder=1,
                solid_capstyle="round",
            )


def _draw_departed(ax: Any, x: float, y: float, name: str) -> None:
    """A member that left: a hollow dashed circle with a cross, its name outside."""
    ax.scatter(
        [x],
        [y],
        s=420,
        marker="o",
        facecolors="none",
        edgecolors="#777777",
        linestyles="--",
        linewidths=2,
        zorder=2,
    )
    ax.scatter([x], [y], s=160, marker="x", color="#777777", linewidths=2.5, zorder=3)
    dx, dy = _outward(x, y)
    ax.text(
        x + 0.2 * dx,
        y + 0.2 * dy,
        name,
        ha="center",
        va="center",
        fontsize=12,
        color="#555555",
        zorder=4,
    )


def _draw_member(
    ax: Any, member: Any, xy: tuple[float, float], colour_by: str, size: float, many: bool
) -> None:
    """An active member: its faction's shape, filled by ``colour_by``, its value inside."""
    x, y = xy
    value = float(np.clip(getattr(member, colour_by), 0.0, 1.0))
    marker = FACTION_MARKERS[member.faction % len(FACTION_MARKERS)]
    ax.scatter(
        [x],
        [y],
        s=size,
        marker=marker,
        color=colormaps[NODE_CMAP](value),
        edgecolors="black",
        linewidths=1.8,
        zorder=3,
    )
    name = member_label(member.index)
    text_colour = "white" if value < 0.55 else "black"
    ax.text(
        x,
        y,
        name if many else f"{value:.1f}",
        ha="center",
        va="center",
        fontsize=14,
        color=text_colour,
        zorder=4,
    )
    if not many:
        dx, dy = _outward(x, y)
        ax.text(x + 0.2 * dx, y + 0.2 * dy, name, ha="center", va="center", fontsize=13, zorder=4)


def _mark_lead(ax: Any, xy: tuple[float, float], size: float) -> None:
    """A ring and the word LEAD around the lead member."""
    x, y = xy
    ax.scatter(
        [x],
        [y],
        s=size * 2.2,
        marker="o",
        facecolors="none",
        edgecolors="black",
        linewidths=3.5,
        zorder=5,
    )
    dx, dy = _outward(x, y)
    ax.text(
        x + 0.42 * dx,
        y + 0.42 * dy,
        "LEAD",
        ha="center",
        va="center",
        fontsize=16,
        weight="bold",
        zorder=6,
        bbox={"facecolor": "white", "edgecolor": "black", "pad": 1.5},
    )


def _draw_members(
    ax: Any, model: Any, positions: dict[int, tuple[float, float]], colour_by: str
) -> None:
    shares = [m.leadership_share for m in _active_members(model)]
    top_share = max(shares) if shares and max(shares) > 0 else 1.0
    # a lead member only leads when leadership is concentrated
    lead = model.lead_member if model.preset.leadership.concentration > 0 else None
    many = len(positions) > 20
    for member in model.founding_members:
        xy = positions[member.index]
        if not member.active:
            _draw_departed(ax, *xy, member_label(member.index))
            continue
        size = 250 + 750 * member.leadership_share / top_share
        _draw_member(ax, member, xy, colour_by, size, many)
        if lead is not None and member is lead:
            _mark_lead(ax, xy, size)


def _network_legend(fig: Figure, factions: list[int], colour_by: str) -> None:
    """The colour bar of ``colour_by`` and the legend of shapes, marks and ties."""
    scalar = ScalarMappable(norm=Normalize(0.0, 1.0), cmap=colormaps[NODE_CMAP])
    bar = fig.colorbar(scalar, cax=fig.add_axes((0.12, 0.17, 0.76, 0.03)), orientation="horizontal")
    bar.set_label(f"member {colour_by} (number in each shape)", fontsize=16)
    bar.ax.tick_params(labelsize=16)
    tie_cmap = colormaps[TIE_CMAP]
    handles = [
        Line2D(
            [],
            [],
            marker=FACTION_MARKERS[f % len(FACTION_MARKERS)],
            linestyle="",
            color="#999999",
            markeredgecolor="black",
            markersize=13,
            label=f"faction {f + 1}",
        )
        for f in factions
    ]
    handles += [
        Line2D(
            [],
            [],
            marker="o",
            linestyle="",
            markerfacecolor="none",
            markeredgecolor="black",
            markeredgewidth=3,
            markersize=17,
            label="LEAD",
        ),
        Line2D(
            [],
            [],
            marker="x",
            linestyle="",
            color="#777777",
            markersize=12,
            markeredgewidth=2.5,
            label="left",
        ),
        Line2D([], [], color=tie_cmap(1.0), linewidth=6, label="high trust"),
        Line2D([], [], color=tie_cmap(0.2), linewidth=1.2, linestyle="--", label="low trust"),
    ]
    fig.legend(
        handles=handles,
        loc="upper center",
        bbox_to_anchor=(0.5, 0.35),
        ncol=4,
        fontsize=14,
        frameon=False,
        handletextpad=0.3,
        columnspacing=1.0,
    )


def network_figure(model: Any, colour_by: str = "capacity", title: str = "") -> Figure:
    """The alliance network: fill = ``colour_by``, size = leadership share, ties = trust.

    Shapes mark factions, a ring and the word LEAD mark the lead member, hollow dashed
    circles with a cross mark members that have left; tie width and colour both show trust,
    and ties with little trust are dashed.
    """
    roster = _register(model)
    fig = Figure(figsize=(6.6, 6.8))
    fig.subplots_adjust(left=0.01, right=0.99, top=0.93, bottom=0.36)
    ax = fig.add_subplot()
    ax.set_axis_off()
    if title:
        ax.set_title(title, fontsize=20, fontweight="bold")
    _draw_ties(ax, model, roster.positions)
    _draw_members(ax, model, roster.positions, colour_by)
    ax.set_xlim(-1.55, 1.55)
    ax.set_ylim(-1.55, 1.55)
    ax.set_aspect("equal")
    _network_legend(fig, sorted(set(roster.factions.values())), colour_by)
    return fig


def _style_axis(ax: Any, title: str, horizon: int) -> None:
    ax.set_title(title, fontsize=21, loc="left", fontweight="bold")
    ax.set_xlim(0, horizon)
    ax.tick_params(labelsize=16)
    ax.grid(True, color="#DDDDDD", linewidth=0.8)
    ax.set_xlabel("month", fontsize=16)


def _plot_lines(
    ax: Any, models: Sequence[Any], name: str, labels: Sequence[str], clip: bool = True
) -> None:
    for i, model in enumerate(models):
        _, colour, style, marker = ALLIANCE_STYLE[i]
        values = _series(model, name)
        months = np.arange(values.size)
        every = max(1, values.size // 12)
        ax.plot(
            months,
            values,
            color=colour,
            linestyle=style,
            linewidth=3,
            marker=marker,
            markersize=8,
            markevery=every,
            label=labels[i],
        )
        if values.size:
            ax.plot([months[-1]], [values[-1]], marker=marker, color=colour, markersize=13)
    if clip:
        ax.set_ylim(-0.02, 1.02)


def _runs(codes: np.ndarray) -> list[tuple[int, int, float]]:
    """Runs of equal values: ``(start, length, value)``."""
    runs = []
    start = 0
    for month in range(1, codes.size + 1):
        if month == codes.size or codes[month] != codes[start]:
            runs.append((start, month - start, float(codes[start])))
            start = month
    return runs


def performance_figure(
    models: Sequence[Any], crises: Sequence[Sequence[Crisis]], labels: Sequence[str]
) -> Figure:
    """Performance over time, crisis markers, and a strip of phases per alliance."""
    horizon = max(_horizon(m) for m in models)
    fig = Figure(figsize=(7.4, 6.8))
    fig.subplots_adjust(left=0.13, right=0.97, top=0.94, bottom=0.2, hspace=0.14)
    grid = fig.add_gridspec(1 + len(models), 1, height_ratios=[6] + [0.7] * len(models))
    ax = fig.add_subplot(grid[0])
    _plot_lines(ax, models, "performance", labels)
    _style_axis(ax, "Performance", horizon)
    ax.set_xlabel("")
    ax.tick_params(labelbottom=False)
    ax.set_ylabel("performance (0-1)", fontsize=16)
    for i, model in enumerate(models):
        colour = ALLIANCE_STYLE[i][1]
        shocks = _series(model, "shocks")
        for month in np.flatnonzero(np.nan_to_num(shocks) > 0):
            ax.axvline(float(month), color=colour, linestyle=":", linewidth=1.6, alpha=0.8)
        for crisis in crises[i] if i < len(crises) else ():
            short, marker = CRISIS_KINDS.get(crisis.kind, (crisis.kind, "?", "v"))[1:]
            ax.axvline(crisis.month, color="black", linestyle="-.", linewidth=2)
            ax.plot([crisis.month], [0.97], marker=marker, color="black", markersize=14)
            ax.text(crisis.month + 1, 0.88, short, fontsize=17, fontweight="bold")
    handles, _ = ax.get_legend_handles_labels()
    handles += [
        Line2D([], [], color="#555555", linestyle=":", linewidth=1.6, label="crisis arrived"),
        Line2D([], [], color="black", linestyle="-.", linewidth=2, label="crisis fired here"),
    ]
    ax.legend(handles=handles, fontsize=14, loc="lower left", ncol=2, framealpha=0.9)
    for i, model in enumerate(models):
        strip = fig.add_subplot(grid[1 + i], sharex=ax)
        for start, length, code in _runs(_series(model, "phase")):
            if not np.isfinite(code) or not 0 <= int(code) < len(PHASES):
                continue
            colour, hatch, _ = PHASE_STYLE[PHASES[int(code)]]
            strip.broken_barh(
                [(start, length)], (0, 1), facecolors=colour, hatch=hatch, linewidth=0
            )
        strip.set_yticks([0.5], [ALLIANCE_STYLE[i][0] if len(models) > 1 else "phase"])
        strip.set_ylim(0, 1)
        strip.tick_params(labelsize=15)
        if i < len(models) - 1:
            strip.tick_params(labelbottom=False)
    fig.axes[-1].set_xlabel("month", fontsize=16)
    phase_handles = [
        Patch(facecolor=c, hatch=h, edgecolor="black", label=f"{s} {p}")
        for p, (c, h, s) in PHASE_STYLE.items()
    ]
    fig.legend(
        handles=phase_handles,
        loc="lower center",
        ncol=4,
        fontsize=14,
        frameon=False,
        handletextpad=0.3,
        columnspacing=0.8,
    )
    return fig


def trends_figure(models: Sequence[Any], labels: Sequence[str]) -> Figure:
    """Mean trust, active members, mean awareness and the effort split, over time."""
    horizon = max(_horizon(m) for m in models)
    fig = Figure(figsize=(13, 7.5))
    fig.subplots_adjust(left=0.06, right=0.98, top=0.94, bottom=0.09, hspace=0.3, wspace=0.14)
    axes = fig.subplots(2, 2, sharex=True)
    _plot_lines(axes[0, 0], models, "mean_trust", labels)
    _style_axis(axes[0, 0], "Mean trust", horizon)
    _plot_lines(axes[0, 1], models, "active_members", labels, clip=False)
    _style_axis(axes[0, 1], "Active members", horizon)
    founding = max((len(m.founding_members) for m in models), default=1)
    axes[0, 1].set_ylim(0, founding + 0.5)
    _plot_lines(axes[1, 0], models, "mean_awareness", labels)
    _style_axis(axes[1, 0], "Mean change awareness", horizon)
    ax = axes[1, 1]
    _style_axis(ax, "Effort: stabilising | transforming", horizon)
    if len(models) == 1:
        split = _series(models[0], "effort_split")
        months = np.arange(split.size)
        ax.fill_between(
            months,
            0,
            split,
            facecolor=OKABE_ITO["green"],
            hatch="..",
            edgecolor="black",
            linewidth=0,
            label="transforming",
        )
        ax.fill_between(
            months,
            split,
            1,
            facecolor=OKABE_ITO["orange"],
            hatch="//",
            edgecolor="black",
            linewidth=0,
            alpha=0.7,
            label="stabilising",
        )
        ax.set_ylim(0, 1)
        ax.legend(fontsize=15, loc="upper right", framealpha=0.9)
    else:
        _plot_lines(ax, models, "effort_split", labels)
    ax.set_ylabel("share transforming", fontsize=16)
    for top in axes[0]:
        top.set_xlabel("")
    axes[0, 1].yaxis.set_major_locator(MaxNLocator(integer=True))
    axes[0, 0].legend(fontsize=15, loc="lower left")
    return fig
