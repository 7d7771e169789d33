"""Steps 7-9 and 11b: perceiving the demand, change awareness, the effort split, the
ambition, and the aspiration level that opens search."""

from __future__ import annotations

import math

from numba import njit

from sim.kernel import layout as L
from sim.kernel.measures import mean_active, quality_level
from sim.parameters import constant_index as _ix

CAPACITY_FLOOR = _ix("capacity_floor")
PERCEPTION_RATE = _ix("perception_rate")
PERCEPTION_NOISE = _ix("perception_noise")
MISFIT_SCALE = _ix("misfit_scale")
AWARENESS_RATE = _ix("awareness_rate")
INERTIA_RATE = _ix("inertia_rate")
INERTIA_AGE = _ix("inertia_age")
SPLIT_RATE = _ix("split_rate")
TRANSFORM_WEIGHT = _ix("transform_weight")
REVISION_RATE = _ix("revision_rate")
NARRATIVE_RATE = _ix("narrative_rate")
CRISIS_CAPACITY = _ix("crisis_capacity")
DISRUPTION = _ix("disruption_cost")
ASPIRATION_RATE = _ix("aspiration_rate")
SEARCH_SCALE = _ix("search_scale")
CALM_SEARCH = _ix("calm_search")
SW_SEARCH = _ix("switch_search")
SW_PERCEPTION_SPEED = _ix("switch_perception_speed")
SW_PERCEPTION_NOISE = _ix("switch_perception_noise")
SW_NOTICING = _ix("switch_noticing")
SW_INERTIA = _ix("switch_inertia")
SW_BALANCED_SPLIT = _ix("switch_balanced_split")
SW_SPLIT_SPEED = _ix("switch_split_speed")
SW_CRISIS_GATE = _ix("switch_crisis_gate")
SW_REVISION = _ix("switch_revision")
SW_NARRATIVE = _ix("switch_narrative")
SPLIT_EPSILON = 0.05  # keeps the balanced effort split defined when both demands vanish


@njit(cache=True, inline="always")
def search_openness(s, q, c):
    """``calm_search + (1 - calm_search) max(SEARCH, change_awareness reach misfit)``: how
    open the alliance is to looking at its environment anew and revising its strategy.

    Search opens when performance falls short of the aspiration (``SEARCH``), or when
    a change-aware leadership deliberately starts it on a misfit members noticed
    (``MISFIT`` as it stands: last month's in perception, step 7a; this month's in
    ambition revision, step 11, after step 7b updated it), before performance falls.
    """
    change_awareness = quality_level(q, c, L.CHANGE_AWARENESS, SW_SEARCH)
    initiated = change_awareness * s.alliance[L.MEAN_REACH] * s.alliance[L.MISFIT]
    return c[CALM_SEARCH] + (1.0 - c[CALM_SEARCH]) * max(s.alliance[L.SEARCH], initiated)


@njit(cache=True, inline="always")
def perceive_demand(s, q, c, rng):
    """Step 7a: the alliance's reading of the demand moves toward a noisy signal.

    ``theta_hat += perception_rate (0.2 + 0.8 global_view) search (theta + noise - theta_hat)``,
    noise sd ``perception_noise (1 - 0.9 analytical_view)``; qualities times mean reach;
    ``search`` (:func:`search_openness`): the alliance looks at its environment anew
    mainly while its performance falls short of its aspiration.
    """
    reach = s.alliance[L.MEAN_REACH]
    global_view = quality_level(q, c, L.GLOBAL_VIEW, SW_PERCEPTION_SPEED)
    analytical_view = quality_level(q, c, L.ANALYTICAL_VIEW, SW_PERCEPTION_NOISE)
    rate = c[PERCEPTION_RATE] * (0.2 + 0.8 * global_view * reach) * search_openness(s, q, c)
    sd = c[PERCEPTION_NOISE] * (1.0 - 0.9 * analytical_view * reach)
    signal = s.alliance[L.THETA] + rng.normal(0.0, 1.0) * sd
    s.alliance[L.THETA_HAT] += rate * (signal - s.alliance[L.THETA_HAT])


@njit(cache=True, inline="always")
def update_awareness(s, q, c):
    """Step 7b: members notice the misfit between ambition and perceived demand.

    ``c_i += awareness_rate (m (0.3 + 0.7 ca_i) - c_i)`` with noticed misfit
    ``m = min(1, |H_1 - theta_hat| / misfit_scale)``; inertia erodes awareness by
    ``inertia_rate age / (age + inertia_age) (1 - ca_i) c_i``.
    """
    misfit = abs(s.alliance[L.AMBITION_STRATEGY] - s.alliance[L.THETA_HAT])
    noticed = min(1.0, misfit / c[MISFIT_SCALE])
    s.alliance[L.MISFIT] = noticed
    age = float(s.counters[L.STEP])
    inertia = c[INERTIA_RATE] * age / (age + c[INERTIA_AGE])
    for i in range(s.active.size):
        if not s.active[i]:
            continue
        noticing = quality_level(q, c, L.CHANGE_AWARENESS, SW_NOTICING) * s.reach[i]
        countering = quality_level(q, c, L.CHANGE_AWARENESS, SW_INERTIA) * s.reach[i]
        target = noticed * (0.3 + 0.7 * noticing)
        value = s.awareness[i] + c[AWARENESS_RATE] * (target - s.awareness[i])
        value -= inertia * (1.0 - countering) * value
        s.awareness[i] = min(1.0, max(0.0, value))


