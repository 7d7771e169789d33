"""Allocating and founding a run's state.

Random numbers come from three generators derived from the run's seed (see
:func:`sim.model.prepare.streams`): the environment's (the schedule of random
crises and the demand's drift, drawn month by month, so that runs with the same
seed meet the same crises whatever their leadership and a longer horizon only
adds months), the founding's (the network, then the members' founding values and
trust) and the monthly dynamics' (every draw of the step).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from sim.kernel import layout as L
from sim.kernel.network import directed_edges, draw_open_triads, draw_ties, triad_edges
from sim.kernel.schedule import found
from sim.parameters import constant_index as _ix

SEVERITY_A = _ix("severity_beta_a")
SEVERITY_B = _ix("severity_beta_b")
ENVIRONMENT_DRIFT = _ix("environment_drift")
MUNIFICENCE_SPREAD = _ix("munificence_spread")
FOUNDING_MISFIT = _ix("founding_misfit")
TRUST_WITHIN = _ix("trust_initial_within")
TRUST_CROSS = _ix("trust_initial_cross")
TRUST_VALUE_WEIGHT = _ix("trust_value_weight")
VALUE_NOISE = _ix("value_noise")
CAPACITY_INITIAL = _ix("capacity_initial")
AWARENESS_INITIAL = _ix("awareness_initial")
TRUST_NOISE = 0.05
POLE_NOISE = 0.05


@njit(cache=True, inline="always")
def _shock_draws(schedule, row, rng):
    """The uniform draws of one shock: the member it picks, a regime shift's sign and size."""
    schedule[row, L.SH_PICK] = rng.random()
    schedule[row, L.SH_SIGN] = rng.random()
    schedule[row, L.SH_JUMP] = rng.random()


@njit(cache=True)
def draw_environment(
    horizon, rate, mix, event_at, event_kind, event_severity, event_member, consts, rng
):
    """The schedule of crises and the demand's drift for a whole run, from the
    environment's own generator.

    The domain's munificence is drawn first (uniform on 1 +- munificence_spread / 2),
    then the founding gap between the ambition and the demand (``founding_misfit u``,
    its sign by a second uniform), then the scheduled events' draws (severity
    Beta(a, b) unless given; NaN = drawn, member -1 = drawn), then month by month:
    the demand's drift step, a Poisson(rate) count of random crises, and each
    crisis's kind (by ``mix``, weights in the order of the shock kinds), severity
    and draws. Drawing month by month makes the first H months of the environment
    the same whatever the horizon beyond H.
    Returns ``(schedule, drift, munificence, founding_gap)``.
    """
    munificence = 1.0 + consts[MUNIFICENCE_SPREAD] * (rng.random() - 0.5)
    founding_gap = consts[FOUNDING_MISFIT] * rng.random()
    if rng.random() < 0.5:
        founding_gap = -founding_gap
    a = consts[SEVERITY_A]
    b = consts[SEVERITY_B]
    n_events = event_at.size
    events = np.empty((n_events, L.N_SHOCK))
    for k in range(n_events):
        events[k, L.SH_AT] = event_at[k]
        events[k, L.SH_KIND] = event_kind[k]
        severity = rng.beta(a, b)
        events[k, L.SH_SEVERITY] = severity if np.isnan(event_severity[k]) else event_severity[k]
        events[k, L.SH_MEMBER] = event_member[k]
        _shock_draws(events, k, rng)
    cumulative = np.cumsum(mix)
    drift = np.zeros(horizon + 1)
    sd = consts[ENVIRONMENT_DRIFT]
    drawn = np.empty((max(16, int(2.0 * rate * horizon) + 16), L.N_SHOCK))
    n_random = 0
    for t in range(1, horizon + 1):
        drift[t] = rng.normal(0.0, 1.0) * sd
        count = rng.poisson(rate) if rate > 0 else 0
        for _ in range(count):
            if n_random == drawn.shape[0]:
                grown = np.empty((2 * n_random, L.N_SHOCK))
                grown[:n_random] = drawn
                drawn = grown
            u = rng.random() * cumulative[-1]
            kind = 0
            while kind < cumulative.size - 1 and cumulative[kind] <= u:
                kind += 1
            drawn[n_random, L.SH_AT] = t
            drawn[n_random, L.SH_KIND] = kind
            drawn[n_random, L.SH_SEVERITY] = rng.beta(a, b)
            drawn[n_random, L.SH_MEMBER] = -1
            _shock_draws(drawn, n_random, rng)
            n_random += 1
    schedule = np.empty((n_random + n_events, L.N_SHOCK))
    schedule[:n_random] = drawn[:n_random]
    schedule[n_random:] = events
    return schedule[schedule_order(schedule, n_random)], drift, munificence, founding_gap


