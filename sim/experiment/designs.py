"""Designs: an experiment's planned runs, each with a stable ``run_id``, ``point_id`` and seed.

The design methods live in their own modules (:mod:`~sim.experiment.grid`,
:mod:`~sim.experiment.lhs`, :mod:`~sim.experiment.sobol`, :mod:`~sim.experiment.morris`);
this module turns their points into runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim.experiment import grid, lhs, morris, sobol
from sim.experiment.seeds import design_seed, point_id, run_id, run_seed
from sim.experiment.spec import SweptParameter, cast_value
from sim.names import DESIGN_COLUMNS

if TYPE_CHECKING:
    from sim.experiment.files import Experiment

PANDAS_TYPES = {"int64": "int64", "float64": "float64", "bool": "bool", "string": "string"}


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


def _from_unit(parameter: SweptParameter, column: np.ndarray) -> list[Any]:
    """Sampled raw values (in the problem's bounds) as parameter values."""
    if parameter.kind == "levels":
        count = len(parameter.values)
        index = np.clip(np.floor(column).astype(np.int64), 0, count - 1)
        return [parameter.values[i] for i in index]
    if parameter.integer:
        return [int(v) for v in np.clip(np.rint(column), parameter.low, parameter.high)]
    return [float(v) for v in column]


def _bounds(parameter: SweptParameter) -> list[float]:
    if parameter.kind == "levels":
        return [0.0, float(len(parameter.values))]
    if parameter.integer:
        return [parameter.low - 0.5, parameter.high + 0.5]
    return [parameter.low, parameter.high]


def planned_points(experiment: Experiment) -> int:
    """Number of design points (sample rows for sampling designs), from the design's shape."""
    sampled = [p for p in experiment.parameters if p.sampled]
    samples = experiment.samples or 0
    if experiment.method == "grid":
        return grid.count(sampled)
    if experiment.method == "lhs":
        return lhs.count(samples, len(sampled))
    if experiment.method == "sobol":
        return sobol.count(samples, len(sampled), experiment.second_order)
    return morris.count(samples, len(sampled))


def problem_of(sampled: list[SweptParameter]) -> dict[str, Any]:
    """The SALib problem of the sampled parameters (levels lists sample an index range)."""
    return {
        "num_vars": len(sampled),
        "names": [p.name for p in sampled],
        "bounds": [_bounds(p) for p in sampled],
    }


def _sample(experiment: Experiment, problem: dict[str, Any]) -> np.ndarray:
    seed = design_seed(experiment.seed)
    samples = experiment.samples or 1
    if experiment.method == "lhs":
        return lhs.sample(problem, samples, seed)
    if experiment.method == "sobol":
        return sobol.sample(problem, samples, seed, experiment.second_order)
    return morris.sample(problem, samples, seed, experiment.num_levels)


def _points(
    experiment: Experiment, sampled: list[SweptParameter]
) -> tuple[list[dict[str, Any]], pd.DataFrame | None, dict[str, Any] | None]:
    """The design's rows of sampled values, the sampler's frame and its SALib problem."""
    if experiment.method == "grid":
        return grid.rows(sampled), None, None
    problem = problem_of(sampled)
    matrix = _sample(experiment, problem)
    columns = [_from_unit(p, matrix[:, j]) for j, p in enumerate(sampled)]
    rows = [{p.name: columns[j][i] for j, p in enumerate(sampled)} for i in range(len(matrix))]
    frame = pd.DataFrame({p.name: matrix[:, j] for j, p in enumerate(sampled)})
    return rows, frame, problem


def _run_records(
    experiment: Experiment, unique: dict[str, dict[str, Any]], dtypes: dict[str, str]
) -> pd.DataFrame:
    records: dict[str, list[Any]] = {name: [] for name in (*DESIGN_COLUMNS, *dtypes)}
    crn_seeds = [run_seed(experiment.seed, r) for r in range(experiment.replications)]
    for index, (pid, values) in enumerate(unique.items()):
        for replicate in range(experiment.replications):
            records["run_id"].append(run_id(pid, replicate))
            records["point_id"].append(pid)
            records["point_index"].append(index)
            records["replicate"].append(replicate)
            crn = experiment.common_random_numbers
            records["seed"].append(
                crn_seeds[replicate] if crn else run_seed(experiment.seed, replicate, pid)
            )
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
    for name, dtype in dtypes.items():
        frame[name] = pd.array(records[name], dtype=PANDAS_TYPES[dtype])
    return frame


def build_design(experiment: Experiment) -> Design:
    """The experiment's planned runs (see :class:`Design`)."""
    parameters = experiment.parameters
    dtypes = {p.name: p.dtype() for p in parameters}
    sampled = [p for p in parameters if p.sampled]
    fixed = {p.name: cast_value(p.values[0], dtypes[p.name]) for p in parameters if not p.sampled}
    rows, sample_frame, problem = _points(experiment, sampled)
    points: list[tuple[str, dict[str, Any]]] = []
    for row in rows:
        values = {**fixed, **row}
        values = {p.name: cast_value(values[p.name], dtypes[p.name]) for p in parameters}
        points.append((point_id(values), values))
    if sample_frame is not None:
        sample_frame.insert(0, "point_id", [pid for pid, _ in points])
        sample_frame.insert(0, "row", np.arange(len(points), dtype=np.int64))
    unique: dict[str, dict[str, Any]] = {}
    for pid, values in points:
        unique.setdefault(pid, values)
    runs = _run_records(experiment, unique, dtypes)
    return Design(runs=runs, sample=sample_frame, problem=problem, dtypes=dtypes)
