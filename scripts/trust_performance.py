"""Print where target 6's trust-performance correlation comes from.

Usage (from the repository root)::

    python scripts/trust_performance.py [RUNS] [--set KEY=VALUE ...]

Runs target 6's design (baseline, the ten leadership parameters uniform on [0, 1], seeds
and draws from ``ROOT_SEED + 6``; default 400 runs, as the target) and prints the
Spearman correlation of a run's mean trust and mean performance: over all runs, given
the run's lifetime (partial rank correlation), among survivors and among collapsed runs;
over the first 36 and 60 months only; without each collapsed run's last 12 months; the
correlation of each mean with the run's lifetime; Pearson's r, before and after
removing the leadership parameters' linear effects from both means; survivors' median
trust and performance in months 1, 36 and 120; the correlation over all runs with
munificence switched off (``munificence_spread`` 0); and, as a field study would measure
it, across the alliances that still exist at a survey month (means over the 12 months
up to it): with every run surveyed at one month (``SURVEY_AT``), and with each run
surveyed at a month drawn uniformly from 12 to the horizon, also given that month; in
that survey, the Pearson correlation of an alliance's age and its mean trust (the statistic
of Vanneste, Puranam & Kretschmer 2014, whose 39 studies find it positive and small);
survivors' standard deviation of trust in month 120; and both the correlation over all
runs and the age-trust correlation when one lever of the link is moved (``LEVERS``).
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
    target_trust_performance,
    uniform_leadership,
    uniform_leadership_runs,
)

SEED = default_seed(target_trust_performance)
RUNS = int(inspect.signature(target_trust_performance).parameters["runs"].default)
MONTHS = (1, 36, 120)
"""Months at which survivors' median trust and performance show the build-up."""
SPREAD_AT = 120
"""Month at which survivors' spread of trust shows how far it has converged."""
SURVEY_WINDOW = 12
"""Months a survey averages: the year up to and including the survey month."""
SURVEY_AT = (12, 24, 36, 60, 90, 120, 150, 180)
"""Survey months at which every alliance still existing is surveyed."""
LEVERS: dict[str, dict[str, float]] = {
    "founding trust 0.85 inside and across factions (near survivors' trust in month 120)": {
        "constants.trust_initial_within": 0.85,
        "constants.trust_initial_cross": 0.85,
    },
    "trust built twice as fast (trust_build 0.08)": {"constants.trust_build": 0.08},
    "delivery twice as dependent on trust (shortfall_distrust 0.6)": {
        "constants.shortfall_distrust": 0.6
    },
    "founding trust 0.85 inside and across factions, and members expecting it (trust_need 0.85)": {
        "constants.trust_initial_within": 0.85,
        "constants.trust_initial_cross": 0.85,
        "constants.trust_need": 0.85,
    },
}
"""Moves of one lever each (the last with the exit rule's trust need following the founding
trust, as its documented rule says), to show what the correlation over all runs and the
age-trust correlation respond to (diagnosis only: no default is set from them, target 6
being a validation pattern)."""


def window_means(summary: dict, first: int, last: int) -> tuple[float, float]:
    """Mean trust and mean performance over months ``first..last`` of a run (NaN if none)."""
    series = summary["series"]
    step = np.asarray(series["step"])
    inside = (step >= first) & (step <= last)
    if not inside.any():
        return float("nan"), float("nan")
    trust = np.asarray(series["mean_trust"], dtype=float)[inside]
    performance = np.asarray(series["performance"], dtype=float)[inside]
    known = trust[~np.isnan(trust)]  # NaN in a month with no live tie
    return (float(known.mean()) if known.size else float("nan")), float(np.nanmean(performance))


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
    drawn = survey_months(count, SEED, spec.horizon)
    table = surveyed(found, drawn)
    spread_month = min(SPREAD_AT, spec.horizon)
    return {
        "collapsed runs": float(collapsed.sum()),
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
            if month <= spec.horizon
        },
        **{
            f"survey of every alliance existing at month {month}": table_rho(
                surveyed(found, np.full(count, month))
            )
            for month in SURVEY_AT
            if month <= spec.horizon
        },
        "survey, each run at a drawn month": table_rho(table),
        "survey, each run at a drawn month, given that month (partial)": partial_rho(
            table[:, 0], table[:, 1], table[:, 2]
        ),
        "survey, each run at a drawn month: age and mean trust (Pearson r)": age_trust(table),
        f"survivors' standard deviation of trust in month {spread_month}": survivors_spread(
            found, collapsed, spread_month
        ),
    }


def lever_figures(
    count: int = RUNS, overrides: dict[str, Any] | None = None
) -> dict[str, tuple[float, float]]:
    """With each of ``LEVERS`` moved (on top of ``overrides``): the correlation over all
    runs, and the age-trust correlation of the survey at drawn months."""
    found = {}
    for name, lever in LEVERS.items():
        moved = {**(overrides or {}), **lever}
        spec = resolve_spec("baseline").with_overrides(moved, source="lever")
        runs = uniform_leadership_runs(count, SEED, record_every=1, preset=spec)
        trust, performance = (
            np.array([s["metrics"][key] for s in runs], dtype=float)
            for key in ("mean_trust", "mean_performance")
        )
        table = surveyed(runs, survey_months(count, SEED, spec.horizon))
        found[name] = (rho(trust, performance), age_trust(table))
    return found


