"""The demo's Matplotlib figures: the alliance network, performance and the trends.

Each figure is a :class:`Drawing`: its fixed parts (axes, titles, ticks, legends, the colour
bar) are drawn once, and each :meth:`Drawing.png` draws only what changes from month to
month (lines, ties, members, crises, phases) over a copy of them, then encodes the PNG the
page shows. :func:`network_figure`, :func:`performance_figure` and :func:`trends_figure`
return a whole :class:`~matplotlib.figure.Figure` instead, for saving; :func:`_png` turns
one into PNG bytes.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib import colormaps
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.cm import ScalarMappable
from matplotlib.collections import LineCollection
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator
from PIL import Image

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

#: Dots per inch of every figure the page shows.
DPI = 100


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, pil_kwargs={"compress_level": 1})
    return buffer.getvalue()


class Drawing:
    """A figure whose fixed parts are drawn once and whose changing parts each :meth:`png`.

    A subclass builds the fixed parts in ``__init__`` (after calling this one, with a
    ``key`` that names everything they depend on) and draws the changing parts in
    :meth:`draw_changing`, returning the artists it added. With ``live`` (the page), those
    artists are animated: the first :meth:`png` draws the fixed parts, or takes their pixels
    from an earlier drawing with the same key, and later ones restore those pixels and draw
    only the changing artists. Without it, :meth:`refresh` adds them as ordinary artists,
    for ``savefig``.
    """

    def __init__(self, figsize: tuple[float, float], key: tuple[Any, ...], live: bool = True):
        self.fig = Figure(figsize=figsize, dpi=DPI)
        self.canvas = FigureCanvasAgg(self.fig)
        self.key = (type(self).__name__, figsize, *key)
        self.live = live
        self._artists: list[Artist] = []

    def draw_changing(self, **data: Any) -> list[Artist]:
        """Add this month's changing artists to the figure; return them."""
        raise NotImplementedError

    def refresh(self, **data: Any) -> None:
        """Replace the changing artists by this month's (``data``: what the subclass needs)."""
        for artist in self._artists:
            artist.remove()
        self._artists = self.draw_changing(**data)
        for artist in self._artists:
            artist.set_animated(self.live)

    def _restore_fixed(self) -> None:
        """Put the fixed parts' pixels on the canvas (drawing them the first time)."""
        with _FIXED_LOCK:
            fixed = _FIXED.get(self.key)
        if fixed is None:
            self.canvas.draw()
            fixed = self.canvas.copy_from_bbox(self.fig.bbox)
            with _FIXED_LOCK:
                _FIXED[self.key] = fixed
                while len(_FIXED) > _FIXED_KEPT:
                    del _FIXED[next(iter(_FIXED))]
        else:
            self.canvas.get_renderer().restore_region(fixed)

    def png(self, **data: Any) -> bytes:
        """The figure as it stands this month, as PNG bytes."""
        self.refresh(**data)
        if not self.live:
            return _png(self.fig)
        self._restore_fixed()
        renderer = self.canvas.get_renderer()
        for artist in self._artists:
            artist.draw(renderer)
        image = Image.frombuffer("RGBA", self.canvas.get_width_height(), self.canvas.buffer_rgba())
        buffer = io.BytesIO()
        image.convert("RGB").save(buffer, format="png", compress_level=1)
        return buffer.getvalue()


#: The fixed parts' pixels of recent drawings, by key (shared by every session).
_FIXED: dict[tuple[Any, ...], Any] = {}
_FIXED_LOCK = threading.Lock()
_FIXED_KEPT = 64


# ----------------------------------------------------------------------------------------
# The network
# ----------------------------------------------------------------------------------------

_TIE_COLOURS = colormaps[TIE_CMAP]
_NODE_COLOURS = colormaps[NODE_CMAP]
#: Trust below this level draws a tie dashed.
LOW_TRUST = 0.35
#: Trust levels the legend shows a tie for: (label, mean trust of the tie).
TIE_LEGEND = (("high trust", 1.0), ("low trust", 0.2))
#: Up to this many founding members, each shape shows its member's value inside.
VALUES_UP_TO = 20


