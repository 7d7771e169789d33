"""Rerun one stored run and check that it reproduces its stored row, crises and series."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.compute as pc

from sim.experiment.spec import SIMULATE_REF
from sim.names import DESIGN_COLUMNS
from sim.scenario import ScenarioSpec
from sim.store.manifest import StoreError, read_manifest
from sim.store.output import RunOutput
from sim.store.parts import read_table
from sim.store.reader import check_store_parts, read_design
from sim.sweeps.runner import ModelTarget, RunTask, other_target, run_one


@dataclass
class ReplayResult:
    """Whether rerunning a stored run reproduced what was stored."""

    run_id: str
    matches: bool
    differences: list[str]

    def line(self) -> str:
        """One line for humans."""
        if self.matches:
            return f"{self.run_id}: reproduced exactly"
        return f"{self.run_id}: differs: {'; '.join(self.differences[:5])}"


def same_value(stored: Any, fresh: Any) -> bool:
    """Whether a stored value and a fresh one are the same (NaN and null alike)."""
    if stored is None or fresh is None:
        if isinstance(stored, float) and math.isnan(stored) and fresh is None:
            return True
        return stored is None and fresh is None
    if isinstance(stored, float) or isinstance(fresh, float):
        try:
            a, b = float(stored), float(fresh)
        except (TypeError, ValueError):
            return False
        return a == b or (math.isnan(a) and math.isnan(b))
    if isinstance(stored, str) and not isinstance(fresh, str):
        return stored == str(fresh)
    return bool(stored == fresh)


def same_array(stored: np.ndarray, fresh: np.ndarray) -> bool:
    """Whether two arrays hold the same values (NaN equal to NaN)."""
    if stored.shape != fresh.shape:
        return False
    if stored.dtype.kind in "fiub" and fresh.dtype.kind in "fiub":
        return bool(
            np.array_equal(stored.astype(np.float64), fresh.astype(np.float64), equal_nan=True)
        )
    return bool(np.all(stored.astype(object) == fresh.astype(object)))


def replay_target(path: str | os.PathLike[str]) -> ModelTarget:
    """The :class:`ModelTarget` a store's runs were made with (from its manifest)."""
    manifest = read_manifest(path)
    fingerprint = manifest.get("fingerprint", {})
    every = int(fingerprint.get("timeseries_every", 0))
    if manifest.get("model", "alliance") == "alliance":
        scenario = manifest.get("scenario")
        if scenario is None:
            raise StoreError(path, "the manifest holds no scenario")
        source = f"{os.fspath(path)}/manifest.json"
        return ModelTarget(
            kind="alliance",
            ref=SIMULATE_REF,
            base_dir=manifest.get("base_dir"),
            spec=ScenarioSpec.from_dict(scenario, source=source),
            record_every=every,
        )
    names = [name for name in read_design(path).columns if name not in DESIGN_COLUMNS]
    scenario = fingerprint.get("scenario")
    return other_target(
        manifest["model"], names, scenario if isinstance(scenario, str) else None,
        manifest.get("base_dir"), every, fingerprint.get("horizon"),
    )  # fmt: skip


def _row_differences(stored: dict[str, Any], output: RunOutput, params: set[str]) -> list[str]:
    fresh = {"status": output.status, "error": output.error, **output.outcomes}
    skip = {*DESIGN_COLUMNS, "duration_s", *params}
    found = [
        f"{name}: stored {value!r}, now {fresh.get(name)!r}"
        for name, value in stored.items()
        if name not in skip and not same_value(value, fresh.get(name))
    ]
    found += [
        f"{name}: not stored, now {fresh[name]!r}"
        for name in fresh
        if name not in stored and fresh[name] is not None
    ]
    return found


def _crisis_differences(path: str | os.PathLike[str], output: RunOutput) -> list[str]:
    crises = read_table(path, "crises", filter=pc.field("run_id") == output.run_id)
    stored = sorted(crises.to_pylist(), key=lambda row: row["episode"]) if crises.num_rows else []
    if len(stored) != len(output.crises):
        return [f"crises: stored {len(stored)}, now {len(output.crises)}"]
    found = []
    for row, episode in zip(stored, output.crises, strict=True):
        for name, value in row.items():
            if name not in ("run_id", "episode") and not same_value(value, episode.get(name)):
                now = episode.get(name)
                found.append(f"crisis {row['episode']} {name}: stored {value!r}, now {now!r}")
    return found


def _series_differences(path: str | os.PathLike[str], output: RunOutput) -> list[str]:
    series = read_table(path, "timeseries", filter=pc.field("run_id") == output.run_id)
    fresh = output.series or {}
    if not (series.num_rows or fresh):
        return []
    length = len(next(iter(fresh.values()))) if fresh else 0
    if series.num_rows != length:
        return [f"timeseries: stored {series.num_rows} rows, now {length}"]
    found = []
    for name in series.column_names:
        if name == "run_id":
            continue
        values = fresh.get(name)
        stored = series.column(name).to_numpy(zero_copy_only=False)
        if values is None or not same_array(stored, np.asarray(values)):
            found.append(f"timeseries {name} differs")
    return found


def replay(path: str | os.PathLike[str], run_id: str) -> ReplayResult:
    """Rerun one stored run and check it reproduces its stored row, crises and series.

    Raises:
        StoreError: ``path`` is not a store or holds no run ``run_id``.
    """
    target = replay_target(path)
    design = read_design(path)
    check_store_parts([Path(path)], read_manifest(path))
    if not (design["run_id"] == run_id).any():
        raise StoreError(path, f"no run {run_id!r} in the design")
    runs = read_table(path, "runs", filter=pc.field("run_id") == run_id)
    if runs.num_rows == 0:
        raise StoreError(path, f"run {run_id!r} has not run yet")
    stored = runs.to_pylist()[-1]
    params = {name: stored[name] for name in design.columns if name not in DESIGN_COLUMNS}
    output = run_one(target, RunTask(run_id, int(stored["seed"]), tuple(params.items())))
    differences = [
        *_row_differences(stored, output, set(params)),
        *_crisis_differences(path, output),
        *_series_differences(path, output),
    ]
    return ReplayResult(run_id, not differences, differences)
