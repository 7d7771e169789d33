"""Unit tests per mechanism, against values computed by hand from docs/model.md."""

from __future__ import annotations

import numpy as np
import pytest

from sim.kernel import capacity, leadership, membership, strategy, ties
from sim.kernel import layout as L
from sim.kernel.network import directed_edges, draw_open_triads, draw_ties
from sim.model.prepare import constants_array, prepare, resolve_spec
from sim.parameters import CONSTANT_DEFAULTS as DEFAULTS
from sim.parameters import CONSTANTS

C = constants_array()


def test_cooperation_probability_by_hand():
    # coop_base + coop_trust T - coop_stress stress = 0.7 + 0.3 * 0.5 - 0.9 * 0.2
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


def test_leadership_reach_by_hand():
    run = _founded(concentration=0.0)
    s, q, c = run.state, run.qualities, run.consts
    leadership.leadership_reach(s, q, c)
    n = s.active.size
    live = s.live.astype(bool)
    leaders = 1 / np.sum(s.share**2)
    density = s.trust[live].sum() / (n * (n - 1))
    coordination = 1 / (1 + c[leadership.COORDINATION_COST] * (leaders - 1) * (1 - density))
    lead = s.counters[L.LEAD]
    lead_edges = [e for e in range(s.first[lead], s.first[lead + 1]) if s.live[e]]
    legitimacy = np.mean([s.trust[s.rev[e]] for e in lead_edges])
    formal = c[leadership.FORMAL_REACH] * s.share[lead] * legitimacy
    for i in range(n):
        edges = [e for e in range(s.first[i], s.first[i + 1]) if s.live[e]]
        received = s.share[i] / 2 + sum(
            s.share[s.dst[e]] * s.trust[e] / s.degree[s.dst[e]] for e in edges
        )
        tied = i == lead or any(s.dst[e] == lead for e in edges)
        direct = n * received + (0.0 if tied else formal)
        assert s.reach[i] == pytest.approx(min(1.0, direct) * coordination)


def test_concentrated_leadership_reaches_others_formally_and_less():
    run = _founded(concentration=1.0, members=30, mean_degree=4)
    s, c = run.state, run.consts
    leadership.leadership_reach(s, run.qualities, c)
    lead = s.counters[L.LEAD]
    lead_edges = [e for e in range(s.first[lead], s.first[lead + 1]) if s.live[e]]
    partners = {int(s.dst[e]) for e in lead_edges}
    legitimacy = np.mean([s.trust[s.rev[e]] for e in lead_edges])
    coordination = s.alliance[L.COORDINATION]
    for i in range(s.active.size):
        if i != lead and i not in partners:
            assert s.reach[i] == pytest.approx(
                c[leadership.FORMAL_REACH] * legitimacy * coordination
            )
    assert min(s.reach[i] for i in partners) > max(
        s.reach[i] for i in range(s.active.size) if i != lead and i not in partners
    )


def test_aid_moves_capacity_without_creating_it():
    run = _founded(global_view=1.0, resilience_building=0.0)
    s, q, c = run.state, run.qualities, run.consts.copy()
    c[capacity.RECOVERY_RATE] = 0.0  # isolate aid
    leadership.leadership_reach(s, q, c)
    s.capacity[:] = 0.95
    s.capacity[0] = 0.1
    before = s.capacity.sum()
    capacity.recover_capacity(s, q, c)
    assert s.capacity[0] > 0.1
    assert s.capacity.sum() == pytest.approx(before)


def test_effort_split_with_and_without_paradox_navigation():
    for paradox, expected in ((1.0, None), (0.0, 0.0)):
        run = _founded(paradox_navigation=paradox, change_awareness=1.0)
        s, q, c = run.state, run.qualities, run.consts
        s.alliance[L.MEAN_REACH] = 1.0
        s.alliance[L.MISFIT] = 0.0  # no transform demand
        s.capacity[:] = 0.5  # stabilise demand 0.5
        s.alliance[L.EFFORT_SPLIT] = 0.5
        strategy.split_effort(s, q, c)
        balanced = 0.05 / (0.5 + 0.1)
        target = balanced if expected is None else expected
        assert s.alliance[L.EFFORT_SPLIT] == pytest.approx(0.5 + 0.3 * (target - 0.5))


def test_ambition_revision_is_gated_in_acute_crisis():
    moves = {}
    for resilience in (0.0, 1.0):
        run = _founded(resilience_building=resilience, questioning_patterns=1.0)
        s, q, c = run.state, run.qualities, run.consts
        s.alliance[L.MEAN_REACH] = 1.0
        s.alliance[L.THETA_HAT] = s.alliance[L.AMBITION_STRATEGY] + 0.3
        s.capacity[:] = 0.5  # acute: below crisis_capacity
        before = s.alliance[L.AMBITION_STRATEGY]
        strategy.revise_ambition(s, q, c)
        moves[resilience] = s.alliance[L.AMBITION_STRATEGY] - before
    assert moves[0.0] > 0
    assert moves[1.0] == pytest.approx(0.0)


def test_exit_removes_ties_and_redistributes_share():
    run = _founded()
    s = run.state
    member = 3
    membership.remove_member(s, member, 5)
    membership.renormalise_shares(s)
    assert s.active[member] == 0 and s.exit_step[member] == 5
    edges = range(s.first[member], s.first[member + 1])
    assert not any(s.live[e] or s.live[s.rev[e]] for e in edges)
    assert s.share[member] == 0
    assert s.share[s.active == 1].sum() == pytest.approx(1.0)
    assert s.counters[L.ACTIVE] == s.active.size - 1


def test_every_constant_is_documented_with_a_valid_default():
    for constant in CONSTANTS:
        assert constant.low <= constant.default <= constant.high, constant.name
        assert len(constant.doc) > 20
    assert len(DEFAULTS) == len(CONSTANTS)
