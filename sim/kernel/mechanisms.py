"""The monthly step: one compiled function per mechanism, in step order.

Every function takes the run's :class:`~sim.kernel.layout.State` and works on
all members or all ties at once; costs are linear in ties. ``q`` is the
leadership vector (nine qualities, then concentration), ``c`` the constants
array (names in :mod:`sim.constants`). A member's effective quality is the
quality times its leadership reach. ``docs/model.md`` gives each equation.

The mechanisms and their helpers are compiled inline into :func:`step`
(``inline="always"``): every call of a separate compiled function taking the
state pays an atomic reference-count update for each of the state's arrays,
which costs more than a small alliance's whole month. Loops over ties first
name the state's arrays they use, so the compiled loop keeps them at hand.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from sim.constants import constant_index as _ix
from sim.kernel import layout as L
from sim.kernel.outcomes import close_episode, open_episode, track_episodes

# constants (compile-time indices into ``c``)
LOCAL_FOCUS = _ix("local_focus_factor")
LOCAL_NEIGHBOUR = _ix("local_neighbour_factor")
JUMP_MIN = _ix("regime_jump_min")
JUMP_MAX = _ix("regime_jump_max")
REGIME_CAPACITY = _ix("regime_capacity_factor")
RELATIONAL_SHARE = _ix("relational_tie_share")
CAPACITY_FLOOR = _ix("capacity_floor")
SUCCESSION = _ix("succession_rate")
COORDINATION_COST = _ix("coordination_cost")
FORMAL_REACH = _ix("formal_reach")
DRIFT_RATE = _ix("drift_rate")
COOP_BASE = _ix("coop_base")
COOP_TRUST = _ix("coop_trust")
COOP_STRESS = _ix("coop_stress")
STRESS_SENSE = _ix("stress_sense_making")
BLAME_BASE = _ix("blame_base")
BLAME_ANALYTICAL = _ix("blame_analytical")
TRUST_BUILD = _ix("trust_build")
SIMILARITY_WEIGHT = _ix("similarity_weight")
TRUST_LOSS = _ix("trust_loss")
REFLECTION_LOSS = _ix("reflection_loss_reduction")
FAMILIARITY = _ix("familiarity_crises")
DAMAGE_INCREMENT = _ix("damage_increment")
SCAR_INCREMENT = _ix("scar_increment")
DAMAGE_DECAY = _ix("damage_decay")
TRUST_REPAIR = _ix("trust_repair")
CLOSURE_RATE = _ix("closure_rate")
CONFIDENCE_BOUND = _ix("confidence_bound")
CONVERGENCE = _ix("convergence_rate")
INFLUENCE_TRUST = _ix("influence_trust_threshold")
ANCHORING = _ix("anchoring_rate")
EXPLORATION = _ix("exploration_rate")
VALUE_NOISE_MONTHLY = _ix("value_noise_monthly")
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
RECOVERY_RATE = _ix("recovery_rate")
AID_RATE = _ix("aid_rate")
AID_THRESHOLD = _ix("aid_threshold")
FIT_SCALE = _ix("fit_scale")
EXIT_RATE = _ix("exit_rate")
EXIT_TOLERANCE = _ix("exit_tolerance")
PERFORMANCE_NEED = _ix("performance_need")
W_PERFORMANCE = _ix("exit_weight_performance")
W_VALUES = _ix("exit_weight_values")
W_POLE = _ix("exit_weight_pole")
W_TRUST = _ix("exit_weight_trust")
TRUST_NEED = _ix("trust_need")
BUFFER_GAIN = _ix("buffer_gain")
BUFFER_MAX = _ix("buffer_max")
Q_MIN = _ix("q_min")
Q_MIN_MONTHS = _ix("q_min_months")
MIN_MEMBERS_SHARE = _ix("min_members_share")

SPLIT_EPSILON = 0.05  # keeps the balanced effort split defined when both demands vanish
VALUE_GAP_SCALE = 0.5  # distance to the ambition that counts as a full value gap


# -------------------------------------------------------------------------------------------
# 1. shocks
# -------------------------------------------------------------------------------------------


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
def lose_capacity(s, member, loss, c):
    """A shock takes ``loss`` of a member's capacity, not below the floor."""
    s.capacity[member] = max(c[CAPACITY_FLOOR], s.capacity[member] - loss)


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


