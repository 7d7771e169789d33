"""Step 1: the environment drifts and this month's crises arrive."""

from __future__ import annotations

from numba import njit

from sim.kernel import layout as L
from sim.kernel.episodes import open_episode
from sim.kernel.leadership import learn_from_crisis
from sim.kernel.measures import quality_level
from sim.kernel.membership import leader_exit, nth_active
from sim.parameters import constant_index as _ix

LOCAL_FOCUS = _ix("local_focus_factor")
LOCAL_NEIGHBOUR = _ix("local_neighbour_factor")
JUMP_MIN = _ix("regime_jump_min")
JUMP_MAX = _ix("regime_jump_max")
REGIME_CAPACITY = _ix("regime_capacity_factor")
RELATIONAL_SHARE = _ix("relational_tie_share")
BLAME_ANALYTICAL = _ix("blame_analytical")
CAPACITY_FLOOR = _ix("capacity_floor")
SW_SCANDAL = _ix("switch_scandal")


@njit(cache=True, inline="always")
def lose_capacity(s, member, loss, c):
    """A shock takes ``loss`` of a member's capacity, not below the floor."""
    s.capacity[member] = max(c[CAPACITY_FLOOR], s.capacity[member] - loss)


@njit(cache=True, inline="always")
def apply_shocks(s, q, c, t, rng):
    """Step 1: the environment drifts; this month's crises arrive.

    Effective severity is ``S (1 - B)``. global: every member loses S;
    local: one member loses ``local_focus_factor S``, its partners
    ``local_neighbour_factor S``; relational: each tie is breached with probability
    ``relational_tie_share S``, and the breach read as its partner's betrayal (a
    violation) with probability ``1 - blame_analytical analytical_view``;
    regime_shift: the demand jumps by +-U(min, max) and every member loses
    ``regime_capacity_factor S``; leader_exit: the lead leaves.
    After each shock the alliance reflects on it (:func:`learn_from_crisis`).
    """
    theta = s.alliance[L.THETA] + s.drift[t]
    s.alliance[L.THETA] = min(1.0, max(0.0, theta))
    arrived = 0
    buffer = s.alliance[L.BUFFER]
    rows = s.shocks.shape[0]
    while s.counters[L.SHOCK_CURSOR] < rows and s.shocks[s.counters[L.SHOCK_CURSOR], L.SH_AT] <= t:
        row = s.shocks[s.counters[L.SHOCK_CURSOR]]
        s.counters[L.SHOCK_CURSOR] += 1
        if s.counters[L.ACTIVE] == 0:
            continue
        kind = int(row[L.SH_KIND])
        severity = row[L.SH_SEVERITY] * (1.0 - buffer)
        if kind == L.GLOBAL:
            for i in range(s.active.size):
                if s.active[i]:
                    lose_capacity(s, i, severity, c)
        elif kind == L.LOCAL:
            member = int(row[L.SH_MEMBER])
            if member < 0 or member >= s.active.size or not s.active[member]:
                member = nth_active(s, int(row[L.SH_PICK] * s.counters[L.ACTIVE]))
            lose_capacity(s, member, c[LOCAL_FOCUS] * severity, c)
            for e in range(s.first[member], s.first[member + 1]):
                if s.live[e]:
                    lose_capacity(s, s.dst[e], c[LOCAL_NEIGHBOUR] * severity, c)
        elif kind == L.RELATIONAL:
            chance = c[RELATIONAL_SHARE] * severity
            for e in range(s.src.size):
                analytical_view = (
                    quality_level(q, c, L.ANALYTICAL_VIEW, SW_SCANDAL) * s.reach[s.src[e]]
                )
                read_as_betrayal = 1.0 - c[BLAME_ANALYTICAL] * analytical_view
                if s.live[e] and rng.random() < chance * read_as_betrayal:
                    s.violated[e] = 1
        elif kind == L.REGIME_SHIFT:
            jump = c[JUMP_MIN] + (c[JUMP_MAX] - c[JUMP_MIN]) * row[L.SH_JUMP]
            sign = 1.0 if row[L.SH_SIGN] < 0.5 else -1.0
            theta = s.alliance[L.THETA]
            if not 0.0 <= theta + sign * jump <= 1.0:
                sign = -sign
            s.alliance[L.THETA] = min(1.0, max(0.0, theta + sign * jump))
            for i in range(s.active.size):
                if s.active[i]:
                    lose_capacity(s, i, c[REGIME_CAPACITY] * severity, c)
        elif kind == L.LEADER_EXIT:
            leader_exit(s, q, t)
        arrived += 1
        learn_from_crisis(s, q, c)
        if s.counters[L.OPEN_EPISODE] < 0:
            open_episode(s, t, kind)
        episode = s.counters[L.OPEN_EPISODE]
        s.episodes[episode, L.EP_SHOCKS] += 1
        s.episodes[episode, L.EP_SEVERITY] = max(s.episodes[episode, L.EP_SEVERITY], severity)
    s.counters[L.SHOCKS_NOW] = arrived
    s.counters[L.SHOCKS_TOTAL] += arrived
