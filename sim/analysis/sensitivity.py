"""Sensitivity indices from Sobol and Morris stores, through SALib."""

from __future__ import annotations

import os
import warnings
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.levels import _as_results
from sim.experiment import morris, sobol
from sim.names import DESIGN_COLUMNS, OUTCOMES
from sim.store.reader import Results


class SensitivityError(ValueError):
    """Sensitivity indices cannot be computed from the store as asked."""


class SensitivityWarning(UserWarning):
    """The sample is too small for stable sensitivity indices."""


def _outcome_values(runs: pd.DataFrame, outcome: str) -> pd.Series:
    if outcome in runs.columns:
        column = runs[outcome]
        if pd.api.types.is_bool_dtype(column) or pd.api.types.is_numeric_dtype(column):
            return column.astype(float)
        raise SensitivityError(f"outcome {outcome!r} is not a numeric column")
    if "outcome" in runs.columns and outcome in OUTCOMES:
        return (runs["outcome"] == outcome).astype(float)
    numeric = [
        c
        for c in runs.columns
        if c not in DESIGN_COLUMNS
        and (pd.api.types.is_numeric_dtype(runs[c]) or pd.api.types.is_bool_dtype(runs[c]))
    ]
    raise SensitivityError(
        f"no outcome {outcome!r} in the runs (numeric columns: {', '.join(numeric)};"
        f" or an outcome class: {', '.join(OUTCOMES)})"
    )


def _point_outcomes(res: Results, outcome: str, drop_failed: bool) -> pd.Series:
    """Mean outcome over replicates per point id."""
    failed = res.failed_ids
    if failed and not drop_failed:
        shown = ", ".join(failed[:10]) + (
            f" and {len(failed) - 10} more" if len(failed) > 10 else ""
        )
        raise SensitivityError(
            f"{res.path}: {len(failed)} failed runs ({shown}); rerun them "
            "(sweep --retry-failed) or pass drop_failed=True"
        )
    frame = _outcome_frame(res, outcome)
    return frame.groupby("point_id")["y"].mean()


def _outcome_frame(res: Results, outcome: str) -> pd.DataFrame:
    """The ok runs' ``point_id``, ``replicate`` and outcome ``y``."""
    ok = res.ok
    if ok.empty:
        raise SensitivityError(f"{res.path}: no finished runs")
    values = _outcome_values(ok, outcome)
    design = res.design.set_index("run_id")
    keys = {}
    for key in ("point_id", "replicate"):
        column = ok[key] if key in ok.columns else ok["run_id"].map(design[key])
        keys[key] = column.to_numpy()
    frame = pd.DataFrame({**keys, "y": values.to_numpy()})
    frame["point_id"] = frame["point_id"].astype(str)
    return frame


def outcome_matrix(res: Results, outcome: str) -> pd.DataFrame:
    """The outcome of each ok run: one row per point id, one column per replicate (NaN
    where a replicate is not stored, failed, or has no value)."""
    frame = _outcome_frame(res, outcome)
    return frame.pivot_table(index="point_id", columns="replicate", values="y", dropna=False)


def _group_size(res: Results, parameters: int) -> int:
    """Sample rows compared with each other: a Sobol base row's block, a Morris trajectory."""
    if res.method == "sobol":
        second = bool((res.manifest.get("design") or {}).get("second_order", False))
        return sobol.count(1, parameters, second)
    return morris.count(1, parameters)


