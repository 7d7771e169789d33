"""Adaptive replication (an experiment's ``[precision]`` table): the file's checks, the
rounds, where points stop, equality with a fixed store, kills, shards, merge, retries,
the dry run, status, the report and paired analysis on common replicates."""

from __future__ import annotations

import itertools
import math
import os
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sim import analysis
from sim.cli import main
from sim.experiment import ExperimentError, load_experiment
from sim.experiment.morris import analyze as morris_analyze
from sim.experiment.precision import half_widths
from sim.store import faults, merge_stores, read_table, store_status
from sim.store.manifest import StoreError
from sim.sweeps.run import sweep

ROOT = Path(__file__).resolve().parent.parent
LIGHT = Path(__file__).resolve().parent / "light_models.py"
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
Z = 1.959963984540054  # the 97.5% normal quantile
QUICK = {"executor": "serial", "progress": False, "determinism_check": False}


def coin_text(
    model: str = "coin",
    parameters: str = "p = [0.0, 0.5, 1.0]",
    outcome: str = "heads",
    replications: int = 60,
    name: str = "coin",
    precision: bool = True,
) -> str:
    """An experiment of a model of ``light_models.py`` stopping at half-width 0.1."""
    table = f"""
[precision]
outcome = "{outcome}"
half_width = 0.1
min = 20
step = 20
"""
    return f"""
name = "{name}"
model = "{LIGHT}:{model}"
replications = {replications}
seed = 5
[parameters]
{parameters}
{table if precision else ""}"""


def replicates(store: Path) -> dict[float, list[int]]:
    """The replicates stored for each value of ``p`` (or of ``spread``), sorted."""
    runs = read_table(store, "runs").to_pandas()
    key = "p" if runs["p"].nunique() > 1 else "spread"
    return {k: sorted(g["replicate"]) for k, g in runs.groupby(key)}


def wilson_half(successes: int, n: int) -> float:
    """Half the Wilson score interval, by its formula."""
    share = successes / n
    return Z * math.sqrt(share * (1 - share) / n + Z**2 / (4 * n**2)) / (1 + Z**2 / n)


def t_half(values: np.ndarray) -> float:
    """Half scipy's Student t interval of the mean (0 for values that do not vary)."""
    if values.std() == 0:
        return 0.0
    low, high = stats.t.interval(0.95, len(values) - 1, loc=values.mean(), scale=stats.sem(values))
    return float(high - low) / 2


def expected_stop(values: np.ndarray, half: callable) -> int:
    """Where the rule stops a point whose replicates give ``values`` (60 at most)."""
    for n in (20, 40, 60):
        if half(values[:n]) <= 0.1:
            return n
    return 60


@pytest.fixture(autouse=True)
def _fresh_faults(monkeypatch):
    monkeypatch.delenv(faults.ENV, raising=False)
    faults._reached.clear()


@pytest.fixture(scope="module")
def coin_store(tmp_path_factory) -> Path:
    """An uninterrupted adaptive sweep of the coin experiment."""
    folder = tmp_path_factory.mktemp("coin")
    path = folder / "coin.toml"
    path.write_text(coin_text(), encoding="utf-8")
    result = sweep(path, out=folder / "store", **QUICK)
    assert result.complete and result.rounds == 3, result.line()
    return folder / "store"


@pytest.fixture(scope="module")
def fixed_store(tmp_path_factory) -> Path:
    """The same design swept fixed, 60 replicates per point."""
    folder = tmp_path_factory.mktemp("fixed")
    path = folder / "coin.toml"
    path.write_text(coin_text(precision=False), encoding="utf-8")
    assert sweep(path, out=folder / "store", **QUICK).complete
    return folder / "store"


# -- the file -------------------------------------------------------------------------------

