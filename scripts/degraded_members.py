"""Print what degraded alliances lost: members, or performance per member.

Usage (from the repository root)::

    python scripts/degraded_members.py

The degraded rule reads output, performance (the mean over active members) times the
share of founding members still active. For the degraded runs of target 14's
`regime-shift` showcase (its 200 runs) and of 400 baseline runs at the preset (seeds
``ROOT_SEED``), it prints the median share of founding members kept over the later-life
window and the median ratio of performance per active member there to its founding
level. docs/model.md (Known limitations) quotes this output; about twenty seconds.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from sim.experiment.seeds import run_seeds  # noqa: E402
from sim.model.simulation import simulate  # noqa: E402
from sim.parameters import CONSTANT_DEFAULTS  # noqa: E402
from sim.validation.classes import SHOWCASES  # noqa: E402
from sim.validation.common import ROOT_SEED  # noqa: E402

WINDOW = int(CONSTANT_DEFAULTS["degraded_window"])
FOUNDING = int(CONSTANT_DEFAULTS["founding_months"])
SHOWCASE_RUNS = 200
BASELINE_RUNS = 400


def degraded_levels(scenario: str, runs: int, seed: int, **params: float) -> np.ndarray:
    """Per degraded run: (share of founding members kept, performance ratio), both the
    later-life median against the founding level."""
    rows = []
    for run_seed in run_seeds(seed, runs):
        summary = simulate(scenario, rng=run_seed, record_every=1, **params)
        if summary["outcome"] != "degraded":
            continue
        series = summary["series"]
        step = np.asarray(series["step"])
        performance = np.asarray(series["performance"], dtype=float)
        members = np.asarray(series["active_members"], dtype=float)
        later = step > step[-1] - WINDOW
        founding = (step >= 1) & (step <= FOUNDING)
        rows.append(
            (
                np.median(members[later]) / summary["founding_members"],
                np.median(performance[later]) / np.nanmean(performance[founding]),
            )
        )
    return np.array(rows).reshape(-1, 2)


def line(label: str, runs: int, levels: np.ndarray) -> str:
    """One sample's figures."""
    kept, ratio = levels[:, 0], levels[:, 1]
    return (
        f"{label}: {len(levels)} of {runs} runs degraded; founding members kept (median) "
        f"{np.median(kept):.2f}; performance per active member against its founding level "
        f"(median) {np.median(ratio):.2f}, below 0.8 in {int(np.sum(ratio < 0.8))}"
    )


def main() -> None:
    scenario, profile = next((sc, p) for outcome, sc, p in SHOWCASES if outcome == "degraded")
    showcase = degraded_levels(scenario, SHOWCASE_RUNS, ROOT_SEED + 14, **dict(profile))
    print(line(f"{scenario} showcase (seeds ROOT_SEED + 14)", SHOWCASE_RUNS, showcase))
    baseline = degraded_levels("baseline", BASELINE_RUNS, ROOT_SEED)
    print(line("baseline preset (seeds ROOT_SEED)", BASELINE_RUNS, baseline))


if __name__ == "__main__":
    main()
