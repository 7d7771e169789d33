"""Steps 10-11: capacity recovery and aid; members' and the alliance's performance."""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from sim.kernel import layout as L
from sim.kernel.measures import quality_level
from sim.parameters import constant_index as _ix

RECOVERY_RATE = _ix("recovery_rate")
AID_RATE = _ix("aid_rate")
AID_THRESHOLD = _ix("aid_threshold")
FIT_SCALE = _ix("fit_scale")
SW_AID = _ix("switch_aid")
SW_RECOVERY = _ix("switch_recovery")


@njit(cache=True, inline="always")
def recover_capacity(s, q, c):
    """Step 10: capacity recovers, and partners send aid to members in need.

    ``P_i += recovery_rate (0.3 + 0.7 resilience_i) sqrt(2 (1 - x)) (1 - P_i)``.
    Aid: a partner j above ``aid_threshold`` sends
    ``aid_rate global_view_j T_ji (P_j - threshold) / deg_j`` to a member below it,
    at most the member's need split over its ties. Aid moves capacity; it does
    not create it.
    """
    n = s.active.size
    stabilising = math.sqrt(2.0 * (1.0 - s.alliance[L.EFFORT_SPLIT]))
    threshold = c[AID_THRESHOLD]
    transfer = np.zeros(n)
    for i in range(n):
        if not s.active[i] or s.capacity[i] >= threshold or s.degree[i] == 0:
            continue
        need = (threshold - s.capacity[i]) / s.degree[i]
        for e in range(s.first[i], s.first[i + 1]):
            if not s.live[e]:
                continue
            j = s.dst[e]
            if s.capacity[j] <= threshold:
                continue
            global_view = quality_level(q, c, L.GLOBAL_VIEW, SW_AID) * s.reach[j]
            amount = c[AID_RATE] * global_view * s.trust[s.rev[e]] * (s.capacity[j] - threshold)
            amount = min(need, amount / s.degree[j])
            transfer[i] += amount
            transfer[j] -= amount
    for i in range(n):
        if not s.active[i]:
            continue
        resilience_building = quality_level(q, c, L.RESILIENCE_BUILDING, SW_RECOVERY) * s.reach[i]
        grow = c[RECOVERY_RATE] * (0.3 + 0.7 * resilience_building) * stabilising
        capacity = s.capacity[i] + transfer[i]
        s.capacity[i] = min(1.0, capacity + min(1.0, grow) * (1.0 - capacity))


@njit(cache=True, inline="always")
def member_performance(capacity, collaboration, fit):
    """``U = P (0.4 + 0.6 collaboration)(0.5 + 0.5 fit)``."""
    return capacity * (0.4 + 0.6 * collaboration) * (0.5 + 0.5 * fit)


@njit(cache=True, inline="always")
def performance(s, c):
    """Step 11: members' performance and the alliance's, ``Q = mean U``.

    ``U_i = m P_i (0.4 + 0.6 collaboration_i)(0.5 + 0.5 fit)`` with the domain's
    munificence m and ``fit = max(0, 1 - |H_1 - theta| / fit_scale)``.
    """
    fit = max(0.0, 1.0 - abs(s.alliance[L.AMBITION_STRATEGY] - s.alliance[L.THETA]) / c[FIT_SCALE])
    munificence = s.alliance[L.MUNIFICENCE]
    total = 0.0
    count = 0
    for i in range(s.active.size):
        if s.active[i]:
            s.performance[i] = munificence * member_performance(
                s.capacity[i], s.collaboration[i], fit
            )
            total += s.performance[i]
            count += 1
        else:
            s.performance[i] = 0.0
    s.alliance[L.PERFORMANCE] = total / count if count > 0 else 0.0
