"""Confidence intervals, written once: the Wilson score interval of a share, and the
half-width of a mean's Student t interval.

The analysis (survival grids, outcome profiles, the report) and adaptive replication
(an experiment's ``[precision]`` table) use these. scipy is imported when an interval
is computed, not when this module is imported.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def wilson(
    successes: np.ndarray | float, n: np.ndarray | float, confidence: float = 0.95
) -> tuple[Any, Any]:
    """Wilson score interval of a binomial share (arrays welcome)."""
    from scipy import stats

    z = stats.norm.ppf(0.5 + confidence / 2)
    successes = np.asarray(successes, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = successes / n
        denominator = 1 + z**2 / n
        centre = (share + z**2 / (2 * n)) / denominator
        half = z * np.sqrt(share * (1 - share) / n + z**2 / (4 * n**2)) / denominator
    # exact ends where rounding leaves 1e-19 instead of 0 (no successes) or 1 (all)
    low = np.where((successes == 0) & (n > 0), 0.0, centre - half)[()]
    high = np.where((successes == n) & (n > 0), 1.0, centre + half)[()]
    return low, high


def wilson_half_width(
    successes: np.ndarray | float, n: np.ndarray | float, confidence: float = 0.95
) -> Any:
    """Half the width of the Wilson interval (infinite where ``n`` is 0)."""
    low, high = wilson(successes, n, confidence)
    half = (np.asarray(high) - np.asarray(low)) / 2
    return np.where(np.asarray(n) > 0, half, np.inf)


def t_half_width(std: np.ndarray | float, n: np.ndarray | float, confidence: float = 0.95) -> Any:
    """Half the width of the Student t interval of a mean: ``t(n - 1) s / sqrt(n)``.

    ``std`` is the sample standard deviation (``ddof=1``); infinite where ``n < 2``.
    """
    from scipy import stats

    n = np.asarray(n, dtype=float)
    enough = n >= 2
    degrees = np.where(enough, n - 1, 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        half = stats.t.ppf(0.5 + confidence / 2, degrees) * np.asarray(std) / np.sqrt(n)
    return np.where(enough, half, np.inf)
