"""The benchmark's parts on tiny sizes: they run and report positive figures.

These check that ``alliance-sim bench`` works, not how fast the model is: the speed
targets are measured by the bench itself on a quiet machine.
"""

from __future__ import annotations

import argparse
import json

import pytest

from sim.bench import run as bench


def test_bench_simulate_tiny() -> None:
    result = bench.bench_simulate(runs=2, members=6, horizon=5)
    assert result["runs"] == 2
    assert result["ms_per_run"] > 0
    assert 1 <= result["months_per_run"] <= 5
    assert result["ns_per_tie_month"] > 0


def test_bench_mesa_tiny() -> None:
    result = bench.bench_mesa(runs=1, members=6, horizon=5)
    assert result["ms_per_run"] > 0
    assert 1 <= result["months_per_run"] <= 5


def test_sweep_tasks_run_through_the_sweep_runner() -> None:
    target, tasks = bench.sweep_tasks(4, members=6)
    assert len(tasks) == 4
    assert len({task.params for task in tasks}) == 4
    _, _, run_chunk = bench._sweep_api()
    outputs = run_chunk(target, tasks)
    assert [output.status for output in outputs] == ["ok"] * 4
    assert all(output.series is None for output in outputs)


def test_check_targets_compares_each_figure() -> None:
    results = {
        "simulate": {"ms_per_run": 1.0},
        "mesa": {"ms_per_run": 12.0},
        "sweep": {"pool_runs_per_s": 1500.0, "parallel_efficiency": 0.95},
        "large": {"large_s_180": 0.8},
    }
    met = {check["target"]: check["met"] for check in bench.check_targets(results)}
    assert met == {
        "simulate_ms": True,
        "mesa_ms": False,
        "sweep_runs_per_s": True,
        "parallel_efficiency": True,
        "large_s_180": True,
    }


def test_bench_command_is_registered() -> None:
    from sim.cli.bench import add_commands, cmd_bench

    parser = argparse.ArgumentParser()
    add_commands(parser.add_subparsers())
    args = parser.parse_args(["bench", "--json"])
    assert args.json is True and args.quick is False
    assert args.handler is cmd_bench


@pytest.mark.slow
def test_run_bench_quick_json(capsys: pytest.CaptureFixture[str]) -> None:
    """The whole bench on tiny sizes, with a process pool and fresh processes."""
    results = bench.run_bench(json_output=True, quick=True)
    printed = json.loads(capsys.readouterr().out)
    assert printed["quick"] is True
    for key in ("simulate", "mesa", "ratio", "sweep", "large", "targets", "all_met"):
        assert key in results and key in printed
    assert results["ratio"] > 0
    sweep = results["sweep"]
    assert sweep["serial_runs_per_s"] > 0 and sweep["pool_runs_per_s"] > 0
    assert sweep["parallel_efficiency"] > 0
    large = results["large"]
    for key in ("import_s", "first_run_s", "large_s", "state_mb", "peak_bytes_per_tie"):
        assert large[key] > 0, key
    assert large["largest_array"] < large["n_squared"]
    assert {check["target"] for check in results["targets"]} == set(bench.TARGETS)
