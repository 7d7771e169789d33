"""Print what degraded alliances lost: members, or performance per member.

Usage (from the repository root)::

    python scripts/degraded_members.py

The degraded rule reads output, performance (the mean over active members) times the
share of founding members still active. For the degraded runs of target 14's
`regime-shift` showcase (its 200 runs) and of 400 baseline runs at the preset (seeds
``ROOT_SEED``), it prints the median share of founding members kept over the later-life
window and the median ratio of performance per active member there to its founding
level, and how many degraded runs kept at least ``degraded_share`` of their members or
saw that ratio fall below it. docs/model.md (Known limitations) quotes this output (a
test checks it); a few seconds.
"""

from __future__ import annotations

import inspect
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from sim.experiment.seeds import run_seeds  # noqa: E402
from sim.model.simulation import simulate  # noqa: E402
from sim.parameters import CONSTANT_DEFAULTS  # noqa: E402
from sim.validation.classes import SHOWCASES, target_teachable  # noqa: E402
from sim.validation.common import ROOT_SEED  # noqa: E402
from sim.validation.targets import default_seed  # noqa: E402

WINDOW = int(CONSTANT_DEFAULTS["degraded_window"])
FOUNDING = int(CONSTANT_DEFAULTS["founding_months"])
SHARE = CONSTANT_DEFAULTS["degraded_share"]
SHOWCASE_RUNS = int(inspect.signature(target_teachable).parameters["runs"].default)
SHOWCASE_SEED = default_seed(target_teachable)
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


def summary(levels: np.ndarray) -> dict[str, float]:
    """What a sample's degraded runs lost: their number, the medians of the share of
    founding members kept and of the performance ratio, how many kept at least
    ``degraded_share`` of their members, and in how many the ratio is below it."""
    kept, ratio = levels[:, 0], levels[:, 1]
    return {
        "degraded": len(levels),
        "kept": float(np.median(kept)),
        "ratio": float(np.median(ratio)),
        "kept their members": int(np.sum(kept >= SHARE)),
        "ratio below the share": int(np.sum(ratio < SHARE)),
    }


def figures() -> dict[str, dict[str, float]]:
    """:func:`summary` of target 14's degraded showcase and of the baseline preset."""
    scenario, profile = next((sc, p) for outcome, sc, p in SHOWCASES if outcome == "degraded")
    showcase = degraded_levels(scenario, SHOWCASE_RUNS, SHOWCASE_SEED, **dict(profile))
    baseline = degraded_levels("baseline", BASELINE_RUNS, ROOT_SEED)
    return {scenario: summary(showcase), "baseline": summary(baseline)}


def main() -> None:
    runs = {"baseline": BASELINE_RUNS}
    for name, found in figures().items():
        print(
            f"{name} ({runs.get(name, SHOWCASE_RUNS)} runs): {found['degraded']} degraded; "
            f"median share of founding members kept {found['kept']:.2f}; median performance "
            f"per active member against its founding level {found['ratio']:.2f}; kept at "
            f"least {SHARE:g} of their members: {found['kept their members']}; performance "
            f"ratio below {SHARE:g}: {found['ratio below the share']}"
        )


if __name__ == "__main__":
    main()
