"""Step 12 and termination: members' dissatisfaction and exits, and the alliance's end."""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from sim.kernel import layout as L
from sim.kernel.episodes import open_episode
from sim.kernel.measures import quality_level
from sim.kernel.membership import leader_exit, remove_member, renormalise_shares
from sim.parameters import constant_index as _ix

EXIT_RATE = _ix("exit_rate")
EXIT_TOLERANCE = _ix("exit_tolerance")
COMMITMENT_INITIAL = _ix("commitment_initial")
COMMITMENT_MONTHS = _ix("commitment_months")
PERFORMANCE_NEED = _ix("performance_need")
W_PERFORMANCE = _ix("exit_weight_performance")
W_VALUES = _ix("exit_weight_values")
W_POLE = _ix("exit_weight_pole")
W_TRUST = _ix("exit_weight_trust")
TRUST_NEED = _ix("trust_need")
Q_MIN = _ix("q_min")
Q_MIN_MONTHS = _ix("q_min_months")
MIN_MEMBERS_SHARE = _ix("min_members_share")
SW_POLE_TOLERANCE = _ix("switch_pole_tolerance")
VALUE_GAP_SCALE = 0.5  # distance to the ambition that counts as a full value gap


@njit(cache=True, inline="always")
def dissatisfaction(s, q, c):
    """How badly the alliance serves each active member (0 for members who left).

    Members aware of the need for change accept a new strategy; core values
    stay a reason to leave, as far as they lie further from the ambition than when
    the member joined (``joined_gap``: members accept the distance they joined with).

    ``w_perf (need - U)+ / need
    + w_values ((|v_i0 - H_0| - joined_gap_i)+ + (1 - c_i)|v_i1 - H_1|) / 0.5
    + w_pole |pole_i - x| (1 - paradox_i) + w_trust (trust_need - mean trust_i)+ / trust_need``.
    """
    n = s.active.size
    out = np.zeros(n)
    need = c[PERFORMANCE_NEED]
    first, live, trust = s.first, s.live, s.trust
    for i in range(n):
        if not s.active[i]:
            continue
        shortfall = max(0.0, need - s.performance[i]) / need if need > 0 else 0.0
        core_gap = max(0.0, abs(s.values[i, 0] - s.alliance[L.AMBITION_CORE]) - s.joined_gap[i])
        strategy_gap = abs(s.values[i, 1] - s.alliance[L.AMBITION_STRATEGY]) * (
            1.0 - s.awareness[i]
        )
        value_gap = (core_gap + strategy_gap) / VALUE_GAP_SCALE
        paradox_navigation = (
            quality_level(q, c, L.PARADOX_NAVIGATION, SW_POLE_TOLERANCE) * s.reach[i]
        )
        pole_gap = abs(s.pole[i] - s.alliance[L.EFFORT_SPLIT]) * (1.0 - paradox_navigation)
        trust_total = 0.0
        for e in range(first[i], first[i + 1]):
            if live[e]:
                trust_total += trust[e]
        mean_trust = trust_total / s.degree[i] if s.degree[i] > 0 else 0.0
        trust_gap = max(0.0, c[TRUST_NEED] - mean_trust) / c[TRUST_NEED]
        out[i] = (
            c[W_PERFORMANCE] * shortfall
            + c[W_VALUES] * value_gap
            + c[W_POLE] * pole_gap
            + c[W_TRUST] * trust_gap
        )
    return out


@njit(cache=True, inline="always")
def decide_exits(s, q, c, t, rng):
    """Step 12: every member decides first, then all exits apply (order-free).

    Exit hazard ``min(1, exit_rate (dissatisfaction - exit_tolerance)+)``. When the
    lead member leaves this way, a leader exit follows (an endogenous shock).
    """
    n = s.active.size
    unhappy = dissatisfaction(s, q, c)
    leaving = np.zeros(n, np.uint8)
    commitment = c[COMMITMENT_INITIAL] * max(0.0, 1.0 - t / c[COMMITMENT_MONTHS])
    for i in range(n):
        if not s.active[i]:
            continue
        excess = unhappy[i] - c[EXIT_TOLERANCE] - commitment
        hazard = min(1.0, c[EXIT_RATE] * max(0.0, excess))
        if rng.random() < hazard:
            leaving[i] = 1
    lead = s.counters[L.LEAD]
    lead_leaves = lead >= 0 and leaving[lead] == 1
    departed = 0
    for i in range(n):
        if leaving[i] and i != lead:
            remove_member(s, i, t)
            departed += 1
    if departed > 0:
        renormalise_shares(s)
    if lead_leaves and s.counters[L.ACTIVE] > 1:
        leader_exit(s, q, t)
        s.counters[L.SHOCKS_NOW] += 1
        s.counters[L.SHOCKS_TOTAL] += 1
        if s.counters[L.OPEN_EPISODE] < 0:
            open_episode(s, t, L.LEADER_EXIT)
        s.episodes[s.counters[L.OPEN_EPISODE], L.EP_SHOCKS] += 1
    elif lead_leaves:
        remove_member(s, lead, t)
        renormalise_shares(s)
        s.counters[L.LEAD] = -1


@njit(cache=True, inline="always")
def check_termination(s, c, t):
    """Step 13c: the alliance ends when too few members remain or it fails for too long.

    Too few: fewer than ``max(3, ceil(min_members_share N_0))`` active members.
    Failing: performance below ``q_min`` for ``q_min_months`` consecutive months.
    """
    founding = s.counters[L.FOUNDING]
    needed = max(3, math.ceil(c[MIN_MEMBERS_SHARE] * founding - 1e-9))
    if s.alliance[L.PERFORMANCE] < c[Q_MIN]:
        s.counters[L.LOW_MONTHS] += 1
    else:
        s.counters[L.LOW_MONTHS] = 0
    if s.counters[L.ACTIVE] < needed or s.counters[L.LOW_MONTHS] >= c[Q_MIN_MONTHS]:
        s.counters[L.TERMINATED] = 1
        s.counters[L.END_STEP] = t
