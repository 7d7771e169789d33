"""Unit tests per mechanism, against values computed by hand from docs/model.md.

Each hand computation uses the constants written next to it (``C`` below, or a
test's own array), never the parameter table's defaults, so re-tuning a default
moves no expected value here.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.kernel import capacity, exits, leadership, membership, shocks, strategy, ties, values
from sim.kernel import layout as L
from sim.kernel.network import directed_edges, draw_open_triads, draw_ties
from sim.model.prepare import constants_array, prepare, resolve_spec
from sim.model.simulation import simulate
from sim.names import SHOCK_KINDS
from sim.parameters import CONSTANT_DEFAULTS, CONSTANT_NAMES, CONSTANTS, constant_index
from sim.scenario import ScenarioSpec

C = constants_array(
    {
        "shortfall_distrust": 0.3,
        "shortfall_stress": 0.9,
        "blame_base": 0.3,
        "blame_analytical": 0.8,
        "trust_loss": 0.35,
        "reflection_loss_reduction": 0.5,
        "damage_increment": 0.2,
        "scar_increment": 0.03,
        "trust_build": 0.04,
        "similarity_weight": 1.0,
        "trust_repair": 0.03,
        "damage_decay": 0.1,
    }
)
"""The constants of the trust and cooperation hand computations."""


def test_constants_array_puts_each_value_at_its_index():
    defaults = constants_array()
    assert defaults.shape == (len(CONSTANTS),)
    assert len(set(CONSTANT_NAMES)) == len(CONSTANT_NAMES)  # one position per name
    for name in CONSTANT_NAMES:
        assert defaults[constant_index(name)] == CONSTANT_DEFAULTS[name], name
    changed = constants_array({"trust_loss": 0.123})
    assert changed[constant_index("trust_loss")] == 0.123
    assert np.flatnonzero(changed != defaults).tolist() == [constant_index("trust_loss")]
    with pytest.raises(KeyError, match="no_such"):
        constants_array({"no_such": 1.0})


def test_cooperation_probability_by_hand():
    # 1 - (shortfall_distrust (1 - T) + shortfall_stress stress) = 1 - (0.3 * 0.5 + 0.9 * 0.2)
    assert ties.cooperation_probability(0.5, 0.2, C) == pytest.approx(0.67)
    assert ties.cooperation_probability(1.0, 0.0, C) == pytest.approx(0.99)  # capped
    assert ties.cooperation_probability(0.0, 1.0, C) == pytest.approx(0.01)  # floored


def test_blame_probability_falls_with_analytical_view():
    assert ties.blame_probability(0.0, C) == pytest.approx(0.3)
    assert ties.blame_probability(1.0, C) == pytest.approx(0.3 * (1 - 0.8))


def test_trust_violation_is_fast_and_leaves_damage_and_scar():
    trust, damage, scar = ties.trust_after_violation(0.6, 0.0, 0.0, 0.0, 0.0, C)
    assert trust == pytest.approx(0.6 * (1 - 0.35))
    assert damage == pytest.approx(0.2)
    assert scar == pytest.approx(0.03)
    # reflection in a familiar situation halves the loss at most
    trust, _, _ = ties.trust_after_violation(0.6, 0.0, 0.0, 1.0, 1.0, C)
    assert trust == pytest.approx(0.6 * (1 - 0.35 * 0.5))
    # trust never exceeds the ceiling 1 - damage
    trust, damage, _ = ties.trust_after_violation(0.95, 0.5, 0.0, 0.0, 0.0, C)
    assert damage == pytest.approx(0.5 + 0.2 * 0.5)
    assert trust == pytest.approx(1 - damage)


def test_trust_builds_slowly_toward_the_ceiling():
    # rate = trust_repair rel + trust_build (1 - similarity_weight gap) = 0.03 * 0.5 + 0.04 * 0.9
    trust = ties.trust_after_cooperation(0.4, 0.2, 0.1, 0.5, True, C)
    assert trust == pytest.approx(0.4 + (0.015 + 0.036) * (0.8 - 0.4))
    # no delivery: repair only
    trust = ties.trust_after_cooperation(0.4, 0.2, 0.1, 0.5, False, C)
    assert trust == pytest.approx(0.4 + 0.015 * 0.4)
    assert ties.trust_after_cooperation(0.9, 0.2, 0.0, 1.0, True, C) == pytest.approx(0.8)


def test_damage_decays_toward_the_scar():
    # D - damage_decay (0.2 + 0.8 rel)(D - scar) = 0.5 - 0.1 * 0.6 * 0.4
    assert ties.damage_decay(0.5, 0.1, 0.5, C) == pytest.approx(0.5 - 0.024)
    assert ties.damage_decay(0.1, 0.1, 1.0, C) == pytest.approx(0.1)


def test_member_performance_by_hand():
    # U = P (0.4 + 0.6 collaboration)(0.5 + 0.5 fit)
    assert capacity.member_performance(0.8, 0.5, 1.0) == pytest.approx(0.8 * 0.7 * 1.0)
    assert capacity.member_performance(0.8, 0.5, 0.0) == pytest.approx(0.8 * 0.7 * 0.5)


@pytest.mark.parametrize(
    ("n", "factions", "degree", "cross"), [(12, 3, 8.0, 0.25), (8, 1, 7.0, 0.5), (2500, 5, 10, 0.3)]
)
def test_ties_match_expected_degree_and_cross_share(n, factions, degree, cross):
    a, b = draw_ties(n, factions, degree, cross, np.random.default_rng(1))
    assert np.all(a < b)
    keys = a * n + b
    assert np.unique(keys).size == keys.size  # no repeated ties
    want = round(n * min(degree, n - 1) / 2)
    assert want <= a.size <= want + n  # plus ties given to members drawn alone
    if factions > 1:
        sizes = np.bincount(np.arange(n) % factions)
        within_pairs = int(np.sum(sizes * (sizes - 1) // 2))
        expected = max(cross, 1 - within_pairs / want)  # within-faction pairs run out first
        share = np.mean(a % factions != b % factions)
        assert share == pytest.approx(expected, abs=0.05)
    degrees = np.bincount(np.concatenate((a, b)), minlength=n)
    assert degrees.min() >= 1


def test_open_triads_are_open_and_brokered():
    rng = np.random.default_rng(2)
    a, b = draw_ties(30, 3, 4.0, 0.2, rng)
    ta, tb, broker = draw_open_triads(30, a, b, rng)
    assert ta.size > 0
    tied = set(zip(a.tolist(), b.tolist(), strict=True))
    for x, y, k in zip(ta.tolist(), tb.tolist(), broker.tolist(), strict=True):
        assert (x, y) not in tied
        assert (min(x, k), max(x, k)) in tied and (min(y, k), max(y, k)) in tied
    first, src, dst, rev, _ = directed_edges(30, a, b, ta, tb, broker)
    assert np.all(src[rev] == dst) and np.all(dst[rev] == src)
    assert np.all(np.diff(src) >= 0) and first[-1] == src.size


def _founded(**params):
    spec = resolve_spec("baseline", **params)
    return prepare(spec, 7)


REACH_CONSTANTS = {
    "coordination_cost": 2.5,
    "coordination_scale": 30.0,
    "attention_cost": 1.5,
    "formal_reach": 0.8,
}


def crowd(n: float) -> float:
    """``(n - 1) / (n - 1 + coordination_scale)`` at the test's scale of 30."""
    return (n - 1) / (n - 1 + 30.0)


