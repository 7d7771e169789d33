"""The monthly step, in order, and a whole run.

The mechanisms and their helpers are compiled inline into :func:`step`
(``inline="always"``): every call of a separate compiled function taking the
state pays an atomic reference-count update for each of the state's arrays,
which costs more than a small alliance's whole month.
"""

from __future__ import annotations

from numba import njit

from sim.kernel import layout as L
from sim.kernel.capacity import performance, recover_capacity
from sim.kernel.episodes import close_episode, track_episodes
from sim.kernel.exits import check_termination, decide_exits
from sim.kernel.leadership import leadership_drift, leadership_reach
from sim.kernel.measures import ambition_shift, mean_active, mean_live_trust
from sim.kernel.outcomes import largest_component_share
from sim.kernel.shocks import apply_shocks
from sim.kernel.strategy import (
    perceive_demand,
    revise_ambition,
    split_effort,
    update_aspiration,
    update_awareness,
)
from sim.kernel.ties import (
    blame_attribution,
    close_triads,
    cooperation,
    cooperation_probability,
    crisis_stress,
    dissolve_ties,
    update_trust,
)
from sim.kernel.values import update_values


@njit(cache=True, inline="always")
def record(s, c, t):
    """Write month t's row of the series (the reporters read these)."""
    s.series[L.S_PERFORMANCE, t] = s.alliance[L.PERFORMANCE]
    s.series[L.S_MEAN_TRUST, t] = mean_live_trust(s)
    s.series[L.S_ACTIVE, t] = s.counters[L.ACTIVE]
    s.series[L.S_AWARENESS, t] = mean_active(s, s.awareness)
    s.series[L.S_AMBITION_SHIFT, t] = ambition_shift(s)
    s.series[L.S_EFFORT, t] = s.alliance[L.EFFORT_SPLIT]
    s.series[L.S_PHASE, t] = s.counters[L.PHASE]
    s.series[L.S_SHOCKS, t] = s.counters[L.SHOCKS_NOW]
    s.series[L.S_CAPACITY, t] = mean_active(s, s.capacity)
    s.series[L.S_DEMAND, t] = s.alliance[L.THETA]
    s.series[L.S_PERCEIVED, t] = s.alliance[L.THETA_HAT]
    s.series[L.S_BUFFER, t] = s.alliance[L.BUFFER]
    s.series[L.S_REACH, t] = s.alliance[L.MEAN_REACH]
    s.series[L.S_AMBITION, t] = s.alliance[L.AMBITION_STRATEGY]
    s.series[L.S_ASPIRATION, t] = s.alliance[L.ASPIRATION]
    s.series[L.S_SEARCH, t] = s.alliance[L.SEARCH]
    s.series[L.S_COMPONENT, t] = largest_component_share(s, c)


@njit(cache=True)
def found(s, q, c):
    """The founding month (step 0): reach, expected collaboration, performance, record.

    The aspiration starts at the founding performance.
    """
    leadership_reach(s, q, c)
    crisis_stress(s, q, c)
    for i in range(s.active.size):
        expected = 0.0
        for e in range(s.first[i], s.first[i + 1]):
            if s.live[e]:
                expected += cooperation_probability(s.trust[s.rev[e]], s.stress[s.dst[e]], c)
        s.collaboration[i] = expected / s.degree[i] if s.degree[i] > 0 else 0.0
    performance(s, c)
    s.alliance[L.ASPIRATION] = s.alliance[L.PERFORMANCE]
    record(s, c, 0)


@njit(cache=True)
def step(s, q, c, rng):
    """One month, in order. Does nothing once the alliance ended or reached its horizon.

    Returns True when a month was simulated.
    """
    if s.counters[L.TERMINATED] or s.counters[L.STEP] >= s.counters[L.HORIZON]:
        return False
    t = s.counters[L.STEP] + 1
    s.counters[L.STEP] = t
    apply_shocks(s, q, c, t, rng)  # 1
    leadership_reach(s, q, c)  # 2
    cooperation(s, q, c, rng)  # 3
    blame_attribution(s, q, c)  # 4
    update_trust(s, q, c)  # 5
    dissolve_ties(s, q, c)  # 5b
    close_triads(s, q, c, rng)  # 5c
    update_values(s, q, c, rng)  # 6
    perceive_demand(s, q, c, rng)  # 7
    update_awareness(s, q, c)
    split_effort(s, q, c)  # 8
    revise_ambition(s, q, c)  # 9
    recover_capacity(s, q, c)  # 10
    performance(s, c)  # 11
    update_aspiration(s, c)
    decide_exits(s, q, c, t, rng)  # 12
    leadership_drift(s, q, c)  # 13
    track_episodes(s, c, t)
    check_termination(s, c, t)
    if s.counters[L.TERMINATED]:
        close_episode(s, t, False)
    record(s, c, t)
    return True


@njit(cache=True)
def run(s, q, c, rng):
    """Every month until the alliance ends or reaches its horizon."""
    while step(s, q, c, rng):
        pass
