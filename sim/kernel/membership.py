"""Who is in the alliance and who leads it: exits, leadership shares, a leader's exit."""

from __future__ import annotations

import numpy as np
from numba import njit

from sim.kernel import layout as L


@njit(cache=True, inline="always")
def nth_active(s, position):
    """The active member at ``position`` (0-based) in index order, or -1."""
    seen = 0
    for i in range(s.active.size):
        if s.active[i]:
            if seen == position:
                return i
            seen += 1
    return -1


@njit(cache=True, inline="always")
def remove_member(s, member, t):
    """Take a member out: its ties die and its leadership share is released.

    Call :func:`renormalise_shares` once after the month's exits.
    """
    s.active[member] = 0
    s.exit_step[member] = t
    s.counters[L.ACTIVE] -= 1
    for e in range(s.first[member], s.first[member + 1]):
        if s.live[e]:
            s.live[e] = 0
            s.live[s.rev[e]] = 0
            s.degree[s.dst[e]] -= 1
    s.degree[member] = 0
    s.share[member] = 0.0


@njit(cache=True, inline="always")
def renormalise_shares(s):
    """Leadership shares of active members sum to 1 again (equal shares if none is left)."""
    total = 0.0
    for i in range(s.share.size):
        total += s.share[i]
    remaining = s.counters[L.ACTIVE]
    for i in range(s.share.size):
        if s.active[i]:
            s.share[i] = s.share[i] / total if total > 0 else 1.0 / remaining


@njit(cache=True, inline="always")
def choose_new_lead(s):
    """After a leader exit the most trusted active member becomes lead (-1 if none)."""
    best = -1.0
    lead = -1
    incoming = np.zeros(s.active.size)
    for e in range(s.src.size):
        if s.live[e]:
            incoming[s.dst[e]] += s.trust[e]
    for i in range(s.active.size):
        if s.active[i] and incoming[i] > best:
            best = incoming[i]
            lead = i
    return lead


@njit(cache=True, inline="always")
def leader_exit(s, q, t):
    """The lead member leaves; under concentrated leadership a vacuum follows.

    The new lead is the most trusted remaining member; its authority starts at
    zero and regrows at ``succession_rate`` per month.
    """
    lead = s.counters[L.LEAD]
    if lead < 0 or not s.active[lead]:
        return
    remove_member(s, lead, t)
    renormalise_shares(s)
    new_lead = choose_new_lead(s)
    s.counters[L.LEAD] = new_lead
    s.alliance[L.AUTHORITY] = 0.0
    if new_lead >= 0:
        g = q[L.CONCENTRATION]
        for i in range(s.share.size):
            if s.active[i]:
                s.share[i] *= 1.0 - g
        s.share[new_lead] += g