def test_leadership_reach_by_hand():
    c = constants_array(REACH_CONSTANTS)
    run = _founded(concentration=0.0)
    s, q = run.state, run.qualities
    leadership.leadership_reach(s, q, c)
    n = s.active.size
    live = s.live.astype(bool)
    leaders = 1 / np.sum(s.share**2)
    assert leaders == pytest.approx(n)  # fully shared
    density = s.trust[live].sum() / (n * (n - 1))
    coordination = 1 / (1 + 2.5 * crowd(leaders) * (1 - density))
    assert s.alliance[L.COORDINATION] == pytest.approx(coordination)
    lead = s.counters[L.LEAD]
    lead_edges = [e for e in range(s.first[lead], s.first[lead + 1]) if s.live[e]]
    legitimacy = np.mean([s.trust[s.rev[e]] for e in lead_edges])
    attention = 1 / (1 + 1.5 * crowd(n))  # a lead's limited attention over n members
    formal = 0.8 * s.share[lead] * legitimacy * attention
    untied = 0
    for i in range(n):
        edges = [e for e in range(s.first[i], s.first[i + 1]) if s.live[e]]
        received = s.share[i] / 2 + sum(
            s.share[s.dst[e]] * s.trust[e] / s.degree[s.dst[e]] for e in edges
        )
        tied = i == lead or any(s.dst[e] == lead for e in edges)
        untied += not tied
        direct = n * received + (0.0 if tied else formal)
        assert s.reach[i] == pytest.approx(min(1.0, direct) * coordination)
    assert untied > 0  # the formal reach was exercised
    assert s.alliance[L.MEAN_REACH] == pytest.approx(s.reach.mean())


