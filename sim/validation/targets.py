"""The calibration targets (pattern-oriented modelling, Grimm et al. 2005) and the
checks of the outcome classes (:mod:`sim.validation.classes`).

Each target runs with a fixed root seed, a stated number of runs and a stated
statistical criterion. ``alliance-sim validate`` prints them; the test suite
runs the same checks.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np
from scipy import stats

from sim import kernel
from sim.experiment.seeds import run_seeds
from sim.model.prepare import prepare, resolve_spec
from sim.model.simulation import simulate
from sim.names import FAILURE, LEADERSHIP_KEYS, QUALITIES
from sim.scenario import ScenarioSpec
from sim.validation.classes import (
    target_choice,
    target_renewal,
    target_stability,
    target_teachable,
)
from sim.validation.common import ALPHA, ROOT_SEED, TargetResult, mcnemar_greater
from sim.validation.effects import target_every_quality
from sim.validation.robustness import target_calm_world, target_cliff, target_knife_edges

__all__ = [
    "ALPHA",
    "OPEN_TARGETS",
    "ROOT_SEED",
    "TARGETS",
    "TargetResult",
    "mcnemar_greater",
    "validate",
]


def _runs(seeds: Iterable[int], **params: Any) -> list[dict[str, Any]]:
    return [simulate("baseline", rng=seed, **params) for seed in seeds]


def _survived(runs: list[dict[str, Any]]) -> np.ndarray:
    return np.array([run["survived"] for run in runs], dtype=bool)


# ------------------------------------------------------------------------------------------


def target_failure_rate(runs: int = 400, seed: int = ROOT_SEED) -> TargetResult:
    """Target 1: baseline failure share and lifetimes of collapsed alliances."""
    results = _runs(run_seeds(seed, runs))
    failed = [r for r in results if r["outcome"] in FAILURE]
    collapsed = [r["lifetime"] for r in results if r["outcome"] == "collapse"]
    share = len(failed) / runs
    median = float(np.median(collapsed)) if collapsed else float("nan")
    passed = 0.30 <= share <= 0.70 and 60 <= median <= 108
    return TargetResult(
        1,
        "alliance failure rate and lifetime",
        f"baseline, all qualities 0.5, {runs} runs (root seed {seed}): share ending in collapse, "
        "fragmentation or degraded within 180 months in [0.30, 0.70]; median lifetime of "
        "collapsed alliances in [60, 108] months",
        f"failure share {share:.3f} ({len(failed)}/{runs}); median collapse lifetime "
        f"{median:.0f} months ({len(collapsed)} collapsed)",
        passed,
        {"failure_share": share, "median_collapse_lifetime": median, "collapsed": len(collapsed)},
    )


def trust_histories(runs: int, seed: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Each baseline run's trust and liveness per tie, month by month (months x ties)."""
    spec = resolve_spec("baseline")
    for run_seed in run_seeds(seed, runs):
        run = prepare(spec, run_seed)
        state = run.state
        trust, live = [state.trust.copy()], [state.live.astype(bool)]
        while kernel.step(state, run.qualities, run.consts, run.generator):
            trust.append(state.trust.copy())
            live.append(state.live.astype(bool))
        yield np.array(trust), np.array(live)


def violation_records(runs: int, seed: int) -> dict[str, list[float]]:
    """Trust after violations in simulated runs.

    A violation is a month in which a live tie's trust fell (trust falls on nothing
    else). ``rebuild``: months until trust was back at its level before the violation,
    for violations followed by no other on that tie before it was; ``censored``: the
    others (never back before the next violation, the tie's end or the run's end);
    ``after_fifth``: per tie with five or more violations, the highest trust after the
    fifth; ``before_first``: per violated tie, the highest trust before the first.
    """
    found: dict[str, list[float]] = {"rebuild": [], "after_fifth": [], "before_first": []}
    censored = 0
    for trust, live in trust_histories(runs, seed):
        fell = (np.diff(trust, axis=0) < -1e-12) & live[1:] & live[:-1]
        for tie in np.flatnonzero(fell.any(axis=0)):
            months = np.flatnonzero(fell[:, tie]) + 1
            found["before_first"].append(float(trust[: months[0], tie].max()))
            ends = [*months[1:], trust.shape[0]]
            for month, end in zip(months, ends, strict=True):
                back = np.flatnonzero(trust[month:end, tie] >= trust[month - 1, tie] - 1e-12)
                if back.size:
                    found["rebuild"].append(float(back[0]))
                else:
                    censored += 1
            if months.size >= 5:
                alive = live[months[4] :, tie]
                found["after_fifth"].append(float(trust[months[4] :, tie][alive].max()))
    found["censored"] = [float(censored)]
    return found


