"""The Latin hypercube design (McKay, Beckman & Conover 1979), sampled with scipy."""

from __future__ import annotations

from typing import Any

import numpy as np


def count(samples: int, parameters: int) -> int:
    """Number of sample rows."""
    return samples


def sample(problem: dict[str, Any], samples: int, seed: int) -> np.ndarray:
    """``samples`` rows of a Latin hypercube within the problem's bounds."""
    from scipy.stats import qmc

    dimensions = int(problem["num_vars"])
    unit = qmc.LatinHypercube(d=dimensions, rng=np.random.default_rng(seed)).random(samples)
    bounds = np.asarray(problem["bounds"], dtype=float)
    return bounds[:, 0] + unit * (bounds[:, 1] - bounds[:, 0])