def test_concentrated_leadership_reaches_others_formally_and_less():
    c = constants_array(REACH_CONSTANTS)
    run = _founded(concentration=1.0, members=30, mean_degree=4)
    s = run.state
    leadership.leadership_reach(s, run.qualities, c)
    lead = s.counters[L.LEAD]
    lead_edges = [e for e in range(s.first[lead], s.first[lead + 1]) if s.live[e]]
    partners = {int(s.dst[e]) for e in lead_edges}
    legitimacy = np.mean([s.trust[s.rev[e]] for e in lead_edges])
    coordination = s.alliance[L.COORDINATION]
    others = [i for i in range(s.active.size) if i != lead and i not in partners]
    assert others
    attention = 1 / (1 + 1.5 * crowd(30))
    for i in others:
        assert s.reach[i] == pytest.approx(0.8 * legitimacy * attention * coordination)
    assert min(s.reach[i] for i in partners) > max(s.reach[i] for i in others)


def test_aid_moves_capacity_without_creating_it():
    c = constants_array({"recovery_rate": 0.0, "aid_rate": 0.3, "aid_threshold": 0.6})
    run = _founded(global_view=1.0, resilience_building=0.0)
    s, q = run.state, run.qualities
    leadership.leadership_reach(s, q, c)
    s.capacity[:] = 0.95
    s.capacity[0] = 0.1
    before = s.capacity.sum()
    capacity.recover_capacity(s, q, c)  # recovery_rate 0 isolates aid
    assert s.capacity[0] > 0.1
    assert s.capacity.sum() == pytest.approx(before)
    partners = {int(s.dst[e]) for e in range(s.first[0], s.first[1]) if s.live[e]}
    for j in range(1, s.active.size):
        if j in partners:
            assert s.capacity[j] < 0.95
        else:
            assert s.capacity[j] == 0.95  # only partners send aid


def test_capacity_recovers_at_the_stated_rate_without_aid():
    c = constants_array({"recovery_rate": 0.12, "aid_rate": 0.0, "aid_threshold": 0.6})
    run = _founded(resilience_building=1.0)
    s, q = run.state, run.qualities
    leadership.leadership_reach(s, q, c)
    s.capacity[:] = 0.5
    s.alliance[L.EFFORT_SPLIT] = 0.0  # all effort on stabilising: sqrt(2 (1 - x)) = sqrt(2)
    capacity.recover_capacity(s, q, c)
    grow = 0.12 * (0.3 + 0.7 * s.reach) * np.sqrt(2.0)
    assert s.capacity == pytest.approx(0.5 + np.minimum(1.0, grow) * 0.5)


def test_effort_split_with_and_without_paradox_navigation():
    c = constants_array({"split_rate": 0.3, "transform_weight": 0.3})
    epsilon = strategy.SPLIT_EPSILON
    for paradox, either_or in ((1.0, None), (0.0, 0.0)):
        run = _founded(paradox_navigation=paradox, change_awareness=1.0)
        s, q = run.state, run.qualities
        s.alliance[L.MEAN_REACH] = 1.0
        s.alliance[L.MISFIT] = 0.0  # no transform demand
        s.capacity[:] = 0.5  # stabilise demand 0.5
        s.alliance[L.EFFORT_SPLIT] = 0.5
        strategy.split_effort(s, q, c)
        balanced = epsilon / (0.5 + 2 * epsilon)
        target = balanced if either_or is None else either_or
        # speed = split_rate (0.3 + 0.7 change_awareness) = 0.3
        assert s.alliance[L.EFFORT_SPLIT] == pytest.approx(0.5 + 0.3 * (target - 0.5))


