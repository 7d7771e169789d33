"""Shared measures of the state: means over active members and live ties, trust density,
the ambition's shift, recorded performance. Used by the step and by the outcome class.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from sim.kernel import layout as L
from sim.parameters import SWITCHED_OFF_LEVEL

OFF_LEVEL = SWITCHED_OFF_LEVEL


@njit(cache=True, inline="always")
def quality_level(q, c, quality, switch):
    """A quality's level in one of its mechanisms: ``on q + (1 - on) SWITCHED_OFF_LEVEL``
    with ``on = c[switch]`` (1 by default: the quality itself; 0: the mechanism is off)."""
    on = c[switch]
    return on * q[quality] + (1.0 - on) * OFF_LEVEL


@njit(cache=True, inline="always")
def mean_active(s, values):
    """Mean of a member array over active members (NaN when none are left)."""
    total = 0.0
    count = 0
    for i in range(s.active.size):
        if s.active[i]:
            total += values[i]
            count += 1
    return total / count if count > 0 else np.nan


@njit(cache=True, inline="always")
def mean_live_trust(s):
    """Mean trust over live ties (NaN when none)."""
    total = 0.0
    count = 0
    live, trust = s.live, s.trust
    for e in range(trust.size):
        if live[e]:
            total += trust[e]
            count += 1
    return total / count if count > 0 else np.nan


@njit(cache=True, inline="always")
def trust_density(s):
    """Mean trust over all ordered pairs of active members (0 where no tie; 0 below 2 members)."""
    active = s.counters[L.ACTIVE]
    if active < 2:
        return 0.0
    total = 0.0
    for e in range(s.src.size):
        if s.live[e]:
            total += s.trust[e]
    return total / (active * (active - 1.0))


@njit(cache=True, inline="always")
def ambition_shift(s):
    """Distance the ambition has moved from the founding ambition."""
    d0 = s.alliance[L.AMBITION_CORE] - s.alliance[L.AMBITION_CORE_0]
    d1 = s.alliance[L.AMBITION_STRATEGY] - s.alliance[L.AMBITION_STRATEGY_0]
    return math.sqrt(d0 * d0 + d1 * d1)


@njit(cache=True, inline="always")
def mean_performance(s, first, last):
    """Mean recorded performance over months ``first..last`` (inclusive, clipped)."""
    first = max(0, first)
    total = 0.0
    count = 0
    for t in range(first, last + 1):
        value = s.series[L.S_PERFORMANCE, t]
        if not np.isnan(value):
            total += value
            count += 1
    return total / count if count > 0 else np.nan
