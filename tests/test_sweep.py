"""Sweeps: executors, interruption, failures, other models, growth, replay and the CLI."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from sim.cli import main
from sim.experiment import load_experiment
from sim.store import read_table
from sim.sweeps.replay import replay
from sim.sweeps.run import sweep

ROOT = Path(__file__).resolve().parent.parent
MODELS = Path(__file__).resolve().parent / "sweep_models.py"

TOY = f"""
name = "toy"
model = "{MODELS}:toy"
replications = 6
seed = 99
[parameters]
x = [0.0, 1.0, 2.0, 3.0]
y = {{ min = 0.0, max = 1.0, levels = 3 }}
"""

ALLIANCE = """
name = "fake-alliance"
scenario = "baseline"
replications = 5
seed = 2
[parameters]
"leadership.relationships" = [0.2, 0.5, 0.8]
"alliance.members" = [6, 12]
[output]
timeseries_every = 4
"""


def test_executors_give_identical_results(tmp_path, write_toml, assert_same_stores):
    experiment = load_experiment(write_toml(TOY))
    serial = tmp_path / "serial"
    assert sweep(experiment, out=serial, executor="serial").complete
    processes = tmp_path / "processes"
    result = sweep(experiment, out=processes, executor="processes", workers=2, chunk_size=5)
    assert result.complete and result.executor == "processes" and result.workers == 2
    assert_same_stores(serial, processes)
    one = tmp_path / "one"
    sweep(experiment, out=one, executor="processes", workers=1, chunk_size=7)
    assert_same_stores(serial, one)

    alliance = load_experiment(write_toml(ALLIANCE, "alliance.toml"))
    sweep(alliance, out=tmp_path / "a-serial", executor="serial")
    sweep(alliance, out=tmp_path / "a-processes", executor="processes", workers=2, chunk_size=3)
    assert_same_stores(tmp_path / "a-serial", tmp_path / "a-processes")


def test_dask_local_cluster_gives_identical_results(tmp_path, write_toml, assert_same_stores):
    pytest.importorskip("distributed")
    experiment = load_experiment(write_toml(TOY))
    sweep(experiment, out=tmp_path / "serial", executor="serial")
    result = sweep(experiment, out=tmp_path / "dask", executor="dask", workers=2, chunk_size=6)
    assert result.complete and result.executor == "dask"
    assert_same_stores(tmp_path / "serial", tmp_path / "dask")


SLOW = f"""
name = "slow"
model = "{MODELS}:slow_toy"
replications = 40
seed = 4
[parameters]
x = [0.0, 1.0, 2.0, 3.0, 4.0]
y = [0.0, 0.5]
"""

KILLABLE = """
import sys
from sim.sweeps.run import sweep
if __name__ == "__main__":
    sweep(sys.argv[1], out=sys.argv[2], executor="processes", workers=2, chunk_size=4,
          flush_runs=16, progress=False)