def test_ambition_revision_is_gated_in_acute_crisis():
    c = constants_array({"crisis_capacity": 0.7, "revision_rate": 0.3, "disruption_cost": 1.0})
    moves = {}
    for resilience in (0.0, 1.0):
        run = _founded(resilience_building=resilience, questioning_patterns=1.0)
        s, q = run.state, run.qualities
        s.alliance[L.MEAN_REACH] = 1.0
        s.alliance[L.THETA_HAT] = s.alliance[L.AMBITION_STRATEGY] + 0.3
        s.capacity[:] = 0.5  # acute: below crisis_capacity 0.7
        before = s.alliance[L.AMBITION_STRATEGY]
        strategy.revise_ambition(s, q, c)
        moves[resilience] = s.alliance[L.AMBITION_STRATEGY] - before
    assert moves[0.0] > 0
    assert moves[1.0] == pytest.approx(0.0)


def test_crisis_stress_falls_with_sense_making():
    c = constants_array({"stress_sense_making": 0.7})
    run = _founded(sense_making=1.0)
    s, q = run.state, run.qualities
    s.reach[:] = 0.5
    s.capacity[:] = 0.4
    ties.crisis_stress(s, q, c)
    # (1 - capacity)(1 - stress_sense_making sense_making reach) = 0.6 (1 - 0.7 * 0.5)
    assert s.stress == pytest.approx(np.full(s.active.size, 0.6 * (1 - 0.35)))


def test_values_move_by_bounded_confidence_anchoring_and_exploration():
    rates = {"confidence_bound": 0.07, "convergence_rate": 0.1, "influence_trust_threshold": 0.5}
    rates |= {"anchoring_rate": 0.05, "exploration_rate": 0.08, "value_noise_monthly": 0.0}
    c = constants_array(rates)
    run = _founded(sense_making=1.0, questioning_patterns=1.0, value_distance=0.3)
    s, q = run.state, run.qualities
    s.reach[:] = 1.0
    s.alliance[L.THETA_HAT] = 0.9
    old = s.values.copy()
    h = (s.alliance[L.AMBITION_CORE], s.alliance[L.AMBITION_STRATEGY])
    counted = {"near": 0, "far": 0}
    expected = old.copy()
    for i in range(s.active.size):
        move = np.zeros(2)
        for e in range(s.first[i], s.first[i + 1]):
            j = s.dst[e]
            if s.live[e] and s.trust[e] > 0.5:
                near = np.hypot(*(old[j] - old[i])) < 0.07
                counted["near" if near else "far"] += 1
                if near:
                    move += 0.1 / s.degree[i] * s.trust[e] * (old[j] - old[i])
        move += 0.05 * (np.array(h) - old[i])  # anchoring to the ambition
        move[1] += 0.08 * (0.9 - old[i, 1])  # exploring toward the perceived demand
        expected[i] = np.clip(old[i] + move, 0, 1)
    values.update_values(s, q, c, run.generator)
    assert s.values == pytest.approx(expected, abs=1e-12)
    assert counted["near"] > 0 and counted["far"] > 0  # both sides of the bound occur


@pytest.mark.parametrize("search", [0.0, 0.5, 1.0])
def test_perception_moves_toward_the_demand_faster_with_a_global_view(search):
    c = constants_array({"perception_rate": 0.3, "perception_noise": 0.0, "calm_search": 0.1})
    for global_view in (0.0, 1.0):
        run = _founded(global_view=global_view)
        s, q = run.state, run.qualities
        s.alliance[L.MEAN_REACH] = 1.0
        s.alliance[L.SEARCH] = search
        s.alliance[L.THETA] = 0.8
        s.alliance[L.THETA_HAT] = 0.4
        strategy.perceive_demand(s, q, c, run.generator)
        rate = 0.3 * (0.2 + 0.8 * global_view) * (0.1 + 0.9 * search)
        assert s.alliance[L.THETA_HAT] == pytest.approx(0.4 + rate * 0.4)


