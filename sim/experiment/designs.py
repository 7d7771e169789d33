"""Designs (grid, lhs, sobol, morris), point ids, run ids, per-run seeds and shards."""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim.experiment.parameters import ExperimentError, Parameter, cast_value

if TYPE_CHECKING:
    from sim.experiment.files import Experiment


@dataclass
class Design:
    """The planned runs of an experiment.

    Attributes:
        runs: one row per planned run: ``run_id``, ``point_id``, ``point_index``,
            ``replicate``, ``seed`` and the parameters (columns named as in the file).
        sample: sampling designs only: one row per sample row, in the sampler's order:
            ``row``, ``point_id`` and the raw sampled values (what SALib's analysis expects).
        problem: the SALib problem (``names``, ``bounds``) of a sampling design.
        dtypes: the column type of each parameter.
    """

    runs: pd.DataFrame
    sample: pd.DataFrame | None = None
    problem: dict[str, Any] | None = None
    dtypes: dict[str, str] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.runs)


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
        root: the experiment's root seed.
        replicate: the replicate number.
        point: the point id; None with common random numbers (the seed then depends
            on the replicate only, so every point meets the same random crises).
    """
    key = (replicate,) if point is None else (int(point, 16), replicate)
    sequence = np.random.SeedSequence(root, spawn_key=key)
    return int(sequence.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))


def design_seed(root: int) -> int:
    """Seed of the design samplers (LHS, SALib), derived from the root seed."""
    return int(np.random.SeedSequence(root, spawn_key=(2**32 - 1,)).generate_state(1)[0])


def _grid_values(parameter: Parameter) -> tuple[Any, ...]:
    if parameter.kind != "range":
        return parameter.values
    assert parameter.levels is not None
    raw = np.linspace(parameter.low, parameter.high, parameter.levels)
    if parameter.integer:
        return tuple(dict.fromkeys(round(float(v)) for v in raw))
    return tuple(float(f"{v:.12g}") for v in raw)


def _from_unit(parameter: Parameter, column: np.ndarray) -> list[Any]:
    """Sampled raw values (in the problem's bounds) as parameter values."""
    if parameter.kind == "levels":
        count = len(parameter.values)
        index = np.clip(np.floor(column).astype(np.int64), 0, count - 1)
        return [parameter.values[i] for i in index]
    if parameter.integer:
        return [int(v) for v in np.clip(np.rint(column), parameter.low, parameter.high)]
    return [float(v) for v in column]


def _bounds(parameter: Parameter) -> list[float]:
    if parameter.kind == "levels":
        return [0.0, float(len(parameter.values))]
    if parameter.integer:
        return [parameter.low - 0.5, parameter.high + 0.5]
    return [parameter.low, parameter.high]


def planned_points(experiment: Experiment) -> int:
    """Number of design points (sample rows for sampling designs)."""
    sampled = [p for p in experiment.parameters if p.sampled]
    if experiment.method == "grid":
        return math.prod(len(_grid_values(p)) for p in sampled)
    samples = experiment.samples or 0
    if experiment.method == "lhs":
        return samples
    if experiment.method == "sobol":
        per = 2 * len(sampled) + 2 if experiment.second_order else len(sampled) + 2
        return samples * per
    return samples * (len(sampled) + 1)


def _sample(experiment: Experiment, sampled: list[Parameter]) -> tuple[np.ndarray, dict[str, Any]]:
    problem = {
        "num_vars": len(sampled),
        "names": [p.name for p in sampled],
        "bounds": [_bounds(p) for p in sampled],
    }
    seed = design_seed(experiment.seed)
    samples = experiment.samples or 1
    if experiment.method == "lhs":
        from scipy.stats import qmc

        unit = qmc.LatinHypercube(d=len(sampled), rng=np.random.default_rng(seed)).random(samples)
        bounds = np.asarray(problem["bounds"], dtype=float)
        matrix = bounds[:, 0] + unit * (bounds[:, 1] - bounds[:, 0])
    elif experiment.method == "sobol":
        from SALib.sample import sobol

        matrix = sobol.sample(
            problem, samples, calc_second_order=experiment.second_order, seed=seed
        )
    else:
        from SALib.sample import morris

        matrix = morris.sample(problem, samples, num_levels=experiment.num_levels, seed=seed)
    return np.asarray(matrix, dtype=float), problem


def build_design(experiment: Experiment) -> Design:
    """The experiment's planned runs (see :class:`Design`)."""
    parameters = experiment.parameters
    dtypes = {p.name: p.dtype() for p in parameters}
    sampled = [p for p in parameters if p.sampled]
    fixed = {p.name: cast_value(p.values[0], dtypes[p.name]) for p in parameters if not p.sampled}
    sample_frame = None
    problem = None
    if experiment.method == "grid":
        combos = itertools.product(*(_grid_values(p) for p in sampled))
        rows = [dict(zip([p.name for p in sampled], combo, strict=True)) for combo in combos]
    else:
        matrix, problem = _sample(experiment, sampled)
        columns = [_from_unit(p, matrix[:, j]) for j, p in enumerate(sampled)]
        rows = [{p.name: columns[j][i] for j, p in enumerate(sampled)} for i in range(len(matrix))]
    points: list[tuple[str, dict[str, Any]]] = []
    for row in rows:
        values = {**fixed, **row}
        values = {p.name: cast_value(values[p.name], dtypes[p.name]) for p in parameters}
        points.append((point_id(values), values))
    if problem is not None:
        sample_frame = pd.DataFrame(
            {"row": np.arange(len(points), dtype=np.int64), "point_id": [pid for pid, _ in points]}
        )
        for j, parameter in enumerate(sampled):
            sample_frame[parameter.name] = matrix[:, j]
    unique: dict[str, dict[str, Any]] = {}
    for pid, values in points:
        unique.setdefault(pid, values)

    records: dict[str, list[Any]] = {
        "run_id": [],
        "point_id": [],
        "point_index": [],
        "replicate": [],
        "seed": [],
    }
    for name in dtypes:
        records[name] = []
    crn_seeds = [run_seed(experiment.seed, r) for r in range(experiment.replications)]
    for index, (pid, values) in enumerate(unique.items()):
        for replicate in range(experiment.replications):
            records["run_id"].append(run_id(pid, replicate))
            records["point_id"].append(pid)
            records["point_index"].append(index)
            records["replicate"].append(replicate)
            if experiment.common_random_numbers:
                records["seed"].append(crn_seeds[replicate])
            else:
                records["seed"].append(run_seed(experiment.seed, replicate, pid))
            for name, value in values.items():
                records[name].append(value)
    frame = pd.DataFrame(
        {
            "run_id": pd.array(records["run_id"], dtype="string"),
            "point_id": pd.array(records["point_id"], dtype="string"),
            "point_index": np.asarray(records["point_index"], dtype=np.int64),
            "replicate": np.asarray(records["replicate"], dtype=np.int64),
            "seed": np.asarray(records["seed"], dtype=np.int64),
        }
    )
    pandas_types = {"int64": "int64", "float64": "float64", "bool": "bool", "string": "string"}
    for name, dtype in dtypes.items():
        frame[name] = pd.array(records[name], dtype=pandas_types[dtype])
    return Design(runs=frame, sample=sample_frame, problem=problem, dtypes=dtypes)


def parse_shard(text: str | None) -> tuple[int, int] | None:
    """``"K/N"`` as ``(K, N)`` with 1 <= K <= N; None stays None."""
    if text is None:
        return None
    try:
        k_text, n_text = str(text).split("/")
        k, n = int(k_text), int(n_text)
    except ValueError:
        raise ExperimentError(
            "--shard", None, f"expected K/N (for example 2/8), got {text!r}"
        ) from None
    if not 1 <= k <= n:
        raise ExperimentError("--shard", None, f"K must be between 1 and N, got {text}")
    return k, n


def in_shard(run_ids: pd.Series | list[str], shard: tuple[int, int] | None) -> np.ndarray:
    """Which runs belong to shard ``(K, N)`` (a stable hash of the run id)."""
    if shard is None:
        return np.ones(len(run_ids), dtype=bool)
    k, n = shard
    hashes = [
        int.from_bytes(hashlib.blake2b(str(r).encode(), digest_size=8).digest(), "big")
        for r in run_ids
    ]
    return np.asarray(hashes, dtype=np.uint64) % np.uint64(n) == np.uint64(k - 1)
