"""How leadership reaches members (step 2) and how reflection reshapes it (step 13):
leadership reach, leadership drift, and learning from a crisis.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from sim.kernel import layout as L
from sim.kernel.measures import quality_level, trust_density
from sim.parameters import constant_index as _ix

SUCCESSION = _ix("succession_rate")
COORDINATION_COST = _ix("coordination_cost")
COORDINATION_SCALE = _ix("coordination_scale")
ATTENTION_COST = _ix("attention_cost")
FORMAL_REACH = _ix("formal_reach")
DRIFT_RATE = _ix("drift_rate")
BUFFER_GAIN = _ix("buffer_gain")
BUFFER_MAX = _ix("buffer_max")
SW_BUFFER = _ix("switch_buffer")
SW_DRIFT = _ix("switch_drift")


@njit(cache=True, inline="always")
def leadership_reach(s, q, c):
    """Step 2: how much leadership each member receives.

    ``reach_i = min(1, N (l_i / 2 + sum_j l_j T_ij / deg_j) + formal_i) * coordination * vacuum``,
    with coordination efficiency ``1 / (1 + coordination_cost crowd(N_L) (1 - density))``
    (``N_L = 1 / sum l^2`` effective leaders, ``density`` = mean trust over all pairs,
    ``crowd(n) = (n - 1) / (n - 1 + coordination_scale)``, rising from 0 toward 1) and
    ``vacuum = 1 - concentration (1 - authority)``. Members without a tie to the lead
    member still receive its formal coordination,
    ``formal_i = formal_reach l_lead legitimacy attention``, legitimacy being the lead's
    partners' mean trust in it and ``attention = 1 / (1 + attention_cost crowd(N_a))``
    its limited attention over ``N_a`` active members (lead-organisation governance:
    Provan & Kenis 2008). Both modes pay for size, and the cost saturates: shared
    leadership for coordinating its leaders, a lead member for spreading its attention.
    """
    n_active = s.counters[L.ACTIVE]
    if n_active == 0:
        s.alliance[L.MEAN_REACH] = 0.0
        return
    squares = 0.0
    for i in range(s.share.size):
        squares += s.share[i] * s.share[i]
    leaders = 1.0 / squares if squares > 0 else 1.0
    density = trust_density(s)
    scale = c[COORDINATION_SCALE]
    crowd = (leaders - 1.0) / (leaders - 1.0 + scale)
    coordination = 1.0 / (1.0 + c[COORDINATION_COST] * crowd * (1.0 - density))
    spread = (n_active - 1.0) / (n_active - 1.0 + scale)
    attention = 1.0 / (1.0 + c[ATTENTION_COST] * spread)
    vacuum = 1.0 - q[L.CONCENTRATION] * (1.0 - s.alliance[L.AUTHORITY])
    lead = s.counters[L.LEAD]
    formal = 0.0
    if lead >= 0 and s.active[lead] and s.degree[lead] > 0:
        legitimacy = 0.0
        for e in range(s.first[lead], s.first[lead + 1]):
            if s.live[e]:
                legitimacy += s.trust[s.rev[e]]
        formal = c[FORMAL_REACH] * s.share[lead] * legitimacy / s.degree[lead] * attention
    total = 0.0
    first, live, dst, trust = s.first, s.live, s.dst, s.trust
    share, degree = s.share, s.degree
    for i in range(s.active.size):
        if not s.active[i]:
            s.reach[i] = 0.0
            continue
        received = share[i] / 2.0
        tied_to_lead = i == lead
        for e in range(first[i], first[i + 1]):
            if live[e]:
                j = dst[e]
                received += share[j] * trust[e] / degree[j]
                tied_to_lead = tied_to_lead or j == lead
        direct = n_active * received + (0.0 if tied_to_lead else formal)
        s.reach[i] = min(1.0, direct) * coordination * vacuum
        total += s.reach[i]
    s.alliance[L.COORDINATION] = coordination
    s.alliance[L.MEAN_REACH] = total / n_active


@njit(cache=True, inline="always")
def learn_from_crisis(s, q, c):
    """Reflection on a shock met: ``B += buffer_gain reflection (buffer_max - B)``.

    The robustness buffer B absorbs that share of every later shock's severity;
    reflection acts as ``reflection * mean reach``. Learning reads only the model's
    own state (a shock met), never a measured threshold.
    """
    reflection = quality_level(q, c, L.REFLECTION, SW_BUFFER)
    learning = c[BUFFER_GAIN] * reflection * s.alliance[L.MEAN_REACH]
    s.alliance[L.BUFFER] += learning * (c[BUFFER_MAX] - s.alliance[L.BUFFER])


@njit(cache=True, inline="always")
def leadership_drift(s, q, c):
    """Step 13a: shares drift toward trusted members, at ``drift_rate reflection``.

    Target: ``(1 - g) incoming-trust share + g [lead]``. The lead's authority
    regrows at ``succession_rate``.
    """
    s.alliance[L.AUTHORITY] = min(1.0, s.alliance[L.AUTHORITY] + c[SUCCESSION])
    reflection = quality_level(q, c, L.REFLECTION, SW_DRIFT)
    rate = c[DRIFT_RATE] * reflection * s.alliance[L.MEAN_REACH]
    if rate <= 0 or s.counters[L.ACTIVE] == 0:
        return
    n = s.active.size
    incoming = np.zeros(n)
    total = 0.0
    live, dst, trust = s.live, s.dst, s.trust
    for e in range(dst.size):
        if live[e]:
            incoming[dst[e]] += trust[e]
            total += trust[e]
    g = q[L.CONCENTRATION]
    lead = s.counters[L.LEAD]
    share_total = 0.0
    for i in range(n):
        if not s.active[i]:
            continue
        trusted = incoming[i] / total if total > 0 else 1.0 / s.counters[L.ACTIVE]
        target = (1.0 - g) * trusted + (g if i == lead else 0.0)
        s.share[i] += rate * (target - s.share[i])
        share_total += s.share[i]
    for i in range(n):
        if s.active[i]:
            s.share[i] /= share_total
