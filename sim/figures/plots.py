"""Figures from the analysis frames: each function draws on a matplotlib Axes.

Every function takes a tidy frame from :mod:`sim.analysis` and an ``ax`` and
returns the ``ax``; figures, sizes and files are the caller's (see
:mod:`sim.style`). Axes and legends show labels and units (:mod:`sim.figures.labels`),
never raw keys; a band of a quantity that lies in [0, 1] is clipped to [0, 1]; a panel
with too few runs to draw says so (``n = 1, not drawn``) instead of staying empty.
Example::

    fig, ax = style.new_figure("one")
    plots.survival_curves(km, ax, p=logrank(res, by)["p"])
    style.save(fig, "figures/survival")
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from sim.figures import style
from sim.figures.labels import SHARE_OF_RUNS, axis_label, in_unit_interval, name_label
from sim.names import OUTCOME_LABELS, OUTCOMES

SOBOL_UNIT = "share of variance"
AGE = "alliance age (months)"
MIN_RUNS = 5
"""A trajectory band is drawn at the steps where at least this many runs go on."""


def _levels(frame: pd.DataFrame, column: str = "level") -> list[str]:
    return list(dict.fromkeys(frame[column].astype(str)))


def _shown(names: Sequence[str]) -> list[str]:
    """Levels as shown: outcome classes by their display names, other levels as they are."""
    return [OUTCOME_LABELS.get(n, n) for n in names]


def _clip(values: np.ndarray | pd.Series, unit_interval: bool) -> np.ndarray:
    array = np.asarray(values, dtype=float)
    return np.clip(array, 0.0, 1.0) if unit_interval else array


def not_drawn(ax: Axes, text: str) -> Axes:
    """Say in the panel why it holds nothing (``n = 1, not drawn``)."""
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", color="0.35")
    return ax


def _level_colours(names: Sequence[str], parameter: str | None) -> list[str]:
    if parameter == "outcome" or set(names) <= set(OUTCOMES):
        return style.outcome_colours(names)
    if len(names) == 1:
        return [style.OKABE_ITO[0]]
    return style.sequential(len(names))


def format_p(p: float) -> str:
    """A p-value as text: ``p = 0.032``, ``p < 0.001``, ``p = n/a``."""
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return "p = n/a"
    if p < 0.001:
        return "p < 0.001"
    return f"p = {p:.3f}"


def _parameter(frame: pd.DataFrame) -> str | None:
    if "parameter" in frame.columns and len(frame):
        return str(frame["parameter"].iloc[0])
    return None


def survival_curves(
    km: pd.DataFrame,
    ax: Axes,
    p: float | None = None,
    bands: bool = True,
    horizon: float | None = None,
    title: str | None = None,
) -> Axes:
    """Kaplan-Meier curves per level with their confidence bands.

    Args:
        km: from :func:`sim.analysis.kaplan_meier`.
        ax: the axes.
        p: a log-rank p-value to print in the corner.
        bands: draw the confidence bands.
        horizon: extend the last step to this time.
        title: the axes title (default: the parameter).
    """
    parameter = _parameter(km)
    names = _levels(km) if len(km) else []
    for name, shown, colour in zip(
        names, _shown(names), _level_colours(names, parameter), strict=True
    ):
        table = km[km["level"].astype(str) == name]
        times = table["time"].to_numpy(dtype=float)
        survival = table["survival"].to_numpy(dtype=float)
        lower = _clip(table["lower"], True)
        upper = _clip(table["upper"], True)
        if horizon is not None and times.size and times[-1] < horizon:
            times = np.append(times, horizon)
            survival, lower, upper = (np.append(a, a[-1]) for a in (survival, lower, upper))
        ax.step(times, survival, where="post", color=colour, label=shown)
        if bands:
            ax.fill_between(times, lower, upper, step="post", color=colour, alpha=0.18, lw=0)
    if not names:
        not_drawn(ax, "n = 0, not drawn")
    ax.set_ylim(0, 1.02)
    ax.set_xlim(left=0)
    ax.set_xlabel(AGE)
    ax.set_ylabel(f"still running ({SHARE_OF_RUNS})")
    if parameter and parameter != "all":
        ax.legend(title=axis_label(parameter), loc="lower left")
    if p is not None:
        ax.text(0.98, 0.98, f"log-rank {format_p(p)}", transform=ax.transAxes, ha="right", va="top")
    if title is not None:
        ax.set_title(title)
    return ax


def _sobol_intervals(ax: Axes, y: np.ndarray, values: np.ndarray, conf: np.ndarray) -> None:
    """The intervals ``values +- conf`` clipped to [0, 1], as capped lines at ``y``."""
    low = np.clip(values - conf, 0.0, 1.0)
    high = np.clip(values + conf, 0.0, 1.0)
    ax.hlines(y, low, high, color="black", lw=0.6)
    ax.plot(np.concatenate([low, high]), np.concatenate([y, y]), "|", color="black", ms=3)


def sensitivity_bars(
    indices: pd.DataFrame, ax: Axes, title: str | None = None, outcome: str | None = None
) -> Axes:
    """Sensitivity indices with their confidence intervals as horizontal bars.

    Sobol frames (``S1``, ``ST``) give paired bars, their intervals (SALib's bootstrap,
    index +- z standard errors) clipped to [0, 1], the range of a Sobol index; Morris
    frames (``mu_star``) one bar per parameter with ``sigma`` as a marker, in the units
    of ``outcome``.
    """
    names = indices["parameter"].astype(str).tolist()[::-1]
    y = np.arange(len(names), dtype=float)
    frame = indices.iloc[::-1]
    if "ST" in indices.columns:
        height = 0.38
        for offset, key, colour in ((height / 2, "ST", 0), (-height / 2, "S1", 5)):
            values = frame[key].to_numpy(dtype=float)
            ax.barh(
                y + offset,
                values,
                height=height,
                color=style.OKABE_ITO[colour],
                label={"ST": "total (ST)", "S1": "first order (S1)"}[key],
            )
            _sobol_intervals(ax, y + offset, values, frame[f"{key}_conf"].to_numpy(dtype=float))
        ax.axvline(0, color="black", lw=0.5)
        ax.set_xlabel(f"Sobol index ({SOBOL_UNIT})")
    else:
        ax.barh(
            y,
            frame["mu_star"].to_numpy(dtype=float),
            height=0.6,
            xerr=frame["mu_star_conf"].to_numpy(dtype=float),
            color=style.OKABE_ITO[0],
            error_kw={"elinewidth": 0.6, "capsize": 1.5},
            label="μ* (mean |effect|)",
        )
        ax.plot(
            frame["sigma"].to_numpy(dtype=float),
            y,
            "D",
            color=style.OKABE_ITO[1],
            ms=3,
            label="σ (spread)",
        )
        on = f"on {axis_label(outcome)}" if outcome else "(outcome units)"
        ax.set_xlabel(f"Morris elementary effect {on}")
    ax.set_yticks(y, [name_label(n) for n in names])
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=2, borderaxespad=0.2)
    if title is not None:
        ax.set_title(title)
    return ax


def outcome_bars(profile: pd.DataFrame, ax: Axes, title: str | None = None) -> Axes:
    """Stacked bars of the outcome-class shares per level."""
    parameter = _parameter(profile)
    names = _levels(profile)
    classes = _levels(profile, "outcome")
    x = np.arange(len(names), dtype=float)
    bottom = np.zeros(len(names))
    for outcome, colour in zip(classes, style.outcome_colours(classes), strict=True):
        rows = profile[profile["outcome"].astype(str) == outcome].set_index("level")
        share = rows["share"].reindex(names).fillna(0).to_numpy(dtype=float)
        ax.bar(
            x,
            share,
            bottom=bottom,
            color=colour,
            width=0.7,
            label=OUTCOME_LABELS.get(outcome, outcome),
            edgecolor="white",
            lw=0.3,
        )
        bottom += share
    ax.set_xticks(x, names)
    ax.set_ylim(0, 1)
    ax.set_ylabel(SHARE_OF_RUNS)
    if parameter and parameter != "all":
        ax.set_xlabel(axis_label(parameter))
    ax.legend(
        loc="upper left", bbox_to_anchor=(1.0, 1.0), reverse=True, handlelength=1, borderaxespad=0
    )
    if title is not None:
        ax.set_title(title)
    return ax


def _cells(grid: pd.DataFrame, column: str, xs: list[str], ys: list[str]) -> np.ndarray:
    return (
        grid.pivot_table(index="y_level", columns="x_level", values=column, sort=False)
        .reindex(index=ys, columns=xs)
        .to_numpy(dtype=float)
    )


def survival_heatmap(
    grid: pd.DataFrame, ax: Axes, annotate: bool = True, colorbar: bool = True
) -> Axes:
    """The share surviving over a 2-D grid, each cell annotated with the share and its
    95% Wilson interval (which stays inside [0, 1], unlike a +- half-width)."""
    xs = _levels(grid, "x_level")
    ys = _levels(grid, "y_level")
    share = _cells(grid, "share", xs, ys)
    lower = _clip(_cells(grid, "lower", xs, ys), True)
    upper = _clip(_cells(grid, "upper", xs, ys), True)
    image = ax.imshow(
        share, origin="lower", cmap="cividis", vmin=0, vmax=1, aspect="auto", interpolation="none"
    )
    if annotate and len(xs) * len(ys) <= 64:
        for i in range(len(ys)):
            for j in range(len(xs)):
                if math.isnan(share[i, j]):
                    continue
                colour = "black" if share[i, j] > 0.55 else "white"
                ax.text(
                    j,
                    i,
                    f"{share[i, j]:.2f}\n{lower[i, j]:.2f}–{upper[i, j]:.2f}",
                    ha="center",
                    va="center",
                    color=colour,
                    fontsize=6,
                )
    ax.set_xticks(range(len(xs)), xs)
    ax.set_yticks(range(len(ys)), ys)
    ax.set_xlabel(axis_label(str(grid["x"].iloc[0])))
    ax.set_ylabel(axis_label(str(grid["y"].iloc[0])))
    ax.spines[:].set_visible(False)
    if colorbar:
        ax.figure.colorbar(image, ax=ax, label=axis_label("survived"), shrink=0.9)
    return ax


def trajectory_fan(
    bands: pd.DataFrame,
    ax: Axes,
    levels: Sequence[str] | None = None,
    legend: bool = True,
    title: str | None = None,
    min_runs: int = MIN_RUNS,
) -> Axes:
    """Median trajectories with 50% and 90% bands per group (outcome class by default).

    Args:
        bands: from :func:`sim.analysis.trajectory_bands` (one series).
        ax: the axes.
        levels: the groups to draw (default all, in order).
        legend: draw a legend.
        title: the axes title.
        min_runs: steps with fewer runs still going are left out (too noisy); a panel
            left with nothing says ``n = N, not drawn``.
    """
    parameter = _parameter(bands)
    names = list(levels) if levels is not None else _levels(bands)
    series = str(bands["series"].iloc[0]) if len(bands) else ""
    bounded = in_unit_interval(series)
    drawn = []
    for name, colour in zip(names, _level_colours(names, parameter), strict=True):
        level = bands[bands["level"].astype(str) == name]
        table = level[level["n"] >= min_runs]
        if table.empty:
            continue
        drawn.append(name)
        step = table["step"].to_numpy(dtype=float)
        q = {k: _clip(table[k], bounded) for k in ("q05", "q25", "median", "q75", "q95")}
        ax.fill_between(step, q["q05"], q["q95"], color=colour, alpha=0.15, lw=0)
        ax.fill_between(step, q["q25"], q["q75"], color=colour, alpha=0.28, lw=0)
        ax.plot(step, q["median"], color=colour, label=OUTCOME_LABELS.get(name, name), lw=1.1)
    if not drawn:
        runs = int(bands["n"].max()) if len(bands) else 0
        not_drawn(ax, f"n = {runs}, not drawn")
    ax.set_xlabel(AGE)
    ax.set_ylabel(axis_label(series).replace(" (", "\n(", 1))
    ax.set_xlim(left=0)
    if drawn and legend:
        ax.legend(loc="best", handlelength=1)
    if title is not None:
        ax.set_title(title)
    return ax


def resilience_distributions(
    crises: pd.DataFrame, ax: Axes, metric: str = "robustness", title: str | None = None
) -> Axes:
    """Box plots of one per-crisis resilience metric per level (from ``crisis_metrics``),
    each box's number of crises above it."""
    parameter = _parameter(crises)
    names = _levels(crises) if len(crises) else []
    data = [
        crises.loc[crises["level"].astype(str) == n, metric].dropna().to_numpy(dtype=float)
        for n in names
    ]
    keep = [i for i, d in enumerate(data) if d.size]
    names = [names[i] for i in keep]
    data = [data[i] for i in keep]
    if data:
        boxes = ax.boxplot(
            data,
            tick_labels=_shown(names),
            patch_artist=True,
            showfliers=False,
            widths=0.6,
            medianprops={"color": "black", "lw": 0.8},
            whiskerprops={"lw": 0.6},
            capprops={"lw": 0.6},
        )
        for patch, colour in zip(boxes["boxes"], _level_colours(names, parameter), strict=True):
            patch.set_facecolor(colour)
            patch.set_linewidth(0.6)
        _counts(ax, [d.size for d in data])
    else:
        not_drawn(ax, "n = 0, not drawn")
    ax.set_ylabel(axis_label(metric))
    if parameter and parameter != "all":
        ax.set_xlabel(axis_label(parameter))
    ax.tick_params(axis="x", labelrotation=30 if len(names) > 3 else 0)
    if title is not None:
        ax.set_title(title)
    return ax