def _shows_values(positions: dict[int, tuple[float, float]]) -> bool:
    return len(positions) <= VALUES_UP_TO


def tie_style(level: float) -> tuple[Any, float, Any]:
    """Colour, width and line style of a tie whose mean trust is ``level`` (0-1).

    The one definition of how a tie looks, used by the ties and by the legend alike.
    """
    level = float(np.clip(level, 0.0, 1.0))
    colour = _TIE_COLOURS(0.15 + 0.85 * level)
    return colour, 0.6 + 7 * level, "--" if level < LOW_TRUST else "-"


def _outward(x: float, y: float) -> tuple[float, float]:
    """Unit vector from the centre of the drawing towards ``(x, y)`` (down for the centre)."""
    norm = float(np.hypot(x, y))
    return (x / norm, y / norm) if norm > 0.05 else (0.0, -1.0)


def _ties(ax: Any, model: Any, positions: dict[int, tuple[float, float]]) -> list[Artist]:
    """Each tie between active members once: width and colour show the mean trust both ways."""
    live = {m.unique_id: m for m in _active_members(model)}
    trusts = {uid: member.trust for uid, member in live.items()}
    segments, styles = [], []
    drawn = set()
    for uid, ties in trusts.items():
        for partner, trust in ties.items():
            if partner not in live or (partner, uid) in drawn:
                continue
            drawn.add((uid, partner))
            back = trusts[partner].get(uid, trust)
            segments.append([positions[live[uid].index], positions[live[partner].index]])
            styles.append(tie_style((trust + back) / 2))
    if not segments:
        return []
    colours, widths, dashes = zip(*styles, strict=True)
    ties = LineCollection(
        segments,
        colors=list(colours),
        linewidths=list(widths),
        linestyles=list(dashes),
        alpha=0.9,
        zorder=1,
        capstyle="round",
    )
    ax.add_collection(ties)
    return [ties]


def _name(ax: Any, xy: tuple[float, float], text: str, clear: float, **style: Any) -> Artist:
    """A member's name beside its shape: ``clear`` points out from its centre, away from it."""
    dx, dy = _outward(*xy)
    ha = "left" if dx > 0.35 else "right" if dx < -0.35 else "center"
    va = "bottom" if dy > 0.35 else "top" if dy < -0.35 else "center"
    return ax.annotate(
        text,
        xy,
        xytext=(clear * dx, clear * dy),
        textcoords="offset points",
        ha=ha,
        va=va,
        fontsize=13,
        zorder=6,
        **style,
    )


def _departed(ax: Any, model: Any, positions: dict[int, tuple[float, float]]) -> list[Artist]:
    """Members that left: a hollow dashed circle with a cross, the name beside it, in grey."""
    gone = [m for m in model.founding_members if not m.active]
    if not gone:
        return []
    xy = np.array([positions[m.index] for m in gone])
    ring = ax.scatter(
        xy[:, 0],
        xy[:, 1],
        s=420,
        marker="o",
        facecolors="none",
        edgecolors="#777777",
        linestyles="--",
        linewidths=2,
        zorder=2,
    )
    cross = ax.scatter(xy[:, 0], xy[:, 1], s=160, marker="x", color="#777777", linewidths=2.5)
    names = [
        _name(ax, positions[m.index], member_label(m.index), 16, color="#555555") for m in gone
    ]
    return [ring, cross, *names]


def _node_sizes(model: Any) -> dict[int, float]:
    """Marker area (points squared) of each active member: its share of leadership."""
    members = _active_members(model)
    shares = [m.leadership_share for m in members]
    top_share = max(shares) if shares and max(shares) > 0 else 1.0
    return {m.index: 250 + 750 * m.leadership_share / top_share for m in members}


