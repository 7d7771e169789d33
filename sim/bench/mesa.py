"""``alliance-sim bench --mesa``: a Mesa example swept by alliance-sim and by ``mesa.batch_run``.

Both tools run the same runs (the same parameter values and seeds, stepped to the same
horizon) of Mesa's own ``SugarscapeG1mt`` example, with 1 and with 2 processes; the
sweep runs once as it is used (its determinism check first) and once with
``--no-determinism-check`` (the row ``unchecked``). Each
run of a tool is a fresh command whose whole process tree (the tool, its workers, the
forkserver, the determinism check's processes) is sampled every 20 ms; the figures
are its wall time, its runs per second and its peak memory: the sum over the tree of
the resident set (RSS, what ``ps`` and ``top`` show, which counts shared pages once per
process) and of the proportional set (PSS, shared pages divided among their sharers).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

MODEL = "mesa.examples.advanced.sugarscape_g1mt.model:SugarscapeG1mt"
PARAMETERS: dict[str, list[int]] = {"initial_population": [100, 200]}
FULL = {"replications": 20, "horizon": 20}
QUICK = {"replications": 1, "horizon": 2}
PROCESSES: tuple[int, ...] = (1, 2)
SAMPLE_SECONDS = 0.02

_BATCH_RUN = r"""
import json, sys
from mesa.batchrunner import batch_run
from sim.experiment.models import resolve_model

if __name__ == "__main__":
    model, parameters, seeds, horizon, processes = json.loads(sys.argv[1])
    rows = batch_run(
        resolve_model(model), parameters, number_processes=processes, rng=seeds,
        max_steps=horizon, data_collection_period=-1, display_progress=False,
    )
    print(len({(row["RunId"]) for row in rows}))
"""


def _children() -> dict[int, list[int]]:
    """Process id -> its children's ids, from ``/proc``."""
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        tree.setdefault(int(fields[1]), []).append(int(entry.name))
    return tree


def _tree(root: int) -> list[int]:
    """``root`` and all its descendants."""
    children, found, todo = _children(), [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += children.get(pid, [])
    return found


def _memory_kb(pid: int) -> tuple[int, int]:
    """RSS and PSS of a process in kB (zeros when it is gone)."""
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0, 0
    values = {}
    for line in text.splitlines()[1:]:
        name, _, rest = line.partition(":")
        values[name] = int(rest.split()[0]) if rest.split() else 0
    return values.get("Rss", 0), values.get("Pss", 0)


def measure(command: list[str]) -> dict[str, Any]:
    """Run ``command``; its wall time, exit code, last output line and tree's peak memory."""
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak_rss = peak_pss = 0
    while child.poll() is None:
        sizes = [_memory_kb(pid) for pid in _tree(child.pid)]
        peak_rss = max(peak_rss, sum(rss for rss, _ in sizes))
        peak_pss = max(peak_pss, sum(pss for _, pss in sizes))
        time.sleep(SAMPLE_SECONDS)
    out, err = child.communicate()
    lines = (out.strip() or err.strip()).splitlines()
    return {
        "seconds": time.perf_counter() - started,
        "exit": child.returncode,
        "line": lines[-1] if lines else "",
        "peak_rss_mb": peak_rss / 1024,
        "peak_pss_mb": peak_pss / 1024,
    }


def _experiment(folder: Path, sizes: dict[str, int]) -> Path:
    """The sweep's experiment file: the bench's runs as a grid design."""
    values = ", ".join(str(v) for v in PARAMETERS["initial_population"])
    path = folder / "mesa-bench.toml"
    path.write_text(
        f'model = "{MODEL}"\nhorizon = {sizes["horizon"]}\n'
        f"replications = {sizes['replications']}\nseed = 1\n\n"
        f"[parameters]\ninitial_population = [{values}]\n",
        encoding="utf-8",
    )
    return path


def _seeds(experiment: Path) -> list[int]:
    """The seeds the sweep gives its replicates (common random numbers: one per replicate)."""
    from sim.experiment.designs import build_design
    from sim.experiment.files import load_experiment

    runs = build_design(load_experiment(experiment)).runs
    return [int(s) for s in runs.sort_values("replicate")["seed"].unique()]


def _commands(folder: Path, sizes: dict[str, int], processes: int) -> dict[str, list[str]]:
    experiment = _experiment(folder, sizes)
    sweep = [sys.executable, "-m", "sim", "sweep", str(experiment), "--no-progress"]
    sweep += ["--out", str(folder / f"store-{processes}"), "--workers", str(processes)]
    arguments = [MODEL, PARAMETERS, _seeds(experiment), sizes["horizon"], processes]
    batch = [sys.executable, "-c", _BATCH_RUN, json.dumps(arguments)]
    unchecked = [*sweep, "--no-determinism-check"]
    unchecked[unchecked.index("--out") + 1] += "-unchecked"
    return {"alliance-sim sweep": sweep, "  unchecked": unchecked, "mesa.batch_run": batch}


def run_mesa_bench(json_output: bool = False, quick: bool = False) -> dict[str, Any]:
    """Measure both tools with 1 and 2 processes, print the table (or JSON) and return it."""
    sizes = QUICK if quick else FULL
    runs = sizes["replications"] * len(PARAMETERS["initial_population"])
    results: dict[str, Any] = {"model": MODEL, "runs": runs, **sizes, "quick": quick}
    results["cores"] = len(os.sched_getaffinity(0))
    results["load_before"] = os.getloadavg()[0]
    rows = []
    with tempfile.TemporaryDirectory(prefix="alliance-sim-mesa-bench-") as folder:
        for processes in PROCESSES:
            for tool, command in _commands(Path(folder), sizes, processes).items():
                row = {"tool": tool, "processes": processes, **measure(command)}
                row["runs_per_s"] = runs / row["seconds"]
                rows.append(row)
    results["rows"] = rows
    results["ok"] = all(row["exit"] == 0 for row in rows)
    print(json.dumps(results, indent=2) if json_output else format_mesa(results))
    return results


def format_mesa(results: dict[str, Any]) -> str:
    """The bench's table for humans."""
    lines = [
        f"{results['model']}: {results['runs']} runs of {results['horizon']} steps "
        f"({len(PARAMETERS['initial_population'])} points x {results['replications']} seeds), "
        f"{results['cores']} cores, load {results['load_before']:.1f} before",
        f"{'tool':<20} {'processes':>9} {'seconds':>8} {'runs/s':>7} "
        f"{'peak RSS MB':>12} {'peak PSS MB':>12}",
    ]
    for row in results["rows"]:
        lines.append(
            f"{row['tool']:<20} {row['processes']:>9} {row['seconds']:>8.1f} "
            f"{row['runs_per_s']:>7.2f} {row['peak_rss_mb']:>12.0f} {row['peak_pss_mb']:>12.0f}"
            + ("" if row["exit"] == 0 else f"  exit {row['exit']}: {row['line']}")
        )
    return "\n".join(lines)
