"""``alliance-sim bench``: how fast the model runs, measured against its speed targets.

Every figure is a median over repeated runs on this machine:

- one run of 24 members over 180 months through :func:`sim.model.simulation.simulate`, and
  through :class:`sim.model.model.AllianceModel` stepped as a Mesa user steps it
  (``while model.running: model.step()``, its DataCollector recording every month),
  and their ratio;
- the time per tie-month (one tie through one month);
- the throughput of a fixed sweep without time series (random leadership qualities
  and concentration at 24 members) with the serial and the process-pool executor,
  after the pool has started, and the parallel efficiency;
- time and peak memory of one 10,000-member run over 180 months, in a fresh process;
- what a fresh process pays once before its first run: imports and loading the
  compiled kernel from numba's disk cache (or compiling it);
- what a fresh installation pays once: the kernel compiled into an empty cache, in a
  fresh process (skipped by ``--quick``).

A run ends early when its alliance collapses, so each figure says how many months
were simulated; the large run's target is checked on its time scaled to 180 months
when it ended sooner.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np

from sim.scenario import LEADERSHIP_KEYS

PRESET = "baseline"
MEMBERS = 24
HORIZON = 180
LARGE_MEMBERS = 10_000
LARGE_DEGREE = 10.0
SWEEP_PARAMETERS = LEADERSHIP_KEYS

TARGETS: dict[str, tuple[str, str, float]] = {
    "simulate_ms": ("simulate, 24 members x 180 months", "<=", 2.0),
    "mesa_ms": ("AllianceModel through Mesa", "<=", 10.0),
    "sweep_runs_per_s": ("sweep on the process pool", ">=", 1000.0),
    "parallel_efficiency": ("parallel efficiency", ">=", 0.9),
    "large_s_180": ("10,000 members x 180 months", "<=", 1.0),
    "compile_s": ("first run with an empty compile cache", "<=", 10.0),
}
"""Target key -> (what, comparison, limit)."""

FULL = {
    "simulate_runs": 300,
    "mesa_runs": 60,
    "sweep_runs": 2000,
    "sweep_repeats": 3,
    "large_members": LARGE_MEMBERS,
    "large_horizon": HORIZON,
    "process_repeats": 3,
}
QUICK = {
    "simulate_runs": 3,
    "mesa_runs": 2,
    "sweep_runs": 16,
    "sweep_repeats": 1,
    "large_members": 300,
    "large_horizon": 5,
    "process_repeats": 1,
}


def _median(values: list[float]) -> float:
    return float(statistics.median(values))


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def _founding_ties(spec: Any, seed: int) -> int:
    """Live undirected ties at founding of the run with this seed."""
    from sim.model.prepare import prepare

    return int(prepare(spec, seed).state.live.sum()) // 2


# ----------------------------------------------------------------------------------------
# One run, both faces
# ----------------------------------------------------------------------------------------


def _time_runs(one: Callable[[int], int], runs: int) -> tuple[list[float], list[int]]:
    """Seconds and months of ``one(seed)`` for seeds 0..runs-1, after one untimed warm-up."""
    one(0)  # load or compile the kernel
    seconds: list[float] = []
    months: list[int] = []
    for seed in range(runs):
        elapsed, month = _timed(partial(one, seed))
        seconds.append(elapsed)
        months.append(month)
    return seconds, months


def bench_simulate(runs: int, members: int = MEMBERS, horizon: int = HORIZON) -> dict[str, float]:
    """Median time of ``simulate`` per run (seeds 0..runs-1), months and time per tie-month."""
    from sim.model.prepare import resolve_spec
    from sim.model.simulation import simulate

    def one(seed: int) -> int:
        return int(simulate(PRESET, rng=seed, members=members, horizon=horizon)["lifetime"])

    seconds, months = _time_runs(one, runs)
    spec = resolve_spec(PRESET, members=members, horizon=horizon)
    per_tie = [
        seconds[seed] / max(1, _founding_ties(spec, seed) * max(1, months[seed]))
        for seed in range(runs)
    ]
    return {
        "runs": runs,
        "members": members,
        "horizon": horizon,
        "ms_per_run": _median(seconds) * 1e3,
        "months_per_run": float(np.mean(months)),
        "ns_per_tie_month": _median(per_tie) * 1e9,
    }


def bench_mesa(runs: int, members: int = MEMBERS, horizon: int = HORIZON) -> dict[str, float]:
    """Median time per run of ``AllianceModel`` built and stepped as a Mesa user does."""
    from sim.model.model import AllianceModel

    def one(seed: int) -> int:
        model = AllianceModel(preset=PRESET, members=members, horizon=horizon, rng=seed)
        while model.running:
            model.step()
        return model.month

    seconds, months = _time_runs(one, runs)
    return {
        "runs": runs,
        "members": members,
        "horizon": horizon,
        "ms_per_run": _median(seconds) * 1e3,
        "months_per_run": float(np.mean(months)),
    }


# ----------------------------------------------------------------------------------------
# Sweep throughput
# ----------------------------------------------------------------------------------------


def sweep_tasks(runs: int, members: int = MEMBERS) -> tuple[Any, list[Any]]:
    """The fixed sweep: ``runs`` points of random qualities and concentration, one seed each."""
    from sim.experiment import SIMULATE_REF
    from sim.model.prepare import resolve_spec
    from sim.sweeps.runner import ModelTarget, RunTask

    spec = resolve_spec(PRESET, members=members, horizon=HORIZON)
    target = ModelTarget(kind="alliance", ref=SIMULATE_REF, spec=spec, record_every=0)
    values = np.random.default_rng(20240601).random((runs, len(SWEEP_PARAMETERS)))
    tasks = []
    for row in range(runs):
        params = tuple(
            (f"leadership.{name}", float(values[row, k])) for k, name in enumerate(SWEEP_PARAMETERS)
        )
        tasks.append(RunTask(f"bench-{row}", row, params))
    return target, tasks


def bench_sweep(runs: int, repeats: int = 3, workers: int | None = None) -> dict[str, float]:
    """Runs per second of the fixed sweep, serial and on a started process pool.

    Both executors run the same chunks of :func:`run_chunk` (the sweep's unit of work)
    through ``imap_unordered``; the pool is started and warmed before it is timed, and
    its start-up is reported on its own.
    """
    from functools import partial

    from sim.sweeps.executors import default_workers, make_executor
    from sim.sweeps.plan import chunks as in_chunks
    from sim.sweeps.runner import run_chunk

    target, tasks = sweep_tasks(runs)
    workers = workers or default_workers()
    size = max(1, min(64, len(tasks) // (workers * 8) or 1))
    chunks = list(in_chunks(iter(tasks), size))
    work = partial(run_chunk, target)

    def through(runner: Any) -> float:
        done = 0
        start = time.perf_counter()
        for _, result, error in runner.imap_unordered(work, chunks):
            if error is not None:
                raise RuntimeError(f"sweep chunk failed: {error}")
            done += sum(1 for output in result if output.status == "ok")
        elapsed = time.perf_counter() - start
        if done != len(tasks):
            raise RuntimeError(f"sweep ran {done} of {len(tasks)} runs ok")
        return len(tasks) / elapsed

    work(chunks[0])  # this process: imports and kernel loaded before timing
    with make_executor("serial") as serial:
        serial_rates = [through(serial) for _ in range(repeats)]
    started = time.perf_counter()
    with make_executor(
        "processes", workers, preload=["sim.model.simulation", "sim.sweeps.runner"]
    ) as pool:
        warm = [pool.submit(work, chunks[k % len(chunks)][:1]) for k in range(2 * pool.workers)]
        for future in warm:
            future.result()
        pool_start = time.perf_counter() - started
        pool_rates = [through(pool) for _ in range(repeats)]
        pool_workers = pool.workers
    serial_rate = _median(serial_rates)
    pool_rate = _median(pool_rates)
    return {
        "runs": len(tasks),
        "chunk": size,
        "serial_runs_per_s": serial_rate,
        "pool_runs_per_s": pool_rate,
        "workers": pool_workers,
        "parallel_efficiency": pool_rate / (pool_workers * serial_rate),
        "pool_start_s": pool_start,
    }


# ----------------------------------------------------------------------------------------
# Fresh processes: start-up and the large run
# ----------------------------------------------------------------------------------------

_CHILD = r"""
import json, sys, time, tracemalloc
members, horizon, degree = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
t0 = time.perf_counter()
from sim.model.prepare import prepare, resolve_spec
from sim.model.simulation import simulate
t1 = time.perf_counter()
simulate("baseline", rng=0, members=24, horizon=12)
t2 = time.perf_counter()
from sim import kernel
from sim.model.summary import summarize


def one_run(members):
    # One lead organisation (Provan & Kenis 2008): with shared leadership a
    # 10,000-member alliance drowns in coordination costs within months.
    spec = resolve_spec(
        "baseline", members=members, mean_degree=degree, horizon=horizon, concentration=1.0
    )
    start = time.perf_counter()
    run = prepare(spec, 1)
    ties = int(run.state.live.sum()) // 2
    kernel.run(run.state, run.qualities, run.consts, run.generator)
    summary = summarize(run.state, run.consts, run.seed)
    return time.perf_counter() - start, summary["lifetime"], ties, run.state


def peak_bytes(members):
    tracemalloc.start()
    _, _, ties, _ = one_run(members)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak, ties


seconds, months, ties, state = one_run(members)
arrays = [a for a in state if hasattr(a, "nbytes")]
peak, _ = peak_bytes(members)
small_peak, small_ties = peak_bytes(max(3, members // 4))
print(json.dumps({
    "import_s": t1 - t0, "first_run_s": t2 - t1, "large_s": seconds,
    "months": months, "ties": ties, "edge_slots": int(state.src.size),
    "peak_mb": peak / 2**20, "peak_bytes_per_tie": peak / ties,
    "small_peak_bytes_per_tie": small_peak / small_ties,
    "state_mb": sum(a.nbytes for a in arrays) / 2**20,
    "largest_array": max(a.size for a in arrays),
}))
"""


def _python(code: str, *args: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run ``code`` in a fresh Python process importing this copy of ``sim``; its last
    line of output, as JSON."""
    from sim.locations import child_environment

    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        env=child_environment({**os.environ, **(env or {})}),
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"benchmark process failed: {done.stderr.strip()[-500:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _child(members: int, horizon: int, degree: float) -> dict[str, Any]:
    return _python(_CHILD, str(members), str(horizon), str(degree))


_COMPILE_CHILD = r"""
import json, resource, time
wall, cpu = time.perf_counter(), time.process_time()
from sim.model.compiled import ensure_kernel
ensure_kernel()
print(json.dumps({
    "s": time.perf_counter() - wall,
    "cpu_s": time.process_time() - cpu
    + resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime
    + resource.getrusage(resource.RUSAGE_CHILDREN).ru_stime,
    "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}))
"""


def bench_compile() -> dict[str, float]:
    """A fresh installation's first run: the kernel compiled into an empty cache, in a
    fresh process (wall seconds; CPU seconds of the process and of the second process
    compiling the founding; the first process's peak memory), then loaded from that
    cache in another."""
    from sim.kernel.cache import CACHE_ENV

    with tempfile.TemporaryDirectory(prefix="alliance-sim-cache-") as cache:
        cold = _python(_COMPILE_CHILD, env={CACHE_ENV: cache})
        warm = _python(_COMPILE_CHILD, env={CACHE_ENV: cache})
    return {
        "compile_s": cold["s"],
        "compile_cpu_s": cold["cpu_s"],
        "peak_mb": cold["peak_mb"],
        "load_s": warm["s"],
    }


def bench_processes(
    repeats: int, members: int = LARGE_MEMBERS, horizon: int = HORIZON, degree: float = LARGE_DEGREE
) -> dict[str, Any]:
    """Fresh processes: import and first-run (kernel cache load) time, and one large run.

    Each process imports, runs one small alliance (loading the compiled kernel), then
    times one ``members``-member run over ``horizon`` months, then measures the peak
    memory of that run and of one with a quarter of the members (``tracemalloc``,
    which sees the compiled kernel's arrays too).
    """
    results = [_child(members, horizon, degree) for _ in range(repeats)]
    out: dict[str, Any] = {"repeats": repeats, "members": members, "horizon": horizon}
    for key in results[0]:
        out[key] = _median([float(r[key]) for r in results])
    out["months"] = int(out["months"])
    out["ties"] = int(out["ties"])
    out["large_s_180"] = out["large_s"] * horizon / max(1, out["months"])
    out["ns_per_tie_month"] = out["large_s"] / max(1, out["ties"] * out["months"]) * 1e9
    out["n_squared"] = members * members
    return out


# ----------------------------------------------------------------------------------------
# The whole bench
# ----------------------------------------------------------------------------------------


def check_targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target with its measured value and whether it is met."""
    values = {
        "simulate_ms": results["simulate"]["ms_per_run"],
        "mesa_ms": results["mesa"]["ms_per_run"],
        "sweep_runs_per_s": results["sweep"]["pool_runs_per_s"],
        "parallel_efficiency": results["sweep"]["parallel_efficiency"],
        "large_s_180": results["large"]["large_s_180"],
    }
    if results.get("compile"):  # --quick skips the compile
        values["compile_s"] = results["compile"]["compile_s"]
    return compare(values, TARGETS)


def compare(
    values: dict[str, float], targets: dict[str, tuple[str, str, float]]
) -> list[dict[str, Any]]:
    """Each target (key -> (what, "<=" or ">=", limit)) measured in ``values``, with its
    value and whether it is met; targets not measured are left out."""
    checks = []
    for key, (what, comparison, limit) in targets.items():
        if key not in values:
            continue
        value = values[key]
        met = value <= limit if comparison == "<=" else value >= limit
        checks.append(
            {
                "target": key,
                "what": what,
                "value": value,
                "limit": limit,
                "op": comparison,
                "met": bool(met),
            }
        )
    return checks


def format_report(results: dict[str, Any]) -> str:
    """The bench's results for humans."""
    sim_ = results["simulate"]
    mesa = results["mesa"]
    sweep = results["sweep"]
    large = results["large"]
    met = {check["target"]: "met" if check["met"] else "MISSED" for check in results["targets"]}
    lines = [
        f"alliance-sim bench ({results['cores']} cores, load average "
        f"{results['load_before']:.2f} before; medians over repeated runs)",
        f"  simulate       {sim_['members']} members x {sim_['horizon']} months: "
        f"{sim_['ms_per_run']:.2f} ms/run ({sim_['runs']} runs, "
        f"{sim_['months_per_run']:.0f} months/run on average)   "
        f"target <= 2 ms: {met['simulate_ms']}",
        f"  AllianceModel  stepped through Mesa with its DataCollector: "
        f"{mesa['ms_per_run']:.2f} ms/run ({mesa['runs']} runs)   "
        f"target <= 10 ms: {met['mesa_ms']}",
        f"  ratio AllianceModel / simulate: {results['ratio']:.1f}",
        f"  time per tie-month: {sim_['ns_per_tie_month']:.0f} ns at {sim_['members']} members, "
        f"{large['ns_per_tie_month']:.0f} ns at {large['members']:,} members",
        f"  sweep          {sweep['runs']} runs, no time series, chunks of {sweep['chunk']}: "
        f"serial {sweep['serial_runs_per_s']:.0f} runs/s; process pool "
        f"({sweep['workers']} workers) {sweep['pool_runs_per_s']:.0f} runs/s   "
        f"target >= 1000 runs/s: {met['sweep_runs_per_s']}",
        f"                 parallel efficiency {sweep['parallel_efficiency']:.0%}   "
        f"target >= 90%: {met['parallel_efficiency']}; pool start-up "
        f"{sweep['pool_start_s']:.2f} s, once per sweep",
        f"  large run      {large['members']:,} members (one lead organisation, "
        f"mean degree {LARGE_DEGREE:g}, "
        f"{large['ties']:,} ties): {large['large_s']:.2f} s for {large['months']} months",
    ]
    if large["months"] < large["horizon"]:
        lines.append(
            f"                 (the alliance ended in month {large['months']}; "
            f"{large['large_s_180']:.2f} s scaled to {large['horizon']} months)"
        )
    lines += [
        f"                 target <= 1 s for {large['horizon']} months: {met['large_s_180']}",
        f"  memory         peak {large['peak_mb']:.1f} MB traced during the large run = "
        f"{large['peak_bytes_per_tie']:.0f} bytes/tie ({large['small_peak_bytes_per_tie']:.0f} "
        f"bytes/tie at a quarter of the members); state {large['state_mb']:.1f} MB; largest "
        f"array {large['largest_array']:,.0f} elements (N x N = {large['n_squared']:,})",
        f"  per process    import {large['import_s']:.2f} s, first run (kernel cache load) "
        f"{large['first_run_s']:.2f} s: paid once per worker, then "
        f"{sim_['ms_per_run']:.2f} ms per run",
    ]
    compiled = results.get("compile")
    if compiled:
        lines.append(
            f"  compile        first run with an empty cache {compiled['compile_s']:.1f} s "
            f"({compiled['compile_cpu_s']:.1f} s of CPU, peak {compiled['peak_mb']:.0f} MB) = "
            f"{1000 * compiled['compile_s'] / sim_['ms_per_run']:,.0f} runs' time; then "
            f"{compiled['load_s']:.2f} s to load per process   "
            f"target <= 10 s: {met['compile_s']}"
        )
    missed = [check["target"] for check in results["targets"] if not check["met"]]
    lines.append("  all targets met" if not missed else f"  targets missed: {', '.join(missed)}")
    return "\n".join(lines)


def run_bench(json_output: bool = False, quick: bool = False) -> dict[str, Any]:
    """Run the benchmark, print its report (text, or JSON when ``json_output``) and return it.

    ``quick`` runs every measurement on tiny sizes (a check that the bench works,
    not a measurement).
    """
    from sim.sweeps.executors import default_workers

    sizes = QUICK if quick else FULL
    started = time.perf_counter()
    results: dict[str, Any] = {
        "cores": default_workers(),
        "quick": quick,
        "load_before": os.getloadavg()[0],
    }
    results["simulate"] = bench_simulate(sizes["simulate_runs"])
    results["mesa"] = bench_mesa(sizes["mesa_runs"])
    results["ratio"] = results["mesa"]["ms_per_run"] / results["simulate"]["ms_per_run"]
    results["sweep"] = bench_sweep(sizes["sweep_runs"], sizes["sweep_repeats"])
    results["large"] = bench_processes(
        sizes["process_repeats"], sizes["large_members"], sizes["large_horizon"]
    )
    results["compile"] = None if quick else bench_compile()
    results["targets"] = check_targets(results)
    results["all_met"] = all(check["met"] for check in results["targets"])
    results["bench_s"] = time.perf_counter() - started
    if json_output:
        print(json.dumps(results, indent=2))
    else:
        print(format_report(results))
    return results
