"""Calibration by approximate Bayesian computation: the [calibration] table, the statistics,
the ABC-SMC arithmetic, the store, the command, reproducibility, restarts and coverage."""

from __future__ import annotations

import json
import math
import os
import shutil
import signal
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.calibration.posterior import posterior_overrides
from sim.calibration.run import batch_size, calibrate
from sim.calibration.smc import (
    Kernel,
    Population,
    from_prior,
    importance_weights,
    inside,
    next_tolerance,
    weighted_quantile,
)
from sim.calibration.statistics import evaluate, parse_statistic
from sim.cli import main
from sim.experiment import load_experiment, parse_experiment, run_seed
from sim.experiment.calibration import alliance_run_columns
from sim.experiment.seeds import candidate_seeds, proposal_generator
from sim.experiment.spec import ExperimentError
from sim.scenario import load_file, load_preset
from sim.store import faults
from sim.store.calibration import load_calibration

ROOT = Path(__file__).resolve().parent.parent
MODELS = Path(__file__).resolve().parent / "calibration_models.py"
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}

TINY = """
name = "tiny"
scenario = "baseline"
seed = 3
[calibration]
replications = 5
population = 8
generations = 3
predictive = 4
[calibration.parameters]
"constants.exit_tolerance" = { min = 0.25, max = 0.55 }
"constants.blame_base" = { min = 0.05, max = 0.45, log = true }
[calibration.statistics]
failure = "failure_share"
collapse_lifetime = "median_collapse_lifetime"
[calibration.observed]
failure = { value = 0.45, scale = 0.05 }
collapse_lifetime = { range = [60, 108] }
"""
"""A tiny calibration of the alliance model (about 300 runs)."""


def toy(name: str = "toy", model: str = "normal", **calibration: object) -> str:
    """A calibration of ``Normal(mu, sigma)`` (truly 1 and 2) against the mean and spread of
    40 draws; ``calibration`` adds to (or replaces) keys of its ``[calibration]`` table."""
    mean, sd = observed(1.0, 2.0, 40, 11)
    table = {"replications": 40, "population": 20, "generations": 2, "predictive": 5}
    table.update(calibration)
    lines = "\n".join(f"{key} = {json.dumps(value)}" for key, value in table.items())
    return f"""
name = "{name}"
model = "{MODELS}:{model}"
seed = 5
[calibration]
{lines}
[calibration.parameters]
mu = {{ min = -5, max = 5 }}
sigma = {{ min = 0.5, max = 4, log = true }}
[calibration.statistics]
mean = "mean:x"
sd = "{MODELS}:spread"
[calibration.observed]
mean = {{ value = {mean!r}, scale = 0.3 }}
sd = {{ value = {sd!r}, scale = 0.3 }}
"""


def observed(mu: float, sigma: float, runs: int, seed: int) -> tuple[float, float]:
    """The observed mean and spread of ``runs`` draws (``calibration_models.observed``)."""
    from sim.experiment.models import resolve_model

    return resolve_model(f"{MODELS}:observed")(mu, sigma, runs, seed)


def tables(store: Path) -> dict[str, pd.DataFrame]:
    """A calibration store's tables, timings aside."""
    res = load_calibration(store)
    return {
        "candidates": res.candidates.drop(columns="duration_s"),
        "particles": res.particles,
        "generations": res.generations,
        "predictive": res.predictive.drop(columns="duration_s"),
        "posterior": pd.DataFrame({"text": [res.posterior]}),
    }


def assert_same(a: Path, b: Path) -> None:
    left, right = tables(a), tables(b)
    for name in left:
        pd.testing.assert_frame_equal(left[name], right[name], check_exact=True, obj=name)


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "sim", *args]


# -- statistics ------------------------------------------------------------------------------

RUNS = pd.DataFrame(
    {
        "survived": [True, False, False, True, False],
        "outcome": ["recovery", "collapse", "collapse", "degraded", "fragmentation"],
        "lifetime": [180, 60, 90, 180, 150],
        "a": [1.0, 2.0, 3.0, 4.0, 5.0],
        "b": [2.0, 1.0, 4.0, 3.0, 6.0],
    }
)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("survival_share", 0.4),
        ("failure_share", 0.8),
        ("collapse_share", 0.4),
        ("share:degraded", 0.2),
        ("share:transformation", 0.0),
        ("median_collapse_lifetime", 75.0),
        ("mean:lifetime", 132.0),
        ("median:a", 3.0),
        ("sd:a", float(np.std([1, 2, 3, 4, 5], ddof=1))),
        ("spearman:a:b", 0.8),
        (f"{MODELS}:spread", 0.0),
    ],
)
def test_each_statistic_gives_its_value(text, value):
    runs = RUNS.assign(x=1.0)
    assert evaluate(parse_statistic(text), runs) == pytest.approx(value)


