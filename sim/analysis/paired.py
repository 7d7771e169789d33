"""Paired comparisons of design points on the replicates they have in common.

With common random numbers (the default), replicate r of every design point meets the
same random crises, so two points compare best replicate by replicate. The points of
an adaptive sweep (an experiment with ``[precision]``) hold different numbers of
replicates, and failed runs leave gaps; a paired comparison uses the replicates that
every compared point holds with a value, and no other.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import pandas as pd

from sim.analysis.levels import _as_results
from sim.analysis.sensitivity import SensitivityError, outcome_matrix
from sim.intervals import t_half_width
from sim.store.reader import Results


def paired_outcomes(
    source: Results | str | os.PathLike[str], outcome: str, points: Sequence[str]
) -> pd.DataFrame:
    """The outcome of ``points`` on the replicates they all hold (ok, with a value).

    Args:
        source: a store folder or loaded results.
        outcome: a numeric or boolean runs column, or an outcome class (its indicator).
        points: point ids (the ``point_id`` column).

    Returns:
        One row per common replicate (the index), one column per point.
    """
    res = _as_results(source)
    matrix = outcome_matrix(res, outcome)
    missing = [p for p in points if p not in matrix.index]
    if missing:
        raise SensitivityError(f"{res.path}: no finished runs of point {', '.join(missing)}")
    frame = matrix.loc[list(points)].T.dropna()
    frame.columns = list(points)
    frame.columns.name = None
    return frame


def paired_difference(
    source: Results | str | os.PathLike[str],
    outcome: str,
    a: str,
    b: str,
    confidence: float = 0.95,
) -> dict[str, Any]:
    """The mean difference ``a - b`` of ``outcome`` over the replicates both points hold.

    Returns:
        ``n`` (common replicates), ``difference`` and its Student t interval
        ``lower`` and ``upper`` (NaN bounds with fewer than 2 replicates).
    """
    pairs = paired_outcomes(source, outcome, [a, b])
    differences = (pairs[a] - pairs[b]).to_numpy(dtype=float)
    n = len(differences)
    mean = float(differences.mean()) if n else float("nan")
    std = float(differences.std(ddof=1)) if n > 1 else float("nan")
    half = float(t_half_width(std, n, confidence)) if n > 1 else float("nan")
    return {
        "a": a,
        "b": b,
        "n": n,
        "difference": mean,
        "lower": mean - half,
        "upper": mean + half,
    }