@njit(cache=True, inline="always")
def apply_shocks(s, q, c, t, rng):
    """Step 1: the environment drifts; this month's crises arrive.

    Effective severity is ``S (1 - B)``. global: every member loses S;
    local: one member loses ``local_focus_factor S``, its partners
    ``local_neighbour_factor S``; relational: each tie is breached with probability
    ``relational_tie_share S``; regime_shift: the demand jumps by +-U(min, max) and
    every member loses ``regime_capacity_factor S``; leader_exit: the lead leaves.
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
                if s.live[e] and rng.random() < chance:
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
        if s.counters[L.OPEN_EPISODE] < 0:
            open_episode(s, t, kind)
        episode = s.counters[L.OPEN_EPISODE]
        s.episodes[episode, L.EP_SHOCKS] += 1
        s.episodes[episode, L.EP_SEVERITY] = max(s.episodes[episode, L.EP_SEVERITY], severity)
    s.counters[L.SHOCKS_NOW] = arrived
    s.counters[L.SHOCKS_TOTAL] += arrived


# -------------------------------------------------------------------------------------------
# 2. leadership reach
# -------------------------------------------------------------------------------------------


@njit(cache=True, inline="always")
def leadership_reach(s, q, c):
    """Step 2: how much leadership each member receives.

    ``reach_i = min(1, N (l_i / 2 + sum_j l_j T_ij / deg_j) + formal_i) * coordination * vacuum``,
    with coordination efficiency ``1 / (1 + coordination_cost (N_L - 1)(1 - density))``
    (``N_L = 1 / sum l^2`` effective leaders, ``density`` = mean trust over all pairs)
    and ``vacuum = 1 - concentration (1 - authority)``. Members without a tie to the
    lead member still receive its formal coordination,
    ``formal_i = formal_reach l_lead legitimacy``, legitimacy being the lead's
    partners' mean trust in it (lead-organisation governance: Provan & Kenis 2008).
    """
    n_active = s.counters[L.ACTIVE]
    if n_active == 0:
        s.alliance[L.MEAN_REACH] = 0.0
        return
    squares = 0.0
    for i in range(s.share.size):
        squares += s.share[i] * s.share[i]
    leaders = 1.0 / squares if squares > 0 else 1.0
    trust_sum = 0.0
    live, trust = s.live, s.trust
    for e in range(trust.size):
        if live[e]:
            trust_sum += trust[e]
    pairs = n_active * (n_active - 1.0)
    density = trust_sum / pairs if pairs > 0 else 1.0
    coordination = 1.0 / (1.0 + c[COORDINATION_COST] * (leaders - 1.0) * (1.0 - density))
    vacuum = 1.0 - q[L.CONCENTRATION] * (1.0 - s.alliance[L.AUTHORITY])
    lead = s.counters[L.LEAD]
    formal = 0.0
    if lead >= 0 and s.active[lead] and s.degree[lead] > 0:
        legitimacy = 0.0
        for e in range(s.first[lead], s.first[lead + 1]):
            if s.live[e]:
                legitimacy += s.trust[s.rev[e]]
        formal = c[FORMAL_REACH] * s.share[lead] * legitimacy / s.degree[lead]
    total = 0.0
    first, dst, share, degree = s.first, s.dst, s.share, s.degree
    for i in range(s.active.size):
        if not s.active[i]:
            s.reach[i] = 0.0
            continue
        received = share[i] / 2.0
        tied_to_lead = i == lead
        for e in range(first[i], first[i + 1]):
            if live[e]:
                j = dst[e]
                received += share[j] * trust[e] / degree[j]
                tied_to_lead = tied_to_lead or j == lead
        direct = n_active * received + (0.0 if tied_to_lead else formal)
        s.reach[i] = min(1.0, direct) * coordination * vacuum
        total += s.reach[i]
    s.alliance[L.COORDINATION] = coordination
    s.alliance[L.MEAN_REACH] = total / n_active


# -------------------------------------------------------------------------------------------
# 3-5. cooperation, blame, trust
# -------------------------------------------------------------------------------------------


@njit(cache=True, inline="always")
def crisis_stress(s, q, c):
    """Stress of each member: ``(1 - capacity)(1 - stress_sense_making * sense_making_i)``."""
    for i in range(s.active.size):
        sense = q[L.SENSE_MAKING] * s.reach[i]
        s.stress[i] = (1.0 - s.capacity[i]) * (1.0 - c[STRESS_SENSE] * sense)


@njit(cache=True, inline="always")
def cooperation_probability(trust_of_partner, partner_stress, c):
    """Chance that a partner delivers: ``coop_base + coop_trust T - coop_stress stress``."""
    p = c[COOP_BASE] + c[COOP_TRUST] * trust_of_partner - c[COOP_STRESS] * partner_stress
    return min(0.99, max(0.01, p))


@njit(cache=True, inline="always")
def cooperation(s, q, c, rng):
    """Step 3: on each tie i->j, partner j delivers to i or falls short.

    The probability rises with j's trust in i and falls with j's stress; each
    member's collaboration is the share of its partners who delivered. One
    uniform draw u per tie decides; on a shortfall ``(u - p) / (1 - p)``, again
    uniform on [0, 1), is kept for blame attribution.
    """
    crisis_stress(s, q, c)
    first, live, dst, rev, trust, stress = s.first, s.live, s.dst, s.rev, s.trust, s.stress
    cooperated, residual = s.cooperated, s.residual
    for i in range(s.active.size):
        delivered = 0
        for e in range(first[i], first[i + 1]):
            if not live[e]:
                continue
            p = cooperation_probability(trust[rev[e]], stress[dst[e]], c)
            u = rng.random()
            cooperated[e] = u < p
            residual[e] = (u - p) / (1.0 - p)  # read only where the partner fell short
            delivered += cooperated[e]
        s.collaboration[i] = delivered / s.degree[i] if s.degree[i] > 0 else 0.0


@njit(cache=True, inline="always")
def blame_probability(analytical, c):
    """Chance that a shortfall is misread as betrayal: ``blame_base (1 - blame_analytical a)``."""
    return c[BLAME_BASE] * (1.0 - c[BLAME_ANALYTICAL] * analytical)


@njit(cache=True, inline="always")
def blame_attribution(s, q, c):
    """Step 4: a partner's shortfall is read as betrayal (a violation) or excused.

    Uses the shortfall's own uniform draw kept by :func:`cooperation`.
    """
    first, live, cooperated, residual, violated = (
        s.first,
        s.live,
        s.cooperated,
        s.residual,
        s.violated,
    )
    for i in range(s.active.size):
        p = blame_probability(q[L.ANALYTICAL] * s.reach[i], c)
        for e in range(first[i], first[i + 1]):
            # without branches: shortfalls are random, so a branch mispredicts often
            violated[e] |= (live[e] & (1 - cooperated[e])) & (residual[e] < p)


@njit(cache=True, inline="always")
def trust_after_violation(trust, damage, scar, reflection, familiarity, c):
    """Fast loss: ``T (1 - trust_loss (1 - reflection_loss_reduction r f))``, damage and scar grow.

    Returns ``(trust, damage, scar)``; trust never exceeds the ceiling ``1 - damage``.
    """
    loss = c[TRUST_LOSS] * (1.0 - c[REFLECTION_LOSS] * reflection * familiarity)
    damage = damage + c[DAMAGE_INCREMENT] * (1.0 - damage)
    scar = scar + c[SCAR_INCREMENT] * (1.0 - scar)
    trust = min(trust * (1.0 - loss), 1.0 - damage)
    return trust, damage, scar


@njit(cache=True, inline="always")
def trust_after_cooperation(trust, damage, value_gap, relationships, cooperated, c):
    """Slow build toward the ceiling ``1 - D`` when the partner delivered, plus repair.

    Build: ``trust_build (1 - similarity_weight gap)``; repair:
    ``trust_repair relationships``; each closes that share of the gap to the ceiling.
    """
    ceiling = 1.0 - damage
    if trust >= ceiling:
        return ceiling
    rate = c[TRUST_REPAIR] * relationships
    rate += cooperated * (c[TRUST_BUILD] * max(0.0, 1.0 - c[SIMILARITY_WEIGHT] * value_gap))
    return trust + min(1.0, rate) * (ceiling - trust)


@njit(cache=True, inline="always")
def damage_decay(damage, scar, relationships, c):
    """Damage memory fades toward the scar: ``D -= damage_decay (0.2 + 0.8 rel)(D - scar)``."""
    return damage - c[DAMAGE_DECAY] * (0.2 + 0.8 * relationships) * (damage - scar)


@njit(cache=True, inline="always")
def update_trust(s, q, c):
    """Step 5: trust falls fast on violations, builds slowly on cooperation, is repaired."""
    familiarity = min(1.0, s.counters[L.CRISES_SEEN] / c[FAMILIARITY])
    first, live, dst, values, cooperated = s.first, s.live, s.dst, s.values, s.cooperated
    violated, trust, damage, scar = s.violated, s.trust, s.damage, s.scar
    for i in range(s.active.size):
        if not s.active[i]:
            continue
        reflection = q[L.REFLECTION] * s.reach[i]
        relationships = q[L.RELATIONSHIPS] * s.reach[i]
        own = values[i, 0]
        for e in range(first[i], first[i + 1]):
            if not live[e]:
                violated[e] = 0
                continue
            if violated[e]:
                trust[e], damage[e], scar[e] = trust_after_violation(
                    trust[e], damage[e], scar[e], reflection, familiarity, c
                )
                violated[e] = 0
            else:
                gap = abs(own - values[dst[e], 0])
                trust[e] = trust_after_cooperation(
                    trust[e], damage[e], gap, relationships, cooperated[e], c
                )
                damage[e] = damage_decay(damage[e], scar[e], relationships, c)


@njit(cache=True, inline="always")
def close_triads(s, q, c, rng):
    """Step 5b: a broker with an eye for relationships introduces two of its partners.

    Each open triad ``a - broker - b`` closes with probability
    ``closure_rate relationships_broker min(T_a,broker, T_b,broker)``; the new tie
    starts at the mean of those two trusts.
    """
    for k in range(s.triads.shape[0]):
        e = s.triads[k, 0]
        to_broker_a = s.triads[k, 1]
        to_broker_b = s.triads[k, 2]
        if s.live[e] or not (s.live[to_broker_a] and s.live[to_broker_b]):
            continue  # closed already, or a tie to the broker is gone (with its member)
        a = s.src[e]
        b = s.dst[e]
        broker = s.broker[e]
        trust_a = s.trust[to_broker_a]
        trust_b = s.trust[to_broker_b]
        chance = c[CLOSURE_RATE] * q[L.RELATIONSHIPS] * s.reach[broker] * min(trust_a, trust_b)
        if rng.random() < chance:
            back = s.rev[e]
            s.live[e] = 1
            s.live[back] = 1
            s.trust[e] = 0.5 * (trust_a + trust_b)
            s.trust[back] = 0.5 * (trust_a + trust_b)
            s.degree[a] += 1
            s.degree[b] += 1
            s.counters[L.CLOSURES] += 1


# -------------------------------------------------------------------------------------------
# 6. values
# -------------------------------------------------------------------------------------------


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
        anchor = c[ANCHORING] * q[L.SENSE_MAKING] * s.reach[i]
        delta[i, 0] += anchor * (ambition_core - s.values[i, 0])
        delta[i, 1] += anchor * (ambition_strategy - s.values[i, 1])
        explore = c[EXPLORATION] * q[L.QUESTIONING] * s.reach[i]
        delta[i, 1] += explore * (perceived - s.values[i, 1])
        delta[i, 0] += rng.normal(0.0, 1.0) * c[VALUE_NOISE_MONTHLY]
        delta[i, 1] += rng.normal(0.0, 1.0) * c[VALUE_NOISE_MONTHLY]
    for i in range(n):
        if s.active[i]:
            s.values[i, 0] = min(1.0, max(0.0, s.values[i, 0] + delta[i, 0]))
            s.values[i, 1] = min(1.0, max(0.0, s.values[i, 1] + delta[i, 1]))


# -------------------------------------------------------------------------------------------
# 7-9. perception, awareness, effort split, ambition
# -------------------------------------------------------------------------------------------


@njit(cache=True, inline="always")
def perceive_demand(s, q, c, rng):
    """Step 7a: the alliance's reading of the demand moves toward a noisy signal.

    ``theta_hat += perception_rate (0.2 + 0.8 global_view) (theta + noise - theta_hat)``,
    noise sd ``perception_noise (1 - 0.9 analytical_view)``; qualities times mean reach.
    """
    reach = s.alliance[L.MEAN_REACH]
    rate = c[PERCEPTION_RATE] * (0.2 + 0.8 * q[L.GLOBAL_VIEW] * reach)
    sd = c[PERCEPTION_NOISE] * (1.0 - 0.9 * q[L.ANALYTICAL] * reach)
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
        aware = q[L.CHANGE_AWARENESS] * s.reach[i]
        target = noticed * (0.3 + 0.7 * aware)
        value = s.awareness[i] + c[AWARENESS_RATE] * (target - s.awareness[i])
        value -= inertia * (1.0 - aware) * value
        s.awareness[i] = min(1.0, max(0.0, value))


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
    paradox = q[L.PARADOX] * s.alliance[L.MEAN_REACH]
    target = paradox * balanced + (1.0 - paradox) * either_or
    speed = c[SPLIT_RATE] * (0.3 + 0.7 * q[L.CHANGE_AWARENESS] * s.alliance[L.MEAN_REACH])
    s.alliance[L.EFFORT_SPLIT] += speed * (target - s.alliance[L.EFFORT_SPLIT])


@njit(cache=True, inline="always")
def revise_ambition(s, q, c):
    """Step 9: the ambition H moves toward the perceived demand, gated in acute crises.

    ``dH_1 = revision_rate questioning reach sqrt(2x) (0.25 + 0.75 mean awareness)
    gate (theta_hat - H_1)``; in an acute crisis (mean capacity < crisis_capacity)
    ``gate = 1 - resilience_building reach`` (stabilise first), and the change made
    costs each member ``disruption_cost |dH_1| (1 - c_i)`` of capacity. The core
    of H drifts toward members' core values at ``narrative_rate sense_making``.
    """
    reach = s.alliance[L.MEAN_REACH]
    capacity = mean_active(s, s.capacity)
    acute = capacity < c[CRISIS_CAPACITY]
    gate = 1.0 - q[L.RESILIENCE] * reach if acute else 1.0
    acceptance = 0.25 + 0.75 * mean_active(s, s.awareness)
    effort = math.sqrt(2.0 * s.alliance[L.EFFORT_SPLIT])
    rate = min(1.0, c[REVISION_RATE] * q[L.QUESTIONING] * reach * effort * acceptance * gate)
    change = rate * (s.alliance[L.THETA_HAT] - s.alliance[L.AMBITION_STRATEGY])
    s.alliance[L.AMBITION_STRATEGY] += change
    core = mean_active(s, s.values[:, 0])
    s.alliance[L.AMBITION_CORE] += (
        c[NARRATIVE_RATE] * q[L.SENSE_MAKING] * reach * (core - s.alliance[L.AMBITION_CORE])
    )
    if acute:
        for i in range(s.active.size):
            if s.active[i]:
                loss = c[DISRUPTION] * abs(change) * (1.0 - s.awareness[i])
                s.capacity[i] = max(c[CAPACITY_FLOOR], s.capacity[i] - loss)


# -------------------------------------------------------------------------------------------
# 10-11. capacity and performance
# -------------------------------------------------------------------------------------------


@njit(cache=True, inline="always")
def recover_capacity(s, q, c):
    """Step 10: capacity recovers, and partners send aid to members in need.

    ``P_i += recovery_rate (0.3 + 0.7 resilience_i) sqrt(2 (1 - x)) (1 - P_i)``.
    Aid: a partner j above ``aid_threshold`` sends
    ``aid_rate global_view_j T_ji (P_j - threshold) / deg_j`` to a member below it,
    at most the member's need split over its ties. Aid moves capacity; it does
    not create it.
    """
    n = s.active.size
    stabilising = math.sqrt(2.0 * (1.0 - s.alliance[L.EFFORT_SPLIT]))
    threshold = c[AID_THRESHOLD]
    transfer = np.zeros(n)
    for i in range(n):
        if not s.active[i] or s.capacity[i] >= threshold or s.degree[i] == 0:
            continue
        need = (threshold - s.capacity[i]) / s.degree[i]
        for e in range(s.first[i], s.first[i + 1]):
            if not s.live[e]:
                continue
            j = s.dst[e]
            if s.capacity[j] <= threshold:
                continue
            view = q[L.GLOBAL_VIEW] * s.reach[j]
            amount = c[AID_RATE] * view * s.trust[s.rev[e]] * (s.capacity[j] - threshold)
            amount = min(need, amount / s.degree[j])
            transfer[i] += amount
            transfer[j] -= amount
    for i in range(n):
        if not s.active[i]:
            continue
        resilience = q[L.RESILIENCE] * s.reach[i]
        grow = c[RECOVERY_RATE] * (0.3 + 0.7 * resilience) * stabilising
        capacity = s.capacity[i] + transfer[i]
        s.capacity[i] = min(1.0, capacity + min(1.0, grow) * (1.0 - capacity))


@njit(cache=True, inline="always")
def member_performance(capacity, collaboration, fit):
    """``U = P (0.4 + 0.6 collaboration)(0.5 + 0.5 fit)``."""
    return capacity * (0.4 + 0.6 * collaboration) * (0.5 + 0.5 * fit)


@njit(cache=True, inline="always")
def performance(s, c):
    """Step 11: members' performance and the alliance's, ``Q = mean U``.

    ``U_i = m P_i (0.4 + 0.6 collaboration_i)(0.5 + 0.5 fit)`` with the domain's
    munificence m and ``fit = max(0, 1 - |H_1 - theta| / fit_scale)``.
    """
    fit = max(0.0, 1.0 - abs(s.alliance[L.AMBITION_STRATEGY] - s.alliance[L.THETA]) / c[FIT_SCALE])
    munificence = s.alliance[L.MUNIFICENCE]
    total = 0.0
    count = 0
    for i in range(s.active.size):
        if s.active[i]:
            s.performance[i] = munificence * member_performance(
                s.capacity[i], s.collaboration[i], fit
            )
            total += s.performance[i]
            count += 1
        else:
            s.performance[i] = 0.0
    s.alliance[L.PERFORMANCE] = total / count if count > 0 else 0.0


# -------------------------------------------------------------------------------------------
# 12. exits
# -------------------------------------------------------------------------------------------


@njit(cache=True, inline="always")
def dissatisfaction(s, q, c):
    """How badly the alliance serves each active member (0 for members who left).

    Members aware of the need for change accept a new strategy; core values
    stay a reason to leave.

    ``w_perf (need - U)+ / need + w_values (|v_i0 - H_0| + (1 - c_i)|v_i1 - H_1|) / 0.5
    + w_pole |pole_i - x| (1 - paradox_i) + w_trust (trust_need - mean trust_i)+ / trust_need``.
    """
    n = s.active.size
    out = np.zeros(n)
    need = c[PERFORMANCE_NEED]
    first, live, trust = s.first, s.live, s.trust
    for i in range(n):
        if not s.active[i]:
            continue
        shortfall = max(0.0, need - s.performance[i]) / need if need > 0 else 0.0
        core_gap = abs(s.values[i, 0] - s.alliance[L.AMBITION_CORE])
        strategy_gap = abs(s.values[i, 1] - s.alliance[L.AMBITION_STRATEGY]) * (
            1.0 - s.awareness[i]
        )
        value_gap = (core_gap + strategy_gap) / VALUE_GAP_SCALE
        paradox = q[L.PARADOX] * s.reach[i]
        pole_gap = abs(s.pole[i] - s.alliance[L.EFFORT_SPLIT]) * (1.0 - paradox)
        trust_total = 0.0
        for e in range(first[i], first[i + 1]):
            if live[e]:
                trust_total += trust[e]
        mean_trust = trust_total / s.degree[i] if s.degree[i] > 0 else 0.0
        trust_gap = max(0.0, c[TRUST_NEED] - mean_trust) / c[TRUST_NEED]
        out[i] = (
            c[W_PERFORMANCE] * shortfall
            + c[W_VALUES] * value_gap
            + c[W_POLE] * pole_gap
            + c[W_TRUST] * trust_gap
        )
    return out


@njit(cache=True, inline="always")
def decide_exits(s, q, c, t, rng):
    """Step 12: every member decides first, then all exits apply (order-free).

    Exit hazard ``min(1, exit_rate (dissatisfaction - exit_tolerance)+)``. When the
    lead member leaves this way, a leader exit follows (an endogenous shock).
    """
    n = s.active.size
    unhappy = dissatisfaction(s, q, c)
    leaving = np.zeros(n, np.uint8)
    for i in range(n):
        if not s.active[i]:
            continue
        excess = unhappy[i] - c[EXIT_TOLERANCE]
        hazard = min(1.0, c[EXIT_RATE] * max(0.0, excess))
        if rng.random() < hazard:
            leaving[i] = 1
    lead = s.counters[L.LEAD]
    lead_leaves = lead >= 0 and leaving[lead] == 1
    departed = 0
    for i in range(n):
        if leaving[i] and i != lead:
            remove_member(s, i, t)
            departed += 1
    if departed > 0:
        renormalise_shares(s)
    if lead_leaves and s.counters[L.ACTIVE] > 1:
        leader_exit(s, q, t)
        s.counters[L.SHOCKS_NOW] += 1
        s.counters[L.SHOCKS_TOTAL] += 1
        if s.counters[L.OPEN_EPISODE] < 0:
            open_episode(s, t, L.LEADER_EXIT)
        s.episodes[s.counters[L.OPEN_EPISODE], L.EP_SHOCKS] += 1
    elif lead_leaves:
        remove_member(s, lead, t)
        renormalise_shares(s)
        s.counters[L.LEAD] = -1


# -------------------------------------------------------------------------------------------
# 13. reflection, crisis tracking, termination, record
# -------------------------------------------------------------------------------------------


@njit(cache=True, inline="always")
def leadership_drift(s, q, c):
    """Step 13a: shares drift toward trusted members, at ``drift_rate reflection``.

    Target: ``(1 - g) incoming-trust share + g [lead]``. The lead's authority
    regrows at ``succession_rate``.
    """
    s.alliance[L.AUTHORITY] = min(1.0, s.alliance[L.AUTHORITY] + c[SUCCESSION])
    rate = c[DRIFT_RATE] * q[L.REFLECTION] * s.alliance[L.MEAN_REACH]
    if rate <= 0 or s.counters[L.ACTIVE] == 0:
        return
    n = s.active.size
    incoming = np.zeros(n)
    total = 0.0
    live, dst, trust = s.live, s.dst, s.trust
    for e in range(dst.size):
        if live[e]:
            incoming[dst[e]] += trust[e]
            total += trust[e]
    g = q[L.CONCENTRATION]
    lead = s.counters[L.LEAD]
    share_total = 0.0
    for i in range(n):
        if not s.active[i]:
            continue
        trusted = incoming[i] / total if total > 0 else 1.0 / s.counters[L.ACTIVE]
        target = (1.0 - g) * trusted + (g if i == lead else 0.0)
        s.share[i] += rate * (target - s.share[i])
        share_total += s.share[i]
    for i in range(n):
        if s.active[i]:
            s.share[i] /= share_total


@njit(cache=True, inline="always")
def check_termination(s, c, t):
    """Step 13c: the alliance ends when too few members remain or it fails for too long.

    Too few: fewer than ``max(3, ceil(min_members_share N_0))`` active members.
    Failing: performance below ``q_min`` for ``q_min_months`` consecutive months.
    """
    founding = s.counters[L.FOUNDING]
    needed = max(3, math.ceil(c[MIN_MEMBERS_SHARE] * founding - 1e-9))
    if s.alliance[L.PERFORMANCE] < c[Q_MIN]:
        s.counters[L.LOW_MONTHS] += 1
    else:
        s.counters[L.LOW_MONTHS] = 0
    if s.counters[L.ACTIVE] < needed or s.counters[L.LOW_MONTHS] >= c[Q_MIN_MONTHS]:
        s.counters[L.TERMINATED] = 1
        s.counters[L.END_STEP] = t


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
def ambition_shift(s):
    """Distance the ambition has moved from the founding ambition."""
    d0 = s.alliance[L.AMBITION_CORE] - s.alliance[L.AMBITION_CORE_0]
    d1 = s.alliance[L.AMBITION_STRATEGY] - s.alliance[L.AMBITION_STRATEGY_0]
    return math.sqrt(d0 * d0 + d1 * d1)


@njit(cache=True, inline="always")
def record(s, t):
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


@njit(cache=True)
def found(s, q, c):
    """The founding month (step 0): reach, expected collaboration, performance, record."""
    leadership_reach(s, q, c)
    crisis_stress(s, q, c)
    for i in range(s.active.size):
        expected = 0.0
        for e in range(s.first[i], s.first[i + 1]):
            if s.live[e]:
                expected += cooperation_probability(s.trust[s.rev[e]], s.stress[s.dst[e]], c)
        s.collaboration[i] = expected / s.degree[i] if s.degree[i] > 0 else 0.0
    performance(s, c)
    record(s, 0)


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
    close_triads(s, q, c, rng)
    update_values(s, q, c, rng)  # 6
    perceive_demand(s, q, c, rng)  # 7
    update_awareness(s, q, c)
    split_effort(s, q, c)  # 8
    revise_ambition(s, q, c)  # 9
    recover_capacity(s, q, c)  # 10
    performance(s, c)  # 11
    decide_exits(s, q, c, t, rng)  # 12
    leadership_drift(s, q, c)  # 13
    track_episodes(s, q, c, t)
    check_termination(s, c, t)
    if s.counters[L.TERMINATED]:
        close_episode(s, q, c, t, False)
    record(s, t)
    return True


@njit(cache=True)
def run(s, q, c, rng):
    """Every month until the alliance ends or reaches its horizon."""
    while step(s, q, c, rng):
        pass