TABLE = '[precision]\noutcome = "survived"\nhalf_width = 0.05\n'
BAD = [
    ("[precision]\nhalf_width = 0.05", "precision.outcome: missing (required)"),
    (TABLE + "colour = 1", "precision.colour: unknown key (allowed: confidence, half_width"),
    ('[precision]\noutcome = "outcome"\nhalf_width = 0.1', "precision.outcome: 'outcome' is not"),
    ('[precision]\noutcome = "nope"\nhalf_width = 0.1', "precision.outcome: 'nope' is not a bo"),
    ("[precision]\noutcome = 3\nhalf_width = 0.1", "precision.outcome: expected a string"),
    ('[precision]\noutcome = "survived"', "precision.half_width: missing (required)"),
    ('[precision]\noutcome = "survived"\nhalf_width = 0', "precision.half_width: must be above 0"),
    ('[precision]\noutcome = "survived"\nhalf_width = -1', "precision.half_width: -1 is out of"),
    ('[precision]\noutcome = "survived"\nhalf_width = "x"', "precision.half_width: expected a nu"),
    (TABLE + "confidence = 1", "precision.confidence: must be between 0 and 1 (excluded)"),
    (TABLE + "confidence = 0", "precision.confidence: must be between 0 and 1 (excluded)"),
    (TABLE + "confidence = 1.5", "precision.confidence: 1.5 is out of range [0, 1]"),
    (TABLE + "min = 0", "precision.min: 0 is out of range"),
    (TABLE + "min = 2.5", "precision.min: expected a whole number, got 2.5"),
    (TABLE + "min = 51", "precision.min: 51 exceeds replications (50), the maximum"),
    (TABLE + "step = 0", "precision.step: 0 is out of range"),
    ("precision = 3", "precision: expected a table, got int"),
]


@pytest.mark.parametrize(("table", "message"), BAD, ids=[b[1][:40] for b in BAD])
def test_a_bad_precision_table_is_one_line_naming_file_and_key(write_toml, table, message):
    path = write_toml(f'scenario = "baseline"\nreplications = 50\n{table}\n')
    with pytest.raises(ExperimentError) as info:
        load_experiment(path)
    assert str(info.value).startswith(f"{path}: {message}"), str(info.value)
    assert "\n" not in str(info.value)


def test_the_default_min_is_named_when_it_exceeds_replications(write_toml, tmp_path, capsys):
    path = write_toml(f'scenario = "baseline"\nreplications = 10\n{TABLE}')
    assert main(["sweep", str(path), "--out", str(tmp_path / "store")]) == 2
    assert capsys.readouterr().err == (
        f"error: {path}: precision.min: 20 (the default) exceeds replications (10), the maximum\n"
    )
    assert not (tmp_path / "store").exists()


def test_a_valid_table_with_defaults(write_toml):
    experiment = load_experiment(write_toml(f'scenario = "baseline"\nreplications = 50\n{TABLE}'))
    precision = experiment.precision
    assert (precision.outcome, precision.half_width) == ("survived", 0.05)
    assert (precision.confidence, precision.min, precision.step) == (0.95, 20, 20)
    assert (
        experiment.fingerprint()
        == load_experiment(write_toml('scenario = "baseline"')).fingerprint()
    )


@pytest.mark.parametrize("check", [True, False], ids=["determinism-check", "no-check"])
def test_another_models_missing_outcome_stops_before_any_run_is_stored(
    check, write_toml, tmp_path, capsys
):
    path = write_toml(coin_text(outcome="tails"))
    out = tmp_path / "store"
    extra = [] if check else ["--no-determinism-check"]
    assert main(["sweep", str(path), "--out", str(out), "--no-progress", *extra]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"error: {path}: precision.outcome: the model's runs have no column 'tails' "
        "(their columns: heads, level)\n"
    )
    assert not out.exists() if check else read_table(out, "runs").num_rows == 0


# -- the rounds -----------------------------------------------------------------------------


def test_certain_outcomes_stop_at_min_and_a_fair_coin_at_the_maximum(coin_store):
    assert replicates(coin_store) == {
        0.0: list(range(20)),
        0.5: list(range(60)),
        1.0: list(range(20)),
    }
    points = store_status(coin_store).points.set_index("p")
    assert points["state"].to_dict() == {0.0: "target", 0.5: "maximum", 1.0: "target"}
    certain = Z**2 / (2 * (20 + Z**2))  # Wilson's half-width with no (or every) success
    assert points.loc[0.0, "half_width"] == pytest.approx(certain, rel=1e-12)
    assert points.loc[1.0, "half_width"] == pytest.approx(certain, rel=1e-12)
    heads = read_table(coin_store, "runs").to_pandas().query("p == 0.5")["heads"]
    assert points.loc[0.5, "half_width"] == pytest.approx(wilson_half(heads.sum(), 60), rel=1e-12)
    for n in (20, 40):  # the coin was too wide at each checkpoint before the maximum
        assert wilson_half(heads.sort_index()[:n].sum(), n) > 0.1