def _shapes(
    ax: Any, model: Any, positions: dict[int, tuple[float, float]], colour_by: str
) -> list[Artist]:
    """Active members: one scatter per faction, its shape, filled by ``colour_by``."""
    sizes = _node_sizes(model)
    artists: list[Artist] = []
    for faction in sorted({m.faction for m in _active_members(model)}):
        members = [m for m in _active_members(model) if m.faction == faction]
        xy = np.array([positions[m.index] for m in members])
        values = [float(np.clip(getattr(m, colour_by), 0.0, 1.0)) for m in members]
        artists.append(
            ax.scatter(
                xy[:, 0],
                xy[:, 1],
                s=[sizes[m.index] for m in members],
                marker=FACTION_MARKERS[faction % len(FACTION_MARKERS)],
                color=_NODE_COLOURS(values),
                edgecolors="black",
                linewidths=1.8,
                zorder=3,
            )
        )
    return artists


def _member_labels(
    ax: Any, model: Any, positions: dict[int, tuple[float, float]], colour_by: str, lead: Any
) -> list[Artist]:
    """Each active member's value inside its shape (see :data:`VALUES_UP_TO`), its name beside it.

    The lead member's name reads "LEAD" too, boxed, beside the ring that marks it.
    """
    sizes = _node_sizes(model)
    values_inside = _shows_values(positions)
    artists: list[Artist] = []
    for member in _active_members(model):
        xy = positions[member.index]
        value = float(np.clip(getattr(member, colour_by), 0.0, 1.0))
        if values_inside:
            artists.append(
                ax.text(
                    *xy,
                    f"{value:.1f}",
                    ha="center",
                    va="center",
                    fontsize=14,
                    color="white" if value < 0.55 else "black",
                    zorder=4,
                )
            )
        name = member_label(member.index)
        if member is lead:
            ring = ax.scatter(
                [xy[0]],
                [xy[1]],
                s=sizes[member.index] * 2.2,
                marker="o",
                facecolors="none",
                edgecolors="black",
                linewidths=3.5,
                zorder=5,
            )
            box = {"facecolor": "white", "edgecolor": "black", "pad": 1.5}
            clear = np.sqrt(sizes[member.index] * 2.2) / 2 + 6
            label = _name(ax, xy, f"{name} LEAD", clear, weight="bold", bbox=box)
            artists += [ring, label]
        else:
            artists.append(_name(ax, xy, name, np.sqrt(sizes[member.index]) / 2 + 5))
    return artists


def _network_legend(fig: Figure, factions: list[int], colour_by: str, values_inside: bool) -> None:
    """The colour bar of ``colour_by`` and the legend of shapes, marks and ties."""
    scalar = ScalarMappable(norm=Normalize(0.0, 1.0), cmap=_NODE_COLOURS)
    bar = fig.colorbar(scalar, cax=fig.add_axes((0.12, 0.17, 0.76, 0.03)), orientation="horizontal")
    inside = " (number in each shape)" if values_inside else ""
    bar.set_label(f"member {colour_by}{inside}", fontsize=16)
    bar.ax.tick_params(labelsize=16)
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
    ]
    for label, level in TIE_LEGEND:
        colour, width, dashes = tie_style(level)
        handles.append(Line2D([], [], color=colour, linewidth=width, linestyle=dashes, label=label))
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


