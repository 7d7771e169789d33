"""The outcome class of a run, read from its whole record, and the structure it rests
on: mutual-trust components (recorded every month), value clusters.

Every threshold here measures or classifies; nothing in the step reads a class.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from sim.kernel import layout as L
from sim.kernel.episodes import LEVEL_MONTHS
from sim.kernel.measures import mean_performance
from sim.parameters import constant_index as _ix

CONFIDENCE_BOUND = _ix("confidence_bound")
MUTUAL_TRUST = _ix("mutual_trust_threshold")
FRAGMENTATION_SHARE = _ix("fragmentation_share")
FRAGMENTATION_MONTHS = _ix("fragmentation_months")
DEGRADED_SHARE = _ix("degraded_share")
DEGRADED_WINDOW = _ix("degraded_window")
FOUNDING_MONTHS = _ix("founding_months")
SETTLE_MONTHS = _ix("settle_months")
RECOVERY_SHARE = _ix("recovery_share")
DELTA_H = _ix("delta_h")


@njit(cache=True, inline="always")
def _root(parent, i):
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


@njit(cache=True, inline="always")
def _join_trusting(s, c):
    """Union-find over mutual-trust ties among active members (union by size).

    A tie counts when trust exceeds ``mutual_trust_threshold`` both ways. Returns
    ``(parent, size, largest)``, ``largest`` the size of the largest component.
    """
    n = s.active.size
    parent = np.arange(n)
    size = np.ones(n, np.int64)
    largest = 1
    threshold = c[MUTUAL_TRUST]
    first, live, dst, rev, trust, active = s.first, s.live, s.dst, s.rev, s.trust, s.active
    for i in range(n):
        if not active[i]:
            continue
        for e in range(first[i], first[i + 1]):
            j = dst[e]
            if j > i and live[e] and trust[e] > threshold and trust[rev[e]] > threshold:
                a = _root(parent, i)
                b = _root(parent, j)
                if a != b:
                    if size[a] > size[b]:
                        a, b = b, a
                    parent[a] = b
                    size[b] += size[a]
                    largest = max(largest, size[b])
    return parent, size, largest


@njit(cache=True, inline="always")
def largest_component_share(s, c):
    """Share of active members in the largest mutual-trust component (0 with none)."""
    active = s.counters[L.ACTIVE]
    if active == 0:
        return 0.0
    return _join_trusting(s, c)[2] / active


@njit(cache=True)
def trust_components(s, c):
    """Components of mutual-trust ties among active members.

    Returns ``(share of active members in the largest component, number of components)``.
    """
    active = s.counters[L.ACTIVE]
    if active == 0:
        return 0.0, 0
    parent, _, largest = _join_trusting(s, c)
    components = 0
    for i in range(s.active.size):
        if s.active[i] and _root(parent, i) == i:
            components += 1
    return largest / active, components


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
def renewals(s, c, t):
    """Crises, settled by month t, that the alliance came through by renewing itself.

    A crisis is settled once ``settle_months`` have passed since it started; its
    response is read over its settle window, months ``start..start + settle_months``:
    a renewal when the ambition's strategy was revised by at least ``delta_h`` net
    between the month before the crisis and the window's end, and performance (mean of
    the ``LEVEL_MONTHS`` months to some month of the window) came back to
    ``recovery_share`` of its pre-crisis level.
    """
    settle = int(c[SETTLE_MONTHS])
    count = 0
    for k in range(s.counters[L.EPISODES]):
        start = int(s.episodes[k, L.EP_START])
        end = start + settle
        if end > t:
            break
        revision = abs(s.series[L.S_AMBITION, end] - s.series[L.S_AMBITION, start - 1])
        if revision >= c[DELTA_H] and came_back(s, c, k, end):
            count += 1
    return count


@njit(cache=True, inline="always")
def came_back(s, c, episode, end):
    """Performance (mean of the last ``LEVEL_MONTHS`` months) reached ``recovery_share``
    of the episode's pre-crisis level in some month after its start, up to ``end``."""
    start = int(s.episodes[episode, L.EP_START])
    target = c[RECOVERY_SHARE] * s.episodes[episode, L.EP_Q_PRE]
    for m in range(start + 1, end + 1):
        if mean_performance(s, m - LEVEL_MONTHS + 1, m) >= target:
            return True
    return False


@njit(cache=True)
def lasting_split(s, c, t):
    """The largest mutual-trust component stayed below ``fragmentation_share`` of the
    active members in each of the ``fragmentation_months`` months up to t."""
    months = int(c[FRAGMENTATION_MONTHS])
    if t < months:
        return False
    for k in range(t - months + 1, t + 1):
        if not s.series[L.S_COMPONENT, k] < c[FRAGMENTATION_SHARE]:
            return False
    return True


@njit(cache=True, inline="always")
def output(s, first, last):
    """The alliance's output in months ``first..last``: its performance (the mean over
    active members) times active members over founding members, i.e. what its members
    deliver, members who left counting as delivering nothing (network-level
    effectiveness: Provan & Milward 2001)."""
    founding = s.counters[L.FOUNDING]
    return (
        s.series[L.S_PERFORMANCE, first : last + 1]
        * s.series[L.S_ACTIVE, first : last + 1]
        / founding
    )


@njit(cache=True)
def classify(s, c, t):
    """The run's outcome class read at month t (at most its current month), from its
    record up to t only, so a finished run can be read at any earlier month.

    First match wins: collapse (ended by month t), fragmentation
    (:func:`lasting_split`), degraded (median :func:`output` over the last
    ``degraded_window`` months below ``degraded_share`` of the founding level, its mean
    over months 1..``founding_months``), transformation (at least one of
    :func:`renewals`), recovery (including an alliance that met no settled crisis: it
    held its course). Returns ``(outcome, founding_level, later_level, renewals)``.
    """
    founding = np.nanmean(output(s, 1, min(t, int(c[FOUNDING_MONTHS])))) if t >= 1 else np.nan
    first = max(1, t - int(c[DEGRADED_WINDOW]) + 1)
    later = np.median(output(s, first, t)) if t >= 1 else np.nan
    renewed = renewals(s, c, t)
    if s.counters[L.TERMINATED] and s.counters[L.END_STEP] <= t:
        outcome = L.COLLAPSE
    elif lasting_split(s, c, t):
        outcome = L.FRAGMENTATION
    elif later < c[DEGRADED_SHARE] * founding:
        outcome = L.DEGRADED
    elif renewed > 0:
        outcome = L.TRANSFORMATION
    else:
        outcome = L.RECOVERY
    return outcome, founding, later, renewed