def test_numeric_outcomes_stop_where_the_t_interval_is_narrow_enough(write_toml, tmp_path):
    parameters = "p = 0.5\nspread = [0.0, 0.2, 0.35, 1.0]"
    path = write_toml(coin_text(parameters=parameters, outcome="level"))
    result = sweep(path, out=tmp_path / "store", **QUICK)
    assert result.complete
    runs = read_table(tmp_path / "store", "runs").to_pandas()
    stops = {}
    for spread, group in runs.groupby("spread"):
        values = group.sort_values("replicate")["level"].to_numpy()
        stops[spread] = len(values)
    fixed = tmp_path / "fixed.toml"
    fixed.write_text(coin_text(parameters=parameters, outcome="level", precision=False))
    sweep(fixed, out=tmp_path / "fixed", **QUICK)
    every = read_table(tmp_path / "fixed", "runs").to_pandas().sort_values("replicate")
    expected = {
        spread: expected_stop(group["level"].to_numpy(), t_half)
        for spread, group in every.groupby("spread")
    }
    assert stops == expected
    assert stops[0.0] == 20 and stops[1.0] == 60  # no spread at all; far too wide
    assert len(set(stops.values())) == 3, stops  # the rule stopped points at three rounds
    assert result.points == {"target": 3, "maximum": 1}


def test_an_adaptive_store_is_the_fixed_store_restricted_to_its_replicates(
    coin_store, fixed_store, read_tables
):
    adaptive, fixed = read_tables(coin_store), read_tables(fixed_store)
    kept = set(adaptive["runs"]["run_id"])
    for table in ("runs",):  # the coin model writes no crises nor series
        restricted = fixed[table][fixed[table]["run_id"].isin(kept)].reset_index(drop=True)
        pd.testing.assert_frame_equal(adaptive[table], restricted, check_exact=True)


ALLIANCE = """
name = "precise-alliance"
scenario = "baseline"
replications = 12
seed = 2
horizon = 24
[parameters]
"leadership.relationships" = [0.1, 0.9]
[output]
timeseries_every = 6
"""


def _stopping_half_width(runs: pd.DataFrame) -> float:
    """A half-width at which one point of the fixed sweep's runs meets the precision rule
    with 8 replicates (not with 4) and the other does not with 12, computed from the
    runs' ``final_mean_trust``: the test then holds whatever the model's spread."""
    widths = {}
    for point, rows in runs.sort_values("replicate").groupby("point_id"):
        values = rows["final_mean_trust"].to_numpy(dtype=float)
        widths[point] = [float(half_widths(values[None, :n], False, 0.95)[0]) for n in (4, 8, 12)]
    for first, second in itertools.permutations(widths.values()):
        low, high = first[1], min(first[0], *second)
        if low < high:
            return 0.5 * (low + high)
    raise AssertionError(f"no half-width separates the points: {widths}")


def test_an_adaptive_sweep_of_the_alliance_model_is_its_fixed_sweep_restricted(
    write_toml, tmp_path, read_tables
):
    assert sweep(write_toml(ALLIANCE, "fixed.toml"), out=tmp_path / "fixed", **QUICK).complete
    fixed = read_tables(tmp_path / "fixed")
    half_width = _stopping_half_width(fixed["runs"])
    table = (
        f'[precision]\noutcome = "final_mean_trust"\nhalf_width = {half_width!r}\n'
        "min = 4\nstep = 4\n"
    )
    path = write_toml(ALLIANCE + table)
    result = sweep(path, out=tmp_path / "adaptive", executor="serial", progress=False)
    assert result.complete and (result.planned, result.maximum, result.rounds) == (20, 24, 3)
    points = store_status(tmp_path / "adaptive").points
    assert sorted(points[["replicates", "state"]].values.tolist()) == [
        [8, "target"],
        [12, "maximum"],
    ]
    adaptive = read_tables(tmp_path / "adaptive")
    kept = set(adaptive["runs"]["run_id"])
    for name in ("runs", "crises", "timeseries"):
        restricted = fixed[name][fixed[name]["run_id"].isin(kept)].reset_index(drop=True)
        pd.testing.assert_frame_equal(adaptive[name], restricted, check_exact=True, obj=name)