def _common_replicates(
    res: Results, outcome: str, point_ids: pd.Series, y: np.ndarray, size: int
) -> np.ndarray:
    """``y`` with each group of ``size`` sample rows whose points hold different replicates
    (an adaptive sweep, or failed runs dropped) averaged over the replicates they share.

    With common random numbers, replicate r of every point meets the same crises; SALib
    compares the points of a group with each other, so they must be paired on the same
    replicates. Groups whose points hold the same replicates keep their plain means.
    """
    matrix = outcome_matrix(res, outcome)
    if len(point_ids) % size or not matrix.isna().to_numpy().any():
        return y
    ids = point_ids.astype(str).to_numpy()
    known = np.isin(ids, matrix.index)
    if not known.all():
        return y  # points without runs: refused by the caller
    held = matrix.notna().loc[ids].to_numpy().reshape(len(ids) // size, size, -1)
    values = matrix.loc[ids].to_numpy().reshape(held.shape)
    y = y.copy()
    for group in np.flatnonzero((held != held[:, :1, :]).any(axis=(1, 2))):
        common = held[group].all(axis=0)
        rows = slice(group * size, (group + 1) * size)
        y[rows] = values[group][:, common].mean(axis=1) if common.any() else np.nan
    return y


def _problem(res: Results) -> dict[str, Any]:
    problem = (res.manifest.get("design") or {}).get("problem")
    if not problem or "names" not in problem or "bounds" not in problem:
        raise SensitivityError(f"{res.path}: the manifest's design has no SALib problem")
    return {
        "num_vars": len(problem["names"]),
        "names": list(problem["names"]),
        "bounds": [list(b) for b in problem["bounds"]],
    }


def _sample_outputs(
    res: Results, outcome: str, drop_failed: bool
) -> tuple[dict[str, Any], np.ndarray, np.ndarray]:
    """The SALib problem, the sample matrix X and the outputs Y in the sampler's order."""
    if res.method not in ("sobol", "morris"):
        raise SensitivityError(
            f"{res.path}: a {res.method} design has no sensitivity indices (use sobol or morris)"
        )
    if res.sample is None:
        raise SensitivityError(f"{res.path}: no sample.parquet (the sampler's row order)")
    problem = _problem(res)
    sample = res.sample.sort_values("row") if "row" in res.sample.columns else res.sample
    missing = [n for n in problem["names"] if n not in sample.columns]
    if missing:
        raise SensitivityError(f"{res.path}: sample.parquet lacks {', '.join(missing)}")
    means = _point_outcomes(res, outcome, drop_failed)
    y = sample["point_id"].astype(str).map(means).to_numpy(dtype=float)
    size = _group_size(res, len(problem["names"]))
    y = _common_replicates(res, outcome, sample["point_id"], y, size)
    if np.isnan(y).any():
        absent = sample.loc[np.isnan(y), "point_id"].astype(str).unique()
        raise SensitivityError(
            f"{res.path}: {len(absent)} of {sample['point_id'].nunique()} design points have "
            f"no value of {outcome!r} (pending or failed runs, or missing values), "
            f"e.g. {', '.join(absent[:3])}; complete the sweep first"
        )
    x = sample[problem["names"]].to_numpy(dtype=float)
    return problem, x, y


def _warn_unstable(frame: pd.DataFrame, pairs: list[tuple[str, str]], outcome: str) -> None:
    problems = []
    for index, conf in pairs:
        values = frame[index].to_numpy(dtype=float)
        confs = frame[conf].to_numpy(dtype=float)
        scale = max(float(np.nanmax(np.abs(values))) if values.size else 0.0, 1e-12)
        negative = frame.loc[values < -0.01 * max(scale, 1.0), "parameter"].tolist()
        wide = frame.loc[(confs > np.abs(values)) & (np.abs(values) > 0.05 * scale), "parameter"]
        if negative:
            problems.append(f"negative {index} for {', '.join(map(str, negative))}")
        if len(wide):
            problems.append(f"{conf} wider than {index} for {', '.join(map(str, wide))}")
    if problems:
        warnings.warn(
            f"sensitivity of {outcome!r}: the sample looks too small for stable indices ("
            + "; ".join(problems)
            + "); use more samples or replicates",
            SensitivityWarning,
            stacklevel=3,
        )


def sensitivity(
    source: Results | str | os.PathLike[str],
    outcome: str = "survived",
    *,
    drop_failed: bool = False,
    num_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 1,
) -> pd.DataFrame:
    """Sensitivity indices of ``outcome`` from a Sobol or Morris store (SALib).

    The outcome at a design point is its mean over replicates; points compared with
    each other (a Sobol block, a Morris trajectory) that hold different replicates (an
    adaptive sweep, failed runs dropped) are averaged over the replicates they all hold,
    so that they stay paired under common random numbers. ``outcome`` is any
    numeric or boolean column of the runs (``survived``, ``lifetime``,
    ``final_performance``...) or an outcome class name (its share).

    Args:
        source: a store folder or loaded results.
        outcome: the outcome column or class.
        drop_failed: average over the ok replicates instead of refusing on failed runs.
        num_resamples: bootstrap resamples for the confidence intervals.
        confidence: level of the intervals.
        seed: seed of the bootstrap, so that the intervals are reproducible (0 counts as 1).

    Returns:
        Sobol: ``parameter``, ``S1``, ``S1_conf``, ``ST``, ``ST_conf``, sorted by ``ST``.
        Morris: ``parameter``, ``mu``, ``mu_star``, ``mu_star_conf``, ``sigma``, sorted
        by ``mu_star``.

    Raises:
        SensitivityError: not a Sobol/Morris store, failed runs (their ids named),
            or points without results.

    Warns:
        SensitivityWarning: negative indices or intervals wider than the index.
    """
    res = _as_results(source)
    problem, x, y = _sample_outputs(res, outcome, drop_failed)
    design = res.manifest.get("design") or {}
    options: dict[str, Any] = {
        "num_resamples": num_resamples,
        "confidence": confidence,
        "seed": seed,
    }
    if res.method == "sobol":
        second = bool(design.get("second_order", False))
        result = sobol.analyze(problem, y, second, **options)
        columns, pairs = ("S1", "S1_conf", "ST", "ST_conf"), [("S1", "S1_conf"), ("ST", "ST_conf")]
    else:
        levels_ = int(design.get("num_levels") or 4)
        result = morris.analyze(problem, x, y, levels_, **options)
        columns, pairs = ("mu", "mu_star", "mu_star_conf", "sigma"), [("mu_star", "mu_star_conf")]
    frame = pd.DataFrame({"parameter": problem["names"]})
    for column in columns:
        frame[column] = np.asarray(result[column], dtype=float)
    key = pairs[-1][0]
    frame = frame.sort_values(key, ascending=False, kind="stable").reset_index(drop=True)
    _warn_unstable(frame, pairs, outcome)
    return frame


def sensitivity_pairs(
    source: Results | str | os.PathLike[str],
    outcome: str = "survived",
    *,
    drop_failed: bool = False,
    num_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 1,
) -> pd.DataFrame:
    """Second-order Sobol indices (the experiment needs ``second_order = true``).

    Returns:
        Columns ``parameter_a``, ``parameter_b``, ``S2``, ``S2_conf``, one row per pair.
    """
    res = _as_results(source)
    if res.method != "sobol" or not (res.manifest.get("design") or {}).get("second_order"):
        raise SensitivityError(
            f"{res.path}: second-order indices need a sobol design with second_order = true"
        )
    problem, _, y = _sample_outputs(res, outcome, drop_failed)
    result = sobol.analyze(
        problem, y, True, num_resamples=num_resamples, confidence=confidence, seed=seed
    )
    names = problem["names"]
    rows = [
        {
            "parameter_a": names[i],
            "parameter_b": names[j],
            "S2": float(result["S2"][i, j]),
            "S2_conf": float(result["S2_conf"][i, j]),
        }
        for i in range(len(names))
        for j in range(i + 1, len(names))
    ]
    return pd.DataFrame(rows, columns=["parameter_a", "parameter_b", "S2", "S2_conf"])
