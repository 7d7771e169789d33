"""Crisis episodes, phases, fragmentation and the outcome class, compiled.

An episode opens with the first shock that meets no open episode (later shocks
join it), its pre-crisis level ``Q_pre`` being the mean performance of the three
months before. It closes as recovered in the first month performance is back at
``recovery_share Q_pre``; it stays unrecovered if the run ends first. The
functions of the monthly step are compiled inline into it (see
:mod:`sim.kernel.mechanisms`).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from sim.constants import constant_index as _ix
from sim.kernel import layout as L

RECOVERY_SHARE = _ix("recovery_share")
RECOVERY_WINDOW = _ix("recovery_window")
BUFFER_GAIN = _ix("buffer_gain")
BUFFER_MAX = _ix("buffer_max")
MUTUAL_TRUST = _ix("mutual_trust_threshold")
FRAGMENTATION_SHARE = _ix("fragmentation_share")
DEGRADED_SHARE = _ix("degraded_share")
DELTA_H = _ix("delta_h")
CONFIDENCE_BOUND = _ix("confidence_bound")

LEVEL_MONTHS = 3  # months averaged for pre-crisis, starting and final performance


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


@njit(cache=True, inline="always")
def open_episode(s, t, kind):
    """Start a crisis episode at month t with a shock of ``kind``."""
    episode = s.counters[L.EPISODES]
    s.counters[L.EPISODES] += 1
    s.counters[L.OPEN_EPISODE] = episode
    row = s.episodes[episode]
    row[:] = np.nan
    row[L.EP_START] = t
    row[L.EP_KIND] = kind
    row[L.EP_SHOCKS] = 0.0
    row[L.EP_SEVERITY] = 0.0
    row[L.EP_Q_PRE] = mean_performance(s, t - LEVEL_MONTHS, t - 1)
    row[L.EP_Q_MIN] = np.inf
    row[L.EP_LOSS] = 0.0


@njit(cache=True, inline="always")
def close_episode(s, q, c, t, recovered):
    """Close the open episode; a recovered one teaches: ``B += buffer_gain r (buffer_max - B)``."""
    episode = s.counters[L.OPEN_EPISODE]
    if episode < 0:
        return
    s.counters[L.OPEN_EPISODE] = -1
    if recovered:
        row = s.episodes[episode]
        row[L.EP_END] = t
        row[L.EP_RECOVERY_TIME] = t - row[L.EP_START]
        s.counters[L.CRISES_SEEN] += 1
        learning = c[BUFFER_GAIN] * q[L.REFLECTION] * s.alliance[L.MEAN_REACH]
        s.alliance[L.BUFFER] += learning * (c[BUFFER_MAX] - s.alliance[L.BUFFER])


@njit(cache=True, inline="always")
def track_episodes(s, q, c, t):
    """Step 13b: update the open episode, measure recovery windows, set the phase.

    Phase: crisis while an episode is open and performance falls or a shock
    arrives; stabilising while it is open and performance rises; transforming
    when no episode is open and more effort goes to transforming; else normal.
    """
    quality = s.alliance[L.PERFORMANCE]
    episode = s.counters[L.OPEN_EPISODE]
    if episode >= 0:
        row = s.episodes[episode]
        row[L.EP_Q_MIN] = min(row[L.EP_Q_MIN], quality)
        row[L.EP_LOSS] += max(0.0, row[L.EP_Q_PRE] - quality)
        if t > row[L.EP_START] and quality >= c[RECOVERY_SHARE] * row[L.EP_Q_PRE]:
            close_episode(s, q, c, t, True)
    while s.counters[L.WINDOW_CURSOR] < s.counters[L.EPISODES]:
        row = s.episodes[s.counters[L.WINDOW_CURSOR]]
        if row[L.EP_START] + c[RECOVERY_WINDOW] > t:
            break
        row[L.EP_Q_WINDOW] = quality
        s.counters[L.WINDOW_CURSOR] += 1
    if s.counters[L.OPEN_EPISODE] >= 0:
        falling = quality < s.series[L.S_PERFORMANCE, t - 1]
        s.counters[L.PHASE] = L.CRISIS if s.counters[L.SHOCKS_NOW] > 0 or falling else L.STABILISING
    elif s.alliance[L.EFFORT_SPLIT] > 0.5:
        s.counters[L.PHASE] = L.TRANSFORMING
    else:
        s.counters[L.PHASE] = L.NORMAL


@njit(cache=True)
def _root(parent, i):
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


@njit(cache=True)
def trust_components(s, c):
    """Components of mutual-trust ties among active members.

    A tie counts when trust exceeds ``mutual_trust_threshold`` both ways.
    Returns ``(share of active members in the largest component, number of components)``.
    """
    n = s.active.size
    parent = np.arange(n)
    threshold = c[MUTUAL_TRUST]
    for e in range(s.src.size):
        if s.live[e] and s.src[e] < s.dst[e]:
            if s.trust[e] > threshold and s.trust[s.rev[e]] > threshold:
                a = _root(parent, s.src[e])
                b = _root(parent, s.dst[e])
                if a != b:
                    parent[a] = b
    sizes = np.zeros(n, np.int64)
    for i in range(n):
        if s.active[i]:
            sizes[_root(parent, i)] += 1
    active = s.counters[L.ACTIVE]
    if active == 0:
        return 0.0, 0
    return sizes.max() / active, int(np.sum(sizes > 0))


@njit(cache=True)
def value_clusters(s, c):
    """Clusters of active members' core values: runs of sorted values with gaps below
    ``confidence_bound`` (members further apart no longer influence each other)."""
    values = np.sort(s.values[s.active == 1, 0])
    if values.size == 0:
        return 0
    clusters = 1
    for k in range(1, values.size):
        if values[k] - values[k - 1] >= c[CONFIDENCE_BOUND]:
            clusters += 1
    return clusters


@njit(cache=True)
def trust_density(s):
    """Mean trust over all ordered pairs of active members (0 where no tie)."""
    active = s.counters[L.ACTIVE]
    if active < 2:
        return 0.0
    total = 0.0
    for e in range(s.src.size):
        if s.live[e]:
            total += s.trust[e]
    return total / (active * (active - 1.0))


@njit(cache=True)
def classify(s, c):
    """The run's outcome class and the figures it rests on.

    First match wins: collapse (ended before the horizon), fragmentation
    (largest mutual-trust component below ``fragmentation_share``), degraded
    (final performance below ``degraded_share`` of the first months'),
    transformation (ambition moved at least ``delta_h``), recovery.
    Returns ``(outcome, component_share, q_start, q_end, ambition_shift)``.
    """
    last = s.counters[L.STEP]
    component, _ = trust_components(s, c)
    q_start = mean_performance(s, 1, LEVEL_MONTHS)
    q_end = mean_performance(s, last - LEVEL_MONTHS + 1, last)
    d0 = s.alliance[L.AMBITION_CORE] - s.alliance[L.AMBITION_CORE_0]
    d1 = s.alliance[L.AMBITION_STRATEGY] - s.alliance[L.AMBITION_STRATEGY_0]
    shift = math.sqrt(d0 * d0 + d1 * d1)
    if s.counters[L.TERMINATED]:
        outcome = L.COLLAPSE
    elif component < c[FRAGMENTATION_SHARE]:
        outcome = L.FRAGMENTATION
    elif q_end < c[DEGRADED_SHARE] * q_start:
        outcome = L.DEGRADED
    elif shift >= c[DELTA_H]:
        outcome = L.TRANSFORMATION
    else:
        outcome = L.RECOVERY
    return outcome, component, q_start, q_end, shift
