"""The benchmark's parts on tiny sizes: their figures agree with what they measure.

These check that ``alliance-sim bench`` computes and reports its figures right, not
how fast the model is: the speed targets are measured by the bench itself on a
quiet machine.
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np
import pytest

from sim.bench import demo
from sim.bench import run as bench
from sim.model.prepare import prepare, resolve_spec
from sim.model.simulation import simulate


def _lifetimes(runs: int, members: int, horizon: int) -> list[int]:
    return [
        simulate(bench.PRESET, rng=seed, members=members, horizon=horizon)["lifetime"]
        for seed in range(runs)
    ]


def test_bench_simulate_months_are_the_runs_lifetimes() -> None:
    lifetimes = _lifetimes(3, members=3, horizon=120)
    assert len(set(lifetimes)) > 1  # an alliance that ends early: months differ from horizon
    result = bench.bench_simulate(runs=3, members=3, horizon=120)
    assert (result["runs"], result["members"], result["horizon"]) == (3, 3, 120)
    assert result["months_per_run"] == pytest.approx(np.mean(lifetimes), rel=1e-12)


def test_bench_simulate_time_per_tie_month_reproduces_the_run_time() -> None:
    result = bench.bench_simulate(runs=1, members=6, horizon=24)
    spec = resolve_spec(bench.PRESET, members=6, horizon=24)
    ties = int(prepare(spec, 0).state.live.sum()) // 2
    months = _lifetimes(1, members=6, horizon=24)[0]
    assert result["months_per_run"] == months
    run_ns = result["ns_per_tie_month"] * ties * months
    assert run_ns == pytest.approx(result["ms_per_run"] * 1e6, rel=1e-9)


def test_bench_mesa_months_are_the_runs_lifetimes() -> None:
    result = bench.bench_mesa(runs=3, members=3, horizon=24)
    assert result["runs"] == 3
    assert result["months_per_run"] == pytest.approx(np.mean(_lifetimes(3, 3, 24)), rel=1e-12)
    assert result["ms_per_run"] > 0


def test_sweep_tasks_run_through_the_sweep_runner() -> None:
    target, tasks = bench.sweep_tasks(4, members=6)
    assert len(tasks) == 4
    assert len({task.params for task in tasks}) == 4
    for task in tasks:
        assert [key for key, _ in task.params] == [
            f"leadership.{name}" for name in bench.SWEEP_PARAMETERS
        ]
        assert all(0 <= value <= 1 for _, value in task.params)
    from sim.sweeps.runner import run_chunk

    outputs = run_chunk(target, tasks)
    assert [output.status for output in outputs] == ["ok"] * 4
    assert all(output.series is None for output in outputs)


def test_bench_sweep_efficiency_is_pool_over_workers_times_serial() -> None:
    result = bench.bench_sweep(8, repeats=1, workers=1)
    assert result["runs"] == 8 and result["workers"] == 1
    assert result["parallel_efficiency"] == pytest.approx(
        result["pool_runs_per_s"] / (result["workers"] * result["serial_runs_per_s"]), rel=1e-12
    )
    assert result["pool_start_s"] > 0


def _measured(value: float) -> dict:
    """Bench results whose every target figure is ``value``."""
    return {
        "simulate": {"ms_per_run": value},
        "mesa": {"ms_per_run": value},
        "sweep": {"pool_runs_per_s": value, "parallel_efficiency": value},
        "large": {"large_s_180": value},
        "compile": {"compile_s": value},
    }


def test_check_targets_compares_each_figure_with_its_limit() -> None:
    results = {
        "simulate": {"ms_per_run": 1.0},
        "mesa": {"ms_per_run": 12.0},
        "sweep": {"pool_runs_per_s": 1500.0, "parallel_efficiency": 0.95},
        "large": {"large_s_180": 0.8},
        "compile": {"compile_s": 45.0},
    }
    checks = {check["target"]: check for check in bench.check_targets(results)}
    assert {key: check["met"] for key, check in checks.items()} == {
        "simulate_ms": True,
        "mesa_ms": False,
        "sweep_runs_per_s": True,
        "parallel_efficiency": True,
        "large_s_180": True,
        "compile_s": False,
    }
    assert checks["mesa_ms"]["value"] == 12.0
    for key, (what, op, limit) in bench.TARGETS.items():
        assert (checks[key]["what"], checks[key]["op"], checks[key]["limit"]) == (what, op, limit)


@pytest.mark.parametrize("key", sorted(bench.TARGETS))
def test_check_targets_at_the_boundary(key: str) -> None:
    _, op, limit = bench.TARGETS[key]
    just_missed = limit * (1 + 1e-9) if op == "<=" else limit * (1 - 1e-9)
    for value, met in ((limit, True), (just_missed, False)):
        checks = {c["target"]: c for c in bench.check_targets(_measured(value))}
        assert checks[key]["value"] == value
        assert checks[key]["met"] is met, (key, value)


def _results(large_months: int) -> dict:
    """Made-up bench results with a distinct value for every figure the report shows."""
    results = {
        "cores": 7,
        "load_before": 0.25,
        "simulate": {
            "runs": 300,
            "members": 24,
            "horizon": 180,
            "ms_per_run": 1.2345,
            "months_per_run": 171.4,
            "ns_per_tie_month": 61.7,
        },
        "mesa": {"runs": 60, "ms_per_run": 12.3456},
        "ratio": 10.004,
        "sweep": {
            "runs": 2000,
            "chunk": 32,
            "serial_runs_per_s": 512.4,
            "pool_runs_per_s": 3333.3,
            "workers": 7,
            "parallel_efficiency": 0.9294,
            "pool_start_s": 1.234,
        },
        "large": {
            "members": 10_000,
            "horizon": 180,
            "ties": 50_123,
            "large_s": 0.4321,
            "months": large_months,
            "large_s_180": 0.4321 * 180 / large_months,
            "ns_per_tie_month": 47.9,
            "peak_mb": 12.34,
            "peak_bytes_per_tie": 258.2,
            "small_peak_bytes_per_tie": 301.7,
            "state_mb": 5.67,
            "largest_array": 150_369,
            "n_squared": 100_000_000,
            "import_s": 0.789,
            "first_run_s": 0.456,
        },
        "compile": {"compile_s": 48.76, "compile_cpu_s": 45.6, "peak_mb": 623.4, "load_s": 0.321},
    }
    results["targets"] = bench.check_targets(results)
    return results


def test_format_report_mentions_each_figure() -> None:
    text = bench.format_report(_results(180))
    for shown in (
        "7 cores",
        "load average 0.25",
        "1.23 ms/run (300 runs, 171 months/run",
        "12.35 ms/run (60 runs)",
        "ratio AllianceModel / simulate: 10.0",
        "62 ns at 24 members",
        "48 ns at 10,000 members",
        "2000 runs",
        "chunks of 32",
        "serial 512 runs/s",
        "(7 workers) 3333 runs/s",
        "parallel efficiency 93%",
        "pool start-up 1.23 s",
        "50,123 ties): 0.43 s for 180 months",
        "peak 12.3 MB",
        "258 bytes/tie (302 bytes/tie at a quarter",
        "state 5.7 MB",
        "150,369 elements (N x N = 100,000,000)",
        "import 0.79 s, first run (kernel cache load) 0.46 s",
        "empty cache 48.8 s (45.6 s of CPU, peak 623 MB) = 39,498 runs' time; then 0.32 s",
        "target <= 10 s: MISSED",
    ):
        assert shown in text, shown
    assert "target <= 10 ms: MISSED" in text and "target <= 2 ms: met" in text
    assert text.rstrip().endswith("targets missed: mesa_ms, compile_s")
    assert "scaled to" not in text  # the large run reached the horizon


def test_format_report_scales_a_large_run_that_ended_early() -> None:
    text = bench.format_report(_results(90))
    assert "(the alliance ended in month 90; 0.86 s scaled to 180 months)" in text


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
    assert printed == json.loads(json.dumps(results))  # what it printed is what it returned
    sizes = bench.QUICK
    assert results["simulate"]["runs"] == sizes["simulate_runs"]
    assert results["mesa"]["runs"] == sizes["mesa_runs"]
    assert results["ratio"] == pytest.approx(
        results["mesa"]["ms_per_run"] / results["simulate"]["ms_per_run"], rel=1e-12
    )
    sweep = results["sweep"]
    assert sweep["runs"] == sizes["sweep_runs"]
    assert sweep["parallel_efficiency"] == pytest.approx(
        sweep["pool_runs_per_s"] / (sweep["workers"] * sweep["serial_runs_per_s"]), rel=1e-12
    )
    large = results["large"]
    assert (large["members"], large["horizon"]) == (sizes["large_members"], sizes["large_horizon"])
    assert 1 <= large["months"] <= large["horizon"]
    assert large["large_s_180"] == pytest.approx(
        large["large_s"] * large["horizon"] / large["months"], rel=1e-12
    )
    assert large["ns_per_tie_month"] == pytest.approx(
        large["large_s"] / (large["ties"] * large["months"]) * 1e9, rel=1e-12
    )
    assert large["largest_array"] < large["n_squared"] == large["members"] ** 2
    assert results["targets"] == bench.check_targets(results)
    assert results["all_met"] == all(check["met"] for check in results["targets"])


def test_mesa_bench_measures_the_whole_process_tree() -> None:
    from sim.bench.mesa import measure

    child = "import time; b = b'x' * (80 * 2**20); time.sleep(1.0)"
    parent = (
        "import subprocess, sys, time; b = b'x' * (40 * 2**20); "
        f"subprocess.run([sys.executable, '-c', {child!r}]); print('done')"
    )
    result = measure([sys.executable, "-c", parent])
    assert result["exit"] == 0 and result["line"] == "done"
    assert result["peak_rss_mb"] > 120 and 0 < result["peak_pss_mb"] <= result["peak_rss_mb"]


@pytest.mark.slow
def test_mesa_bench_quick_runs_both_tools(capsys: pytest.CaptureFixture[str]) -> None:
    from sim.bench.mesa import QUICK, run_mesa_bench

    results = run_mesa_bench(quick=True)
    assert results["ok"] and results["runs"] == 2 * QUICK["replications"]
    tools = [(row["tool"].strip(), row["processes"]) for row in results["rows"]]
    assert tools == [
        (t, p) for p in (1, 2) for t in ("alliance-sim sweep", "unchecked", "mesa.batch_run")
    ]
    assert "peak RSS MB" in capsys.readouterr().out


@pytest.mark.slow
def test_bench_compile_fills_an_empty_cache_then_loads_from_it() -> None:
    """A cold compile (about a minute) into a fresh folder; loading it afterwards is quick."""
    result = bench.bench_compile()
    assert result["compile_s"] > 5 * result["load_s"]
    assert result["compile_cpu_s"] > 1.0 and result["peak_mb"] > 0


def _demo_results(ready: float, step: float, play: float) -> dict:
    """Made-up demo bench results with a distinct value for every figure the report shows."""
    results = {
        "cores": 2,
        "load_before": 0.31,
        "inprocess": {"repeats": 20, "model_step_s": 0.000321, "page_step_s": 0.0987},
        "browser": {
            "ready_first_s": ready,
            "figure_first_s": ready + 0.011,
            "ready_again_s": 1.234,
            "figure_again_s": 1.345,
            "steps": 10,
            "step_median_s": step,
            "step_max_s": 0.456,
            "step_figures_median_s": 0.222,
            "step_figures_max_s": 0.567,
            "play_months": 61,
            "play_seconds": 10.02,
            "play_months_per_s": play,
        },
        "step_over_page": step / 0.0987,
        "frame_over_page": 1 / play / 0.0987,
    }
    results["targets"] = demo.check_targets(results)
    return results


def test_demo_check_targets_at_the_boundary() -> None:
    limits = {key: limit for key, (_, _, limit) in demo.TARGETS.items()}
    at = _demo_results(limits["ready_s"], limits["step_s"], limits["play_months_per_s"])
    assert all(check["met"] for check in at["targets"])
    missed = _demo_results(
        limits["ready_s"] * 1.001, limits["step_s"] * 1.001, limits["play_months_per_s"] * 0.999
    )
    assert not any(check["met"] for check in missed["targets"])
    for check in missed["targets"]:
        what, op, limit = demo.TARGETS[check["target"]]
        assert (check["what"], check["op"], check["limit"]) == (what, op, limit)


def test_demo_format_report_mentions_each_figure() -> None:
    text = demo.format_report(_demo_results(2.5, 0.189, 6.1))
    for shown in (
        "2 cores",
        "load average 0.31",
        "Step usable 2.50 s after navigation, network shown 2.51 s",
        "reload 1.23 s and 1.34 s",
        "median 0.189 s, max 0.456 s",
        "to every figure: median 0.222 s, max 0.567 s (10 steps)",
        "6.1 months/s (61 months in 10.0 s)",
        "one month of the model 0.32 ms",
        "without a browser 99 ms (medians of 20)",
        "browser Step / page Step in this process 1.9",
        "Play frame time / page Step in this process 1.7",
    ):
        assert shown in text, shown
    assert text.rstrip().endswith("all targets met")
    slow = demo.format_report(_demo_results(3.5, 0.4, 4.0))
    assert slow.rstrip().endswith("targets missed: ready_s, step_s, play_months_per_s")


def test_bench_demo_without_chromium_says_so_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from pathlib import Path

    from sim.app import server
    from sim.cli.main import main

    monkeypatch.setattr(server, "CHROMIUM", Path("/nonexistent/chromium"))
    assert main(["bench", "--demo"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Chromium not found at /nonexistent/chromium" in err


def test_bench_demo_without_the_demo_extra_says_so_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import sys

    from sim.cli.main import main

    for name in ("solara", "solara.server", "solara.server.settings"):
        monkeypatch.setitem(sys.modules, name, None)
    assert main(["bench", "--demo"]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("error: alliance-sim bench --demo: needs the 'demo' extra (solara")
    assert line.endswith("is not installed): pip install 'alliance-sim[demo]'")


def test_bench_demo_option_is_registered() -> None:
    from sim.cli.bench import add_commands

    parser = argparse.ArgumentParser()
    add_commands(parser.add_subparsers())
    args = parser.parse_args(["bench", "--demo", "--quick"])
    assert args.demo is True and args.quick is True and args.mesa is False


@pytest.mark.slow
@pytest.mark.browser
def test_demo_bench_quick_drives_the_page(capsys: pytest.CaptureFixture[str]) -> None:
    """The demo bench on two steps and two seconds of Play, in headless Chromium."""
    reason = demo.unavailable()
    if reason:
        pytest.skip(reason)
    results = demo.run_demo_bench(json_output=True, quick=True)
    assert json.loads(capsys.readouterr().out) == json.loads(json.dumps(results))
    browser = results["browser"]
    assert browser["steps"] == demo.QUICK["steps"]
    assert 0 < browser["step_median_s"] <= browser["step_max_s"]
    assert browser["step_median_s"] <= browser["step_figures_max_s"]
    assert browser["play_months"] > 0
    assert browser["play_months_per_s"] == pytest.approx(
        browser["play_months"] / browser["play_seconds"], rel=1e-12
    )
    assert results["targets"] == demo.check_targets(results)