class NetworkDrawing(Drawing):
    """The alliance network: fill = ``colour_by``, size = leadership share, ties = trust.

    Shapes mark factions, a ring and the word LEAD mark the lead member, hollow dashed
    circles with a cross mark members that have left; tie width and colour both show trust
    (:func:`tie_style`), and ties with little trust are dashed. Names stand beside the shapes.
    """

    def __init__(
        self, model: Any, colour_by: str = "capacity", title: str = "", live: bool = True
    ) -> None:
        roster = _register(model)
        factions = sorted(set(roster.factions.values()))
        values_inside = _shows_values(roster.positions)
        super().__init__((6.6, 6.8), (title, colour_by, tuple(factions), values_inside), live)
        self.model, self.colour_by, self.roster = model, colour_by, roster
        self.fig.subplots_adjust(left=0.01, right=0.99, top=0.93, bottom=0.36)
        self.ax = self.fig.add_subplot()
        self.ax.set_axis_off()
        if title:
            self.ax.set_title(title, fontsize=20, fontweight="bold")
        self.ax.set_xlim(-1.55, 1.55)
        self.ax.set_ylim(-1.55, 1.55)
        self.ax.set_aspect("equal")
        _network_legend(self.fig, factions, colour_by, values_inside)

    def draw_changing(self, **data: Any) -> list[Artist]:
        """Ties, members that left, members, and their labels, as they are this month."""
        model, positions = self.model, self.roster.positions
        # a lead member only leads when leadership is concentrated
        lead = model.lead_member if model.preset.leadership.concentration > 0 else None
        return [
            *_ties(self.ax, model, positions),
            *_departed(self.ax, model, positions),
            *_shapes(self.ax, model, positions, self.colour_by),
            *_member_labels(self.ax, model, positions, self.colour_by, lead),
        ]


def network_figure(model: Any, colour_by: str = "capacity", title: str = "") -> Figure:
    """The alliance network (:class:`NetworkDrawing`) as a whole figure, for saving."""
    drawing = NetworkDrawing(model, colour_by, title, live=False)
    drawing.refresh()
    return drawing.fig


# ----------------------------------------------------------------------------------------
# Performance and the trends
# ----------------------------------------------------------------------------------------


def _style_axis(ax: Any, title: str, horizon: int) -> None:
    ax.set_title(title, fontsize=21, loc="left", fontweight="bold")
    ax.set_xlim(0, horizon)
    ax.tick_params(labelsize=16)
    ax.grid(True, color="#DDDDDD", linewidth=0.8)
    ax.set_xlabel("month", fontsize=16)


def _line_style(i: int) -> dict[str, Any]:
    """How alliance ``i``'s lines look in every chart and legend."""
    _, colour, style, marker = ALLIANCE_STYLE[i]
    return {"color": colour, "linestyle": style, "linewidth": 3, "marker": marker, "markersize": 8}


def _line_handles(labels: Sequence[str]) -> list[Artist]:
    return [Line2D([], [], label=label, **_line_style(i)) for i, label in enumerate(labels)]