def target_trust_asymmetry(runs: int = 100, seed: int = ROOT_SEED + 2) -> TargetResult:
    """Target 2: in simulated runs trust is lost fast and rebuilt slowly, and repeated
    violations leave it capped below its earlier level."""
    found = violation_records(runs, seed)
    rebuild = np.array(found["rebuild"])
    after, before = np.array(found["after_fifth"]), np.array(found["before_first"])
    median_rebuild = float(np.median(rebuild)) if rebuild.size else float("nan")
    passed = (
        median_rebuild >= 3 and after.size > 0 and after.max() < 1
        and np.median(after) < np.median(before)
    )  # fmt: skip
    return TargetResult(
        2,
        "trust asymmetry",
        f"baseline, {runs} runs (root seed {seed}), every tie month by month; a violation is "
        "a month in which trust fell: trust lost in that one month takes a median of >= 3 "
        "months to regain (over violations regained before the next); after five or more "
        "violations, a tie's highest trust stays below 1 and its median lies below the "
        "median highest trust before the first violation",
        f"{rebuild.size} violations regained after a median of {median_rebuild:.0f} months "
        f"({rebuild.min():.0f} at least), {found['censored'][0]:.0f} never regained before "
        f"the next or the end; {after.size} ties with >= 5 violations: highest trust after "
        f"the fifth median {np.median(after):.3f}, max {after.max():.3f}, against "
        f"{np.median(before):.3f} before the first",
        bool(passed),
        {"median_rebuild_months": median_rebuild, "regained": int(rebuild.size),
         "censored": int(found["censored"][0]), "after_fifth_median": float(np.median(after)),
         "after_fifth_max": float(after.max()), "before_first_median": float(np.median(before))},
    )  # fmt: skip


def target_leadership_quality(pairs: int = 300, seed: int = ROOT_SEED) -> TargetResult:
    """Target 3: good leadership survives more; raising one quality never lowers survival."""
    seeds = run_seeds(seed + 3, pairs)
    high = _survived(_runs(seeds, **dict.fromkeys(QUALITIES, 0.9)))
    low = _survived(_runs(seeds, **dict.fromkeys(QUALITIES, 0.1)))
    p_all = mcnemar_greater(high, low)
    singles = {}
    ok = bool(p_all < ALPHA and high.mean() > low.mean())
    for quality in QUALITIES:
        raised = _survived(_runs(seeds, **{quality: 0.9}))
        lowered = _survived(_runs(seeds, **{quality: 0.1}))
        p_lower = mcnemar_greater(lowered, raised)
        singles[quality] = {
            "survival_0.1": float(lowered.mean()),
            "survival_0.9": float(raised.mean()),
            "p_raised_lower": p_lower,
        }
        ok = ok and bool(p_lower >= ALPHA)
    worst = min(singles.items(), key=lambda item: item[1]["p_raised_lower"])
    return TargetResult(
        3,
        "leadership quality raises survival",
        f"baseline, {pairs} paired runs on common seeds (root seed {seed + 3}): all nine at 0.9 "
        f"survive more than all at 0.1 (one-sided exact McNemar p < {ALPHA}); for each quality, "
        f"0.9 vs 0.1 with the others at 0.5 is not lower (one-sided exact McNemar p >= {ALPHA})",
        f"survival all 0.9: {high.mean():.3f}, all 0.1: {low.mean():.3f} (p = {p_all:.2g}); "
        f"smallest p for 'raising lowers': {worst[0]} p = {worst[1]['p_raised_lower']:.3f}; "
        + ", ".join(
            f"{q} {v['survival_0.1']:.2f}->{v['survival_0.9']:.2f}" for q, v in singles.items()
        ),
        ok,
        {"all_high": float(high.mean()), "all_low": float(low.mean()), "p_all": p_all, **singles},
    )