@pytest.mark.parametrize(
    ("performance", "search"), [(0.9, 0.0), (0.8, 0.0), (0.76, 0.5), (0.6, 1.0)]
)
def test_search_opens_when_performance_falls_short_of_the_aspiration(performance, search):
    """Step 11b by hand: SEARCH = min(1, (A - Q)+ / (A search_scale)); A moves toward Q."""
    c = constants_array({"search_scale": 0.1, "aspiration_rate": 0.05})
    s = _founded().state
    s.alliance[L.ASPIRATION] = 0.8
    s.alliance[L.PERFORMANCE] = performance
    strategy.update_aspiration(s, c)
    assert s.alliance[L.SEARCH] == pytest.approx(search)
    assert s.alliance[L.ASPIRATION] == pytest.approx(0.8 + 0.05 * (performance - 0.8))


def test_awareness_follows_the_noticed_misfit():
    c = constants_array({"misfit_scale": 0.15, "awareness_rate": 0.1, "inertia_rate": 0.03})
    run = _founded(change_awareness=1.0)
    s, q = run.state, run.qualities
    assert s.counters[L.STEP] == 0  # no inertia at founding
    s.reach[:] = 0.5
    s.awareness[:] = 0.2
    s.alliance[L.THETA_HAT] = s.alliance[L.AMBITION_STRATEGY] + 0.06
    strategy.update_awareness(s, q, c)
    noticed = 0.06 / 0.15
    assert s.alliance[L.MISFIT] == pytest.approx(noticed)
    target = noticed * (0.3 + 0.7 * 0.5)
    assert s.awareness == pytest.approx(np.full(s.active.size, 0.2 + 0.1 * (target - 0.2)))


@pytest.mark.parametrize("search", [0.0, 1.0])
def test_ambition_revision_rate_outside_a_crisis(search):
    constants = {"crisis_capacity": 0.7, "revision_rate": 0.3, "narrative_rate": 0.0}
    c = constants_array({**constants, "calm_search": 0.1})
    run = _founded(questioning_patterns=1.0)
    s, q = run.state, run.qualities
    s.alliance[L.MEAN_REACH] = 1.0
    s.alliance[L.SEARCH] = search
    s.alliance[L.EFFORT_SPLIT] = 0.5  # sqrt(2 x) = 1
    s.capacity[:] = 0.9  # not acute
    s.awareness[:] = 1.0  # acceptance 0.25 + 0.75 = 1
    before = s.alliance[L.AMBITION_STRATEGY]
    s.alliance[L.THETA_HAT] = before + 0.2
    strategy.revise_ambition(s, q, c)
    openness = 0.1 + 0.9 * search  # a search window opens the strategy to revision
    assert s.alliance[L.AMBITION_STRATEGY] == pytest.approx(before + 0.3 * openness * 0.2)
    assert s.capacity == pytest.approx(np.full(s.active.size, 0.9))  # no disruption cost


def test_reflection_grows_the_robustness_buffer():
    c = constants_array({"buffer_gain": 0.2, "buffer_max": 0.5})
    run = _founded(reflection=1.0)
    s, q = run.state, run.qualities
    s.alliance[L.MEAN_REACH] = 0.5
    s.alliance[L.BUFFER] = 0.1
    leadership.learn_from_crisis(s, q, c)
    assert s.alliance[L.BUFFER] == pytest.approx(0.1 + 0.2 * 0.5 * (0.5 - 0.1))


EXIT_CONSTANTS = {
    "performance_need": 0.45,
    "trust_need": 0.4,
    "exit_weight_performance": 1.0,
    "exit_weight_values": 1.0,
    "exit_weight_pole": 0.5,
    "exit_weight_trust": 1.0,
}