"""


def test_resume_after_sigkill_completes_only_missing_runs(tmp_path, write_toml, assert_same_stores):
    path = write_toml(SLOW)
    script = tmp_path / "run_sweep.py"
    script.write_text(KILLABLE, encoding="utf-8")
    killed = tmp_path / "killed"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, str(script), str(path), str(killed)],
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline and process.poll() is None:
            if len(list((killed / "runs").glob("part-*.parquet"))) >= 3:
                break
            time.sleep(0.01)
        assert process.poll() is None, process.stderr.read().decode()
        os.killpg(process.pid, signal.SIGKILL)
    finally:
        process.wait(timeout=30)
    stored = read_table(killed, "runs").num_rows
    assert 0 < stored < 400

    result = sweep(path, out=killed, executor="serial")
    assert result.complete
    assert result.ran == 400 - stored
    whole = tmp_path / "whole"
    sweep(path, out=whole, executor="serial")
    assert_same_stores(whole, killed)
    assert not list(killed.rglob(".*"))


FLAKY = f"""
name = "flaky"
model = "{MODELS}:flaky"
replications = 3
[parameters]
x = [1.0, 2.0, 3.0]
"""


def test_a_failing_run_is_stored_and_the_sweep_goes_on(
    tmp_path, monkeypatch, write_toml, read_tables
):
    monkeypatch.delenv("SWEEP_TEST_FIXED", raising=False)
    path = write_toml(FLAKY)
    out = tmp_path / "store"
    result = sweep(path, out=out, executor="processes", workers=2, chunk_size=2)
    assert not result.complete
    assert (result.done, result.failed, result.pending) == (6, 3, 0)
    runs = read_tables(out)["runs"]
    failed = runs[runs["status"] == "failed"]
    assert (failed["x"] == 2.0).all() and len(failed) == 3
    prefix = "RuntimeError: no good at x=2.0 (at sweep_models.py:"
    assert failed["error"].str.startswith(prefix).all()
    assert failed["score"].isna().all()

    again = sweep(path, out=out, executor="serial")
    assert again.ran == 0 and again.failed == 3

    monkeypatch.setenv("SWEEP_TEST_FIXED", "1")
    retried = sweep(path, out=out, executor="serial", retry_failed=True)
    assert retried.complete and retried.ran == 3
    runs = read_tables(out)["runs"]
    assert len(runs) == 9 and set(runs["status"]) == {"ok"}
    assert runs["error"].isna().all()


def test_mesa_model_class(tmp_path, write_toml, read_tables):
    text = f"""
model = "{MODELS}:Walker"
horizon = 50
replications = 3
[parameters]
bound = [1.0, 2.0]
[output]
timeseries_every = 2
"""
    out = tmp_path / "store"
    result = sweep(write_toml(text), out=out, executor="serial")
    assert result.complete
    data = read_tables(out)
    assert {"position", "steps"} <= set(data["runs"].columns)
    assert data["runs"]["steps"].between(1, 50).all()
    assert set(data["timeseries"].columns) == {"run_id", "step", "position"}
    assert replay(out, data["runs"]["run_id"].iloc[0]).matches


def test_growing_the_design_extends_the_store(
    tmp_path, write_toml, assert_same_stores, read_tables
):
    out = tmp_path / "store"
    small = write_toml(TOY)
    sweep(small, out=out, executor="serial")
    before = read_tables(out)["runs"]
    grown_text = TOY.replace("[0.0, 1.0, 2.0, 3.0]", "[0.0, 1.0, 2.0, 3.0, 4.0]").replace(
        "replications = 6", "replications = 8"
    )
    grown = write_toml(grown_text, "grown.toml")
    result = sweep(grown, out=out, executor="serial")
    assert result.ran == 5 * 3 * 8 - 4 * 3 * 6
    after = read_tables(out)["runs"]
    kept = after[after["run_id"].isin(before["run_id"])].reset_index(drop=True)
    pd.testing.assert_frame_equal(before, kept)
    fresh = tmp_path / "fresh"
    sweep(grown, out=fresh, executor="serial")
    assert_same_stores(out, fresh)


def test_replay_reproduces_and_detects_changes(tmp_path, write_toml, read_tables):
    out = tmp_path / "store"
    sweep(load_experiment(write_toml(ALLIANCE)), out=out, executor="serial")
    runs = read_tables(out)["runs"]
    with_crises = read_tables(out)["crises"]["run_id"].iloc[0]
    assert replay(out, with_crises).matches
    assert main(["replay", str(out), with_crises]) == 0

    part = next((out / "runs").glob("part-*.parquet"))
    table = pq.read_table(part)
    lifetimes = table.column("lifetime").to_pylist()
    index = table.column("run_id").to_pylist().index(runs["run_id"].iloc[0])
    lifetimes[index] += 1
    table = table.set_column(table.schema.get_field_index("lifetime"), "lifetime", [lifetimes])
    pq.write_table(table, part)
    result = replay(out, runs["run_id"].iloc[0])
    assert not result.matches and "lifetime" in result.differences[0]
    assert main(["replay", str(out), runs["run_id"].iloc[0]]) == 1
    assert main(["replay", str(out), "nope"]) == 2


def test_cli_errors_are_one_line_and_write_nothing(tmp_path, capsys, write_toml):
    bad = write_toml('scenario = "baseline"\nreplications = "many"\n')
    out = tmp_path / "out"
    assert main(["sweep", str(bad), "--out", str(out), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"error: {bad}: replications: expected a number, got str 'many'"
    assert not out.exists()
    good = write_toml(TOY, "good.toml")
    for args in (
        ["--shard", "3/2"],
        ["--workers", "0"],
        ["--worker-timeout", "-1"],
        ["--worker-timeout", "nan"],
        ["--scheduler", "tcp://x:1"],
        ["--executor", "dask", "--scheduler", "tcp://127.0.0.1:1"],
    ):
        assert main(["sweep", str(good), "--out", str(out), *args]) == 2
        assert len(capsys.readouterr().err.strip().splitlines()) == 1
    assert not out.exists()
    assert main(["status", str(tmp_path / "nothing")]) == 2


def test_cli_dry_run_sweep_and_status(tmp_path, capsys, write_toml):
    good = write_toml(TOY, "good.toml")
    out = tmp_path / "out"
    assert main(["sweep", str(good), "--out", str(out), "--dry-run"]) == 0
    printed = capsys.readouterr().out
    assert "planned runs: 72 (12 points)" in printed and "estimated time" in printed
    assert "x: 4 values in [0, 3]" in printed
    assert not out.exists()
    assert main(["sweep", str(good), "--out", str(out), "--executor", "serial"]) == 0
    assert "72 done, 0 failed, 0 pending" in capsys.readouterr().out
    assert main(["status", str(out)]) == 0
    assert "72 planned, 72 done, 0 failed, 0 pending" in capsys.readouterr().out
    flaky = write_toml(FLAKY, "flaky.toml")
    assert main(["sweep", str(flaky), "--out", str(tmp_path / "f"), "--executor", "serial"]) == 1


def test_alliance_model_runs_and_replays(tmp_path, write_toml, assert_same_stores, read_tables):
    text = """