@njit(cache=True, inline="always")
def split_effort(s, q, c):
    """Step 8: share of effort on transforming versus stabilising.

    Demands: transform ``transform_weight * misfit``, stabilise ``1 - mean capacity``.
    Balanced target ``(d_T + e) / (d_T + d_S + 2e)``; either/or target 1 if
    ``d_T > d_S`` else 0; paradox navigation weighs them (Smith & Lewis 2011).
    The split moves toward its target at ``split_rate (0.3 + 0.7 change_awareness)``:
    an alliance aware of its phase turns to stabilising quickly when a crisis hits.
    """
    transform = c[TRANSFORM_WEIGHT] * s.alliance[L.MISFIT]
    stabilise = 1.0 - mean_active(s, s.capacity)
    balanced = (transform + SPLIT_EPSILON) / (transform + stabilise + 2.0 * SPLIT_EPSILON)
    either_or = 1.0 if transform > stabilise else 0.0
    paradox_navigation = quality_level(q, c, L.PARADOX_NAVIGATION, SW_BALANCED_SPLIT)
    paradox_navigation *= s.alliance[L.MEAN_REACH]
    target = paradox_navigation * balanced + (1.0 - paradox_navigation) * either_or
    change_awareness = quality_level(q, c, L.CHANGE_AWARENESS, SW_SPLIT_SPEED)
    speed = c[SPLIT_RATE] * (0.3 + 0.7 * change_awareness * s.alliance[L.MEAN_REACH])
    s.alliance[L.EFFORT_SPLIT] += speed * (target - s.alliance[L.EFFORT_SPLIT])


@njit(cache=True, inline="always")
def revise_ambition(s, q, c):
    """Step 9: the ambition H moves toward the perceived demand, gated in acute crises.

    ``dH_1 = revision_rate questioning_patterns reach search sqrt(2x)
    (0.25 + 0.75 mean awareness) gate (theta_hat - H_1)``, with ``search`` from
    :func:`search_openness` (the strategy is revised mainly in a search window:
    punctuated change). In an acute crisis (mean capacity < crisis_capacity)
    ``gate = 1 - resilience_building reach`` (stabilise first), and the change made
    costs each member ``disruption_cost |dH_1| (1 - c_i)`` of capacity. The core of H
    drifts toward members' core values at ``narrative_rate sense_making``.
    """
    reach = s.alliance[L.MEAN_REACH]
    capacity = mean_active(s, s.capacity)
    acute = capacity < c[CRISIS_CAPACITY]
    resilience_building = quality_level(q, c, L.RESILIENCE_BUILDING, SW_CRISIS_GATE)
    gate = 1.0 - resilience_building * reach if acute else 1.0
    acceptance = 0.25 + 0.75 * mean_active(s, s.awareness)
    effort = math.sqrt(2.0 * s.alliance[L.EFFORT_SPLIT])
    questioning = quality_level(q, c, L.QUESTIONING_PATTERNS, SW_REVISION)
    willingness = c[REVISION_RATE] * questioning * reach * search_openness(s, q, c)
    rate = min(1.0, willingness * effort * acceptance * gate)
    change = rate * (s.alliance[L.THETA_HAT] - s.alliance[L.AMBITION_STRATEGY])
    s.alliance[L.AMBITION_STRATEGY] += change
    core = mean_active(s, s.values[:, 0])
    s.alliance[L.AMBITION_CORE] += (
        c[NARRATIVE_RATE]
        * quality_level(q, c, L.SENSE_MAKING, SW_NARRATIVE)
        * reach
        * (core - s.alliance[L.AMBITION_CORE])
    )
    if acute:
        for i in range(s.active.size):
            if s.active[i]:
                loss = c[DISRUPTION] * abs(change) * (1.0 - s.awareness[i])
                s.capacity[i] = max(c[CAPACITY_FLOOR], s.capacity[i] - loss)


@njit(cache=True, inline="always")
def update_aspiration(s, c):
    """Step 11b: search opens when performance falls short of the aspiration, which adapts.

    ``SEARCH = min(1, (A - Q)+ / (A search_scale))`` (problemistic search: Cyert &
    March 1963; Greve 2003), then ``A += aspiration_rate (Q - A)`` (a historical
    aspiration level).
    """
    aspiration = s.alliance[L.ASPIRATION]
    quality = s.alliance[L.PERFORMANCE]
    shortfall = (aspiration - quality) / aspiration if aspiration > 0 else 0.0
    s.alliance[L.SEARCH] = min(1.0, max(0.0, shortfall) / c[SEARCH_SCALE])
    s.alliance[L.ASPIRATION] = aspiration + c[ASPIRATION_RATE] * (quality - aspiration)
