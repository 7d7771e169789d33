"""Small models that the sweep tests run (loaded by file path, in any worker)."""

from __future__ import annotations

import os
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


def fake_simulate(preset: Any, rng: int, record_every: int = 0) -> dict[str, Any]:
    """Stands in for the alliance model's ``simulate``: same result shape, cheap."""
    generator = np.random.default_rng(rng)
    relationships = preset.leadership.relationships
    members = preset.alliance.members
    lifetime = int(generator.integers(1, preset.horizon + 1))
    survived = bool(generator.random() < relationships)
    crises = []
    for episode in range(int(generator.integers(0, 4))):
        crises.append(
            {
                "start": 10 * episode,
                "end": None if episode == 2 else 10 * episode + 3,
                "kind": "global",
                "robustness": float(generator.random()),
                "recovered": bool(generator.random() < 0.5),
                "recovery_time": None if episode == 1 else episode + 1,
            }
        )
    result: dict[str, Any] = {
        "survived": survived,
        "outcome": "recovery" if survived else "collapse",
        "lifetime": lifetime,
        "founding_members": members,
        "final_members": int(generator.integers(0, members + 1)),
        "seed": rng,
        "metrics": {
            "crises": len(crises),
            "worst_robustness": min((c["robustness"] for c in crises), default=None),
            "mean_trust": float(generator.random()),
        },
        "crises": crises,
    }
    if record_every > 0:
        steps = np.arange(0, lifetime + 1, record_every, dtype=np.int64)
        result["series"] = {
            "step": steps,
            "performance": generator.random(len(steps)),
            "active_members": np.full(len(steps), float(members)),
        }
    return result


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