name = "tiny"
scenario = "baseline"
replications = 2
seed = 1
horizon = 36
[parameters]
"leadership.relationships" = [0.2, 0.8]
"alliance.members" = 6
[output]
timeseries_every = 6
"""
    out = tmp_path / "store"
    result = sweep(write_toml(text), out=out, executor="serial")
    assert result.complete and result.done == 4
    data = read_tables(out)
    runs = data["runs"]
    assert {"survived", "outcome", "lifetime", "founding_members", "final_members"} <= set(
        runs.columns
    )
    assert (runs["founding_members"] == 6).all()
    assert data["timeseries"]["step"].max() <= 36
    assert replay(out, runs["run_id"].iloc[-1]).matches
    pooled = tmp_path / "pooled"
    result = sweep(write_toml(text), out=pooled, executor="processes", workers=2, chunk_size=1)
    assert result.executor == "processes"
    assert_same_stores(out, pooled)


def test_chunk_size_survives_a_per_run_time_near_zero():
    """Thousands of runs whose processes died (untimed) once drove the per-run estimate
    toward zero, and the chunk size to int(inf): an OverflowError ended the sweep."""
    from types import SimpleNamespace

    from sim.sweeps.plan import default_chunk_size
    from sim.sweeps.run import _Session

    session = SimpleNamespace(per_run=5e-324, target=SimpleNamespace(kind="alliance"))
    session.executor = "processes"
    assert _Session.chunk_size(session, 10_000, 2, None) == default_chunk_size(10_000, 2)


def test_an_outcome_beyond_64_bit_integers_fails_its_run_not_the_store():
    from sim.sweeps.runner import normalize_result

    with pytest.raises(ValueError, match="outcome 'x' is 1180591620717411303424: outside 64-bit"):
        normalize_result({"x": 2**70, "y": 1})
    assert normalize_result({"x": 2**63 - 1})[0] == {"x": 2**63 - 1}


@pytest.mark.parametrize("command", ["sweep", "calibrate"])
def test_an_interrupted_sweep_or_calibration_says_so_once(command, monkeypatch, capsys):
    import sim.calibration.run
    import sim.sweeps.run

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(sim.sweeps.run, "sweep", interrupted)
    monkeypatch.setattr(sim.calibration.run, "calibrate", interrupted)
    experiment = "quickstart" if command == "sweep" else "calibrate-baseline"
    assert main([command, experiment]) == 130
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: interrupted; run the same command")


UNGUARDED = """
import sys
from sim.sweeps.run import sweep
result = sweep(sys.argv[1], executor="processes", workers=2, out=sys.argv[2], progress=False)
print(result.line())
print(*result.errors, sep="\\n")
"""


def test_a_script_without_a_main_guard_stops_with_the_reason_instead_of_hanging(
    tmp_path, write_toml
):
    path = write_toml(
        f'name = "g"\nmodel = "{ROOT / "tests" / "light_models.py"}:light"\n'
        "replications = 20\nseed = 1\n[parameters]\nx = [0.0, 1.0]\n"
    )
    script = tmp_path / "unguarded.py"
    script.write_text(UNGUARDED, encoding="utf-8")
    store = tmp_path / "store"
    result = subprocess.run(
        [sys.executable, str(script), str(path), str(store)],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert 'call under if __name__ == "__main__":' in result.stderr
    assert "StoreBusy" not in result.stderr and "Traceback" not in result.stderr
    assert "0 failed, 40 pending of 40; none could run" in result.stdout
    assert "the worker processes cannot start: each runs the main script again" in result.stdout
    assert not list((store / "runs").glob("*.parquet"))  # no run blamed for the deaths


def test_a_report_of_another_model_speaks_of_steps_and_of_its_runs(tmp_path, write_toml):
    from sim.figures.report import write_report

    path = write_toml(
        f'name = "own"\nmodel = "{ROOT / "tests" / "light_models.py"}:light"\n'
        "replications = 3\nseed = 1\n[parameters]\nx = [0.0, 1.0]\n"
    )
    store = tmp_path / "own"
    sweep(path, out=store, progress=False, executor="serial")
    text = write_report(store, formats=("svg",)).read_text(encoding="utf-8")
    overview = text.split("## Overview", 1)[1].split("##", 1)[0]
    assert "6 finished runs; the model records no survival" in overview
    assert " months" not in text.split("## Overview", 1)[0]
    assert "| model | " in text and "| runs | 6 planned, 6 done" in text


GUARDED_NESTED = """
import sys
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from sim.sweeps.run import sweep


def one(args):
    return sweep(args[0], executor="serial", out=args[1], progress=False).line()


if __name__ == "__main__":
    with ProcessPoolExecutor(1, mp_context=get_context(sys.argv[3])) as pool:
        print(*pool.map(one, [(sys.argv[1], sys.argv[2])]))
"""


@pytest.mark.parametrize("method", ["spawn", "forkserver"])
def test_a_guarded_script_may_sweep_from_its_own_worker_processes(tmp_path, write_toml, method):
    path = write_toml(
        f'name = "n"\nmodel = "{ROOT / "tests" / "light_models.py"}:light"\n'
        "replications = 3\nseed = 1\n[parameters]\nx = [0.0, 1.0]\n"
    )
    script = tmp_path / "nested.py"
    script.write_text(GUARDED_NESTED, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, str(script), str(path), str(tmp_path / "store"), method],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "6 done, 0 failed, 0 pending of 6" in result.stdout
