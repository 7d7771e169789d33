"""What every target shares: its result record, the root seed, the test of paired runs."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from scipy import stats

ROOT_SEED = 20261128
ALPHA = 0.05


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
