"""The Sobol design: Saltelli's sample and its variance-based indices (SALib).

:func:`sample` and :func:`analyze` take the same SALib problem and the same
``second_order`` flag, as SALib pairs ``SALib.sample.sobol`` with
``SALib.analyze.sobol``.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def count(samples: int, parameters: int, second_order: bool = False) -> int:
    """Number of sample rows: ``N (k + 2)``, or ``N (2k + 2)`` with second-order indices."""
    return samples * (2 * parameters + 2 if second_order else parameters + 2)


def sample(
    problem: dict[str, Any], samples: int, seed: int, second_order: bool = False
) -> np.ndarray:
    """Saltelli's sample for base size ``samples`` (a power of 2)."""
    from SALib.sample import sobol

    return np.asarray(
        sobol.sample(problem, samples, calc_second_order=second_order, seed=seed), dtype=float
    )


def analyze(
    problem: dict[str, Any],
    y: np.ndarray,
    second_order: bool = False,
    num_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 1,
) -> dict[str, Any]:
    """SALib's Sobol indices (``S1``, ``ST``, their intervals; ``S2`` with second order).

    SALib ignores a zero seed, so 0 counts as 1.
    """
    from SALib.analyze import sobol

    return dict(
        sobol.analyze(
            problem,
            y,
            calc_second_order=second_order,
            num_resamples=num_resamples,
            conf_level=confidence,
            seed=seed or 1,
        )
    )
