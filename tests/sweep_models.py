"""Small models that the sweep tests run (loaded by file path, in any worker)."""

from __future__ import annotations

import os
import random
import time
from typing import Any

import mesa
import numpy as np


def toy(x: float, y: float = 0.0, label: str = "a", *, rng: np.random.Generator) -> dict[str, Any]:
    """A plain function model with crises and a series, all driven by ``rng``."""
    noise = rng.normal(size=8)
    crises = [
        {"start": int(i), "severity": float(abs(noise[i])), "recovered": bool(noise[i] > 0)}
        for i in range(int(rng.integers(0, 3)))
    ]
    if crises:
        crises[0]["recovery_time"] = None
    return {
        "score": float(x + y + noise[0]),
        "survived": bool(noise[1] > -0.5),
        "outcome": "recovery" if noise[2] > 0 else "collapse",
        "lifetime": int(rng.integers(1, 100)),
        "label_seen": label,
        "missing": None,
        "crises": crises,
        "series": {"step": np.arange(4), "level": np.cumsum(noise[:4]) + x},
    }


def slow_toy(x: float, y: float = 0.0, *, rng: np.random.Generator) -> dict[str, Any]:
    """``toy`` that takes a few milliseconds, for interruption tests."""
    time.sleep(0.004)
    return toy(x, y, rng=rng)


def flaky(x: float, *, rng: np.random.Generator) -> dict[str, Any]:
    """Raises for ``x == 2`` unless ``SWEEP_TEST_FIXED`` is set."""
    if x == 2 and not os.environ.get("SWEEP_TEST_FIXED"):
        raise RuntimeError(f"no good at x={x}")
    return {"score": float(x + rng.random())}


class Walker(mesa.Model):
    """A Mesa model: a random walk that stops at a bound."""

    def __init__(self, bound: float = 3.0, rng: int | None = None) -> None:
        super().__init__(rng=rng)
        self.bound = bound
        self.position = 0.0
        self.datacollector = mesa.DataCollector(model_reporters={"position": "position"})
        self.datacollector.collect(self)

    def step(self) -> None:
        self.position += float(self.rng.normal())
        self.datacollector.collect(self)
        if abs(self.position) > self.bound:
            self.running = False


class Counts(mesa.Model):
    """An integer and a float reporter side by side; fails to build for ``x == 2``."""

    def __init__(self, x: int = 1, rng: int | None = None) -> None:
        super().__init__(rng=rng)
        if x == 2:
            raise RuntimeError("no model for x=2")
        self.count = 0
        self.level = 0.0
        reporters = {"count": "count", "level": "level"}
        self.datacollector = mesa.DataCollector(model_reporters=reporters)
        self.datacollector.collect(self)

    def step(self) -> None:
        self.count += int(self.rng.integers(1, 4))
        self.level += float(self.rng.random())
        self.datacollector.collect(self)


class Unseeded(Walker):
    """A walk that starts where Python's global ``random`` puts it."""

    def __init__(self, bound: float = 3.0, rng: int | None = None) -> None:
        super().__init__(bound=bound, rng=rng)
        self.position = random.random()


class NoSeed(mesa.Model):
    """A model that takes no seed at all."""

    def __init__(self, size: int = 3) -> None:
        super().__init__()
        self.size = size
