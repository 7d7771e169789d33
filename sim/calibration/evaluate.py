"""Evaluating one candidate point of a calibration: its runs, then its statistics.

:func:`evaluate_packed` is the unit of work an executor runs: a candidate's runs (one
per seed, as a sweep runs them, in :func:`sim.sweeps.runner.run_chunk`), then its
statistics over the runs that finished ok. Only the statistics and counts go back to
the calibration, never the runs. A run that fails is counted; a statistic that raises
makes the candidate's statistics NaN and records the error.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sim.calibration.statistics import evaluate, parse_statistic, runs_frame
from sim.sweeps.runner import ModelTarget, RunTask, error_text, run_chunk


@dataclass(frozen=True)
class Candidate:
    """One candidate point: where it comes from, its parameters and its runs' seeds.

    Attributes:
        generation: its generation (or the predictive check's sentinel).
        index: its number in the generation.
        params: every parameter of its runs, fixed ones included, as ``(name, value)``.
        seeds: one seed per replicate.
    """

    generation: int
    index: int
    params: tuple[tuple[str, Any], ...]
    seeds: tuple[int, ...]

    def tasks(self) -> list[RunTask]:
        """Its runs, with ids ``gG-cK-rR``."""
        prefix = f"g{self.generation}-c{self.index}"
        return [
            RunTask(f"{prefix}-r{replicate}", seed, self.params)
            for replicate, seed in enumerate(self.seeds)
        ]


@dataclass(frozen=True)
class CandidateOutput:
    """What a candidate's runs gave.

    Attributes:
        generation: the candidate's generation.
        index: its number.
        statistics: one value per statistic (NaN when it cannot be computed).
        ok: runs that finished ok.
        failed: runs that failed.
        error: the first failed run's error, or a statistic's.
        duration_s: the runs' wall time in the worker.
    """

    generation: int
    index: int
    statistics: tuple[float, ...]
    ok: int
    failed: int
    error: str | None
    duration_s: float


def evaluate_candidate(
    target: ModelTarget, candidate: Candidate, statistics: tuple[str, ...]
) -> CandidateOutput:
    """Run a candidate's runs and compute its statistics."""
    started = time.perf_counter()
    outputs = run_chunk(target, candidate.tasks())
    rows: list[Mapping[str, Any]] = [
        {"replicate": replicate, "seed": output.seed, **dict(candidate.params), **output.outcomes}
        for replicate, output in enumerate(outputs)
        if output.status == "ok"
    ]
    errors = [output.error for output in outputs if output.status != "ok"]
    frame = runs_frame(rows)
    values: list[float] = []
    error = errors[0] if errors else None
    for text in statistics:
        try:
            values.append(evaluate(parse_statistic(text), frame, target.base_dir))
        except Exception as exc:
            values = [math.nan] * len(statistics)
            error = f"statistic {text}: {error_text(exc)}"
            break
    return CandidateOutput(
        candidate.generation,
        candidate.index,
        tuple(values),
        len(rows),
        len(errors),
        error,
        time.perf_counter() - started,
    )


def evaluate_packed(
    packed: tuple[ModelTarget, Candidate, tuple[str, ...]],
) -> CandidateOutput:
    """:func:`evaluate_candidate` of a ``(target, candidate, statistics)`` triple."""
    return evaluate_candidate(*packed)
