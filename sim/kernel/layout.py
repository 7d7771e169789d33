"""Layout of the kernel state: the ``State`` tuple, scalar indices, series columns.

Module-level integers are compile-time constants for numba, so ``alliance[THETA]``
reads as clearly as an attribute and costs nothing.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from sim.names import LEADERSHIP_KEYS, OUTCOMES, PHASES, SERIES, SHOCK_KINDS

# -- leadership vector q (float64[10]): the nine qualities, then concentration ----------------
SENSE_MAKING = LEADERSHIP_KEYS.index("sense_making")
QUESTIONING_PATTERNS = LEADERSHIP_KEYS.index("questioning_patterns")
GLOBAL_VIEW = LEADERSHIP_KEYS.index("global_view")
ANALYTICAL_VIEW = LEADERSHIP_KEYS.index("analytical_view")
RELATIONSHIPS = LEADERSHIP_KEYS.index("relationships")
RESILIENCE_BUILDING = LEADERSHIP_KEYS.index("resilience_building")
CHANGE_AWARENESS = LEADERSHIP_KEYS.index("change_awareness")
PARADOX_NAVIGATION = LEADERSHIP_KEYS.index("paradox_navigation")
REFLECTION = LEADERSHIP_KEYS.index("reflection")
CONCENTRATION = LEADERSHIP_KEYS.index("concentration")

# -- shock kinds ----------------------------------------------------------------------------
GLOBAL = SHOCK_KINDS.index("global")
LOCAL = SHOCK_KINDS.index("local")
RELATIONAL = SHOCK_KINDS.index("relational")
REGIME_SHIFT = SHOCK_KINDS.index("regime_shift")
LEADER_EXIT = SHOCK_KINDS.index("leader_exit")

# -- phases ---------------------------------------------------------------------------------
NORMAL = PHASES.index("normal")
CRISIS = PHASES.index("crisis")
STABILISING = PHASES.index("stabilising")
TRANSFORMING = PHASES.index("transforming")

# -- outcome classes ------------------------------------------------------------------------
COLLAPSE = OUTCOMES.index("collapse")
FRAGMENTATION = OUTCOMES.index("fragmentation")
DEGRADED = OUTCOMES.index("degraded")
TRANSFORMATION = OUTCOMES.index("transformation")
RECOVERY = OUTCOMES.index("recovery")

# -- alliance scalars (float64) -------------------------------------------------------------
THETA = 0  # environment demand on the strategic dimension
THETA_HAT = 1  # the alliance's perception of it
AMBITION_CORE = 2  # ambition H, core-values coordinate
AMBITION_STRATEGY = 3  # ambition H, strategic coordinate
AMBITION_CORE_0 = 4  # founding ambition
AMBITION_STRATEGY_0 = 5
EFFORT_SPLIT = 6  # x: share of effort on transforming
BUFFER = 7  # robustness buffer B learned from past crises
AUTHORITY = 8  # the lead member's authority (1; 0 just after a leader exit)
COORDINATION = 9  # coordination efficiency of leadership (Provan & Kenis)
MEAN_REACH = 10  # mean leadership reach over active members
PERFORMANCE = 11  # alliance performance Q this month
MISFIT = 12  # noticed misfit between ambition and perceived demand, in [0, 1]
MUNIFICENCE = 13  # resources of the alliance's domain, scaling performance
ASPIRATION = 14  # aspiration level: performance the alliance has come to expect
SEARCH = 15  # openness of the search window in [0, 1] (problemistic search)
COMPONENT = 16  # share of active members in the largest mutual-trust component
N_ALLIANCE = 17

# -- alliance counters (int64) --------------------------------------------------------------
STEP = 0  # months simulated so far
HORIZON = 1
FOUNDING = 2  # founding members
ACTIVE = 3  # active members
LEAD = 4  # index of the lead member (-1: none)
TERMINATED = 5  # 1 once the alliance has ended
END_STEP = 6  # month of termination (-1 while alive)
LOW_MONTHS = 7  # consecutive months with performance below q_min
PHASE = 8
SHOCKS_NOW = 9  # shocks that arrived this month
SHOCK_CURSOR = 10  # next unread row of the shock schedule
EPISODES = 11  # crisis episodes so far
OPEN_EPISODE = 12  # index of the open episode (-1: none)
CLOSURES = 13  # open triads closed so far
SHOCKS_TOTAL = 14  # shocks met so far (familiarity, for reflection)
WINDOW_CURSOR = 15  # first episode whose recovery window has not been measured
DISSOLUTIONS = 16  # ties ended after lasting distrust so far
N_COUNTERS = 17

# -- crisis episode fields (float64 rows; NaN = missing) ------------------------------------
EP_START = 0
EP_END = 1  # month the episode closed (recovered), NaN if never
EP_KIND = 2  # kind of its first shock
EP_SHOCKS = 3
EP_SEVERITY = 4  # largest effective severity
EP_Q_PRE = 5
EP_Q_MIN = 6
EP_RECOVERY_TIME = 7
EP_LOSS = 8  # resilience-triangle loss: sum of (Q_pre - Q)+
EP_Q_WINDOW = 9  # performance recovery_window months after the start
N_EPISODE = 10

# -- recorded series (one row per month, column 0 = founding state) -------------------------
S_PERFORMANCE = SERIES.index("performance")
S_MEAN_TRUST = SERIES.index("mean_trust")
S_ACTIVE = SERIES.index("active_members")
S_AWARENESS = SERIES.index("mean_awareness")
S_AMBITION_SHIFT = SERIES.index("ambition_shift")
S_EFFORT = SERIES.index("effort_split")
S_PHASE = SERIES.index("phase")
S_SHOCKS = SERIES.index("shocks")
S_CAPACITY = SERIES.index("mean_capacity")
S_DEMAND = SERIES.index("demand")
S_PERCEIVED = SERIES.index("perceived_demand")
S_BUFFER = SERIES.index("buffer")
S_REACH = SERIES.index("mean_reach")
S_AMBITION = SERIES.index("ambition")
S_ASPIRATION = SERIES.index("aspiration")
S_SEARCH = SERIES.index("search")
S_COMPONENT = SERIES.index("largest_component")
N_SERIES = len(SERIES)

# -- shock schedule columns (float64 rows, sorted by month) ---------------------------------
SH_AT = 0
SH_KIND = 1
SH_SEVERITY = 2
SH_MEMBER = 3  # named member, -1 = drawn
SH_PICK = 4  # uniform draw that picks the member when not named
SH_SIGN = 5  # uniform draw for a regime shift's direction
SH_JUMP = 6  # uniform draw for its size
N_SHOCK = 7


class Founding(NamedTuple):
    """What founds a run: the alliance's shape, the horizon and the crises to draw."""

    members: int
    factions: int
    value_distance: float
    mean_degree: float
    cross_faction_share: float
    horizon: int
    shock_rate: float
    mix: np.ndarray  # weights in the order of the shock kinds, summing to 1 (or all 0)
    event_at: np.ndarray  # scheduled events: month
    event_kind: np.ndarray  # kind code
    event_severity: np.ndarray  # NaN: drawn
    event_member: np.ndarray  # -1: drawn


