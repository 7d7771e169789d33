"""The outcome class of a run and the structure it rests on: mutual-trust components,
value clusters. Compiled, called once at the end of a run (or to read a run so far).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from sim.kernel import layout as L
from sim.kernel.episodes import LEVEL_MONTHS
from sim.kernel.measures import ambition_shift, mean_performance
from sim.parameters import constant_index as _ix

CONFIDENCE_BOUND = _ix("confidence_bound")
MUTUAL_TRUST = _ix("mutual_trust_threshold")
FRAGMENTATION_SHARE = _ix("fragmentation_share")
DEGRADED_SHARE = _ix("degraded_share")
DELTA_H = _ix("delta_h")


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
    shift = ambition_shift(s)
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