def _counts(ax: Axes, counts: Sequence[int]) -> None:
    """``n = N`` above each box (boxes at x = 1, 2, ...)."""
    top = ax.get_xaxis_transform()
    for x, count in enumerate(counts, start=1):
        ax.text(x, 1.0, f"n = {count}", transform=top, ha="center", va="bottom", fontsize=6)


def hazard_steps(hz: pd.DataFrame, ax: Axes, title: str | None = None) -> Axes:
    """The hazard of ending by age interval, per level, with its interval as error bars."""
    parameter = _parameter(hz)
    names = _levels(hz)
    count = len(names)
    for index, (name, colour) in enumerate(
        zip(names, _level_colours(names, parameter), strict=True)
    ):
        table = hz[hz["level"].astype(str) == name]
        width = float((table["end"] - table["start"]).iloc[0]) if len(table) else 1.0
        centre = (table["start"] + table["end"]).to_numpy(dtype=float) / 2
        shift = (index - (count - 1) / 2) * width / (count + 2)
        rate = table["hazard"].to_numpy(dtype=float) * 12
        error = np.vstack(
            [
                rate - table["lower"].to_numpy(dtype=float) * 12,
                table["upper"].to_numpy(dtype=float) * 12 - rate,
            ]
        )
        ax.errorbar(
            centre + shift, rate, yerr=error, fmt="o-", ms=2.5, lw=0.9, elinewidth=0.5,
            color=colour, label=OUTCOME_LABELS.get(name, name),
        )  # fmt: skip
    ax.set_xlabel(AGE)
    ax.set_ylabel("hazard (ends per alliance-year)")
    ax.set_ylim(bottom=0)
    if parameter and parameter != "all":
        ax.legend(title=axis_label(parameter), loc="upper left")
    if title is not None:
        ax.set_title(title)
    return ax
