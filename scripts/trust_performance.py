"""Print target 6's trust-performance correlation and where the whole-life one comes from.

Usage (from the repository root)::

    python scripts/trust_performance.py [RUNS] [--set KEY=VALUE ...]

Runs target 6's design (baseline, the ten leadership parameters uniform on [0, 1], seeds
and draws from ``ROOT_SEED + 6``; default 400 runs, as the target) and prints target 6's
statistic (the Spearman correlation across the alliances a survey finds, each run
surveyed once: :func:`sim.validation.targets.surveyed`), also with ``munificence_spread``
0, 0.3 and 0.9 and with every alliance surveyed at month 60; then the Spearman correlation
of a run's mean trust and mean performance over its whole life (the statistic target 6
read before): over all runs, among survivors and among collapsed runs; given the run's
lifetime (partial rank correlation); over the first 36 and 60 months only; without each
collapsed run's last 12 months; the correlation of each mean with the run's lifetime;
Pearson's r, before and after removing the leadership parameters' linear effects from
both means; survivors' median trust and performance in months 1, 36 and 120; and the
correlation over all runs with munificence switched off (``munificence_spread`` 0).
``--set`` changes the baseline as ``alliance-sim run --set`` does (for example
``--set constants.trust_build=0.08``), to see how the link responds to a constant.
docs/model.md (Known limitations) quotes the output at the defaults (a test checks it);
about five seconds.
"""

from __future__ import annotations

import argparse
import inspect
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from scipy import stats  # noqa: E402

from sim.cli.common import UsageError, parse_set  # noqa: E402
from sim.model.prepare import resolve_spec  # noqa: E402
from sim.scenario import ScenarioError, ScenarioSpec  # noqa: E402
from sim.validation.targets import (  # noqa: E402
    default_seed,
    survey,
    surveyed,
    target_trust_performance,
    uniform_leadership,
    uniform_leadership_runs,
)

SEED = default_seed(target_trust_performance)
RUNS = int(inspect.signature(target_trust_performance).parameters["runs"].default)
MONTHS = (1, 36, 120)
"""Months at which survivors' median trust and performance show the build-up."""
SPREADS = (0.0, 0.3, 0.9)
"""Other values of ``munificence_spread`` (default 0.6) at which target 6 is measured."""
COHORT_MONTH = 60
"""The month of a survey of one cohort: every alliance still existing then."""


def window_means(summary: dict, first: int, last: int) -> tuple[float, float]:
    """Mean trust and mean performance over months ``first..last`` of a run (NaN if none)."""
    series = summary["series"]
    step = np.asarray(series["step"])
    inside = (step >= first) & (step <= last)
    if not inside.any():
        return float("nan"), float("nan")
    trust = np.asarray(series["mean_trust"], dtype=float)[inside]
    performance = np.asarray(series["performance"], dtype=float)[inside]
    return float(np.nanmean(trust)), float(np.nanmean(performance))