class State(NamedTuple):
    """All of a run's mutable state, as arrays (members: length N; ties: length E).

    Ties are directed edges ``src -> dst`` sorted by ``src`` (CSR offsets in
    ``first``); ``trust[e]`` is ``src``'s trust in ``dst``. Open triads that
    relationships may close are allocated up front with ``live`` false.
    """

    # members
    capacity: np.ndarray
    awareness: np.ndarray
    pole: np.ndarray
    share: np.ndarray
    values: np.ndarray  # (N, 2): core values, strategic orientation
    joined_gap: np.ndarray  # core-value distance to the ambition the member joined with
    reach: np.ndarray
    stress: np.ndarray
    collaboration: np.ndarray
    performance: np.ndarray
    faction: np.ndarray
    active: np.ndarray  # uint8
    exit_step: np.ndarray
    degree: np.ndarray  # live ties
    # ties
    first: np.ndarray  # (N + 1) CSR offsets into the edge arrays
    src: np.ndarray
    dst: np.ndarray
    rev: np.ndarray  # index of the reverse edge
    broker: np.ndarray  # broker of an open triad, -1 for founding ties
    triads: np.ndarray  # (K, 3) open triads as edges a -> b, a -> broker, b -> broker
    live: np.ndarray  # uint8
    cooperated: np.ndarray  # uint8: dst delivered to src this month
    residual: np.ndarray  # float64: (u - p) / (1 - p) of the month's draw; in [0, 1) on a shortfall
    violated: np.ndarray  # uint8: src saw a violation by dst this month
    trust: np.ndarray
    damage: np.ndarray
    scar: np.ndarray
    distrusted: np.ndarray  # float64: months in a row src has distrusted dst (see dissolve_ties)
    # alliance
    alliance: np.ndarray  # float64[N_ALLIANCE]
    counters: np.ndarray  # int64[N_COUNTERS]
    shocks: np.ndarray  # (M, N_SHOCK) schedule
    drift: np.ndarray  # (horizon + 1) monthly steps of the environment demand's random walk
    episodes: np.ndarray  # (horizon + 1, N_EPISODE)
    series: np.ndarray  # (N_SERIES, horizon + 1)