def _plot_lines(ax: Any, models: Sequence[Any], name: str) -> list[Artist]:
    """Each alliance's series ``name`` so far, with a larger marker on its latest month."""
    artists = []
    for i, model in enumerate(models):
        style = _line_style(i)
        values = _series(model, name)
        months = np.arange(values.size)
        artists += ax.plot(months, values, markevery=max(1, values.size // 12), **style)
        if values.size:
            end = {"marker": style["marker"], "color": style["color"], "markersize": 13}
            artists += ax.plot([months[-1]], [values[-1]], **end)
    return artists


def _runs(codes: np.ndarray) -> list[tuple[int, int, float]]:
    """Runs of equal values: ``(start, length, value)``."""
    runs = []
    start = 0
    for month in range(1, codes.size + 1):
        if month == codes.size or codes[month] != codes[start]:
            runs.append((start, month - start, float(codes[start])))
            start = month
    return runs


def _crisis_marks(ax: Any, model: Any, fired: Sequence[Crisis], colour: str) -> list[Artist]:
    """Months a crisis arrived (dotted, the alliance's colour) and crises fired here."""
    shocks = _series(model, "shocks")
    months = np.flatnonzero(np.nan_to_num(shocks) > 0)
    artists: list[Artist] = []
    if months.size:
        arrived = ax.vlines(months, -0.02, 1.02, colors=colour, linestyles=":", linewidth=1.6)
        arrived.set_alpha(0.8)
        artists.append(arrived)
    for crisis in fired:
        short, marker = CRISIS_KINDS.get(crisis.kind, (crisis.kind, "?", "v"))[1:]
        artists.append(ax.axvline(crisis.month, color="black", linestyle="-.", linewidth=2))
        artists += ax.plot([crisis.month], [0.97], marker=marker, color="black", markersize=14)
        artists.append(ax.text(crisis.month + 1, 0.88, short, fontsize=17, fontweight="bold"))
    return artists


def _phase_strip(strip: Any, model: Any) -> list[Artist]:
    """The alliance's phases month by month: each phase's colour and hatch."""
    artists = []
    for start, length, code in _runs(_series(model, "phase")):
        if not np.isfinite(code) or not 0 <= int(code) < len(PHASES):
            continue
        colour, hatch, _ = PHASE_STYLE[PHASES[int(code)]]
        artists.append(
            strip.broken_barh(
                [(start, length)], (0, 1), facecolors=colour, hatch=hatch, linewidth=0
            )
        )
    return artists


def _performance_legends(fig: Figure, labels: Sequence[str]) -> None:
    """Below the charts: the lines and crisis marks, then the phases."""
    arrived = ALLIANCE_STYLE[0][1] if len(labels) == 1 else "#555555"
    handles = [
        *_line_handles(labels),
        Line2D([], [], color=arrived, linestyle=":", linewidth=1.6, label="crisis arrived"),
        Line2D([], [], color="black", linestyle="-.", linewidth=2, label="crisis fired here"),
    ]
    fig.legend(
        handles=handles,
        loc="lower center",
        bbox_to_anchor=(0.5, 0.055),
        ncol=len(handles) if len(handles) < 4 else 2,
        fontsize=14,
        frameon=False,
        handletextpad=0.3,
        columnspacing=0.8,
    )
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


class PerformanceDrawing(Drawing):
    """Performance over time, crisis marks, and a strip of phases per alliance.

    The legends stand below the charts, outside the data.
    """

    def __init__(self, models: Sequence[Any], labels: Sequence[str], live: bool = True) -> None:
        horizon = max(_horizon(m) for m in models)
        ceiling = max(1.0, *(_best_performance(m) for m in models))
        super().__init__((7.4, 7.2), (horizon, len(models), tuple(labels), ceiling), live)
        self.models = list(models)
        bottom = 0.24 if len(models) == 1 else 0.28
        self.fig.subplots_adjust(left=0.13, right=0.97, top=0.94, bottom=bottom, hspace=0.14)
        grid = self.fig.add_gridspec(1 + len(models), 1, height_ratios=[6] + [0.7] * len(models))
        self.ax = self.fig.add_subplot(grid[0])
        _style_axis(self.ax, "Performance", horizon)
        self.ax.set_ylim(-0.02, ceiling + 0.02)
        self.ax.set_xlabel("")
        self.ax.tick_params(labelbottom=False)
        self.ax.set_ylabel("performance", fontsize=16)
        self.strips = []
        for i in range(len(models)):
            strip = self.fig.add_subplot(grid[1 + i], sharex=self.ax)
            strip.set_yticks([0.5], [ALLIANCE_STYLE[i][0] if len(models) > 1 else "phase"])
            strip.set_ylim(0, 1)
            strip.tick_params(labelsize=15)
            strip.tick_params(labelbottom=i == len(models) - 1)
            self.strips.append(strip)
        self.strips[-1].set_xlabel("month", fontsize=16)
        _performance_legends(self.fig, labels)

    def draw_changing(self, **data: Any) -> list[Artist]:
        """Lines, crisis marks and phase strips so far; ``crises``: the crises fired here."""
        crises: Sequence[Sequence[Crisis]] = data.get("crises", ())
        artists = _plot_lines(self.ax, self.models, "performance")
        for i, model in enumerate(self.models):
            fired = crises[i] if i < len(crises) else ()
            artists += _crisis_marks(self.ax, model, fired, ALLIANCE_STYLE[i][1])
            artists += _phase_strip(self.strips[i], model)
        return artists


def performance_figure(
    models: Sequence[Any], crises: Sequence[Sequence[Crisis]], labels: Sequence[str]
) -> Figure:
    """Performance (:class:`PerformanceDrawing`) as a whole figure, for saving."""
    drawing = PerformanceDrawing(models, labels, live=False)
    drawing.refresh(crises=crises)
    return drawing.fig


#: How the effort split's two areas look (single alliance).
_EFFORT: dict[str, dict[str, Any]] = {
    "transforming": {"facecolor": OKABE_ITO["green"], "hatch": "..", "edgecolor": "black"},
    "stabilising": {
        "facecolor": OKABE_ITO["orange"],
        "hatch": "//",
        "edgecolor": "black",
        "alpha": 0.7,
    },
}


def _effort_areas(ax: Any, model: Any) -> list[Artist]:
    """One alliance's effort split: transforming below the line, stabilising above."""
    split = _series(model, "effort_split")
    months = np.arange(split.size)
    return [
        ax.fill_between(months, 0, split, linewidth=0, **_EFFORT["transforming"]),
        ax.fill_between(months, split, 1, linewidth=0, **_EFFORT["stabilising"]),
    ]


#: The trend charts: (series, title, values between 0 and 1).
_TRENDS = (
    ("mean_trust", "Mean trust", True),
    ("active_members", "Active members", False),
    ("mean_awareness", "Mean change awareness", True),
    ("effort_split", "Effort: stabilising | transforming", True),
)


def _best_performance(model: Any) -> float:
    """The highest performance the model's alliance can reach: its domain's munificence
    (a member's performance before it is at most 1)."""
    from sim.kernel import layout as L

    return float(model.kernel_state.alliance[L.MUNIFICENCE])


class TrendsDrawing(Drawing):
    """Mean trust, active members, mean awareness and the effort split, over time."""

    def __init__(self, models: Sequence[Any], labels: Sequence[str], live: bool = True) -> None:
        horizon = max(_horizon(m) for m in models)
        founding = max((len(m.founding_members) for m in models), default=1)
        super().__init__((13, 7.5), (horizon, founding, len(models), tuple(labels)), live)
        self.models = list(models)
        fig = self.fig
        fig.subplots_adjust(left=0.06, right=0.98, top=0.94, bottom=0.09, hspace=0.3, wspace=0.14)
        self.axes = list(fig.subplots(2, 2, sharex=True).flat)
        for ax, (_, title, unit) in zip(self.axes, _TRENDS, strict=True):
            _style_axis(ax, title, horizon)
            if unit:
                ax.set_ylim(-0.02, 1.02)
        for top in self.axes[:2]:
            top.set_xlabel("")
        self.axes[1].set_ylim(0, founding + 0.5)
        self.axes[1].yaxis.set_major_locator(MaxNLocator(integer=True))
        self.axes[3].set_ylabel("share transforming", fontsize=16)
        self.axes[0].legend(handles=_line_handles(labels), fontsize=15, loc="lower left")
        if len(models) == 1:
            self.axes[3].set_ylim(0, 1)
            handles = [Patch(label=k, linewidth=0, **v) for k, v in _EFFORT.items()]
            self.axes[3].legend(handles=handles, fontsize=15, loc="upper right", framealpha=0.9)

    def draw_changing(self, **data: Any) -> list[Artist]:
        """Every chart's lines so far (the effort split as two areas for one alliance)."""
        artists = []
        for ax, (name, _, _) in zip(self.axes, _TRENDS, strict=True):
            if name == "effort_split" and len(self.models) == 1:
                artists += _effort_areas(ax, self.models[0])
            else:
                artists += _plot_lines(ax, self.models, name)
        return artists


def trends_figure(models: Sequence[Any], labels: Sequence[str]) -> Figure:
    """The trends (:class:`TrendsDrawing`) as a whole figure, for saving."""
    drawing = TrendsDrawing(models, labels, live=False)
    drawing.refresh()
    return drawing.fig