# -- kills, shards, merge, failures ---------------------------------------------------------


def sweep_command(path: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "sim", "sweep", str(path), "--out", str(out), "--no-progress"]


@pytest.mark.parametrize("batch", [1, 2])
def test_a_sweep_killed_between_rounds_then_restarted_ends_the_same(
    batch, write_toml, tmp_path, coin_store, assert_same_stores
):
    path = write_toml(coin_text())
    out = tmp_path / "store"
    env = {**ENV, faults.ENV: f"kill:batch-written:{batch}"}
    killed = subprocess.run(sweep_command(path, out), env=env, capture_output=True, timeout=120)
    assert killed.returncode == -signal.SIGKILL
    assert read_table(out, "runs").num_rows == {1: 60, 2: 80}[batch]  # rounds 1 (and 2) stored
    again = subprocess.run(sweep_command(path, out), env=ENV, capture_output=True, timeout=120)
    assert again.returncode == 0, again.stderr
    assert_same_stores(coin_store, out)


def stored_runs(store: Path) -> int:
    return read_table(store, "runs").num_rows if (store / "runs").is_dir() else 0


def wait_for(condition, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_a_sweep_killed_mid_round_then_restarted_ends_the_same(
    write_toml, tmp_path, coin_store, assert_same_stores
):
    path = write_toml(coin_text(model="slow_coin"))
    env = {**ENV, "SWEEP_TEST_SLEEP": "0.05"}  # round 1 takes 3 s, rounds 2 and 3 1 s each
    moments = {  # while round 1 runs; while round 2 runs
        "first": lambda out: (out / "manifest.json").exists() and time.sleep(0.5) is None,
        "second": lambda out: stored_runs(out) >= 60,
    }
    for name, moment in moments.items():
        out = tmp_path / name
        process = subprocess.Popen(sweep_command(path, out), env=env, start_new_session=True)
        wait_for(lambda out=out, moment=moment: moment(out))
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(30)
        assert stored_runs(out) == {"first": 0, "second": 60}[name]
        again = subprocess.run(sweep_command(path, out), env=env, capture_output=True, timeout=120)
        assert again.returncode == 0, (name, again.stderr)
        assert_same_stores(coin_store, out)


def test_shards_split_points_and_end_as_one_sweep(
    write_toml, tmp_path, coin_store, assert_same_stores
):
    path = write_toml(coin_text())
    shared = tmp_path / "shared"
    results = [sweep(path, out=shared, shard=f"{k}/2", **QUICK) for k in (1, 2)]
    assert sum(r.maximum for r in results) == 180  # every point in one shard
    assert_same_stores(coin_store, shared)
    apart = [sweep(path, out=tmp_path / f"shard-{k}", shard=f"{k}/2", **QUICK) for k in (1, 2)]
    assert all(r.complete for r in apart)
    merged = merge_stores([tmp_path / "shard-1", tmp_path / "shard-2"], tmp_path / "merged")
    assert merged.status.pending == 0 and merged.status.planned == 100
    assert_same_stores(coin_store, tmp_path / "merged")


def test_merge_refuses_stores_with_another_precision_table(write_toml, tmp_path, coin_store):
    fixed = write_toml(coin_text(precision=False, replications=20), "fixed.toml")
    sweep(fixed, out=tmp_path / "fixed", **QUICK)
    with pytest.raises(StoreError, match=r"made with another \[precision\] table"):
        merge_stores([coin_store, tmp_path / "fixed"], tmp_path / "merged")
    assert not (tmp_path / "merged").exists()


def test_failed_runs_count_towards_the_maximum_and_retry_recomputes_the_rounds(
    write_toml, tmp_path, monkeypatch
):
    path = write_toml(coin_text(model="flaky_coin"))
    out = tmp_path / "store"
    result = sweep(path, out=out, **QUICK)  # p = 0 fails: no value, so on to the maximum
    assert (result.failed, result.pending, result.points) == (60, 0, {"target": 1, "maximum": 2})
    assert replicates(out)[0.0] == list(range(60))
    monkeypatch.setenv("SWEEP_TEST_FIXED", "1")
    again = sweep(path, out=out, retry_failed=True, **QUICK)
    assert again.complete and again.points == {"target": 2, "maximum": 1}
    assert again.ran == 20  # the failed runs past the new stopping point are not rerun
    assert replicates(out)[0.0] == list(range(20))
    status = store_status(out)
    assert (status.planned, status.done, status.failed, status.beyond) == (100, 100, 0, 0)


def test_runs_stored_past_the_stopping_points_are_counted_apart(write_toml, tmp_path):
    out = tmp_path / "store"
    assert sweep(write_toml(coin_text(precision=False), "fixed.toml"), out=out, **QUICK).complete
    result = sweep(write_toml(coin_text()), out=out, **QUICK)
    assert result.ran == 0 and result.complete and (result.planned, result.maximum) == (100, 180)
    status = store_status(out)
    assert (status.planned, status.done, status.pending, status.beyond) == (100, 100, 0, 80)
    assert status.line().endswith(", 80 more stored past the points' stopping replicates")


# -- what the commands say ------------------------------------------------------------------


def test_dry_run_counts_the_maximum_and_the_minimum(write_toml, tmp_path, capsys, coin_store):
    path = write_toml(coin_text())
    assert main(["sweep", str(path), "--out", str(tmp_path / "new"), "--dry-run"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1] == (
        "planned runs: at most 180 (3 points x 60 replicates), at least 60 (3 x 20), "
        "already stored: 0, to run: 60 in the next round, at most 180"
    )
    assert lines[2] == (
        "adaptive: heads to a half-width of 0.1 (95% interval), from 20 replicates, 20 more "
        "per round; replications = 60 is the maximum per point"
    )
    assert lines[-1].startswith("estimated time: at most ")
    assert "; estimated disk: at most " in lines[-1]
    assert not (tmp_path / "new").exists()
    assert main(["sweep", str(path), "--out", str(coin_store), "--dry-run"]) == 0
    assert "already stored: 100, to run: 0 in the next round, at most 80" in capsys.readouterr().out


def test_status_lists_each_point_with_its_replicates_and_half_width(coin_store, capsys):
    assert main(["status", str(coin_store)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert (
        lines[0] == f"{coin_store}: 100 needed so far (at most 180), 100 done, 0 failed, 0 pending"
    )
    assert lines[1].startswith("adaptive: heads to a half-width of 0.1 (95% interval)")
    assert lines[1].endswith(
        "2 points reached the half-width, 1 stopped at the maximum (60 replicates), 0 pending"
    )
    assert lines[2].split() == ["point", "replicates", "half-width", "state", "parameters"]
    assert [line.split() for line in lines[3:]] == [
        ["0", "20", "0.0806", "target", "p=0"],
        ["1", "60", f"{wilson_half(*heads_of(coin_store)):.4f}", "maximum", "p=0.5"],
        ["2", "20", "0.0806", "target", "p=1"],
    ]


def heads_of(store: Path) -> tuple[int, int]:
    runs = read_table(store, "runs").to_pandas().query("p == 0.5")
    return int(runs["heads"].sum()), len(runs)


def test_a_killed_round_is_pending_in_status(write_toml, tmp_path, capsys):
    path = write_toml(coin_text())
    out = tmp_path / "store"
    env = {**ENV, faults.ENV: "kill:batch-written:1"}
    subprocess.run(sweep_command(path, out), env=env, capture_output=True, timeout=120)
    status = store_status(out)
    assert (status.planned, status.done, status.pending) == (80, 60, 20)
    assert status.points.set_index("p")["state"].to_dict() == {
        0.0: "target",
        0.5: "pending",
        1.0: "target",
    }
    assert analysis.load(out).partial


def test_the_report_names_the_points_at_the_maximum(coin_store, capsys):
    assert main(["report", str(coin_store), "--format", "svg"]) == 0
    text = (coin_store / "report.md").read_text()
    assert "| design | grid, 3 points x at most 60 replicates |" in text
    assert "| runs | 100 needed so far, 100 done, 0 failed, 0 pending |" in text
    section = text.split("## Precision")[1].split("\n## ")[0]
    assert (
        "2 of 3 points reached the half-width, 1 stopped at the maximum (60 replicates)" in section
    )
    at_maximum = section.split("Points that stopped at the maximum:")[1].split("Replicates per")[0]
    assert [r for r in at_maximum.splitlines() if r.startswith("| 1 ")] == [
        f"| 1 | 0.5 | 60 | {wilson_half(*heads_of(coin_store)):.3g} | maximum |"
    ]
    table = section.split("Replicates per point:")[1].splitlines()
    rows = [row.split(" | ") for row in table if row.startswith("| ") and row[2].isdigit()]
    assert [row[2] for row in rows] == ["20", "60", "20"]
    assert "Partial results" not in text


# -- paired analysis ------------------------------------------------------------------------


def test_paired_comparisons_use_the_common_replicates(coin_store):
    res = analysis.load(coin_store)
    ids = res.progress.set_index("point_index")["point_id"]
    certain, coin = ids[0], ids[1]
    pairs = analysis.paired_outcomes(res, "heads", [coin, certain])
    assert pairs.index.tolist() == list(range(20)) and list(pairs.columns) == [coin, certain]
    runs = res.ok.set_index(["point_id", "replicate"])["heads"].astype(float)
    first = runs.loc[coin].sort_index().to_numpy()[:20]
    found = analysis.paired_difference(res, "heads", coin, certain)
    assert found["n"] == 20 and found["difference"] == pytest.approx(first.mean())
    half = t_half(first)
    assert (found["lower"], found["upper"]) == pytest.approx(
        (first.mean() - half, first.mean() + half)
    )


def test_sensitivity_pairs_morris_trajectories_on_their_common_replicates(write_toml, tmp_path):
    parameters = "p = { min = 0.0, max = 1.0 }\nspread = { min = 0.0, max = 1.0 }"
    text = coin_text(parameters=parameters, outcome="level", name="morris")
    text = text.replace("[parameters]", "[design]\nmethod = 'morris'\nsamples = 6\n[parameters]")
    path = write_toml(text)
    assert sweep(path, out=tmp_path / "store", **QUICK).complete
    res = analysis.load(tmp_path / "store")
    sample = res.sample.sort_values("row")
    matrix = analysis.outcome_matrix(res, "level")
    expected, plain = [], []
    for start in range(0, len(sample), 3):  # a trajectory: 2 parameters + 1 points
        group = matrix.loc[sample["point_id"].iloc[start : start + 3]]
        common = group.notna().all(axis=0)
        expected += group.loc[:, common].mean(axis=1).tolist()
        plain += group.mean(axis=1).tolist()
    assert not np.allclose(expected, plain)  # the points held different replicates
    problem = res.manifest["design"]["problem"]
    x = sample[problem["names"]].to_numpy(dtype=float)
    direct = morris_analyze(problem, x, np.asarray(expected), 4, seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", analysis.SensitivityWarning)  # a small sample
        found = analysis.sensitivity(res, "level").set_index("parameter")
    for i, name in enumerate(problem["names"]):
        assert found.loc[name, "mu_star"] == pytest.approx(direct["mu_star"][i], rel=1e-9)


def test_wilson_interval_ends_exactly_at_0_and_1_with_no_or_all_successes():
    from sim.intervals import wilson

    low, high = wilson(np.array([0, 50, 3, 0]), np.array([50, 50, 10, 0]))
    assert low[0] == 0.0 and high[1] == 1.0  # not 8.7e-19 or 1 - 1e-16
    assert 0 < low[2] < 0.3 < high[2] < 1 and np.isnan(low[3]) and np.isnan(high[3])
    assert wilson(0, 50)[0] == 0.0 and np.isclose(wilson(0, 50)[1], 0.0713476, atol=1e-7)
