"""Crisis episodes and the phase (step 13b): what the observer measures.

An episode opens with the first shock that meets no open episode (later shocks
join it), its pre-crisis level ``Q_pre`` being the mean performance of the
``PRE_MONTHS`` months before. It closes as recovered in the first month the mean
performance of the last ``LEVEL_MONTHS`` months is back at ``recovery_share Q_pre``;
it stays unrecovered if the run ends first. Episodes only measure: nothing in the
step reads them.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from sim.kernel import layout as L
from sim.kernel.measures import mean_performance
from sim.parameters import constant_index as _ix

RECOVERY_SHARE = _ix("recovery_share")
RECOVERY_WINDOW = _ix("recovery_window")
LEVEL_MONTHS = 3
"""Months averaged for a performance level after a crisis (recovery, final level)."""
PRE_MONTHS = 6
"""Months averaged for the pre-crisis level ``Q_pre``."""


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
    row[L.EP_Q_PRE] = mean_performance(s, t - PRE_MONTHS, t - 1)
    row[L.EP_Q_MIN] = np.inf
    row[L.EP_LOSS] = 0.0


@njit(cache=True, inline="always")
def close_episode(s, t, recovered):
    """Close the open episode (as recovered at month t when ``recovered``)."""
    episode = s.counters[L.OPEN_EPISODE]
    if episode < 0:
        return
    s.counters[L.OPEN_EPISODE] = -1
    if recovered:
        row = s.episodes[episode]
        row[L.EP_END] = t
        row[L.EP_RECOVERY_TIME] = t - row[L.EP_START]


@njit(cache=True, inline="always")
def track_episodes(s, c, t):
    """Step 13b: update the open episode, measure recovery windows, set the phase.

    Phase: crisis while an episode is open and performance falls or a shock
    arrives; stabilising while it is open and performance rises; transforming
    when no episode is open and more effort goes to transforming; else normal.
    """
    quality = s.alliance[L.PERFORMANCE]
    s.series[L.S_PERFORMANCE, t] = quality  # this month's level counts (record writes it too)
    episode = s.counters[L.OPEN_EPISODE]
    if episode >= 0:
        row = s.episodes[episode]
        row[L.EP_Q_MIN] = min(row[L.EP_Q_MIN], quality)
        row[L.EP_LOSS] += max(0.0, row[L.EP_Q_PRE] - quality)
        level = mean_performance(s, t - LEVEL_MONTHS + 1, t)
        if t > row[L.EP_START] and level >= c[RECOVERY_SHARE] * row[L.EP_Q_PRE]:
            close_episode(s, t, True)
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
