"""Grouping runs by the levels of a parameter: the shared helpers of the analysis."""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pandas as pd

from sim.names import OUTCOMES
from sim.store.reader import Results, load, ok_runs

MAX_LEVELS = 6
QUANTILE_BINS = 4
ALL = "all"


def _as_results(source: Results | str | os.PathLike[str]) -> Results:
    return source if isinstance(source, Results) else load(source)


def _runs(source: Results | pd.DataFrame) -> pd.DataFrame:
    frame = source.runs if isinstance(source, Results) else source
    return ok_runs(frame)


def _label(value: Any) -> str:
    if isinstance(value, bool | np.bool_):
        return str(bool(value)).lower()
    if isinstance(value, float | np.floating):
        return f"{float(value):.4g}"
    return str(value)


def levels(
    runs: Results | pd.DataFrame,
    by: str | None,
    max_levels: int = MAX_LEVELS,
    bins: int = QUANTILE_BINS,
) -> pd.Series:
    """The level of each ok run for parameter ``by`` as an ordered categorical of labels.

    Args:
        runs: runs frame or results.
        by: a parameter column, ``"outcome"``, or None (one level, ``"all"``).
        max_levels: a numeric parameter with more distinct values is binned.
        bins: quantile bins of a binned parameter (fewer when quantiles coincide).

    Returns:
        A Series aligned with the ok runs; labels are the values (``"0.5"``) or the
        quantile bins (``"[0, 0.25]"``, ``"(0.25, 0.5]"``...), in increasing order.
    """
    frame = _runs(runs)
    if by is None:
        return pd.Series(pd.Categorical([ALL] * len(frame), categories=[ALL], ordered=True))
    if by not in frame.columns:
        raise KeyError(f"no column {by!r} in the runs")
    column = frame[by]
    if by == "outcome":
        present = [o for o in OUTCOMES if (column == o).any()]
        extra = sorted(set(column.dropna().astype(str)) - set(OUTCOMES))
        cats = present + extra
        return pd.Series(pd.Categorical(column.astype(str), categories=cats, ordered=True))
    numeric = pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)
    values = sorted(column.dropna().unique().tolist())
    if numeric and len(values) > max_levels:
        codes, edges = pd.qcut(column, bins, labels=False, retbins=True, duplicates="drop")
        labels = [
            f"{'[' if i == 0 else '('}{edges[i]:.3g}, {edges[i + 1]:.3g}]"
            for i in range(len(edges) - 1)
        ]
        names = [labels[int(c)] if not pd.isna(c) else None for c in codes]
        return pd.Series(pd.Categorical(names, categories=labels, ordered=True))
    labels = list(dict.fromkeys(_label(v) for v in values))
    return pd.Series(pd.Categorical([_label(v) for v in column], categories=labels, ordered=True))


def _grouped(
    runs: Results | pd.DataFrame, by: str | None, max_levels: int = MAX_LEVELS
) -> list[tuple[str, pd.DataFrame]]:
    frame = _runs(runs)
    lev = levels(frame, by, max_levels)
    frame = frame.assign(_level=lev.to_numpy())
    return [
        (str(name), frame[frame["_level"] == name])
        for name in lev.cat.categories
        if (frame["_level"] == name).any()
    ]


def _with_parameter(pieces: list[pd.DataFrame], by: str | None) -> pd.DataFrame:
    if not pieces:
        return pd.DataFrame()
    frame = pd.concat(pieces, ignore_index=True)
    frame.insert(0, "parameter", by if by is not None else ALL)
    return frame
