"""End to end, per design method: experiment file -> real sweep -> store -> analysis -> report.

Each method's tiny experiment (the baseline alliance over 24 months) runs through
:func:`sim.sweeps.run.sweep` into a real results store, written by the store's own
writer; the analysis and the report then read that store. The shock rate is one of
the swept parameters, so that survival and lifetime vary across design points.
"""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim import analysis
from sim.analysis import SensitivityError, SensitivityWarning
from sim.figures.labels import axis_label
from sim.figures.report import slug, write_report
from sim.store import store_status
from sim.sweeps.run import sweep

HORIZON = 24
REPLICATIONS = 2
RANGES = {
    "leadership.relationships": (0.0, 1.0),
    "leadership.sense_making": (0.0, 1.0),
    "shocks.rate": (0.0, 0.5),
}
GRID = {"leadership.relationships": [0.2, 0.8], "shocks.rate": [0.0, 0.5]}
SAMPLES = {"lhs": 8, "sobol": 4, "morris": 3}
PLANNED = {
    "grid": 2 * 2 * REPLICATIONS,
    "lhs": 8 * REPLICATIONS,
    "sobol": 4 * (len(RANGES) + 2) * REPLICATIONS,  # N (D + 2) points, first order
    "morris": 3 * (len(RANGES) + 1) * REPLICATIONS,  # r (D + 1) points
}
"""Planned runs of each method's experiment, counted by hand."""
COLUMNS = {
    "sobol": ["S1", "S1_conf", "ST", "ST_conf"],
    "morris": ["mu", "mu_star", "mu_star_conf", "sigma"],
}


def experiment_text(method: str) -> str:
    """The tiny experiment of one design method."""
    head = [
        f'name = "e2e-{method}"',
        f'description = "End-to-end test of the {method} design."',
        'scenario = "baseline"',
        f"horizon = {HORIZON}",
        f"replications = {REPLICATIONS}",
        "seed = 17",
        "[design]",
        f'method = "{method}"',
    ]
    if method in SAMPLES:
        head.append(f"samples = {SAMPLES[method]}")
    head.append("[parameters]")
    if method == "grid":
        head += [f'"{key}" = {values}' for key, values in GRID.items()]
    else:
        head += [f'"{key}" = {{ min = {lo}, max = {hi} }}' for key, (lo, hi) in RANGES.items()]
    head += ["[output]", "timeseries_every = 6"]
    return "\n".join(head) + "\n"


def swept(method: str) -> list[str]:
    return list(GRID if method == "grid" else RANGES)


@pytest.fixture(scope="module", params=list(PLANNED))
def design_store(request, tmp_path_factory):
    """``(method, store folder, sweep result)`` of one method's experiment, swept once."""
    method = request.param
    folder = tmp_path_factory.mktemp(method)
    path = folder / f"{method}.toml"
    path.write_text(experiment_text(method), encoding="utf-8")
    result = sweep(path, out=folder / "store", executor="serial", progress=False)
    return method, folder / "store", result


def _sample_outputs(store: Path, outcome: str) -> tuple[dict, np.ndarray, np.ndarray]:
    """The SALib problem, X and Y read straight from the store's files (not sim.analysis)."""
    manifest = json.loads((store / "manifest.json").read_text(encoding="utf-8"))
    problem = manifest["design"]["problem"]
    problem = {"num_vars": len(problem["names"]), **problem}
    sample = pd.read_parquet(store / "sample.parquet").sort_values("row")
    runs = pd.read_parquet(store / "runs")
    means = runs.groupby("point_id")[outcome].mean()
    y = sample["point_id"].map(means).to_numpy(dtype=float)
    return problem, sample[problem["names"]].to_numpy(dtype=float), y


def test_sweep_plans_and_stores_every_run(design_store):
    method, store, result = design_store
    planned = PLANNED[method]
    assert result.complete
    assert (result.planned, result.done, result.ran) == (planned, planned, planned)
    assert (result.failed, result.pending) == (0, 0)
    res = analysis.load(store)
    assert res.method == method
    assert len(res.design) == planned == res.manifest["design"]["planned_runs"]
    assert res.design["run_id"].is_unique
    assert res.design.groupby("point_id").size().eq(REPLICATIONS).all()
    assert sorted(res.runs["run_id"]) == sorted(res.design["run_id"])
    assert set(res.runs["status"]) == {"ok"} and len(res.ok) == planned
    assert res.parameters == swept(method) and not res.partial
    status = store_status(store)
    assert (status.planned, status.done, status.failed, status.pending) == (planned, planned, 0, 0)
    assert (status.duplicates, status.unplanned) == (0, 0)
    assert (res.runs["lifetime"] <= HORIZON).all()
    assert res.runs["survived"].eq(res.runs["lifetime"] == HORIZON).all()
    for name in swept(method):
        low, high = RANGES[name]
        assert res.design[name].between(low, high).all(), name
    if method == "grid":
        points = res.design.drop_duplicates("point_id")
        pairs = {tuple(row) for row in points[list(GRID)].itertuples(index=False)}
        assert pairs == {
            (a, b) for a in GRID["leadership.relationships"] for b in GRID["shocks.rate"]
        }
    else:
        assert res.sample is not None and len(res.sample) == planned // REPLICATIONS
        by_point = res.design.drop_duplicates("point_id").set_index("point_id")
        for _, row in res.sample.iterrows():
            for name in RANGES:
                assert by_point.loc[row["point_id"], name] == pytest.approx(row[name]), name


