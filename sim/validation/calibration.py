"""How the exit constants are set: a reproducible search against calibration pattern 1.

Three mechanism constants have no value in the literature and decide how often and
how soon alliances end: ``exit_tolerance`` (the dissatisfaction members put up
with), ``exit_rate`` (how fast they leave beyond it) and ``blame_base`` (how often a
shortfall is misread as betrayal). They are set by this procedure, on the baseline
preset with every quality at 0.5, fixed seeds and ``RUNS`` runs per evaluation:

1. For each pair ``(exit_rate, blame_base)`` on the grid, bisect ``exit_tolerance``
   until the failure share is ``FAILURE_TARGET`` (pattern 1: about half of
   alliances fail).
2. A pair is admissible when the median lifetime of its collapsed runs lies in
   ``LIFETIME_RANGE`` (pattern 1's five to nine years, with half a year's margin
   at each end).
3. Among admissible pairs, the one whose survival responds most gradually to the
   overall level of leadership (the smallest largest step between adjacent
   levels 0.1, ..., 0.9 of all nine qualities, ``CLIFF_RUNS`` runs per level) is
   chosen. This is a design
   constraint, not a pattern: it makes target 12 (no cliff) a property the
   constants were chosen for, checked again on other seeds by ``validate``.

``python scripts/calibrate.py`` runs it and prints every grid point; ``--check``
compares the choice with the defaults in :mod:`sim.parameters`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from sim.experiment.seeds import run_seeds
from sim.model.prepare import resolve_spec
from sim.model.simulation import simulate
from sim.names import FAILURE, QUALITIES
from sim.parameters import CONSTANT_DEFAULTS
from sim.scenario import ScenarioSpec
from sim.validation.common import ROOT_SEED
from sim.validation.robustness import CLIFF_LEVELS

CALIBRATED: tuple[str, ...] = ("exit_tolerance", "exit_rate", "blame_base")
"""The constants this procedure sets."""
EXIT_RATES: tuple[float, ...] = (0.4, 0.55, 0.7, 0.85, 1.0)
BLAME_BASES: tuple[float, ...] = (0.15, 0.2, 0.25, 0.3)
FAILURE_TARGET = 0.5
LIFETIME_RANGE: tuple[float, float] = (66.0, 102.0)
"""Admissible median lifetime of collapsed runs, in months."""
TOLERANCE_BOUNDS: tuple[float, float] = (0.1, 1.0)
BISECTIONS = 10
RUNS = 400
CLIFF_RUNS = 1000
"""Runs per level of leadership for the third criterion (why: docs/model.md, 4.3)."""
SEED = ROOT_SEED + 200


@dataclass(frozen=True)
class GridPoint:
    """One pair of the grid with its bisected tolerance and what it gives."""

    exit_rate: float
    blame_base: float
    exit_tolerance: float
    failure_share: float
    median_lifetime: float
    largest_step: float
    survival_by_level: tuple[float, ...]

    @property
    def admissible(self) -> bool:
        """Whether collapsed alliances live as long as pattern 1 says."""
        low, high = LIFETIME_RANGE
        return low <= self.median_lifetime <= high

    def constants(self) -> dict[str, float]:
        """The three calibrated constants at this point."""
        return {
            "exit_tolerance": self.exit_tolerance,
            "exit_rate": self.exit_rate,
            "blame_base": self.blame_base,
        }

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {**asdict(self), "admissible": self.admissible}


def _summaries(spec: ScenarioSpec, seeds: Sequence[int], **params: Any) -> list[dict[str, Any]]:
    return [simulate(spec, rng=seed, **params) for seed in seeds]


def _failure(summaries: Sequence[dict[str, Any]]) -> float:
    return float(np.mean([s["outcome"] in FAILURE for s in summaries]))


def bisect_tolerance(spec: ScenarioSpec, seeds: Sequence[int]) -> float:
    """The ``exit_tolerance`` (rounded to 0.001) at which ``spec`` fails ``FAILURE_TARGET``
    of its runs; failure falls as the tolerance rises."""
    low, high = TOLERANCE_BOUNDS
    for _ in range(BISECTIONS):
        middle = 0.5 * (low + high)
        trial = spec.with_overrides({"constants.exit_tolerance": middle}, "calibration")
        if _failure(_summaries(trial, seeds)) > FAILURE_TARGET:
            low = middle
        else:
            high = middle
    return round(0.5 * (low + high), 3)


def evaluate(exit_rate: float, blame_base: float, runs: int = RUNS, seed: int = SEED) -> GridPoint:
    """Bisect the tolerance for one pair, then measure lifetimes and the cliff there."""
    seeds = run_seeds(seed, runs)
    pair = {"constants.exit_rate": exit_rate, "constants.blame_base": blame_base}
    spec = resolve_spec("baseline").with_overrides(pair, "calibration")
    tolerance = bisect_tolerance(spec, seeds)
    spec = spec.with_overrides({"constants.exit_tolerance": tolerance}, "calibration")
    summaries = _summaries(spec, seeds)
    lifetimes = [s["lifetime"] for s in summaries if s["outcome"] == "collapse"]
    cliff_seeds = run_seeds(seed, max(runs, CLIFF_RUNS))
    survival = tuple(
        float(np.mean([s["survived"] for s in _summaries(spec, cliff_seeds, **levels)]))
        for levels in (dict.fromkeys(QUALITIES, level) for level in CLIFF_LEVELS)
    )
    return GridPoint(
        exit_rate,
        blame_base,
        tolerance,
        _failure(summaries),
        float(np.median(lifetimes)) if lifetimes else float("nan"),
        float(np.max(np.abs(np.diff(survival)))),
        survival,
    )


def choose(points: Sequence[GridPoint]) -> GridPoint:
    """The admissible point with the smallest largest step (the first such on a tie)."""
    admissible = [p for p in points if p.admissible]
    if not admissible:
        raise ValueError("no grid point gives collapsed alliances pattern 1's lifetimes")
    return min(admissible, key=lambda p: p.largest_step)


def calibrate(
    runs: int = RUNS,
    seed: int = SEED,
    progress: Callable[[GridPoint], None] | None = None,
) -> tuple[list[GridPoint], GridPoint]:
    """Every grid point, and the chosen one."""
    points = []
    for exit_rate in EXIT_RATES:
        for blame_base in BLAME_BASES:
            point = evaluate(exit_rate, blame_base, runs, seed)
            points.append(point)
            if progress is not None:
                progress(point)
    return points, choose(points)


def defaults() -> dict[str, float]:
    """The calibrated constants' defaults in :mod:`sim.parameters`."""
    return {name: CONSTANT_DEFAULTS[name] for name in CALIBRATED}
