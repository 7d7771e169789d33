"""Survival: Kaplan-Meier with log-log bands, median lifetime, log-rank tests, hazard.

A run's ``lifetime`` is right-censored when ``survived`` is true.
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from sim.analysis.levels import ALL, MAX_LEVELS, _grouped, _with_parameter
from sim.store.reader import Results


def _times_events(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    times = frame["lifetime"].to_numpy(dtype=float)
    events = ~frame["survived"].to_numpy(dtype=bool)
    return times, events


def _km_one(times: np.ndarray, events: np.ndarray, confidence: float) -> pd.DataFrame:
    grid = np.unique(times)
    at_risk = np.array([(times >= t).sum() for t in grid], dtype=np.int64)
    died = np.array([(events & (times == t)).sum() for t in grid], dtype=np.int64)
    censored = np.array([(~events & (times == t)).sum() for t in grid], dtype=np.int64)
    if events.any():
        data = stats.CensoredData(uncensored=times[events], right=times[~events])
        result = stats.ecdf(data)
        survival = result.sf.evaluate(grid)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            band = result.sf.confidence_interval(confidence, method="log-log")
            lower = band.low.evaluate(grid)
            upper = band.high.evaluate(grid)
        # The log-log band is undefined where S is 1 (no event yet) or 0 (all died).
        lower = np.where(survival >= 1.0, 1.0, lower)
        upper = np.where(survival >= 1.0, 1.0, upper)
        lower = np.where(survival <= 0.0, 0.0, lower)
        upper = np.where(survival <= 0.0, 0.0, upper)
    else:
        survival = lower = upper = np.ones(len(grid))
    frame = pd.DataFrame(
        {
            "time": grid,
            "at_risk": at_risk,
            "events": died,
            "censored": censored,
            "survival": survival,
            "lower": lower,
            "upper": upper,
        }
    )
    start = pd.DataFrame(
        {
            "time": [0.0],
            "at_risk": [len(times)],
            "events": [0],
            "censored": [0],
            "survival": [1.0],
            "lower": [1.0],
            "upper": [1.0],
        }
    )
    if len(grid) and grid[0] <= 0:
        return frame
    return pd.concat([start, frame], ignore_index=True)


def kaplan_meier(
    runs: Results | pd.DataFrame,
    by: str | None = None,
    confidence: float = 0.95,
    max_levels: int = MAX_LEVELS,
) -> pd.DataFrame:
    """Kaplan-Meier survival per level of ``by`` with log-log confidence bands.

    Computed with ``scipy.stats.ecdf`` on ``CensoredData`` (lifetimes of surviving
    runs are right-censored).

    Args:
        runs: runs frame or results.
        by: a parameter (binned when continuous), ``"outcome"`` or None.
        confidence: level of the pointwise bands.
        max_levels: see :func:`levels`.

    Returns:
        Columns ``parameter``, ``level``, ``time``, ``at_risk``, ``events``,
        ``censored``, ``survival``, ``lower``, ``upper``; a row at time 0 per level.
    """
    pieces = []
    for name, group in _grouped(runs, by, max_levels):
        times, events = _times_events(group)
        table = _km_one(times, events, confidence)
        table.insert(0, "level", name)
        pieces.append(table)
    return _with_parameter(pieces, by)


def _first_below(times: np.ndarray, curve: np.ndarray, threshold: float = 0.5) -> float:
    below = np.flatnonzero(curve <= threshold)
    return float(times[below[0]]) if below.size else math.nan


def median_lifetime(
    runs: Results | pd.DataFrame,
    by: str | None = None,
    confidence: float = 0.95,
    max_levels: int = MAX_LEVELS,
) -> pd.DataFrame:
    """Median lifetime per level with its interval (Brookmeyer-Crowley, log-log bands).

    The median is the first time the Kaplan-Meier curve is at or below 0.5; its
    interval runs from the first time the lower band is to the first time the upper
    band is. NaN means not reached (more than half the alliances outlived the horizon).

    Returns:
        Columns ``parameter``, ``level``, ``n``, ``events``, ``median``, ``lower``, ``upper``.
    """
    km = kaplan_meier(runs, by, confidence, max_levels)
    rows = []
    for name, table in km.groupby("level", sort=False, observed=True):
        times = table["time"].to_numpy()
        rows.append(
            {
                "parameter": by if by is not None else ALL,
                "level": name,
                "n": int(table["at_risk"].iloc[0]),
                "events": int(table["events"].sum()),
                "median": _first_below(times, table["survival"].to_numpy()),
                "lower": _first_below(times, table["lower"].to_numpy()),
                "upper": _first_below(times, table["upper"].to_numpy()),
            }
        )
    return pd.DataFrame(rows)


def _logrank_statistic(
    groups: Sequence[tuple[np.ndarray, np.ndarray]],
) -> tuple[float, int, np.ndarray, np.ndarray]:
    """k-sample log-rank: chi-square statistic, degrees of freedom, observed, expected."""
    k = len(groups)
    all_times = np.concatenate([t for t, _ in groups])
    all_events = np.concatenate([e for _, e in groups])
    event_times = np.unique(all_times[all_events])
    observed = np.zeros(k)
    expected = np.zeros(k)
    covariance = np.zeros((k, k))
    for t in event_times:
        n_j = np.array([(times >= t).sum() for times, _ in groups], dtype=float)
        d_j = np.array([(ev & (times == t)).sum() for times, ev in groups], dtype=float)
        n, d = n_j.sum(), d_j.sum()
        observed += d_j
        expected += d * n_j / n
        if n > 1:
            share = n_j / n
            factor = d * (n - d) / (n - 1)
            covariance += factor * (np.diag(share) - np.outer(share, share))
    u = (observed - expected)[: k - 1]
    v = covariance[: k - 1, : k - 1]
    if k < 2 or not event_times.size:
        return math.nan, max(k - 1, 0), observed, expected
    rank = int(np.linalg.matrix_rank(v))
    if rank == 0:
        return math.nan, 0, observed, expected
    statistic = float(u @ np.linalg.pinv(v) @ u)
    return statistic, rank, observed, expected


def logrank(runs: Results | pd.DataFrame, by: str, max_levels: int = MAX_LEVELS) -> dict[str, Any]:
    """The k-sample log-rank test of equal survival across the levels of ``by``.

    Returns:
        A dict with ``parameter``, ``levels`` (count), ``statistic`` (chi-square),
        ``df``, ``p``, and per level ``observed`` and ``expected`` deaths.
    """
    grouped = _grouped(runs, by, max_levels)
    data = [_times_events(g) for _, g in grouped]
    statistic, df, observed, expected = _logrank_statistic(data)
    p = float(stats.chi2.sf(statistic, df)) if df > 0 and not math.isnan(statistic) else math.nan
    return {
        "parameter": by,
        "levels": len(grouped),
        "statistic": statistic,
        "df": df,
        "p": p,
        "observed": dict(zip([n for n, _ in grouped], observed.tolist(), strict=True)),
        "expected": dict(zip([n for n, _ in grouped], expected.tolist(), strict=True)),
    }


def holm(pvalues: Sequence[float]) -> np.ndarray:
    """Holm's step-down adjustment of p-values (NaN stays NaN)."""
    p = np.asarray(pvalues, dtype=float)
    adjusted = np.full(p.shape, np.nan)
    valid = np.flatnonzero(~np.isnan(p))
    if not valid.size:
        return adjusted
    order = valid[np.argsort(p[valid], kind="stable")]
    m = len(order)
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[index]))
        adjusted[index] = running
    return adjusted