@njit(cache=True)
def schedule_order(schedule, n_random):
    """Row order of a schedule: by month; scheduled events (the rows from ``n_random`` on)
    first within their month, then random crises in the order they were drawn."""
    rows = schedule.shape[0]
    n_events = rows - n_random
    order_key = np.empty(rows)
    for r in range(rows):
        sequence = (r - n_random) if r >= n_random else (n_events + r)
        order_key[r] = schedule[r, L.SH_AT] * (rows + 1) + sequence
    return np.argsort(order_key, kind="mergesort")


@njit(cache=True)
def found_members(n, factions, value_distance, concentration, first, src, dst, broker, consts, rng):
    """Founding values, poles, capacity, awareness, trust and leadership shares.

    Faction f's core values centre on ``0.5 + value_distance (f / (K - 1) - 0.5)``
    and its pole on ``f / (K - 1)``; trust on a founding tie starts at the within-
    or cross-faction level, lowered by the partners' core-value distance.
    Returns ``(values, pole, trust, live, share, lead)``.
    """
    noise = consts[VALUE_NOISE]
    values = np.empty((n, 2))
    pole = np.empty(n)
    for i in range(n):
        f = i % factions
        position = f / (factions - 1) if factions > 1 else 0.5
        centre = 0.5 + value_distance * (position - 0.5)
        values[i, 0] = min(1.0, max(0.0, centre + rng.normal(0.0, 1.0) * noise))
        values[i, 1] = min(1.0, max(0.0, 0.5 + rng.normal(0.0, 1.0) * noise))
        pole[i] = min(1.0, max(0.0, position + rng.normal(0.0, 1.0) * POLE_NOISE))
    edges = src.size
    trust = np.zeros(edges)
    live = np.zeros(edges, np.uint8)
    for e in range(edges):
        if broker[e] >= 0:
            continue
        i = src[e]
        j = dst[e]
        base = consts[TRUST_WITHIN] if i % factions == j % factions else consts[TRUST_CROSS]
        gap = abs(values[i, 0] - values[j, 0])
        level = base * (1.0 - consts[TRUST_VALUE_WEIGHT] * gap) + rng.normal(0.0, 1.0) * TRUST_NOISE
        trust[e] = min(0.95, max(0.05, level))
        live[e] = 1
    lead = 0
    best = -1
    for i in range(n):
        d = 0
        for e in range(first[i], first[i + 1]):
            d += live[e]
        if d > best:
            best = d
            lead = i
    share = np.full(n, (1.0 - concentration) / n)
    share[lead] += concentration
    return values, pole, trust, live, share, lead


@njit(cache=True)
def draw_founding(members, factions, value_distance, mean_degree, cross_faction_share,
                  concentration, horizon, rate, mix, event_at, event_kind, event_severity,
                  event_member, consts, environment_rng, founding_rng):  # fmt: skip
    """All of a run's founding draws in one compiled call.

    The environment (:func:`draw_environment`) from ``environment_rng``; the founding
    ties and open triads, then the members (:func:`found_members`), from
    ``founding_rng``. Returns ``(schedule, drift, munificence, founding_gap,
    first, src, dst, rev, broker, values, pole, trust, live, share, lead)``.
    """
    schedule, drift, munificence, founding_gap = draw_environment(
        horizon,
        rate,
        mix,
        event_at,
        event_kind,
        event_severity,
        event_member,
        consts,
        environment_rng,
    )
    rng = founding_rng
    tie_a, tie_b = draw_ties(members, factions, mean_degree, cross_faction_share, rng)
    triad_a, triad_b, triad_broker = draw_open_triads(members, tie_a, tie_b, rng)
    first, src, dst, rev, broker = directed_edges(
        members, tie_a, tie_b, triad_a, triad_b, triad_broker
    )
    values, pole, trust, live, share, lead = found_members(
        members, factions, value_distance, concentration, first, src, dst, broker, consts, rng
    )
    return (schedule, drift, munificence, founding_gap, first, src, dst, rev, broker,
            values, pole, trust, live, share, lead)  # fmt: skip


def _alliance_scalars(values: np.ndarray, munificence: float, founding_gap: float) -> np.ndarray:
    """The alliance's founding scalars.

    The ambition is the members' mean values; the demand lies ``founding_gap`` from
    its strategy (the gap's sign flips if the demand would leave [0, 1]); the alliance
    perceives the demand where its ambition is (it believes its founding ambition fits).
    """
    alliance = np.zeros(L.N_ALLIANCE)
    ambition_core = float(values[:, 0].mean())
    ambition_strategy = float(values[:, 1].mean())
    if not 0.0 <= ambition_strategy + founding_gap <= 1.0:
        founding_gap = -founding_gap
    alliance[L.THETA] = min(1.0, max(0.0, ambition_strategy + founding_gap))
    alliance[L.THETA_HAT] = ambition_strategy
    alliance[L.AMBITION_CORE] = ambition_core
    alliance[L.AMBITION_STRATEGY] = ambition_strategy
    alliance[L.AMBITION_CORE_0] = ambition_core
    alliance[L.AMBITION_STRATEGY_0] = ambition_strategy
    alliance[L.EFFORT_SPLIT] = 0.5
    alliance[L.AUTHORITY] = 1.0
    alliance[L.MUNIFICENCE] = munificence
    alliance[L.COORDINATION] = 1.0
    return alliance