def rho(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman's rho over the pairs where both are known."""
    known = ~np.isnan(a) & ~np.isnan(b)
    return float(stats.spearmanr(a[known], b[known]).statistic)


def figures(count: int = RUNS, overrides: dict[str, Any] | None = None) -> dict[str, float]:
    """Every printed correlation, by name; ``overrides`` (dotted keys) change the baseline."""
    spec = resolve_spec("baseline").with_overrides(overrides or {}, source="--set")
    found = uniform_leadership_runs(count, SEED, record_every=1, preset=spec)
    trust = np.array([s["metrics"]["mean_trust"] for s in found], dtype=float)
    performance = np.array([s["metrics"]["mean_performance"] for s in found], dtype=float)
    collapsed = np.array([s["outcome"] == "collapse" for s in found])
    lifetime = np.array([s["lifetime"] for s in found], dtype=float)
    cut = np.array(
        [
            window_means(s, 1, s["lifetime"] - 12) if s["outcome"] == "collapse" else (t, p)
            for s, t, p in zip(found, trust, performance, strict=True)
        ]
    )
    first_36, first_60 = (np.array([window_means(s, 1, m) for s in found]) for m in (36, 60))
    known = ~np.isnan(trust) & ~np.isnan(performance)
    table = surveyed(found, SEED, spec.horizon)
    cohort = np.array([row for s in found if (row := survey(s, COHORT_MONTH)) is not None])
    return {
        "collapsed runs": float(collapsed.sum()),
        "surveyed alliances": float(len(table)),
        "target 6 (survey)": rho(table[:, 0], table[:, 1]),
        **{
            f"target 6 with munificence_spread {spread:g}": survey_rho(count, spec, spread)
            for spread in SPREADS
        },
        f"every alliance existing at month {COHORT_MONTH} surveyed then": rho(
            cohort[:, 0], cohort[:, 1]
        ),
        "all runs": rho(trust, performance),
        "all runs, given lifetime (partial)": partial_rho(trust, performance, lifetime),
        "survivors": rho(trust[~collapsed], performance[~collapsed]),
        "collapsed": rho(trust[collapsed], performance[collapsed]),
        "months 1-36 only": rho(first_36[:, 0], first_36[:, 1]),
        "months 1-60 only": rho(first_60[:, 0], first_60[:, 1]),
        "without collapsed runs' last 12 months": rho(cut[:, 0], cut[:, 1]),
        "lifetime and mean trust": rho(lifetime, trust),
        "lifetime and mean performance": rho(lifetime, performance),
        "Pearson r": float(np.corrcoef(trust[known], performance[known])[0, 1]),
        "Pearson r of the residuals after a linear regression on the ten leadership "
        "parameters": residual_correlation(trust, performance, known),
        "all runs without munificence (munificence_spread 0)": without_munificence(count, spec),
        **{
            f"survivors' median {name} in month {month}": survivors_median(
                found, collapsed, column, month
            )
            for name, column in (("trust", "mean_trust"), ("performance", "performance"))
            for month in MONTHS
        },
    }


def without_munificence(count: int, spec: ScenarioSpec) -> float:
    """The target's correlation with every alliance in a domain of munificence 1."""
    flat = spec.with_overrides({"constants.munificence_spread": 0.0}, source="trust_performance")
    found = uniform_leadership_runs(count, SEED, preset=flat)
    trust, performance = (
        np.array([s["metrics"][key] for s in found], dtype=float)
        for key in ("mean_trust", "mean_performance")
    )
    return rho(trust, performance)


def survey_rho(count: int, spec: ScenarioSpec, spread: float) -> float:
    """Target 6's statistic with another ``munificence_spread``."""
    changed = spec.with_overrides(
        {"constants.munificence_spread": spread}, source="trust_performance"
    )
    found = uniform_leadership_runs(count, SEED, record_every=1, preset=changed)
    table = surveyed(found, SEED, changed.horizon)
    return rho(table[:, 0], table[:, 1])


def partial_rho(a: np.ndarray, b: np.ndarray, given: np.ndarray) -> float:
    """Spearman's partial correlation of ``a`` and ``b`` given ``given``: Pearson's r of
    the ranks once each is regressed linearly on the ranks of ``given``."""
    known = ~np.isnan(a) & ~np.isnan(b) & ~np.isnan(given)
    ranks = [stats.rankdata(x[known]) for x in (a, b, given)]
    design = np.column_stack([np.ones(known.sum()), ranks[2]])
    residuals = [r - design @ np.linalg.lstsq(design, r, rcond=None)[0] for r in ranks[:2]]
    return float(np.corrcoef(*residuals)[0, 1])


def survivors_median(found: list[dict], collapsed: np.ndarray, column: str, month: int) -> float:
    """Median over surviving runs of a recorded column in one month."""
    values = [
        s["series"][column][month] for s, ended in zip(found, collapsed, strict=True) if not ended
    ]
    return float(np.nanmedian(np.asarray(values, dtype=float)))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="?", type=int, default=RUNS, help="runs (default 400)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    args = parser.parse_args(argv)
    if args.runs < 10:
        parser.error("RUNS must be at least 10")
    try:
        found = figures(args.runs, parse_set(args.set))
    except (ScenarioError, UsageError) as error:
        print(f"trust_performance.py: {error}", file=sys.stderr)
        return 2
    count = args.runs
    collapsed = int(found.pop("collapsed runs"))
    surveyed_count = int(found.pop("surveyed alliances"))
    print(
        f"target 6's design, {count} runs (seeds {SEED}), {collapsed} collapsed, "
        f"{surveyed_count} surveyed"
    )
    for name, value in found.items():
        print(f"  {name}: {value:.2f}")
    return 0


def residual_correlation(trust: np.ndarray, performance: np.ndarray, known: np.ndarray) -> float:
    """Pearson r of mean trust and mean performance once the leadership parameters'
    linear effects are removed from both."""
    leadership = uniform_leadership(len(known), SEED)[known]
    design = np.column_stack([np.ones(len(leadership)), leadership])
    residuals = [
        y - design @ np.linalg.lstsq(design, y, rcond=None)[0]
        for y in (trust[known], performance[known])
    ]
    return float(np.corrcoef(*residuals)[0, 1])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
