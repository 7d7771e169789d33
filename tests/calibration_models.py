"""Models for the calibration tests: quick to import (numpy only), with known parameters."""

from __future__ import annotations

import os
from typing import Any

import numpy as np


def normal(mu: float, sigma: float, *, rng: np.random.Generator) -> dict[str, Any]:
    """One draw from Normal(mu, sigma)."""
    return {"x": float(rng.normal(mu, sigma))}


def crashes(mu: float, sigma: float, *, rng: np.random.Generator) -> dict[str, Any]:
    """Ends its own process (``os._exit(3)``) for mu above 4, as a crashing model would."""
    if mu > 4:
        os._exit(3)
    return normal(mu, sigma, rng=rng)


def spread(runs: Any) -> float:
    """A statistic given as ``module:function``: the runs' standard deviation of x."""
    return float(runs["x"].std(ddof=1))


def observed(mu: float, sigma: float, runs: int, seed: int) -> tuple[float, float]:
    """The mean and standard deviation of ``runs`` draws at the true parameters."""
    draws = np.random.default_rng(seed).normal(mu, sigma, runs)
    return float(draws.mean()), float(draws.std(ddof=1))


def gated(mu: float, sigma: float, *, rng: np.random.Generator) -> dict[str, Any]:
    """Waits while the file named by ``CALIBRATION_TEST_GATE`` exists (a calibration held
    open by a test)."""
    import time

    gate = os.environ.get("CALIBRATION_TEST_GATE")
    while gate and os.path.exists(gate):
        time.sleep(0.02)
    return normal(mu, sigma, rng=rng)
