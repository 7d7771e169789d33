"""The calibration targets of ``alliance-sim validate``.

The full targets (about 90,000 simulations, once per session) are marked slow. The
unmarked tests run each target on a tiny sample and check its bookkeeping, not
its statistics: that the figures it reports are the ones computed independently
from the same runs, and that it passes exactly when its stated criterion holds.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import stats

from sim.experiment.seeds import run_seeds
from sim.model.simulation import simulate
from sim.names import FAILURE
from sim.validation import targets as T
from sim.validation.common import at_least, at_most


@pytest.mark.slow
@pytest.mark.parametrize("number", [1, 2, 3, 4, 5, 7, 8, 9, 10, 11, 12, 13, 14])
def test_calibration_target_passes(validation_results, number):
    result = validation_results[number]
    assert result.required
    assert result.passed, f"target {number} ({result.name}): {result.measured}"
    assert result.criterion and result.measured


@pytest.mark.slow
@pytest.mark.parametrize("number", [6])
def test_open_targets_are_measured(validation_results, number):
    """Open targets are measured and reported; the model does not meet them yet
    (docs/model.md, Known limitations). When one passes, make it required."""
    result = validation_results[number]
    assert not result.required and result.details and result.measured


@pytest.mark.slow
def test_failure_rate_figures_are_in_range(validation_results):
    details = validation_results[1].details
    assert 0.30 <= details["failure_share"] <= 0.70
    assert 60 <= details["median_collapse_lifetime"] <= 108


@pytest.mark.slow
def test_trust_rebuild_takes_three_times_longer(validation_results):
    details = validation_results[2].details
    assert details["median_rebuild_months"] >= 3 and details["regained"] >= 1000
    assert details["after_fifth_max"] < 1
    assert details["after_fifth_median"] < details["before_first_median"]


def test_every_target_is_numbered_in_order():
    assert [target.__name__ for target in T.TARGETS] == [
        "target_failure_rate",
        "target_trust_asymmetry",
        "target_leadership_quality",
        "target_shared_leadership",
        "target_value_distance",
        "target_stability",
        "target_choice",
        "target_renewal",
        "target_calm_world",
        "target_knife_edges",
        "target_cliff",
        "target_every_quality",
        "target_teachable",
    ]
    assert [target.__name__ for target in T.OPEN_TARGETS] == ["target_trust_performance"]


def test_failure_rate_target_reports_its_runs():
    runs, seed = 40, 11
    result = T.target_failure_rate(runs=runs, seed=seed)
    summaries = [simulate("baseline", rng=s) for s in run_seeds(seed, runs)]
    share = np.mean([s["outcome"] in FAILURE for s in summaries])
    collapsed = [s["lifetime"] for s in summaries if s["outcome"] == "collapse"]
    details = result.details
    assert result.number == 1 and f"{runs} runs (root seed {seed})" in result.criterion
    assert details["failure_share"] == share
    assert details["collapsed"] == len(collapsed)
    median = details["median_collapse_lifetime"]
    assert (median == np.median(collapsed)) if collapsed else np.isnan(median)
    assert result.passed == bool(0.30 <= share <= 0.70 and 60 <= median <= 108)


def test_trust_asymmetry_is_measured_on_simulated_runs():
    runs, seed = 4, 5
    result = T.target_trust_asymmetry(runs=runs, seed=seed)
    found = T.violation_records(runs, seed)
    details = result.details
    assert details["regained"] == len(found["rebuild"]) > 0
    assert details["median_rebuild_months"] == np.median(found["rebuild"])
    assert min(found["rebuild"]) >= 1  # a violation is never regained in its own month
    assert details["after_fifth_max"] == max(found["after_fifth"])
    expected = (
        details["median_rebuild_months"] >= 3
        and details["after_fifth_max"] < 1
        and details["after_fifth_median"] < details["before_first_median"]
    )
    assert result.passed == expected


def test_a_violation_is_a_month_in_which_trust_fell():
    """Trust falls only on a violation: every fall in a run is one (so the target sees all)."""
    from sim import kernel
    from sim.kernel import layout as L
    from sim.model.prepare import prepare, resolve_spec

    run = prepare(resolve_spec("scandal", horizon=36), 2)
    s = run.state
    while True:
        before, damage = s.trust.copy(), s.damage.copy()
        live_before = s.live.astype(bool)
        if not kernel.step(s, run.qualities, run.consts, run.generator):
            break
        fell = (s.trust < before - 1e-12) & live_before & s.live.astype(bool)
        violated = s.damage > damage  # a violation adds damage memory; otherwise it decays
        assert np.array_equal(fell, fell & violated)
    assert s.counters[L.STEP] == 36


def test_leadership_target_passes_exactly_when_its_criterion_holds():
    result = T.target_leadership_quality(pairs=12, seed=5)
    details = result.details
    singles = [details[q]["p_raised_lower"] for q in T.QUALITIES]
    expected = (
        details["p_all"] < T.ALPHA
        and details["all_high"] > details["all_low"]
        and all(p >= T.ALPHA for p in singles)
    )
    assert result.passed == expected
    assert all(0 <= p <= 1 for p in [details["p_all"], *singles])


def test_shared_leadership_target_passes_exactly_when_its_criterion_holds():
    result = T.target_shared_leadership(pairs=12, seed=5)
    details = result.details
    assert details["difference"] == pytest.approx(details["small_dense"] - details["large_sparse"])
    assert result.passed == (details["small_dense"] > 0 and details["p"] < T.ALPHA)


def test_value_distance_target_passes_exactly_when_its_criterion_holds():
    result = T.target_value_distance(pairs=12, seed=5)
    details = result.details
    assert result.passed == (details["p_trust"] < T.ALPHA and details["p_survival"] < T.ALPHA)


def test_trust_performance_target_reports_the_correlation_of_its_runs():
    from sim.names import LEADERSHIP_KEYS

    runs, seed = 30, 5
    result = T.target_trust_performance(runs=runs, seed=seed)
    draws = np.random.default_rng(seed).random((runs, len(LEADERSHIP_KEYS)))
    summaries = [
        simulate("baseline", rng=s, **dict(zip(LEADERSHIP_KEYS, row, strict=True)))
        for row, s in zip(draws, run_seeds(seed, runs), strict=True)
    ]
    trust = [s["metrics"]["mean_trust"] for s in summaries]
    performance = [s["metrics"]["mean_performance"] for s in summaries]
    rho = stats.spearmanr(trust, performance).statistic
    assert result.details["rho"] == pytest.approx(rho, rel=1e-12)
    assert result.passed == (0.15 <= rho <= 0.45)
    assert not result.required


def test_a_difference_of_shares_at_its_limit_meets_it():
    move = 0.55 - 0.45  # 0.10000000000000003 in floating point
    assert move > 0.10 and at_most(move, 0.10) and not at_most(0.1025, 0.10)
    rise = 0.2 - 0.15  # 0.05000000000000002; 0.3 - 0.25 is 0.04999999999999999
    assert at_least(0.3 - 0.25, 0.05) and at_least(rise, 0.05) and not at_least(0.0475, 0.05)


def test_mcnemar_uses_the_discordant_pairs_only():
    first = np.array([True] * 6 + [False] * 1 + [True] * 3)
    second = np.array([False] * 6 + [True] * 1 + [True] * 3)
    assert T.mcnemar_greater(first, second) == pytest.approx(
        stats.binomtest(6, 7, 0.5, "greater").pvalue
    )
    assert T.mcnemar_greater(first, first) == 1.0


def test_cohen_kappa_by_hand():
    from sim.validation.classes import cohen_kappa

    # 4 pairs, 3 agree; label shares a: (3/4, 1/4), b: (1/2, 1/2): pe = 3/8 + 1/8 = 1/2
    assert cohen_kappa(["r", "r", "r", "t"], ["r", "r", "t", "t"]) == pytest.approx(0.5)
    assert cohen_kappa(["r", "t"], ["r", "t"]) == 1.0


def test_stability_target_reads_the_same_runs_at_each_month():
    from sim.validation import classes as C

    runs, seed = 20, 5
    result = C.target_stability(runs=runs, seed=seed)
    states = C.finished_runs(runs, seed)
    consts = C.shifted_constants("delta_h", 1.0)
    share, kappa, alive = C.agreement(states, consts, 180, 192)
    assert result.details["default"]["180-192"] == [share, kappa, alive]
    assert len(result.details) == 1 + 2 * len(C.CLASSIFICATION_THRESHOLDS)
    worst = min(v[0] for f in result.details.values() for v in f.values())
    worst_kappa = min(v[1] for f in result.details.values() for v in f.values())
    assert result.passed == (worst >= 0.9 and worst_kappa >= 0.7)


def test_shifted_thresholds_round_months_and_stay_in_bounds():
    from sim.parameters import constant_index
    from sim.validation.classes import shifted_constants

    assert shifted_constants("settle_months", 1.2)[constant_index("settle_months")] == 29
    assert shifted_constants("recovery_share", 1.2)[constant_index("recovery_share")] == 1.0


def test_choice_and_renewal_targets_pass_exactly_when_their_criteria_hold():
    from sim.validation import classes as C

    choice = C.target_choice(pairs=12, seed=5)
    d = choice.details
    rise = d["transformation_high"] - d["transformation_low"]
    assert choice.passed == (rise >= 0.15 and d["failed_low"] > d["transformation_low"])
    renewal = C.target_renewal(pairs=12, seed=5)
    d = renewal.details
    expected = (
        d["preset"] >= 0.05
        and d["high"] - d["low"] >= 0.05
        and d["p"] < T.ALPHA
        and d["switched_off"] == 0
    )
    assert renewal.passed == expected


def test_calm_world_target_reports_each_cell():
    from sim.validation import robustness as R

    result = R.target_calm_world(runs=3, seed=5)
    assert len(result.details) == len(R.CALM_SIZES) * len(R.CALM_CONCENTRATIONS)
    assert result.details["8 members, concentration 0"] == R.calm_survival(8, 0.0, 3, 5)
    assert result.passed == (min(result.details.values()) >= R.CALM_SURVIVAL)


def test_knife_edge_shifts_by_hand():
    from sim.parameters import CONSTANTS_BY_NAME
    from sim.validation.robustness import shifted_values

    assert shifted_values(CONSTANTS_BY_NAME["shortfall_distrust"]) == pytest.approx((0.27, 0.33))
    assert shifted_values(CONSTANTS_BY_NAME["q_min_months"]) == (11.0, 13.0)  # whole: by 1
    assert shifted_values(CONSTANTS_BY_NAME["capacity_initial"]) == pytest.approx((0.81, 0.99))
    assert shifted_values(CONSTANTS_BY_NAME["trust_value_weight"]) == (0.9,)  # 1.1 clipped to 1


def test_robustness_targets_pass_exactly_when_their_criteria_hold():
    from sim.validation import robustness as R

    cliff = R.target_cliff(runs=8, seed=5)
    survival = list(cliff.details["survival"].values())
    largest = max(abs(b - a) for a, b in itertools.pairwise(survival))
    collapse = cliff.details["collapse"]
    assert cliff.passed == (at_most(largest, R.CLIFF_LIMIT) and 0.15 <= collapse <= 0.50)
    assert cliff.required


def test_every_quality_target_tests_the_preregistered_effects():
    from sim.validation import effects as E

    result = E.target_every_quality(pairs=6)
    sets = {str(seed) for seed in E.SEED_SETS}
    assert set(result.details) == {*sets, "switched_off"}
    assert result.details["switched_off"] == dict.fromkeys(E.PREREGISTERED, 0.0)
    for seed in sets:
        found = result.details[seed]
        assert set(found) == set(E.PREREGISTERED)
        assert all(e["p"] <= e["p_holm"] <= 1 for e in found.values())
    holds = all(
        at_least(e["change"], E.EFFECT_MIN) and e["p_holm"] < T.ALPHA
        for seed in sets
        for e in result.details[seed].values()
    )
    assert result.passed == holds


def test_profile_phrase_names_a_profile_with_the_sliders_labels():
    from sim.validation.classes import profile_phrase

    assert profile_phrase((("relationships", 0.2),)) == "Eye for relationships at 0.2"
    assert (
        profile_phrase((("relationships", 0.2), ("sense_making", 0.2)))
        == "Eye for relationships and Giving meaning to events at 0.2"
    )
    assert (
        profile_phrase((("reflection", 0.2), ("change_awareness", 0.2), ("concentration", 0.2)))
        == "Reflective ability, Change awareness and Leadership concentration at 0.2"
    )
    assert (
        profile_phrase((("change_awareness", 0.2), ("paradox_navigation", 0.8)))
        == "Change awareness at 0.2 and Dealing with paradoxes at 0.8"
    )


def test_every_class_has_a_showcase_its_scenario_names():
    from sim.names import LEADERSHIP_KEYS, OUTCOMES
    from sim.scenario import load_preset, shipped_scenarios
    from sim.validation.classes import SHOWCASES, quality_label

    assert [outcome for outcome, _, _ in SHOWCASES] == list(OUTCOMES)
    for outcome, scenario, profile in SHOWCASES:
        assert scenario in shipped_scenarios(), outcome
        assert profile and all(name in LEADERSHIP_KEYS for name, _ in profile)
        description = " ".join(load_preset(scenario).description.split())
        for name, level in profile:
            assert quality_label(name) in description, (outcome, name)
            assert f"at {level:g}" in description, (outcome, level)


def test_teachable_target_reads_each_class_share_from_its_showcase_runs(monkeypatch):
    from sim.validation import classes as C

    runs, seed = 12, 5
    result = C.target_teachable(runs=runs, seed=seed)
    assert result.number == 14 and result.required
    outcome, scenario, profile = C.SHOWCASES[3]
    found = [simulate(scenario, rng=s, **dict(profile))["outcome"] for s in run_seeds(seed, runs)]
    assert result.details[outcome]["share"] == np.mean([o == outcome for o in found])
    assert result.details[outcome]["profile"] == C.profile_phrase(profile)


def test_teachable_target_passes_exactly_when_every_class_is_common(monkeypatch):
    from sim.validation import classes as C

    calls = []

    def outcomes(spec, seeds, **params):
        calls.append(spec.name)
        # three in ten runs of every showcase end in each class it shows
        shown = [o for o, sc, p in C.SHOWCASES if sc == spec.name and dict(p) == params]
        return (shown * 3 + ["recovery"] * 10)[: len(seeds)]

    monkeypatch.setattr(C, "_outcomes", outcomes)
    result = C.target_teachable(runs=10)
    assert result.passed and len(calls) == len({(sc, p) for _, sc, p in C.SHOWCASES})
    monkeypatch.setattr(C, "SHOWCASE_SHARE", 0.35)
    assert not C.target_teachable(runs=10).passed
    monkeypatch.setattr(C, "SHOWCASE_SHARE", 0.15)
    monkeypatch.setattr(C, "SHOWCASES", C.SHOWCASES[1:])
    missing = C.target_teachable(runs=10)
    assert not missing.passed and "no showcase for collapse" in missing.measured