SMALL_DENSE = {
    "members": 8,
    "factions": 2,
    "mean_degree": 7,
    "cross_faction_share": 0.4,
    "value_distance": 0.1,
}
LARGE_SPARSE = {
    "members": 30,
    "factions": 3,
    "mean_degree": 4,
    "cross_faction_share": 0.15,
    "value_distance": 0.3,
}


SHARED_LEADERSHIP_PAIRS = 1000
"""Pairs per setting for target 4 (why so many: docs/model.md, 4)."""


def target_shared_leadership(
    pairs: int = SHARED_LEADERSHIP_PAIRS, seed: int = ROOT_SEED
) -> TargetResult:
    """Target 4: shared leadership helps small dense alliances more than large sparse ones."""
    seeds = run_seeds(seed + 4, pairs)
    advantage = {}
    differences = {}
    for label, setting in (("small_dense", SMALL_DENSE), ("large_sparse", LARGE_SPARSE)):
        shared = _survived(_runs(seeds, concentration=0.0, **setting))
        concentrated = _survived(_runs(seeds, concentration=1.0, **setting))
        differences[label] = shared.astype(float) - concentrated.astype(float)
        advantage[label] = float(differences[label].mean())
    gap = advantage["small_dense"] - advantage["large_sparse"]
    spread = np.sqrt(
        differences["small_dense"].var(ddof=1) / pairs
        + differences["large_sparse"].var(ddof=1) / pairs
    )
    p_value = float(stats.norm.sf(gap / spread)) if spread > 0 else (0.0 if gap > 0 else 1.0)
    passed = advantage["small_dense"] > 0 and p_value < ALPHA
    return TargetResult(
        4,
        "shared leadership depends on size and density",
        f"{pairs} paired runs per setting (root seed {seed + 4}), concentration 0 vs 1; small "
        f"dense {SMALL_DENSE}, large sparse {LARGE_SPARSE}: the survival advantage of shared "
        f"leadership is positive in small dense alliances and larger there than in large "
        f"sparse ones (one-sided z-test on the difference of paired differences, p < {ALPHA})",
        f"shared-minus-concentrated survival: small dense {advantage['small_dense']:+.3f}, "
        f"large sparse {advantage['large_sparse']:+.3f}; difference {gap:+.3f} (p = {p_value:.2g})",
        passed,
        {**advantage, "difference": gap, "p": p_value},
    )


VALUE_DISTANCE_PAIRS = 1000
"""Pairs for target 5: its survival effect is small (why so many: docs/model.md, 4)."""


def target_value_distance(pairs: int = VALUE_DISTANCE_PAIRS, seed: int = ROOT_SEED) -> TargetResult:
    """Target 5: larger value distance lowers trust and survival."""
    seeds = run_seeds(seed + 5, pairs)
    near = _runs(seeds, value_distance=0.1)
    far = _runs(seeds, value_distance=0.7)
    trust_near = np.array([r["metrics"]["mean_trust"] for r in near], dtype=float)
    trust_far = np.array([r["metrics"]["mean_trust"] for r in far], dtype=float)
    both = ~np.isnan(trust_near) & ~np.isnan(trust_far)
    p_trust = float(stats.wilcoxon(trust_near[both], trust_far[both], alternative="greater").pvalue)
    survived_near = _survived(near)
    survived_far = _survived(far)
    p_survival = mcnemar_greater(survived_near, survived_far)
    passed = p_trust < ALPHA and p_survival < ALPHA
    return TargetResult(
        5,
        "value distance lowers trust and survival",
        f"baseline, {pairs} paired runs (root seed {seed + 5}), value distance 0.1 vs 0.7: mean "
        f"trust over the run lower (one-sided Wilcoxon signed-rank p < {ALPHA}) and survival lower "
        f"(one-sided exact McNemar p < {ALPHA})",
        f"mean trust over the run {np.nanmean(trust_near):.3f} -> {np.nanmean(trust_far):.3f} "
        f"(p = {p_trust:.2g}); survival {survived_near.mean():.3f} -> {survived_far.mean():.3f} "
        f"(p = {p_survival:.2g})",
        passed,
        {"p_trust": p_trust, "p_survival": p_survival},
    )


