"""Outcome profiles, survival grids, transformation, trajectories and crises."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from sim.analysis.levels import (
    ALL,
    MAX_LEVELS,
    _grouped,
    _runs,
    _with_parameter,
    levels,
)
from sim.intervals import wilson
from sim.names import OUTCOMES
from sim.store.reader import Results

TRANSFORMATION_METRICS: tuple[str, ...] = (
    "renewals",
    "ambition_shift",
    "turnover",
    "final_mean_trust",
    "largest_component_share",
    "final_awareness",
    "later_output",
    "final_performance",
    "buffer",
    "trust_density",
    "trust_components",
    "value_clusters",
)
CRISIS_METRICS: tuple[str, ...] = ("robustness", "recovery_time", "loss", "recovery_ratio")


def outcome_profile(
    runs: Results | pd.DataFrame, by: str | None = None, max_levels: int = MAX_LEVELS
) -> pd.DataFrame:
    """Shares of the five outcome classes per level of ``by``.

    Returns:
        Columns ``parameter``, ``level``, ``outcome``, ``count``, ``n``, ``share``,
        ``lower``, ``upper`` (Wilson 95%); every class appears, with zeros.
    """
    pieces = []
    for name, group in _grouped(runs, by, max_levels):
        counts = group["outcome"].astype(str).value_counts()
        classes = list(OUTCOMES) + sorted(set(counts.index) - set(OUTCOMES))
        count = np.array([int(counts.get(c, 0)) for c in classes])
        n = np.full(len(classes), len(group))
        low, high = wilson(count, n)
        pieces.append(
            pd.DataFrame(
                {
                    "level": name,
                    "outcome": classes,
                    "count": count,
                    "n": n,
                    "share": count / n,
                    "lower": low,
                    "upper": high,
                }
            )
        )
    return _with_parameter(pieces, by)


def survival_grid(
    runs: Results | pd.DataFrame,
    x: str,
    y: str,
    confidence: float = 0.95,
    max_levels: int = MAX_LEVELS,
) -> pd.DataFrame:
    """The share of alliances surviving to the horizon over a 2-D grid of two parameters.

    Returns:
        Columns ``x``, ``y`` (parameter names), ``x_level``, ``y_level``, ``n``,
        ``survived``, ``share``, ``lower``, ``upper`` (Wilson) and ``width`` (upper - lower).
    """
    frame = _runs(runs)
    lx = levels(frame, x, max_levels)
    ly = levels(frame, y, max_levels)
    frame = frame.assign(_x=lx.to_numpy(), _y=ly.to_numpy())
    rows = []
    for xl in lx.cat.categories:
        for yl in ly.cat.categories:
            cell = frame[(frame["_x"] == xl) & (frame["_y"] == yl)]
            n = len(cell)
            alive = int(cell["survived"].astype(bool).sum()) if n else 0
            rows.append({"x_level": str(xl), "y_level": str(yl), "n": n, "survived": alive})
    grid = pd.DataFrame(rows)
    grid.insert(0, "y", y)
    grid.insert(0, "x", x)
    with np.errstate(invalid="ignore", divide="ignore"):
        grid["share"] = grid["survived"] / grid["n"].replace(0, np.nan)
    low, high = wilson(grid["survived"].to_numpy(), grid["n"].to_numpy(), confidence)
    grid["lower"], grid["upper"] = low, high
    grid["width"] = grid["upper"] - grid["lower"]
    return grid


# ----------------------------------------------------------------------------------------
# Transformation, trajectories and resilience
# ----------------------------------------------------------------------------------------


def _quantile_summary(values: pd.Series) -> dict[str, float]:
    clean = values.dropna().astype(float)
    if clean.empty:
        return {"n": 0, "mean": math.nan, "median": math.nan, "q25": math.nan, "q75": math.nan}
    return {
        "n": len(clean),
        "mean": float(clean.mean()),
        "median": float(clean.median()),
        "q25": float(clean.quantile(0.25)),
        "q75": float(clean.quantile(0.75)),
    }


def transformation_summary(
    runs: Results | pd.DataFrame,
    by: str | None = "outcome",
    metrics: Sequence[str] = TRANSFORMATION_METRICS,
    max_levels: int = MAX_LEVELS,
) -> pd.DataFrame:
    """How alliances changed: ambition shift, membership turnover, trust, cohesion...

    Membership turnover comes from ``turnover`` or, when absent, from
    ``founding_members`` and ``final_members``. Metrics missing from the store are
    skipped.

    Returns:
        Columns ``parameter``, ``level``, ``metric``, ``n``, ``mean``, ``median``,
        ``q25``, ``q75``.
    """
    frame = _runs(runs)
    if "turnover" not in frame.columns and {"founding_members", "final_members"} <= set(
        frame.columns
    ):
        founding = frame["founding_members"].astype(float)
        frame = frame.assign(turnover=(founding - frame["final_members"]) / founding)
    present = [m for m in metrics if m in frame.columns]
    pieces = []
    for name, group in _grouped(frame, by, max_levels):
        rows = [{"level": name, "metric": m, **_quantile_summary(group[m])} for m in present]
        pieces.append(pd.DataFrame(rows))
    return _with_parameter(pieces, by)


def trajectory_bands(
    source: Results,
    series: str = "performance",
    by: str | None = "outcome",
    max_levels: int = MAX_LEVELS,
) -> pd.DataFrame:
    """Median, 50% and 90% bands of a per-step series by group (outcome class by default).

    Args:
        source: loaded results (the time series and the runs).
        series: a time-series column (``performance``, ``mean_trust``...).
        by: ``"outcome"``, a parameter, or None.
        max_levels: see :func:`levels`.

    Returns:
        Columns ``series``, ``parameter``, ``level``, ``step``, ``n``, ``median``,
        ``q05``, ``q25``, ``q75``, ``q95``; empty without time series.
    """
    ts = source.read("timeseries", ["run_id", "step", series])
    columns = ["series", "parameter", "level", "step", "n", "median", "q05", "q25", "q75", "q95"]
    if ts.empty or series not in ts.columns:
        return pd.DataFrame(columns=columns)
    ok = source.ok
    lev = levels(ok, by, max_levels)
    lookup = pd.Series(lev.to_numpy(), index=ok["run_id"].astype(str).to_numpy())
    data = ts[["run_id", "step", series]].copy()
    data["level"] = data["run_id"].astype(str).map(lookup)
    data = data.dropna(subset=["level", series])
    grouped = data.groupby(["level", "step"], sort=True, observed=True)[series]
    quantiles = grouped.quantile([0.05, 0.25, 0.5, 0.75, 0.95]).unstack()
    quantiles.columns = ["q05", "q25", "median", "q75", "q95"]
    frame = quantiles.assign(n=grouped.size()).reset_index()
    order = {name: i for i, name in enumerate(lev.cat.categories)}
    frame["_order"] = frame["level"].astype(str).map(order)
    frame = frame.sort_values(["_order", "step"], kind="stable").drop(columns="_order")
    frame["level"] = frame["level"].astype(str)
    frame.insert(0, "parameter", by if by is not None else ALL)
    frame.insert(0, "series", series)
    return frame[columns].reset_index(drop=True)


def crisis_metrics(
    source: Results, by: str | None = "outcome", max_levels: int = MAX_LEVELS
) -> pd.DataFrame:
    """The per-crisis resilience metrics with each run's level of ``by``.

    Returns:
        The crises table of the ok runs with ``parameter`` and ``level`` columns.
    """
    crises = source.crises
    if crises.empty:
        return pd.DataFrame(columns=["parameter", "level", "run_id", *CRISIS_METRICS])
    ok = source.ok
    lev = levels(ok, by, max_levels)
    lookup = pd.Series(lev.to_numpy(), index=ok["run_id"].astype(str).to_numpy())
    frame = crises.copy()
    frame["level"] = frame["run_id"].astype(str).map(lookup)
    frame = frame.dropna(subset=["level"])
    order = {name: i for i, name in enumerate(lev.cat.categories)}
    frame["level"] = pd.Categorical(
        frame["level"].astype(str), categories=list(order), ordered=True
    )
    frame = frame.sort_values("level", kind="stable").reset_index(drop=True)
    frame["level"] = frame["level"].astype(str)
    frame.insert(0, "parameter", by if by is not None else ALL)
    return frame


def resilience_summary(
    source: Results,
    by: str | None = "outcome",
    metrics: Sequence[str] = CRISIS_METRICS,
    max_levels: int = MAX_LEVELS,
) -> pd.DataFrame:
    """Summaries of the per-crisis resilience metrics by level of ``by``.

    Returns:
        Columns ``parameter``, ``level``, ``metric``, ``n``, ``mean``, ``median``,
        ``q25``, ``q75``.
    """
    frame = crisis_metrics(source, by, max_levels)
    present = [m for m in metrics if m in frame.columns]
    rows = [
        {"parameter": by if by is not None else ALL, "level": name, "metric": m}
        | _quantile_summary(group[m])
        for name, group in frame.groupby("level", sort=False)
        for m in present
    ]
    return pd.DataFrame(
        rows, columns=["parameter", "level", "metric", "n", "mean", "median", "q25", "q75"]
    )
