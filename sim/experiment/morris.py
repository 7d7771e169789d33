"""The Morris design: elementary-effect trajectories and their screening measures (SALib).

:func:`sample` and :func:`analyze` take the same SALib problem and the same
``num_levels``, as SALib pairs ``SALib.sample.morris`` with ``SALib.analyze.morris``.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def count(samples: int, parameters: int) -> int:
    """Number of sample rows: ``r (k + 1)`` for ``r`` trajectories."""
    return samples * (parameters + 1)


def sample(problem: dict[str, Any], samples: int, seed: int, num_levels: int = 4) -> np.ndarray:
    """``samples`` Morris trajectories on a ``num_levels`` grid."""
    from SALib.sample import morris

    return np.asarray(morris.sample(problem, samples, num_levels=num_levels, seed=seed), float)


def analyze(
    problem: dict[str, Any],
    x: np.ndarray,
    y: np.ndarray,
    num_levels: int = 4,
    num_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 1,
) -> dict[str, Any]:
    """SALib's Morris measures (``mu``, ``mu_star``, its interval, ``sigma``).

    SALib ignores a zero seed, so 0 counts as 1.
    """
    from SALib.analyze import morris

    return dict(
        morris.analyze(
            problem,
            x,
            y,
            num_resamples=num_resamples,
            conf_level=confidence,
            num_levels=num_levels,
            seed=seed or 1,
        )
    )