@pytest.mark.parametrize("outcome", ["survived", "lifetime"])
def test_sensitivity_on_the_real_store(design_store, outcome):
    method, store, _ = design_store
    if method in ("grid", "lhs"):
        with pytest.raises(SensitivityError, match=f"a {method} design has no sensitivity"):
            analysis.sensitivity(store, outcome)
        return
    problem, x, y = _sample_outputs(store, outcome)
    assert np.isfinite(y).all() and y.std() > 0  # the outcome varies across points
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SensitivityWarning)  # tiny samples: unstable indices
        indices = analysis.sensitivity(store, outcome)
    assert sorted(indices["parameter"]) == sorted(RANGES)
    assert list(indices.columns) == ["parameter", *COLUMNS[method]]
    assert np.isfinite(indices[COLUMNS[method]].to_numpy(dtype=float)).all(), indices
    indices = indices.set_index("parameter")
    if method == "sobol":
        from SALib.analyze import sobol

        direct = sobol.analyze(
            problem, y, calc_second_order=False, num_resamples=1000, conf_level=0.95, seed=1
        )
    else:
        from SALib.analyze import morris

        direct = morris.analyze(
            problem, x, y, num_resamples=1000, conf_level=0.95, num_levels=4, seed=1
        )
    for i, name in enumerate(problem["names"]):
        for key in COLUMNS[method]:
            assert indices.loc[name, key] == pytest.approx(direct[key][i], abs=1e-12), (name, key)
    ranked = indices["ST" if method == "sobol" else "mu_star"]
    assert ranked.is_monotonic_decreasing  # the most influential first


def test_survival_and_outcome_profiles_on_the_real_store(design_store):
    method, store, _ = design_store
    res = analysis.load(store)
    ok = res.ok
    by = "shocks.rate"
    km = analysis.kaplan_meier(res, by)
    levels = analysis.levels(ok, by)
    assert set(km["level"]) == {str(level) for level in levels.cat.categories}
    for level, curve in km.groupby("level"):
        curve = curve.sort_values("time")
        members = ok[(levels == level).to_numpy()]
        assert curve["survival"].iloc[0] == 1.0
        assert curve["survival"].is_monotonic_decreasing
        assert curve["at_risk"].iloc[0] == len(members)
        # every run is censored at the horizon only: S(horizon) is the share surviving
        assert curve["survival"].iloc[-1] == pytest.approx(members["survived"].mean())
    profile = analysis.outcome_profile(res, "leadership.relationships")
    rel_levels = analysis.levels(ok, "leadership.relationships")
    for level, part in profile.groupby("level"):
        members = ok[(rel_levels == level).to_numpy()]
        counts = members["outcome"].value_counts()
        assert part.set_index("outcome")["count"].to_dict() == {
            name: int(counts.get(name, 0)) for name in analysis.OUTCOMES
        }
        assert part["share"].sum() == pytest.approx(1.0)
    if method == "grid":
        calm = km[km["level"] == "0"]["survival"].iloc[-1]
        stormy = km[km["level"] == "0.5"]["survival"].iloc[-1]
        assert calm > stormy  # crises every other month end alliances


def test_report_on_the_real_store(design_store):
    method, store, _ = design_store
    planned = PLANNED[method]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SensitivityWarning)
        report = write_report(store, formats=("svg",))
    assert report == store / "report.md"
    text = report.read_text(encoding="utf-8")
    assert text.startswith(f"# e2e-{method}\n")
    assert f"| runs | {planned} planned, {planned} done, 0 failed, 0 pending |" in text
    assert "Partial results" not in text
    assert f"{planned} finished runs" in text
    assert re.search(r"\| scenario \| baseline, horizon \d+ months \|", text)
    for name in swept(method):
        assert (store / "figures" / f"survival_{slug(name)}.svg").is_file(), name
    assert ("## Sensitivity" in text) == (method in ("sobol", "morris"))
    if method in ("sobol", "morris"):
        assert f"### {axis_label('survived')}" in text  # "Survived to the horizon (...)"
        assert (store / "figures" / "sensitivity_survived.svg").is_file()
    links = re.findall(r"\]\((figures/[^)]+)\)", text)
    assert links and all((store / link).is_file() for link in links)
    figures = store / "figures"
    assert not list(figures.glob("*.pdf")) and not list(figures.glob("*.png"))