def uniform_leadership(runs: int, seed: int) -> np.ndarray:
    """Target 6's leadership profiles: one row per run, the ten leadership parameters
    (``LEADERSHIP_KEYS``) drawn uniformly on [0, 1] from ``seed``."""
    return np.random.default_rng(seed).random((runs, len(LEADERSHIP_KEYS)))


def uniform_leadership_runs(
    runs: int, seed: int, record_every: int = 0, preset: str | ScenarioSpec = "baseline"
) -> list[dict[str, Any]]:
    """Target 6's runs: ``preset`` (the baseline) at :func:`uniform_leadership`'s
    profiles, run seeds from ``seed``."""
    seeds = run_seeds(seed, runs)
    draws = uniform_leadership(runs, seed)
    return [
        simulate(
            preset,
            rng=run_seed,
            record_every=record_every,
            **dict(zip(LEADERSHIP_KEYS, row, strict=True)),
        )
        for row, run_seed in zip(draws, seeds, strict=True)
    ]


def target_trust_performance(runs: int = 400, seed: int = ROOT_SEED + 6) -> TargetResult:
    """Target 6: the trust-performance link across alliances is moderate, not overwhelming."""
    results = uniform_leadership_runs(runs, seed)
    trust = np.array([r["metrics"]["mean_trust"] for r in results], dtype=float)
    performance = np.array([r["metrics"]["mean_performance"] for r in results], dtype=float)
    both = ~np.isnan(trust) & ~np.isnan(performance)
    rho = float(stats.spearmanr(trust[both], performance[both]).statistic)
    return TargetResult(
        6,
        "trust-performance link",
        f"baseline, {runs} runs (root seed {seed}) with the ten leadership parameters "
        "drawn uniformly on [0, 1]: Spearman correlation across alliances of mean trust and "
        "mean performance over the run in [0.15, 0.45] (meta-analytic rho about .30, de "
        "Jong, Dirks & Gillespie 2016)",
        f"rho = {rho:.2f} over {int(both.sum())} runs",
        bool(0.15 <= rho <= 0.45),
        {"rho": rho},
        required=False,
    )


TARGETS: tuple[Callable[..., TargetResult], ...] = (
    target_failure_rate,
    target_trust_asymmetry,
    target_leadership_quality,
    target_shared_leadership,
    target_value_distance,
    target_stability,
    target_choice,
    target_renewal,
    target_calm_world,
    target_knife_edges,
    target_cliff,
    target_every_quality,
    target_teachable,
)
OPEN_TARGETS: tuple[Callable[..., TargetResult], ...] = (target_trust_performance,)
"""Targets the model does not meet yet: measured and reported, not required."""


def default_seed(target: Callable[..., TargetResult]) -> int:
    """The root seed a target runs on by default (its ``seed`` keyword's default)."""
    return int(inspect.signature(target).parameters["seed"].default)


def validate(
    progress: Callable[[TargetResult], None] | None = None, root_seed: int = ROOT_SEED
) -> list[TargetResult]:
    """Run the targets, then the open ones; ``progress`` is called after each.

    With another ``root_seed`` every target runs on fresh seeds: its default seed moved
    by ``root_seed - ROOT_SEED``, so the targets keep their distance from each other.
    """
    results = []
    for target in (*TARGETS, *OPEN_TARGETS):
        result = target(seed=default_seed(target) + root_seed - ROOT_SEED)
        results.append(result)
        if progress is not None:
            progress(result)
    return results
