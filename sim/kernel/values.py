"""Step 6: members' values move by bounded confidence, anchoring and exploration."""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from sim.kernel import layout as L
from sim.kernel.measures import quality_level
from sim.parameters import constant_index as _ix

CONFIDENCE_BOUND = _ix("confidence_bound")
CONVERGENCE = _ix("convergence_rate")
INFLUENCE_TRUST = _ix("influence_trust_threshold")
ANCHORING = _ix("anchoring_rate")
EXPLORATION = _ix("exploration_rate")
VALUE_NOISE_MONTHLY = _ix("value_noise_monthly")
SW_ANCHORING = _ix("switch_anchoring")
SW_EXPLORATION = _ix("switch_exploration")


@njit(cache=True, inline="always")
def update_values(s, q, c, rng):
    """Step 6: bounded confidence between trusting partners, anchoring, exploration.

    ``dv_i = convergence_rate / deg_i * sum_j T_ij (v_j - v_i)`` over partners
    trusted above ``influence_trust_threshold`` and closer than ``confidence_bound``
    (Deffuant et al. 2000); plus ``anchoring_rate sense_making_i (H - v_i)``
    (Friedkin & Johnsen 1990); plus, on the strategic dimension,
    ``exploration_rate questioning_i (theta_hat - v_i1)`` (March 1991); plus noise.
    All members move from the same old values.
    """
    n = s.active.size
    delta = np.zeros((n, 2))
    ambition_core = s.alliance[L.AMBITION_CORE]
    ambition_strategy = s.alliance[L.AMBITION_STRATEGY]
    perceived = s.alliance[L.THETA_HAT]
    first, live, dst, trust, values = s.first, s.live, s.dst, s.trust, s.values
    threshold = c[INFLUENCE_TRUST]
    bound = c[CONFIDENCE_BOUND]
    for i in range(n):
        if not s.active[i]:
            continue
        if s.degree[i] > 0:
            pull = c[CONVERGENCE] / s.degree[i]
            core = values[i, 0]
            strategy = values[i, 1]
            move_core = 0.0
            move_strategy = 0.0
            for e in range(first[i], first[i + 1]):
                if not live[e] or trust[e] <= threshold:
                    continue
                j = dst[e]
                d0 = values[j, 0] - core
                d1 = values[j, 1] - strategy
                if math.sqrt(d0 * d0 + d1 * d1) < bound:
                    move_core += pull * trust[e] * d0
                    move_strategy += pull * trust[e] * d1
            delta[i, 0] = move_core
            delta[i, 1] = move_strategy
        anchor = c[ANCHORING] * quality_level(q, c, L.SENSE_MAKING, SW_ANCHORING) * s.reach[i]
        delta[i, 0] += anchor * (ambition_core - s.values[i, 0])
        delta[i, 1] += anchor * (ambition_strategy - s.values[i, 1])
        questioning = quality_level(q, c, L.QUESTIONING_PATTERNS, SW_EXPLORATION)
        explore = c[EXPLORATION] * questioning * s.reach[i]
        delta[i, 1] += explore * (perceived - s.values[i, 1])
        delta[i, 0] += rng.normal(0.0, 1.0) * c[VALUE_NOISE_MONTHLY]
        delta[i, 1] += rng.normal(0.0, 1.0) * c[VALUE_NOISE_MONTHLY]
    for i in range(n):
        if s.active[i]:
            s.values[i, 0] = min(1.0, max(0.0, s.values[i, 0] + delta[i, 0]))
            s.values[i, 1] = min(1.0, max(0.0, s.values[i, 1] + delta[i, 1]))
