"""Stable ids and seeds: a design point's id, a run's id, a run's seed, the samplers' seed,
and a calibration's seeds.

Every seed of the project derives from a root seed through numpy's ``SeedSequence``
here: the runs of a sweep, of the validation targets and of the effects table, and the
proposals and runs of a calibration. A sweep's spawn keys are at most three 32-bit words
long (a replicate; or a 64-bit point id and a replicate) and the design samplers' is one
word; a calibration's start with :data:`CALIBRATION_STREAM` and are four or five words
long, so the two never share a stream.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

import numpy as np

DESIGN_STREAM = 2**32 - 1
"""Spawn key of the design samplers' stream (never a replicate number)."""
CALIBRATION_STREAM = 2**32 - 2
"""First word of every spawn key of a calibration (never a replicate number)."""
PROPOSALS, RUNS = 0, 1
"""Second word of a calibration's spawn keys: a candidate's proposal, or its runs."""


def point_id(values: Mapping[str, Any]) -> str:
    """A design point's id: a hash of its parameter values (names and typed values)."""
    canonical = json.dumps(
        {name: values[name] for name in sorted(values)},
        sort_keys=True,
        separators=(",", ":"),
        allow_nan=False,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


def run_id(point: str, replicate: int) -> str:
    """A run's id: its point's id and its replicate."""
    return f"{point}-{replicate:04d}"


def run_seed(root: int, replicate: int, point: str | None = None) -> int:
    """A run's seed, derived with numpy's SeedSequence (a plain int below 2**63).

    Args:
        root: the root seed.
        replicate: the replicate number.
        point: the point id; None with common random numbers (the seed then depends
            on the replicate only, so every point meets the same random crises).
    """
    key = (replicate,) if point is None else (int(point, 16), replicate)
    return _plain_seed(root, key)


def _plain_seed(root: int, key: tuple[int, ...]) -> int:
    """The first 64-bit word of ``SeedSequence(root, spawn_key=key)`` shifted right by one."""
    sequence = np.random.SeedSequence(root, spawn_key=key)
    return int(sequence.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))


def run_seeds(root: int, count: int) -> list[int]:
    """The common-random-number seeds of replicates ``0 .. count - 1`` under ``root``."""
    return [run_seed(root, replicate) for replicate in range(count)]


def design_seed(root: int) -> int:
    """Seed of the design samplers (LHS, SALib), derived from the root seed."""
    return int(np.random.SeedSequence(root, spawn_key=(DESIGN_STREAM,)).generate_state(1)[0])


def proposal_generator(root: int, generation: int, candidate: int) -> np.random.Generator:
    """The generator of candidate ``candidate``'s proposal in generation ``generation`` of a
    calibration: which particle it perturbs and how (or its draw from the prior)."""
    key = (CALIBRATION_STREAM, PROPOSALS, generation, candidate)
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(root, spawn_key=key)))


def candidate_seeds(root: int, generation: int, candidate: int, count: int) -> list[int]:
    """The seeds of a calibration candidate's runs (replicates ``0 .. count - 1``), plain ints
    below 2**63 like a sweep's."""
    prefix = (CALIBRATION_STREAM, RUNS, generation, candidate)
    return [_plain_seed(root, (*prefix, replicate)) for replicate in range(count)]
