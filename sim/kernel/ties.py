"""Steps 3-5: cooperation, blame attribution, trust, tie dissolution and triadic closure."""

from __future__ import annotations

from numba import njit

from sim.kernel import layout as L
from sim.kernel.measures import quality_level
from sim.parameters import constant_index as _ix

SHORTFALL_DISTRUST = _ix("shortfall_distrust")
SHORTFALL_STRESS = _ix("shortfall_stress")
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
DISSOLUTION_MONTHS = _ix("dissolution_months")
DISSOLUTION_TRUST = _ix("dissolution_trust")
DISSOLUTION_VALUE_GAP = _ix("dissolution_value_gap")
SW_STRESS = _ix("switch_stress")
SW_BLAME = _ix("switch_blame")
SW_FAMILIAR_LOSS = _ix("switch_familiar_loss")
SW_REPAIR = _ix("switch_repair")
SW_DAMAGE_DECAY = _ix("switch_damage_decay")
SW_CLOSURE = _ix("switch_closure")
SW_PATIENCE = _ix("switch_patience")


@njit(cache=True, inline="always")
def crisis_stress(s, q, c):
    """Stress of each member: ``(1 - capacity)(1 - stress_sense_making * sense_making_i)``."""
    for i in range(s.active.size):
        sense_making = quality_level(q, c, L.SENSE_MAKING, SW_STRESS) * s.reach[i]
        s.stress[i] = (1.0 - s.capacity[i]) * (1.0 - c[STRESS_SENSE] * sense_making)


@njit(cache=True, inline="always")
def cooperation_probability(trust_of_partner, partner_stress, c):
    """Chance that a partner delivers: ``1 - shortfall``, clipped to [0.01, 0.99], with
    ``shortfall = shortfall_distrust (1 - T) + shortfall_stress stress``."""
    shortfall = (
        c[SHORTFALL_DISTRUST] * (1.0 - trust_of_partner) + c[SHORTFALL_STRESS] * partner_stress
    )
    return min(0.99, max(0.01, 1.0 - shortfall))


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
        analytical_view = quality_level(q, c, L.ANALYTICAL_VIEW, SW_BLAME) * s.reach[i]
        p = blame_probability(analytical_view, c)
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
    familiarity = min(1.0, s.counters[L.SHOCKS_TOTAL] / c[FAMILIARITY])
    first, live, dst, values, cooperated = s.first, s.live, s.dst, s.values, s.cooperated
    violated, trust, damage, scar = s.violated, s.trust, s.damage, s.scar
    for i in range(s.active.size):
        if not s.active[i]:
            continue
        reflection = quality_level(q, c, L.REFLECTION, SW_FAMILIAR_LOSS) * s.reach[i]
        repair = quality_level(q, c, L.RELATIONSHIPS, SW_REPAIR) * s.reach[i]
        decay = quality_level(q, c, L.RELATIONSHIPS, SW_DAMAGE_DECAY) * s.reach[i]
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
                    trust[e], damage[e], gap, repair, cooperated[e], c
                )
                damage[e] = damage_decay(damage[e], scar[e], decay, c)


@njit(cache=True, inline="always")
def close_triads(s, q, c, rng):
    """Step 5c: a broker with an eye for relationships introduces two of its partners.

    Each open triad ``a - broker - b`` closes with probability
    ``closure_rate relationships_broker min(T_a,broker, T_b,broker)``; the new tie
    starts at the mean of those two trusts, under its ceiling ``1 - D`` (a tie made
    again after it ended keeps its damage memory).
    """
    for k in range(s.triads.shape[0]):
        e = s.triads[k, 0]
        to_broker_a = s.triads[k, 1]
        to_broker_b = s.triads[k, 2]
        if s.live[e] or not (s.live[to_broker_a] and s.live[to_broker_b]):
            continue  # closed already, or a tie to the broker is gone (member left, tie ended)
        a = s.src[e]
        b = s.dst[e]
        broker = s.broker[e]
        trust_a = s.trust[to_broker_a]
        trust_b = s.trust[to_broker_b]
        relationships = quality_level(q, c, L.RELATIONSHIPS, SW_CLOSURE)
        chance = c[CLOSURE_RATE] * relationships * s.reach[broker] * min(trust_a, trust_b)
        if rng.random() < chance:
            back = s.rev[e]
            s.live[e] = 1
            s.live[back] = 1
            # a tie made again after it ended keeps its damage memory: trust stays under 1 - D
            s.trust[e] = min(0.5 * (trust_a + trust_b), 1.0 - s.damage[e])
            s.trust[back] = min(0.5 * (trust_a + trust_b), 1.0 - s.damage[back])
            s.degree[a] += 1
            s.degree[b] += 1
            s.counters[L.CLOSURES] += 1


@njit(cache=True, inline="always")
def dissolve_ties(s, q, c):
    """Step 5b: a member stops working with a partner it has long distrusted.

    ``distrusted`` counts the months in a row in which i has trusted j below
    ``dissolution_trust`` while their core values lie more than
    ``dissolution_value_gap`` apart (distrust as value incongruence: Sitkin & Roth
    1993); each such month counts ``1 - relationships_i``, so relationship work buys
    patience. Once the count reaches ``dissolution_months`` the tie ends, both ways:
    a relationship that does not come to be trusted is terminated (Ring & Van de Ven
    1994; Doz 1996), and along a faultline the camps stop working together (Lau &
    Murnighan 1998; Li & Hambrick 2005). An ended founding tie does not come back; a
    tie made by triadic closure can be made again. ``dissolution_trust`` 0 switches
    the mechanism off (no trust lies below it); it draws no random numbers.
    """
    threshold = c[DISSOLUTION_TRUST]
    if threshold <= 0.0:
        return
    months = c[DISSOLUTION_MONTHS]
    gap = c[DISSOLUTION_VALUE_GAP]
    live, trust, distrusted, values = s.live, s.trust, s.distrusted, s.values
    for e in range(s.src.size):
        if not live[e]:
            distrusted[e] = 0.0
            continue
        i = s.src[e]
        if trust[e] >= threshold or abs(values[i, 0] - values[s.dst[e], 0]) <= gap:
            distrusted[e] = 0.0
            continue
        relationships = quality_level(q, c, L.RELATIONSHIPS, SW_PATIENCE) * s.reach[i]
        distrusted[e] += 1.0 - relationships
        if distrusted[e] >= months:  # the tie ends, both ways
            back = s.rev[e]
            live[e] = 0
            live[back] = 0
            distrusted[e] = 0.0
            distrusted[back] = 0.0
            s.degree[i] -= 1
            s.degree[s.dst[e]] -= 1
            s.counters[L.DISSOLUTIONS] += 1
