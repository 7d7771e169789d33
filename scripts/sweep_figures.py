"""Print the figures README.md and docs/sweeps.md quote from the shipped sweeps.

Usage (from the repository root)::

    python scripts/sweep_figures.py [--json]

Runs, into a temporary folder: the fixed ``quickstart`` (its points' survival shares and
largest half-width); the adaptive ``quickstart-precise`` (runs, rounds and replicates per
point); the same design fixed at 400 replicates (the replicates a fixed sweep needs for
every point to reach the half-width of 0.05); adaptive sweeps aimed at the fixed
quickstart's largest half-width with three settings of ``min`` and ``step``; and
``leadership-sobol`` with the discovery of its collapses (the README's example). About
45 s on 2 cores with a warm kernel cache; a slow test checks the quoted figures.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from sim.analysis import load  # noqa: E402
from sim.experiment import load_experiment  # noqa: E402
from sim.intervals import wilson_half_width  # noqa: E402
from sim.sweeps.run import sweep  # noqa: E402

DISCOVER_WHERE = "outcome == 'collapse'"
"""The README's discovery condition."""
STEPS = ((20, 20), (10, 10), (10, 5))
"""(min, step) of the adaptive sweeps aimed at the fixed quickstart's largest half-width."""


def _run(experiment: Any, out: Path) -> Any:
    return sweep(experiment, out=out, progress=False, executor="processes")


def _point_table(store: Path) -> Any:
    """Per point: replicates, survival share and the Wilson half-width of ``survived``."""
    runs = load(store).ok
    table = runs.groupby("point_id")["survived"].agg(["size", "sum", "mean"])
    table["half_width"] = wilson_half_width(table["sum"].to_numpy(), table["size"].to_numpy())
    return table


def _fixed_needed(store: Path, half_width: float, step: int) -> int:
    """Smallest replicates r (a multiple of ``step``) at which every point's first r
    replicates reach ``half_width``."""
    runs = load(store).ok
    top = int(runs.groupby("point_id").size().min())
    for r in range(step, top + 1, step):
        first = runs[runs["replicate"] < r]
        counts = first.groupby("point_id")["survived"].agg(["size", "sum"])
        if (
            wilson_half_width(counts["sum"].to_numpy(), counts["size"].to_numpy()) <= half_width
        ).all():
            return r
    return -1


def quickstart_figures(folder: Path) -> dict[str, Any]:
    """The quickstart and quickstart-precise figures."""
    fixed = folder / "quickstart"
    _run("quickstart", fixed)
    points = _point_table(fixed)
    largest = float(points["half_width"].max())
    precise = load_experiment("quickstart-precise")
    result = _run(precise, folder / "precise")
    replicates = _point_table(folder / "precise")["size"]
    full = dataclasses.replace(precise, precision=None, name="precise-fixed")
    _run(full, folder / "precise-fixed")
    needed = _fixed_needed(folder / "precise-fixed", precise.precision.half_width, 20)
    aimed = {}
    for low, step in STEPS:
        precision = dataclasses.replace(
            precise.precision, half_width=round(largest, 3), min=low, step=step
        )
        experiment = dataclasses.replace(precise, precision=precision, name=f"aim-{low}-{step}")
        aimed[f"min {low}, step {step}"] = _run(experiment, folder / experiment.name).done
    return {
        "quickstart survival shares": [
            round(float(points["mean"].min()), 2),
            round(float(points["mean"].max()), 2),
        ],
        "quickstart largest half-width": round(largest, 3),
        "quickstart-precise runs": result.done,
        "quickstart-precise rounds": result.rounds,
        "quickstart-precise replicates per point": sorted(
            (int(v) for v in replicates), reverse=True
        ),
        "fixed replicates for every point to reach 0.05": needed,
        "fixed runs for every point to reach 0.05": needed * len(replicates),
        "adaptive runs aimed at the quickstart's largest half-width": aimed,
    }


def discovery_figures(folder: Path) -> dict[str, Any]:
    """The leadership-sobol sweep and the discovery of its collapses."""
    from sim.analysis.discovery import discover

    store = folder / "leadership-sobol"
    _run("leadership-sobol", store)
    found = discover(store, DISCOVER_WHERE)
    last = found.select(len(found.trajectory) - 1)
    box = found.box
    assert box is not None
    return {
        "runs": found.runs,
        "collapse share": round(found.cases / found.runs, 3),
        "boxes": len(found.trajectory),
        "chosen box": found.chosen,
        "chosen coverage": round(box.coverage, 3),
        "chosen density": round(box.density, 3),
        "chosen limits (parameter, low end or None, high end or None, quasi-p)": [
            (
                row.parameter,
                _end(row.min, row.low),
                _end(row.max, row.high),
                float(f"{row.qp_value:.2g}"),
            )
            for row in box.limits.itertuples()
        ],
        "last box coverage": round(last.coverage, 3),
        "last box density": round(last.density, 3),
        "last box restrictions": len(last.limits),
    }


def _end(limit: Any, edge: Any) -> float | None:
    """A box's limit rounded, or None where it is the parameter's edge in the runs."""
    if limit is None or limit == edge:
        return None
    return round(float(limit), 3)


def figures() -> dict[str, Any]:
    """Every figure, by name."""
    with tempfile.TemporaryDirectory(prefix="sweep-figures-") as tmp:
        return {**quickstart_figures(Path(tmp)), **discovery_figures(Path(tmp))}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    found = figures()
    if args.json:
        print(json.dumps(found, default=lambda x: x.item() if isinstance(x, np.generic) else x))
        return 0
    for name, value in found.items():
        print(f"{name}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