def test_dissatisfaction_by_hand():
    c = constants_array(EXIT_CONSTANTS)
    run = _founded(paradox_navigation=1.0)
    s, q = run.state, run.qualities
    s.reach[:] = 0.5
    s.performance[:] = 0.3
    s.awareness[:] = 0.5
    s.alliance[L.EFFORT_SPLIT] = 0.2
    s.joined_gap[:] = 0.05  # each member accepts a core-value distance of 0.05
    s.joined_gap[0] = 1.0  # member 0 accepts any distance
    unhappy = exits.dissatisfaction(s, q, c)
    for i in range(s.active.size):
        live = [e for e in range(s.first[i], s.first[i + 1]) if s.live[e]]
        mean_trust = np.mean(s.trust[live])
        core = max(0.0, abs(s.values[i, 0] - s.alliance[L.AMBITION_CORE]) - s.joined_gap[i])
        strategic = abs(s.values[i, 1] - s.alliance[L.AMBITION_STRATEGY]) * 0.5
        expected = (
            (0.45 - 0.3) / 0.45
            + (core + strategic) / exits.VALUE_GAP_SCALE
            + 0.5 * abs(s.pole[i] - 0.2) * (1 - 0.5)
            + max(0.0, 0.4 - mean_trust) / 0.4
        )
        assert unhappy[i] == pytest.approx(expected), i


@pytest.mark.parametrize(("tolerance", "leave"), [(100.0, False), (-100.0, True)])
def test_members_leave_when_dissatisfaction_exceeds_tolerance(tolerance, leave):
    c = constants_array(EXIT_CONSTANTS | {"exit_rate": 1.0, "exit_tolerance": tolerance})
    run = _founded()
    s = run.state
    exits.decide_exits(s, run.qualities, c, 4, run.generator)
    if leave:  # hazard 1: everyone goes, the lead last
        assert not s.active.any() and s.counters[L.LEAD] == -1
        assert np.all(s.exit_step == 4)
    else:
        assert s.active.all() and s.counters[L.ACTIVE] == s.active.size


def test_alliance_ends_after_failing_months_or_with_too_few_members():
    c = constants_array({"q_min": 0.3, "q_min_months": 3.0, "min_members_share": 0.5})
    run = _founded(members=12)
    s = run.state
    s.alliance[L.PERFORMANCE] = 0.2
    for t in (1, 2):
        exits.check_termination(s, c, t)
        assert not s.counters[L.TERMINATED]
    exits.check_termination(s, c, 3)
    assert s.counters[L.TERMINATED] and s.counters[L.END_STEP] == 3
    run = _founded(members=12)
    s = run.state
    s.alliance[L.PERFORMANCE] = 0.9
    for member in range(7):  # 5 left of 12: fewer than ceil(0.5 * 12) = 6
        membership.remove_member(s, member, 1)
    exits.check_termination(s, c, 1)
    assert s.counters[L.TERMINATED] and s.counters[L.END_STEP] == 1
    run = _founded(members=12)
    s = run.state
    s.alliance[L.PERFORMANCE] = 0.9
    for member in range(6):  # 6 left: enough
        membership.remove_member(s, member, 1)
    exits.check_termination(s, c, 1)
    assert not s.counters[L.TERMINATED]


def test_exit_removes_ties_and_redistributes_share():
    run = _founded()
    s = run.state
    member = 3
    others = s.share.sum() - s.share[member]
    expected = s.share / others
    membership.remove_member(s, member, 5)
    membership.renormalise_shares(s)
    assert s.active[member] == 0 and s.exit_step[member] == 5
    edges = range(s.first[member], s.first[member + 1])
    assert not any(s.live[e] or s.live[s.rev[e]] for e in edges)
    assert s.share[member] == 0 and s.degree[member] == 0
    remaining = s.active == 1
    assert s.share[remaining] == pytest.approx(expected[remaining])  # in proportion
    assert s.counters[L.ACTIVE] == s.active.size - 1
    live = s.live.astype(bool)
    assert np.array_equal(np.bincount(s.src[live], minlength=s.active.size), s.degree)


DISSOLUTION_CONSTANTS = {
    "dissolution_trust": 0.4,
    "dissolution_months": 6.0,
    "dissolution_value_gap": 0.3,
    "switch_patience": 1.0,
}


def _one_distrusted_tie(relationships: float, gap: float, reach: float = 1.0):
    """A founded state where every tie is trusted (1) but the first tie of member 0 (0.3)."""
    run = _founded(relationships=relationships)
    s = run.state
    s.reach[:] = reach
    s.trust[:] = 1.0
    e = next(e for e in range(s.first[0], s.first[1]) if s.live[e])
    s.trust[e] = 0.3
    s.values[0, 0] = 0.2
    s.values[s.dst[e], 0] = 0.2 + gap
    return run, e


