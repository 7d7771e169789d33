"""What every target shares: its result record, the root seed, the test of paired runs."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from scipy import stats

ROOT_SEED = 20261128
ALPHA = 0.05
SLACK = 1e-9
"""Rounding slack when a difference of shares meets a limit: in floating point, 0.55 - 0.45
is 0.10000000000000003, which a plain ``<= 0.10`` would call a failure."""


def at_most(value: float, limit: float) -> bool:
    """``value <= limit``, for a difference of shares (up to :data:`SLACK`)."""
    return bool(value <= limit + SLACK)


def at_least(value: float, limit: float) -> bool:
    """``value >= limit``, for a difference of shares (up to :data:`SLACK`)."""
    return bool(value >= limit - SLACK)


@dataclass
class TargetResult:
    """One target: what it checks, how, what was measured, and whether it passed.

    An *open* target (``required`` False) is measured and reported but not yet met
    by the model; it does not decide whether ``validate`` passes.
    """

    number: int
    name: str
    criterion: str
    measured: str
    passed: bool
    details: dict[str, Any] = field(default_factory=dict)
    required: bool = True

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)


def mcnemar_greater(first: np.ndarray, second: np.ndarray) -> float:
    """One-sided exact McNemar p-value for "``first`` succeeds more often than ``second``".

    Paired booleans; the test uses the discordant pairs only.
    """
    only_first = int(np.sum(first & ~second))
    only_second = int(np.sum(second & ~first))
    if only_first + only_second == 0:
        return 1.0
    return float(stats.binomtest(only_first, only_first + only_second, 0.5, "greater").pvalue)