def test_a_statistic_that_cannot_be_computed_is_nan():
    never = RUNS[RUNS["outcome"] != "collapse"]
    assert math.isnan(evaluate(parse_statistic("median_collapse_lifetime"), never))
    assert math.isnan(evaluate(parse_statistic("spearman:a:b"), RUNS.assign(a=1.0)))
    assert math.isnan(evaluate(parse_statistic("survival_share"), RUNS.iloc[:0]))
    with pytest.raises(KeyError, match="no run column 'nope'"):
        evaluate(parse_statistic("mean:nope"), RUNS)


@pytest.mark.parametrize("text", ["share", "spearman:a", "mean:", "nonsense", "a:b:c"])
def test_a_malformed_statistic_is_refused(text):
    with pytest.raises(ValueError):
        parse_statistic(text)


def test_the_alliance_run_columns_are_a_runs_outcomes():
    from sim import simulate
    from sim.sweeps.runner import normalize_result

    outcomes, _, _ = normalize_result(simulate("baseline", rng=1))
    assert set(alliance_run_columns()) == set(outcomes)


# -- the arithmetic ------------------------------------------------------------------------


def test_weighted_quantiles_and_the_tolerance():
    values = np.array([3.0, 1.0, 2.0, 4.0])
    assert weighted_quantile(values, np.full(4, 0.25), 0.5) == 2.0
    assert weighted_quantile(values, np.array([0.1, 0.1, 0.1, 0.7]), 0.5) == 4.0
    population = Population(np.zeros((4, 1)), np.full(4, 0.25), values, np.arange(4))
    assert next_tolerance(population, 0.5, 0.0) == 2.0
    assert next_tolerance(population, 0.5, 2.5) == 2.5  # never below the final tolerance


def test_proposals_stay_inside_the_prior_and_weights_follow_beaumont():
    bounds = np.array([[0.0, 1.0], [-2.0, 2.0]])
    rng = np.random.default_rng(1)
    z = np.array([from_prior(rng, bounds).z for _ in range(50)])
    assert all(inside(row, bounds) for row in z)
    previous = Population(z, np.full(50, 1 / 50), np.zeros(50), np.arange(50))
    kernel = Kernel(previous, bounds)
    np.testing.assert_allclose(kernel.covariance, 2 * np.cov(z, rowvar=False), rtol=1e-9)
    proposals = [kernel.propose(np.random.default_rng(k), bounds) for k in range(200)]
    assert all(p.z is not None and inside(p.z, bounds) for p in proposals)
    moved = np.array([p.z for p in proposals[:5]])
    from scipy import stats

    mixture = np.array(
        [
            np.mean([stats.multivariate_normal(c, kernel.covariance).pdf(x) for c in z])
            for x in moved
        ]
    )
    expected = (1 / mixture) / (1 / mixture).sum()
    np.testing.assert_allclose(importance_weights(moved, kernel), expected, rtol=1e-9)
    np.testing.assert_allclose(importance_weights(moved, None), np.full(5, 0.2))


def test_batches_follow_the_acceptance_rate():
    assert batch_size(100, 0, 0) == 100
    assert batch_size(100, 50, 100) == 110
    assert batch_size(100, 95, 100) == 10  # at least a tenth of a population
    assert batch_size(100, 0, 100) == 11000  # nothing accepted yet: one per candidate


def test_calibration_seeds_are_their_own_stream():
    seeds = [s for g in range(3) for k in range(20) for s in candidate_seeds(0, g, k, 5)]
    sweep = {run_seed(0, r) for r in range(1000)} | {
        run_seed(0, r, "00000000fffffffe") for r in range(5)
    }
    assert len(set(seeds)) == len(seeds) and not set(seeds) & sweep
    first = proposal_generator(0, 1, 2).random(3)
    np.testing.assert_array_equal(first, proposal_generator(0, 1, 2).random(3))
    assert not np.array_equal(first, proposal_generator(0, 1, 3).random(3))