def age_trust(table: np.ndarray) -> float:
    """Pearson's r of a survey's survey month (the alliance's age) and mean trust."""
    return float(np.corrcoef(table[:, 2], table[:, 0])[0, 1])


def survivors_spread(found: list[dict], collapsed: np.ndarray, month: int) -> float:
    """Standard deviation over surviving runs of the mean trust of one month."""
    return float(np.nanstd(survivors_values(found, collapsed, "mean_trust", month)))


def without_munificence(count: int, spec: ScenarioSpec) -> float:
    """The target's correlation with every alliance in a domain of munificence 1."""
    flat = spec.with_overrides({"constants.munificence_spread": 0.0}, source="trust_performance")
    found = uniform_leadership_runs(count, SEED, preset=flat)
    trust, performance = (
        np.array([s["metrics"][key] for s in found], dtype=float)
        for key in ("mean_trust", "mean_performance")
    )
    return rho(trust, performance)


def survey_months(runs: int, seed: int, horizon: int) -> np.ndarray:
    """A survey month per run, uniform on ``SURVEY_WINDOW..horizon``, from a second
    stream of ``seed`` (apart from the leadership draws)."""
    if horizon < SURVEY_WINDOW:
        raise UsageError(f"a survey needs a horizon of at least {SURVEY_WINDOW} months")
    return np.random.default_rng([seed, 1]).integers(SURVEY_WINDOW, horizon + 1, size=runs)


def survey(summary: dict, month: int) -> tuple[float, float] | None:
    """Mean trust and mean performance over the ``SURVEY_WINDOW`` months up to ``month``;
    None when the alliance no longer exists then (it collapsed in or before that month)
    or had no live tie in those months."""
    if summary["outcome"] == "collapse" and month >= summary["lifetime"]:
        return None
    trust, performance = window_means(summary, month - SURVEY_WINDOW + 1, month)
    return None if np.isnan(trust) else (trust, performance)


def surveyed(found: list[dict], months: np.ndarray) -> np.ndarray:
    """One row (mean trust, mean performance, survey month) per run surveyed at its month."""
    rows = [
        (*row, float(month))
        for summary, month in zip(found, months, strict=True)
        if (row := survey(summary, int(month))) is not None
    ]
    return np.array(rows, dtype=float).reshape(-1, 3)


def table_rho(table: np.ndarray) -> float:
    """Spearman's rho of a survey's mean trust and mean performance."""
    return rho(table[:, 0], table[:, 1])


def partial_rho(a: np.ndarray, b: np.ndarray, given: np.ndarray) -> float:
    """Spearman's partial correlation of ``a`` and ``b`` given ``given``: Pearson's r of
    the ranks once each is regressed linearly on the ranks of ``given``."""
    known = ~np.isnan(a) & ~np.isnan(b) & ~np.isnan(given)
    ranks = [stats.rankdata(x[known]) for x in (a, b, given)]
    design = np.column_stack([np.ones(known.sum()), ranks[2]])
    residuals = [r - design @ np.linalg.lstsq(design, r, rcond=None)[0] for r in ranks[:2]]
    return float(np.corrcoef(*residuals)[0, 1])


def survivors_values(
    found: list[dict], collapsed: np.ndarray, column: str, month: int
) -> np.ndarray:
    """A recorded column's values in one month, over surviving runs."""
    values = [
        s["series"][column][month] for s, ended in zip(found, collapsed, strict=True) if not ended
    ]
    return np.asarray(values, dtype=float)


def survivors_median(found: list[dict], collapsed: np.ndarray, column: str, month: int) -> float:
    """Median over surviving runs of a recorded column in one month."""
    return float(np.nanmedian(survivors_values(found, collapsed, column, month)))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="?", type=int, default=RUNS, help="runs (default 400)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    args = parser.parse_args(argv)
    if args.runs < 10:
        parser.error("RUNS must be at least 10")
    try:
        overrides = parse_set(args.set)
        found = figures(args.runs, overrides)
        levers = lever_figures(args.runs, overrides)
    except (ScenarioError, UsageError) as error:
        print(f"trust_performance.py: {error}", file=sys.stderr)
        return 2
    count = args.runs
    collapsed = int(found.pop("collapsed runs"))
    print(f"target 6's design, {count} runs (seeds {SEED}), {collapsed} collapsed")
    for name, value in found.items():
        print(f"  {name}: {value:.2f}")
    print("with one lever moved: the correlation over all runs; the age-trust correlation")
    for name, (over_all, age) in levers.items():
        print(f"  {name}: {over_all:.2f}; {age:.2f}")
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