def _counters(horizon: int, members: int, lead: int) -> np.ndarray:
    """The alliance's founding counters."""
    counters = np.zeros(L.N_COUNTERS, np.int64)
    counters[L.HORIZON] = horizon
    counters[L.FOUNDING] = members
    counters[L.ACTIVE] = members
    counters[L.LEAD] = lead
    counters[L.END_STEP] = -1
    counters[L.OPEN_EPISODE] = -1
    return counters


def typed_state() -> L.State:
    """A state of no members, ties or months whose arrays have a founded state's types:
    the step's signature, known before any alliance is founded."""
    f8, i8, u1 = np.float64, np.int64, np.uint8
    members = dict.fromkeys(
        (
            "capacity",
            "awareness",
            "pole",
            "share",
            "joined_gap",
            "reach",
            "stress",
            "collaboration",
            "performance",
        ),
        f8,
    ) | {"faction": i8, "active": u1, "exit_step": i8, "degree": i8}
    ties = {
        "first": i8,
        "src": i8,
        "dst": i8,
        "rev": i8,
        "broker": i8,
        "live": u1,
        "cooperated": u1,
        "residual": f8,
        "violated": u1,
        "trust": f8,
        "damage": f8,
        "scar": f8,
        "distrusted": f8,
        "alliance": f8,
        "counters": i8,
        "drift": f8,
    }
    tables = {"values": f8, "triads": i8, "shocks": f8, "episodes": f8, "series": f8}
    arrays = {name: np.zeros(0, dtype) for name, dtype in (members | ties).items()}
    arrays |= {name: np.zeros((0, 1), dtype) for name, dtype in tables.items()}
    return L.State(**arrays)


def new_state(
    founding: L.Founding,
    qualities: np.ndarray,
    consts: np.ndarray,
    environment_rng: np.random.Generator,
    founding_rng: np.random.Generator,
) -> L.State:
    """Allocate and found a run's state; the founding month is recorded as step 0.

    The environment and the founding draw from their own generators, so the
    monthly dynamics' generator (passed to :func:`~sim.kernel.schedule.step`) is
    untouched by founding.
    """
    f = founding
    (
        schedule, drift, munificence, founding_gap, first, src, dst, rev, broker,
        values, pole, trust, live, share, lead,
    ) = draw_founding(
        int(f.members), int(f.factions), float(f.value_distance), float(f.mean_degree),
        float(f.cross_faction_share), float(qualities[L.CONCENTRATION]), int(f.horizon),
        float(f.shock_rate), f.mix, f.event_at, f.event_kind, f.event_severity, f.event_member,
        consts, environment_rng, founding_rng,
    )  # fmt: skip
    n, factions, horizon = int(f.members), int(f.factions), int(f.horizon)
    edges = src.size
    degree = np.zeros(n, np.int64)
    np.add.at(degree, src, live.astype(np.int64))
    state = L.State(
        capacity=np.full(n, consts[CAPACITY_INITIAL]),
        awareness=np.full(n, consts[AWARENESS_INITIAL]),
        pole=pole,
        share=share,
        values=values,
        joined_gap=np.abs(values[:, 0] - values[:, 0].mean()),
        reach=np.zeros(n),
        stress=np.zeros(n),
        collaboration=np.zeros(n),
        performance=np.zeros(n),
        faction=np.arange(n, dtype=np.int64) % factions,
        active=np.ones(n, np.uint8),
        exit_step=np.full(n, -1, np.int64),
        degree=degree,
        first=first,
        src=src,
        dst=dst,
        rev=rev,
        broker=broker,
        triads=triad_edges(first, src, dst, broker),
        live=live,
        cooperated=np.zeros(edges, np.uint8),
        residual=np.zeros(edges),
        violated=np.zeros(edges, np.uint8),
        trust=trust,
        damage=np.zeros(edges),
        scar=np.zeros(edges),
        distrusted=np.zeros(edges),
        alliance=_alliance_scalars(values, munificence, founding_gap),
        counters=_counters(horizon, n, lead),
        shocks=schedule,
        drift=drift,
        episodes=np.full((horizon + 1, L.N_EPISODE), np.nan),
        series=np.full((L.N_SERIES, horizon + 1), np.nan),
    )
    found(state, qualities, consts)
    return state