@pytest.mark.parametrize(("relationships", "reach"), [(0.25, 1.0), (0.5, 0.5)])
def test_a_long_distrusted_tie_across_a_value_gap_ends_both_ways(relationships, reach):
    c = constants_array(DISSOLUTION_CONSTANTS)
    run, e = _one_distrusted_tie(relationships=relationships, gap=0.5, reach=reach)
    s = run.state
    i, j = s.src[e], s.dst[e]
    degrees = s.degree.copy()
    for _ in range(7):  # each month counts 1 - rel reach = 0.75: 5.25 after seven, below 6
        ties.dissolve_ties(s, run.qualities, c)
    assert s.live[e] == 1 and s.distrusted[e] == pytest.approx(5.25)
    ties.dissolve_ties(s, run.qualities, c)  # 6.0: the tie ends, both ways
    assert s.live[e] == 0 and s.live[s.rev[e]] == 0
    assert s.degree[i] == degrees[i] - 1 and s.degree[j] == degrees[j] - 1
    assert s.counters[L.DISSOLUTIONS] == 1 and s.distrusted[e] == 0


@pytest.mark.parametrize(
    ("overrides", "gap", "expected"),
    [
        ({}, 0.2, 0.0),  # values close: low trust is not distrust
        ({"dissolution_trust": 0.0}, 0.5, 0.0),  # switched off
        ({}, 0.5, 5.0),  # trust recovered in month 5: the count restarts, 5 by month 10
    ],
)
def test_a_tie_is_kept_when_values_are_close_trust_recovers_or_dissolution_is_off(
    overrides, gap, expected
):
    c = constants_array(DISSOLUTION_CONSTANTS | overrides)
    run, e = _one_distrusted_tie(relationships=0.0, gap=gap)
    s = run.state
    live = s.live.copy()
    for month in range(11):
        s.trust[e] = 0.5 if month == 5 else 0.3
        ties.dissolve_ties(s, run.qualities, c)
    assert np.array_equal(s.live, live) and s.counters[L.DISSOLUTIONS] == 0
    assert s.distrusted[e] == pytest.approx(expected)


@pytest.mark.parametrize("preset", ["baseline", "scandal"])
def test_at_the_presets_of_close_factions_dissolution_changes_nothing(preset):
    """Factions at most 0.3 apart, middling qualities: no tie ends, and the runs are
    those without the mechanism."""
    spec = resolve_spec(preset)
    off = spec.with_overrides({"constants.dissolution_trust": 0.0}, source="test")
    for seed in range(10):
        with_it, without = simulate(spec, rng=seed), simulate(off, rng=seed)
        assert with_it["metrics"]["dissolutions"] == 0
        assert with_it == without, seed


def test_a_tie_made_again_after_it_ended_keeps_its_damage_memory():
    c = constants_array({"closure_rate": 1.0, "switch_closure": 1.0})
    run = _founded(relationships=1.0)
    s = run.state
    s.reach[:] = 1.0
    s.trust[:] = 0.9
    e, to_a, to_b = (int(x) for x in s.triads[0])
    assert not s.live[e] and s.live[to_a] and s.live[to_b]
    s.triads[:] = s.triads[0]  # only this triad, offered until it closes
    s.damage[e] = 0.5  # it was live once and ended with damage 0.5
    while not s.live[e]:
        ties.close_triads(s, run.qualities, c, run.generator)
    assert s.trust[e] == pytest.approx(0.5) and s.trust[s.rev[e]] == pytest.approx(0.9)


SHOCK_CONSTANTS = {
    "capacity_floor": 0.05,
    "local_focus_factor": 1.5,
    "local_neighbour_factor": 0.5,
    "regime_jump_min": 0.15,
    "regime_jump_max": 0.35,
    "regime_capacity_factor": 0.5,
    "relational_tie_share": 1.0,
}