def pairwise_logrank(
    runs: Results | pd.DataFrame, by: str, max_levels: int = MAX_LEVELS
) -> pd.DataFrame:
    """Log-rank tests between adjacent levels of ``by``, Holm-adjusted.

    Returns:
        Columns ``parameter``, ``level_a``, ``level_b``, ``statistic`` (chi-square, 1 df),
        ``p``, ``p_holm``.
    """
    grouped = _grouped(runs, by, max_levels)
    rows = []
    for (name_a, a), (name_b, b) in itertools.pairwise(grouped):
        statistic, df, _, _ = _logrank_statistic([_times_events(a), _times_events(b)])
        p = float(stats.chi2.sf(statistic, df)) if df > 0 else math.nan
        rows.append(
            {"parameter": by, "level_a": name_a, "level_b": name_b, "statistic": statistic, "p": p}
        )
    frame = pd.DataFrame(rows, columns=["parameter", "level_a", "level_b", "statistic", "p"])
    frame["p_holm"] = holm(frame["p"].to_numpy()) if len(frame) else []
    return frame


def hazard(
    runs: Results | pd.DataFrame,
    by: str | None = None,
    width: int = 12,
    confidence: float = 0.95,
    max_levels: int = MAX_LEVELS,
) -> pd.DataFrame:
    """The hazard of ending by alliance age, in intervals of ``width`` steps.

    The hazard in ``(start, end]`` (the first interval includes 0) is the ends in it
    over the run-steps lived in it (per step), with an exact Poisson interval.

    Returns:
        Columns ``parameter``, ``level``, ``start``, ``end``, ``at_risk`` (runs alive at
        ``start``), ``events``, ``exposure``, ``hazard``, ``lower``, ``upper``.
    """
    alpha = 1 - confidence
    pieces = []
    for name, group in _grouped(runs, by, max_levels):
        times, events = _times_events(group)
        top = max(float(times.max()), 1.0) if times.size else 1.0
        rows = []
        for start in np.arange(0, top, width, dtype=float):
            end = start + width
            inside = (times <= end) & ((times > start) | (start == 0))
            exposure = float(np.clip(times - start, 0, width).sum())
            died = int((events & inside).sum())
            low = stats.chi2.ppf(alpha / 2, 2 * died) / 2 if died else 0.0
            high = stats.chi2.ppf(1 - alpha / 2, 2 * died + 2) / 2
            rows.append(
                {
                    "level": name,
                    "start": start,
                    "end": end,
                    "at_risk": int(((times > start) | (start == 0)).sum()),
                    "events": died,
                    "exposure": exposure,
                    "hazard": died / exposure if exposure else math.nan,
                    "lower": low / exposure if exposure else math.nan,
                    "upper": high / exposure if exposure else math.nan,
                }
            )
        pieces.append(pd.DataFrame(rows))
    return _with_parameter(pieces, by)
