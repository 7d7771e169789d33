"""Models for the fault and discovery tests: quick to import (numpy only), one of them
crashing, one whose outcome is a known box of its inputs."""

from __future__ import annotations

import os
import time
from typing import Any

import numpy as np


def light(x: float, *, rng: np.random.Generator) -> dict[str, Any]:
    """A quick model with a crisis table and a series."""
    noise = rng.normal(size=4)
    crises = [{"start": i, "severity": float(abs(noise[i]))} for i in range(int(x) % 3)]
    return {
        "score": float(x + noise[0]),
        "crises": crises,
        "series": {"step": np.arange(4), "level": noise + x},
    }


def crashes(x: float, *, rng: np.random.Generator) -> dict[str, Any]:
    """Ends its own process (``os._exit(3)``, or the code ``CRASH_CODE`` names) for
    ``x == 2``, as a crashing model would."""
    if x == 2:
        os._exit(int(os.environ.get("CRASH_CODE", "3")))
    return light(x, rng=rng)


def sleepy(x: float, *, rng: np.random.Generator) -> dict[str, Any]:
    """A slow model: each run takes ``SWEEP_TEST_SLEEP`` seconds (default 0.2)."""
    time.sleep(float(os.environ.get("SWEEP_TEST_SLEEP", "0.2")))
    return light(x, rng=rng)


def loaded(x: float, *, rng: np.random.Generator) -> dict[str, Any]:
    """The heavy packages loaded in the process that runs it (a worker's imports)."""
    import sys

    heavy = ("numba", "pandas", "pyarrow", "scipy", "mesa", "sim.kernel", "sim.parameters")
    return {"x_seen": x, "heavy": " ".join(m for m in heavy if m in sys.modules)}


def silent(x: float, *, rng: np.random.Generator) -> dict[str, Any]:
    """A model that returns no outcome."""
    return {}


def gated(x: float, *, rng: np.random.Generator) -> dict[str, Any]:
    """Waits while the file named by ``SWEEP_TEST_GATE`` exists (a sweep held open by a test)."""
    gate = os.environ.get("SWEEP_TEST_GATE")
    while gate and os.path.exists(gate):
        time.sleep(0.02)
    return light(x, rng=rng)


def coin(p: float, spread: float = 1.0, *, rng: np.random.Generator) -> dict[str, Any]:
    """A boolean outcome true with probability ``p``, and a normal number of sd ``spread``."""
    return {"heads": bool(rng.random() < p), "level": float(spread * rng.normal())}


def slow_coin(p: float, spread: float = 1.0, *, rng: np.random.Generator) -> dict[str, Any]:
    """``coin`` that takes ``SWEEP_TEST_SLEEP`` seconds (default 0.2)."""
    time.sleep(float(os.environ.get("SWEEP_TEST_SLEEP", "0.2")))
    return coin(p, spread, rng=rng)


def flaky_coin(p: float, spread: float = 1.0, *, rng: np.random.Generator) -> dict[str, Any]:
    """``coin`` that raises for ``p == 0`` unless ``SWEEP_TEST_FIXED`` is set."""
    if p == 0 and not os.environ.get("SWEEP_TEST_FIXED"):
        raise RuntimeError("no coin at p=0")
    return coin(p, spread, rng=rng)


BOX: dict[str, tuple[float, float]] = {"x1": (0.2, 0.7), "x2": (0.1, 0.6), "x3": (0.4, 1.0)}
"""The box of :func:`boxed`: limits on three of its five inputs."""
BOXED_FAILS_ABOVE = 0.97
""":func:`boxed` fails for ``x5`` above this."""


def boxed(
    x1: float, x2: float, x3: float, x4: float, x5: float, *, rng: np.random.Generator
) -> dict[str, Any]:
    """Whether the five inputs lie in :data:`BOX` (``x4`` and ``x5`` play no part); fails
    for ``x5`` above :data:`BOXED_FAILS_ABOVE`."""
    if x5 > BOXED_FAILS_ABOVE:
        raise RuntimeError(f"no run at x5={x5}")
    values = {"x1": x1, "x2": x2, "x3": x3, "x4": x4, "x5": x5}
    return {"inside": all(low <= values[k] <= high for k, (low, high) in BOX.items())}


def reasoned(x: float, *, rng: np.random.Generator) -> dict[str, Any]:
    """An optional text outcome: ``reason`` is None below 6 (all None in some shards)."""
    return {"score": float(x + rng.normal()), "reason": "high" if x >= 6 else None}