# -- the experiment file -------------------------------------------------------------------

CALIBRATION = TINY.split("[calibration]")[1]
HEAD = 'name = "bad"\nscenario = "baseline"\n'


def _swap(old: str, new: str) -> str:
    assert old in TINY, old
    return TINY.replace(old, new)


BAD = [
    (HEAD + "[calibration]\nreplications = 3", "calibration.parameters: required"),
    (
        _swap("population = 8", "population = 8\nsamples = 3"),
        "calibration.samples: applies to rejection only",
    ),
    (
        _swap("replications = 5", 'replications = 5\nmethod = "mcmc"'),
        "calibration.method: unknown method 'mcmc'",
    ),
    (_swap("generations = 3\n", ""), "calibration.generations: required by abc-smc"),
    (
        _swap("min = 0.25, max = 0.55", "min = 0.55, max = 0.25"),
        "calibration.parameters.constants.exit_tolerance: min (0.55) must be below",
    ),
    (
        _swap("min = 0.25, max = 0.55", "min = 0.25, max = 9"),
        "calibration.parameters.constants.exit_tolerance: 9 is out of range",
    ),
    (
        _swap("min = 0.05, max = 0.45, log = true", "min = 0, max = 0.45, log = true"),
        "calibration.parameters.constants.blame_base.min: a log-uniform prior needs min > 0",
    ),
    (
        _swap('"constants.exit_tolerance"', '"alliance.members"'),
        "calibration.parameters.alliance.members: a whole-number parameter",
    ),
    (
        _swap('"constants.exit_tolerance"', '"constants.no_such"'),
        "calibration.parameters.constants.no_such: unknown constant",
    ),
    (
        _swap('"failure_share"', '"share:triumph"'),
        "calibration.statistics.failure: unknown outcome class 'triumph'",
    ),
    (
        _swap('"failure_share"', '"mean:nope"'),
        "calibration.statistics.failure: no run column 'nope'",
    ),
    (
        _swap('"failure_share"', '"median_of_everything"'),
        "calibration.statistics.failure: unknown statistic",
    ),
    (
        _swap('"failure_share"', '"nowhere_module_x:f"'),
        "calibration.statistics.failure: cannot import nowhere_module_x:f",
    ),
    (
        _swap("failure = { value = 0.45, scale = 0.05 }", "failure = { value = 0.45 }"),
        "calibration.observed.failure.scale: required with a value",
    ),
    (
        _swap("failure = { value = 0.45, scale = 0.05 }", "failure = { value = 0.45, scale = 0 }"),
        "calibration.observed.failure.scale: must be above 0",
    ),
    (
        _swap("failure = { value = 0.45, scale = 0.05 }", ""),
        "calibration.observed.failure: missing",
    ),
    (
        _swap("[60, 108]", "[108, 60]"),
        "calibration.observed.collapse_lifetime.range: LO (108) must be below HI (60)",
    ),
    (
        _swap("[calibration.observed]", "[calibration.observed]\nextra = { value = 1, scale = 1 }"),
        "calibration.observed.extra: not a statistic",
    ),
    (
        _swap('collapse_lifetime = "median', 'seed = "median'),
        "calibration.statistics.seed: unusable as a statistic's name",
    ),
    (_swap("replications = 5", "replications = 0"), "calibration.replications: 0 is out of range"),
    (
        _swap("replications = 5", "quantile = 1.0"),
        "calibration.quantile: must lie strictly between 0 and 1",
    ),
    (
        _swap("replications = 5", 'distance = "manhattan"'),
        "calibration.distance: unknown distance 'manhattan'",
    ),
    (
        _swap("[calibration]", "[design]\nmethod = 'lhs'\n[calibration]"),
        "design: not used by a calibration",
    ),
    (_swap("seed = 3", "seed = 3\nreplications = 4"), "replications: not used by a calibration"),
    (
        _swap(
            "[calibration]", "[precision]\noutcome = 'survived'\nhalf_width = 0.1\n[calibration]"
        ),
        "precision: not used by a calibration",
    ),
    (
        _swap("seed = 3", "seed = 3\n[parameters]\n'leadership.relationships' = [0.1, 0.9]"),
        "parameters.leadership.relationships: a calibration's [parameters] holds fixed values",
    ),
    (
        _swap("seed = 3", "seed = 3\n[parameters]\n'constants.exit_tolerance' = 0.3"),
        "calibration.parameters.constants.exit_tolerance: also fixed under [parameters]",
    ),
    (_swap("[calibration]", "[calibration]\ncolour = 'red'"), "calibration.colour: unknown key"),
    (
        _swap('collapse_lifetime = "median', 'collapse_lifetime = 3\nx = "median'),
        "bad.toml: calibration.statistics.collapse_lifetime: expected a string, got int",
    ),
    (
        _swap("population = 8", "population = 1000000"),
        "calibration.population: 1000000 is out of range [2, 500000]",
    ),
    (
        _swap("replications = 5", 'method = "rejection"\nreplications = 5'),
        "calibration.population: applies to abc-smc only",
    ),
]