def test_an_analytical_view_reads_fewer_breaches_of_a_scandal_as_betrayal():
    """Each breach of a relational shock counts as a violation with probability
    ``1 - blame_analytical analytical_view reach`` of the tie's owner."""
    event = {"kind": "relational", "at": 1, "severity": 1.0}
    spec = ScenarioSpec.from_dict(
        {
            "name": "one-scandal",
            "alliance": {"members": 200, "mean_degree": 20},
            "leadership": {"analytical_view": 1.0},
            "shocks": {"rate": 0.0, "events": [event]},
        }
    )
    run = prepare(spec, 3)
    s = run.state
    c = constants_array({**SHOCK_CONSTANTS, "blame_analytical": 0.8})
    shocks.apply_shocks(s, run.qualities, c, 1, run.generator)
    live = np.flatnonzero(s.live)
    expected = np.mean(1.0 - 0.8 * s.reach[s.src[live]])
    ties = live.size
    assert ties > 1000
    assert abs(s.violated[live].mean() - expected) < 4 * np.sqrt(0.25 / ties)
    assert s.violated[live].mean() < 0.9  # with no analytical view every breach counts


@pytest.mark.parametrize("kind", SHOCK_KINDS)
def test_each_shock_kind_by_hand(kind):
    """A scheduled shock of each kind does what its name says (step 1)."""
    severity = 1.0 if kind == "relational" else 0.5  # relational: every tie breached
    event = {"kind": kind, "at": 1, "severity": severity}
    if kind == "local":
        event["member"] = 2
    spec = ScenarioSpec.from_dict(
        {
            "name": "one-shock",
            # no analytical view: every breach of a relational shock is read as betrayal
            "leadership": {"concentration": 0.5, "analytical_view": 0.0},
            "shocks": {"rate": 0.0, "events": [event]},
        }
    )
    run = prepare(spec, 3)
    s, c = run.state, constants_array(SHOCK_CONSTANTS)
    assert s.alliance[L.BUFFER] == 0  # no buffer at founding: effective severity = severity
    capacity_before = s.capacity.copy()
    theta = min(1.0, max(0.0, s.alliance[L.THETA] + s.drift[1]))
    lead = int(s.counters[L.LEAD])
    shocks.apply_shocks(s, run.qualities, c, 1, run.generator)
    assert s.counters[L.SHOCKS_NOW] == 1
    reflection = run.qualities[L.REFLECTION] * s.alliance[L.MEAN_REACH]
    learned = c[constant_index("buffer_gain")] * reflection * c[constant_index("buffer_max")]
    assert s.alliance[L.BUFFER] == pytest.approx(learned)  # the alliance reflects on the shock
    episode = s.episodes[s.counters[L.OPEN_EPISODE]]
    assert SHOCK_KINDS[int(episode[L.EP_KIND])] == kind
    live = s.live.astype(bool)
    expected = capacity_before.copy()
    if kind == "global":
        expected = np.maximum(0.05, capacity_before - 0.5)
    elif kind == "local":
        partners = [int(s.dst[e]) for e in range(s.first[2], s.first[3]) if s.live[e]]
        expected[partners] = np.maximum(0.05, capacity_before[partners] - 0.5 * 0.5)
        expected[2] = max(0.05, capacity_before[2] - 1.5 * 0.5)
    elif kind == "regime_shift":
        expected = np.maximum(0.05, capacity_before - 0.5 * 0.5)
    if kind != "leader_exit":
        assert s.capacity == pytest.approx(expected)
    if kind == "regime_shift":
        assert 0.15 - 1e-12 <= abs(s.alliance[L.THETA] - theta) <= 0.35 + 1e-12
    else:
        assert s.alliance[L.THETA] == pytest.approx(theta)
    assert bool(np.all(s.violated[live])) == (kind == "relational")
    if kind == "leader_exit":
        assert not s.active[lead] and s.counters[L.LEAD] not in (-1, lead)
        assert s.alliance[L.AUTHORITY] == 0
    else:
        assert s.active.all() and s.counters[L.LEAD] == lead


def test_every_constant_is_documented_with_a_valid_default():
    for constant in CONSTANTS:
        assert constant.low <= constant.default <= constant.high, constant.name
        assert len(constant.doc) > 20, constant.name
        assert constant.key == f"constants.{constant.name}"
        assert constant.set_by, f"{constant.name}: say how its default was set"