@pytest.mark.parametrize(
    ("text", "message"), BAD, ids=[m.split(":")[0] + str(i) for i, (_, m) in enumerate(BAD)]
)
def test_a_bad_calibration_table_is_one_line_naming_the_key(text, message, tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ExperimentError) as caught:
        load_experiment(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert message in str(caught.value) and "\n" not in str(caught.value)
    assert str(caught.value).count(str(path)) == 1


def test_a_rejection_table_and_another_models_parameters_validate(tmp_path):
    text = toy(method="rejection", samples=50, accept=0.1, replications=4)
    text = text.replace("population = 20\n", "").replace("generations = 2\n", "")
    experiment = parse_experiment(text, str(tmp_path / "toy.toml"))
    spec = experiment.calibration
    assert spec.method == "rejection" and spec.population == 5 and spec.samples == 50
    with pytest.raises(
        ExperimentError, match=r"calibration.parameters.tau: .*takes no such keyword"
    ):
        parse_experiment(toy().replace("sigma = {", "tau = {"), str(tmp_path / "toy.toml"))


def test_the_cli_refuses_bad_input_writing_nothing(tmp_path, capsys):
    path = tmp_path / "bad.toml"
    path.write_text(_swap("replications = 5", "replications = 0"), encoding="utf-8")
    assert main(["calibrate", str(path), "--out", str(tmp_path / "store")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "calibration.replications" in err
    assert not (tmp_path / "store").exists()


def test_sweep_and_calibrate_refuse_each_others_files(tmp_path, capsys):
    calibration = tmp_path / "cal.toml"
    calibration.write_text(TINY, encoding="utf-8")
    assert main(["sweep", str(calibration), "--out", str(tmp_path / "a")]) == 2
    assert (
        "calibration: makes this a calibration: run it with alliance-sim calibrate"
        in capsys.readouterr().err
    )
    assert main(["calibrate", "quickstart", "--out", str(tmp_path / "b")]) == 2
    assert "calibration: missing" in capsys.readouterr().err
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


# -- the command, the store and the report ----------------------------------------------------


@pytest.fixture(scope="module")
def tiny_store(tmp_path_factory):
    """The tiny calibration, run serially through the command line."""
    folder = tmp_path_factory.mktemp("tiny")
    path = folder / "tiny.toml"
    path.write_text(TINY, encoding="utf-8")
    code = main(
        [
            "calibrate",
            str(path),
            "--out",
            str(folder / "store"),
            "--executor",
            "serial",
            "--no-progress",
        ]
    )
    assert code == 0
    return folder / "store"


def test_a_tiny_calibration_fills_its_store(tiny_store):
    res = load_calibration(tiny_store)
    assert (
        res.manifest["kind"] == "calibration"
        and res.manifest["invocations"][0]["action"] == "calibrate"
    )
    generations = res.generations
    assert generations["generation"].tolist() == [0, 1, 2]
    assert (generations["accepted"] == 8).all() and math.isinf(generations["tolerance"].iloc[0])
    assert generations["tolerance"].iloc[2] < generations["tolerance"].iloc[1]
    for g, group in res.particles.groupby("generation"):
        assert group["weight"].sum() == pytest.approx(1.0)
        assert (group["distance"] <= generations["tolerance"].iloc[g]).all()
        chosen = res.candidates.set_index(["generation", "candidate"]).loc[
            [(g, c) for c in group["candidate"]]
        ]
        np.testing.assert_array_equal(chosen["distance"].to_numpy(), group["distance"].to_numpy())
    for prior in res.spec.priors:
        values = res.candidates[prior.name]
        assert values.between(prior.low, prior.high).all()
    assert len(res.predictive) == 4 and res.predictive["particle"].between(0, 7).all()
    assert not (tiny_store / "design.parquet").exists()


def test_the_posterior_snippet_loads_as_a_scenario(tiny_store):
    res = load_calibration(tiny_store)
    final = res.final
    from sim.calibration.smc import weighted_quantile

    medians = {
        p.name: weighted_quantile(final[p.name].to_numpy(), final["weight"].to_numpy(), 0.5)
        for p in res.spec.priors
    }
    snippet = load_file(tiny_store / "posterior.toml")
    for name, value in snippet.constants:
        assert value == pytest.approx(medians[f"constants.{name}"], rel=1e-5)
    overrides = posterior_overrides(tiny_store / "posterior.toml")
    assert set(overrides) == set(medians)
    spec = load_preset("baseline").with_overrides(overrides)
    assert spec.get("constants.exit_tolerance") == overrides["constants.exit_tolerance"]
    assert "[constants]" in res.posterior and tomllib.loads(res.posterior)


def test_the_report_of_a_calibration(tiny_store, capsys):
    assert main(["report", str(tiny_store), "--format", "png"]) == 0
    report = (tiny_store / "report.md").read_text(encoding="utf-8")
    for heading in (
        "## Posterior",
        "## Generations",
        "## Posterior predictive check",
        "## Provenance",
    ):
        assert heading in report
    for figure in ("posterior_marginals", "posterior_pairs", "posterior_predictive"):
        assert (tiny_store / "figures" / f"{figure}.png").is_file()
    assert "constants.exit_tolerance" in report and "log-uniform [0.05, 0.45]" in report
    assert main(["report", str(tiny_store), "--by", "x"]) == 2
    assert "--by" in capsys.readouterr().err


def test_a_finished_calibration_run_again_simulates_nothing(tiny_store, tmp_path, capsys):
    before = tables(tiny_store)
    copy = tmp_path / "again"
    shutil.copytree(tiny_store, copy)
    path = tmp_path / "tiny.toml"
    path.write_text(TINY, encoding="utf-8")
    assert main(["calibrate", str(path), "--out", str(copy), "--executor", "serial"]) == 0
    res = load_calibration(copy)
    stored = 5 * (len(res.candidates) + len(res.predictive))
    out = capsys.readouterr().out
    assert f"runs simulated: none by this call, {stored} read from the store" in out
    after = tables(copy)
    for name in before:
        pd.testing.assert_frame_equal(before[name], after[name], check_exact=True, obj=name)
    assert len(res.manifest["invocations"]) == 2


@pytest.mark.parametrize("executor", ["processes", "dask"])
def test_every_executor_gives_the_serial_posterior(executor, tiny_store, tmp_path):
    path = tmp_path / "tiny.toml"
    path.write_text(TINY, encoding="utf-8")
    result = calibrate(path, out=tmp_path / "store", executor=executor, workers=2, progress=False)
    res = load_calibration(tiny_store)
    assert result.complete and result.workers == 2 and result.executor == executor
    assert result.runs == 5 * (len(res.candidates) + len(res.predictive))
    assert_same(tiny_store, tmp_path / "store")


def test_a_store_is_refused_by_another_calibration_and_by_a_sweep(tiny_store, tmp_path, capsys):
    store = tmp_path / "store"
    shutil.copytree(tiny_store, store)
    other = tmp_path / "tiny.toml"
    other.write_text(TINY.replace("replications = 5", "replications = 6"), encoding="utf-8")
    assert main(["calibrate", str(other), "--out", str(store), "--executor", "serial"]) == 2
    assert "calibration.replications differs" in capsys.readouterr().err
    sweep_file = tmp_path / "sweep.toml"
    sweep_file.write_text('name = "tiny"\nreplications = 2\n[parameters]\nhorizon = [12]\n')
    assert main(["sweep", str(sweep_file), "--out", str(store), "--executor", "serial"]) == 2
    assert "holds a calibration, not a sweep's runs" in capsys.readouterr().err
    assert (
        main(["sweep", str(sweep_file), "--out", str(store), "--executor", "serial", "--force"])
        == 0
    )
    assert not (store / "calibration").exists() and not (store / "posterior.toml").exists()
    assert main(["calibrate", str(other), "--out", str(store), "--executor", "serial"]) == 2
    assert "holds a sweep's runs, not a calibration" in capsys.readouterr().err
    assert (
        main(["calibrate", str(other), "--out", str(store), "--executor", "serial", "--force"]) == 0
    )
    assert not (store / "design.parquet").exists() and not (store / "runs").exists()
    assert load_calibration(store).spec.replications == 6


# -- another model: the determinism check, failures, restarts -------------------------------


def test_another_models_statistic_needs_a_column_its_runs_have(tmp_path, capsys):
    path = tmp_path / "toy.toml"
    path.write_text(toy().replace('"mean:x"', '"mean:y"'), encoding="utf-8")
    assert main(["calibrate", str(path), "--out", str(tmp_path / "store")]) == 2
    err = capsys.readouterr().err.strip()
    assert "calibration.statistics.mean: no run column 'y' (the model's runs have: x)" in err
    assert not (tmp_path / "store").exists()


def test_a_generation_that_cannot_fill_stops_with_the_previous_one(tmp_path, capsys):
    path = tmp_path / "toy.toml"
    text = toy(generations=4, max_candidates=25, quantile=0.1)
    path.write_text(text, encoding="utf-8")
    out = tmp_path / "store"
    assert main(["calibrate", str(path), "--out", str(out), "--no-determinism-check"]) == 1
    captured = capsys.readouterr()
    stopped = [line for line in captured.err.splitlines() if line.startswith("error:")]
    assert (
        len(stopped) == 1
        and "accepted" in stopped[0]
        and "of 20 particles from 25 candidates" in stopped[0]
    )
    res = load_calibration(out)
    last = int(res.particles["generation"].max())
    assert f"the posterior is generation {last}" in stopped[0]
    assert len(res.generations) == last + 2 and res.generations["accepted"].iloc[-1] < 20
    assert f"generation {last}, 20 particles" in res.posterior
    assert main(["report", str(out), "--format", "png"]) == 0
    assert "**Stopped early.**" in (out / "report.md").read_text(encoding="utf-8")


def test_a_run_that_kills_its_process_fails_its_candidate_alone(tmp_path):
    path = tmp_path / "toy.toml"
    path.write_text(
        toy(model="crashes", generations=1, predictive=0, replications=5), encoding="utf-8"
    )
    result = calibrate(
        path, out=tmp_path / "store", workers=2, progress=False, determinism_check=False
    )
    res = load_calibration(tmp_path / "store")
    died = res.candidates[res.candidates["mu"] > 4]
    assert len(died) and died["error"].str.startswith("the run's process died").all()
    assert np.isinf(died["distance"]).all() and (died["failed"] == 5).all()
    alive = res.candidates[res.candidates["mu"] <= 4]
    assert (alive["ok"] == 5).all() and alive["error"].isna().all()
    assert result.complete and (res.final["mu"] <= 4).all()


def test_a_rejection_calibration_keeps_the_closest_candidates(tmp_path):
    text = toy(method="rejection", samples=60, accept=0.1, replications=10, predictive=0)
    text = text.replace("population = 20\n", "").replace("generations = 2\n", "")
    path = tmp_path / "toy.toml"
    path.write_text(text, encoding="utf-8")
    result = calibrate(
        path, out=tmp_path / "store", executor="serial", progress=False, determinism_check=False
    )
    res = load_calibration(tmp_path / "store")
    assert len(res.candidates) == 60 and len(res.final) == 6
    kept = set(res.final["candidate"])
    rest = res.candidates[~res.candidates["candidate"].isin(kept)]
    assert res.final["distance"].max() <= rest["distance"].min()
    assert result.generations[0].tolerance == res.final["distance"].max()
    np.testing.assert_allclose(res.final["weight"], 1 / 6)
    overrides = posterior_overrides(tmp_path / "store" / "posterior.toml")
    assert "[parameters]" in res.posterior and set(overrides) == {"mu", "sigma"}
    for summary in result.posterior:  # the medians, to the snippet's six digits
        assert math.isclose(summary.median, overrides[summary.name], rel_tol=1e-5)


KILLS = [
    "create-renamed",
    "locked",
    "part-renamed:1",
    "part-renamed:4",
    "part-temp:7",
    "manifest-temp:3",
]


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """An uninterrupted tiny calibration, from the command line (serial)."""
    folder = tmp_path_factory.mktemp("reference")
    (folder / "tiny.toml").write_text(TINY, encoding="utf-8")
    command = cli(
        "calibrate",
        str(folder / "tiny.toml"),
        "--out",
        str(folder / "store"),
        "--executor",
        "serial",
    )
    assert subprocess.run(command, env=ENV, capture_output=True, timeout=300).returncode == 0
    return folder / "store"


@pytest.mark.parametrize("step", KILLS)
def test_a_calibration_killed_then_run_again_ends_as_an_uninterrupted_one(
    step, tmp_path, reference
):
    (tmp_path / "tiny.toml").write_text(TINY, encoding="utf-8")
    out = tmp_path / "store"
    command = cli(
        "calibrate", str(tmp_path / "tiny.toml"), "--out", str(out), "--executor", "serial"
    )
    killed = subprocess.run(
        command, env={**ENV, faults.ENV: f"kill:{step}"}, capture_output=True, timeout=300
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    again = subprocess.run(command, env=ENV, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert_same(reference, out)
    assert not [p for p in out.rglob(".*") if p.name != ".trash"] and not list(
        tmp_path.glob(".store*")
    )


def test_a_calibration_killed_at_moments_continues_to_the_same_result(tmp_path, reference):
    (tmp_path / "tiny.toml").write_text(TINY, encoding="utf-8")
    out = tmp_path / "store"
    command = cli("calibrate", str(tmp_path / "tiny.toml"), "--out", str(out), "--workers", "2")
    for moment in (1.5, 3.0, 4.5):
        process = subprocess.Popen(
            command, env=ENV, start_new_session=True, stderr=subprocess.DEVNULL
        )
        try:
            process.wait(moment)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(30)
    again = subprocess.run(command, env=ENV, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert_same(reference, out)


# -- coverage -----------------------------------------------------------------------------

COVERAGE_CALIBRATIONS = 20
COVERAGE_RUNS = 40


def _coverage_file(index: int, mu: float, sigma: float) -> str:
    """A calibration of Normal(mu, sigma) from 40 observed draws; each statistic's scale
    is its standard error (about), and the final tolerance three of them."""
    mean, sd = observed(mu, sigma, COVERAGE_RUNS, 1000 + index)
    return f"""
name = "coverage-{index}"
model = "{MODELS}:normal"
seed = {index}
[calibration]
replications = {COVERAGE_RUNS}
population = 50
generations = 12
epsilon = 3.0
predictive = 0
[calibration.parameters]
mu = {{ min = -5, max = 5 }}
sigma = {{ min = 0.5, max = 4, log = true }}
[calibration.statistics]
mean = "mean:x"
sd = "sd:x"
[calibration.observed]
mean = {{ value = {mean!r}, scale = {sd / COVERAGE_RUNS**0.5!r} }}
sd = {{ value = {sd!r}, scale = {sd / (2 * COVERAGE_RUNS) ** 0.5!r} }}
"""


@pytest.mark.slow
def test_credible_intervals_cover_the_truth_and_are_narrow(tmp_path):
    """20 calibrations of Normal(mu, sigma), the true values drawn from the priors: each
    90% interval holds the true value in at least 80% of them, and is at most half as
    wide as the prior (for sigma's log-uniform prior, in the logarithm)."""
    rng = np.random.default_rng(20261130)
    covered = {"mu": 0, "sigma": 0}
    for index in range(COVERAGE_CALIBRATIONS):
        truth = {
            "mu": rng.uniform(-5, 5),
            "sigma": float(np.exp(rng.uniform(np.log(0.5), np.log(4)))),
        }
        path = tmp_path / f"c{index}.toml"
        path.write_text(_coverage_file(index, truth["mu"], truth["sigma"]), encoding="utf-8")
        result = calibrate(
            path, out=tmp_path / f"s{index}", workers=2, progress=False, determinism_check=False
        )
        assert result.complete
        for summary in result.posterior:
            covered[summary.name] += summary.low <= truth[summary.name] <= summary.high
            prior = summary.prior
            if prior.log:
                width = math.log(summary.high / summary.low) / math.log(prior.high / prior.low)
            else:
                width = summary.width_share
            assert width <= 0.5, (index, summary.line())
    for name, count in covered.items():
        assert count >= 0.8 * COVERAGE_CALIBRATIONS, (name, count)


@pytest.mark.parametrize("command", [["status"], ["export"], ["replay", "RUN"]])
def test_the_sweep_commands_refuse_a_calibration_store(command, tiny_store, capsys):
    argv = [command[0], str(tiny_store), *command[1:]]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.endswith("a calibration's store has no runs (report reads it)")


def test_merge_refuses_a_calibration_store_as_a_source_or_a_target(tiny_store, tmp_path, capsys):
    assert main(["merge", str(tiny_store), "--out", str(tmp_path / "merged")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.endswith("a calibration's store: merge combines the shard stores of a sweep")
    assert not (tmp_path / "merged").exists()


def test_a_calibration_store_of_another_format_points_to_calibrate(tiny_store, tmp_path, capsys):
    import shutil

    store = tmp_path / "store"
    shutil.copytree(tiny_store, store)
    manifest = json.loads((store / "manifest.json").read_text(encoding="utf-8"))
    manifest["store_schema_version"] = 99
    (store / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    assert main(["status", str(store)]) == 2
    err = capsys.readouterr().err.strip()
    assert "store_schema_version: 99" in err and "calibrate --force would replace it" in err


def test_a_second_writer_is_refused_naming_the_first(tmp_path):
    path = tmp_path / "toy.toml"
    path.write_text(toy(model="gated"), encoding="utf-8")
    out = tmp_path / "store"
    gate = tmp_path / "gate"
    gate.touch()
    env = {**ENV, "CALIBRATION_TEST_GATE": str(gate)}
    command = cli("calibrate", str(path), "--out", str(out), "--no-determinism-check")
    first = subprocess.Popen(command, env=env, stderr=subprocess.DEVNULL)
    try:
        deadline = 60.0
        while not (out / ".lock-all").is_file() and deadline > 0:
            deadline -= 0.05
            subprocess.run(["sleep", "0.05"], check=True)
        second = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
        assert second.returncode == 2, second.stderr
        lines = second.stderr.strip().splitlines()
        assert len(lines) == 1 and f"pid {first.pid}" in lines[0]
    finally:
        gate.unlink()
        assert first.wait(120) == 0
    assert not list(out.glob(".lock*"))


def test_sigterm_stops_a_calibration_that_the_same_command_completes(tmp_path, reference):
    (tmp_path / "tiny.toml").write_text(TINY, encoding="utf-8")
    out = tmp_path / "store"
    command = cli("calibrate", str(tmp_path / "tiny.toml"), "--out", str(out), "--workers", "2")
    process = subprocess.Popen(command, env=ENV, stderr=subprocess.PIPE, text=True)
    deadline = 60.0
    while not list((out / "calibration" / "candidates").glob("part-*")) and deadline > 0:
        deadline -= 0.05
        subprocess.run(["sleep", "0.05"], check=True)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=120)
    if process.returncode != 0:  # it may have finished before the signal
        assert process.returncode == 143 and "stopped by SIGTERM" in err
        assert load_calibration(out).manifest["invocations"][0]["finished"] is not None
    again = subprocess.run(command, env=ENV, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert_same(reference, out)


@pytest.mark.slow
def test_the_shipped_calibration_finds_the_defaults_credible(tmp_path):
    """calibrate-baseline (about 35,000 runs): each calibrated constant's default lies in
    its 90% interval, and the predictive failure shares straddle the observed one."""
    result = calibrate("calibrate-baseline", out=tmp_path / "store", progress=False)
    assert result.complete and len(result.generations) == 3
    for summary in result.posterior:
        assert summary.default is not None and summary.low <= summary.default <= summary.high
    predictive = load_calibration(tmp_path / "store").predictive["failure"]
    assert predictive.min() < _shipped_failure_share() < predictive.max()


def _shipped_failure_share() -> float:
    from sim.experiment import load_experiment

    spec = load_experiment("calibrate-baseline").calibration
    assert spec is not None
    observed = dict(zip(spec.statistic_names, spec.observed, strict=True))["failure"]
    assert observed.value is not None
    return float(observed.value)


def test_the_shipped_calibration_observes_the_failure_share_the_grid_search_targets():
    """The ABC posterior and the grid search of scripts/calibrate.py read pattern 1 alike."""
    from sim.validation.calibration import FAILURE_TARGET

    assert _shipped_failure_share() == FAILURE_TARGET
