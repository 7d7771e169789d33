"""The one table of parameters: every scenario key and every mechanism constant.

Each :class:`Parameter` has its dotted key (as written in scenario and experiment
files and after ``--set``), its default, bounds and type, a display label (for
figures, the report and the demo), its meaning and source, and, for scenario keys,
the model keyword that sets it (``AllianceModel(relationships=0.9)``). Scenario
parsing, experiment validation, ``--set``, the model's keywords and docstring, the
docs' tables and ``scenarios/baseline.toml`` (checked by a test) all derive from it,
and :meth:`Parameter.check` is the one validator of their values.

The kernel receives the constants as one float array in the order of
:data:`CONSTANTS`; :func:`constant_index` gives each name's position.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sim.errors import InputError, expect_number

MAX_MEMBERS = 100_000
MAX_TIES = 10_000_000
"""Most founding ties (undirected) an alliance may have: about 1.7 GB of memory per run."""
MAX_HORIZON = 100_000


@dataclass(frozen=True)
class Parameter:
    """One parameter of the model.

    Attributes:
        key: the dotted key (``leadership.relationships``, ``constants.trust_loss``).
        default: the value used when a scenario does not set it.
        low: smallest allowed value (inclusive).
        high: largest allowed value (inclusive); for ``alliance.factions`` also at
            most ``alliance.members`` (see :data:`RULES`).
        doc: what it does, and its source or calibration note.
        integer: whole numbers only.
        label: the display label (default: the name in words).
        unit: the unit, for axis labels (``months``), or empty.
        keyword: the model keyword that sets it (scenario keys only).
        role: for constants, what reads it: ``mechanism`` (the step), ``classification``
            (the outcome class only) or ``metric`` (a reported measure only). Constants
            of the last two roles never feed back into the dynamics.
        set_by: for constants, how the default was set (which pattern it was set
            against, or the reason it was chosen).
    """

    key: str
    default: float
    low: float
    high: float
    doc: str
    integer: bool = False
    label: str = ""
    unit: str = ""
    keyword: str | None = None
    role: str = "mechanism"
    set_by: str = ""

    @property
    def name(self) -> str:
        """The last part of the key (``relationships``, ``trust_loss``)."""
        return self.key.rpartition(".")[2]

    @property
    def section(self) -> str:
        """The first part of a dotted key (``leadership``), or empty for ``horizon``."""
        return self.key.partition(".")[0] if "." in self.key else ""

    @property
    def display(self) -> str:
        """The label with its unit, for an axis: ``Horizon (months)``."""
        label = self.label or self.name.replace("_", " ")
        return f"{label} ({self.unit})" if self.unit else label

    def check(
        self, value: Any, source: str, key: str | None = None, error: type[InputError] = InputError
    ) -> float | int:
        """``value`` validated against this parameter's type and bounds (the one validator)."""
        return expect_number(
            error, source, key or self.key, value, self.low, self.high, integer=self.integer
        )


def _quality(name: str, label: str, doc: str) -> Parameter:
    return Parameter(f"leadership.{name}", 0.5, 0.0, 1.0, doc, label=label, keyword=name)


SCENARIO_PARAMETERS: tuple[Parameter, ...] = (
    Parameter("horizon", 180, 1, MAX_HORIZON, "Months to simulate.", integer=True,
              label="Horizon", unit="months", keyword="horizon"),
    Parameter("alliance.members", 12, 3, MAX_MEMBERS, "Founding members.", integer=True,
              label="Members", unit="organisations", keyword="members"),
    Parameter("alliance.factions", 3, 1, MAX_MEMBERS,
              "Founding factions (members are dealt to factions in turn); at most the members.",
              integer=True, label="Factions", unit="count", keyword="factions"),
    Parameter("alliance.value_distance", 0.3, 0.0, 1.0,
              "How far apart the factions' core values start.", label="Value distance",
              keyword="value_distance"),
    Parameter("alliance.mean_degree", 8.0, 1.0, float(MAX_MEMBERS),
              "Expected ties per member (capped at members - 1).", label="Mean degree",
              unit="ties per member", keyword="mean_degree"),
    Parameter("alliance.cross_faction_share", 0.25, 0.0, 1.0, "Share of ties across factions.",
              label="Cross-faction share", unit="share of ties", keyword="cross_faction_share"),
    _quality("sense_making", "Giving meaning to events",
             "Crisis stress is read collectively; values anchor to the shared ambition."),
    _quality("questioning_patterns", "Daring to question patterns",
             "Exploring the strategic direction; revising the ambition."),
    _quality("global_view", "Global view with local attention",
             "Perceiving the environment's demand; aid to members in trouble."),
    _quality("analytical_view", "Analytical view",
             "Less noise in perception; fewer shortfalls misread as betrayal."),
    _quality("relationships", "Eye for relationships",
             "Trust repair, damage healing, new ties that close triads."),
    _quality("resilience_building", "Developing resilience",
             "Faster recovery; stabilise first, then transform."),
    _quality("change_awareness", "Change awareness",
             "Noticing misfit; turning effort between stabilising and transforming."),
    _quality("paradox_navigation", "Dealing with paradoxes",
             "Balancing stabilising and transforming; tolerating the tension."),
    _quality("reflection", "Reflective ability",
             "Learning from crises; smaller trust losses in familiar situations."),
    Parameter("leadership.concentration", 0.0, 0.0, 1.0,
              "How concentrated leadership is: 0 = fully shared, 1 = one lead member.",
              label="Leadership concentration", keyword="concentration"),
    Parameter("shocks.rate", 0.055, 0.0, 10.0, "Random crises per month (Poisson).",
              label="Shock rate", unit="per month", keyword="shock_rate"),
)  # fmt: skip
"""The scenario's numeric keys, in file order."""


ROLES: tuple[str, ...] = ("mechanism", "classification", "metric", "switch")
"""What a constant is read by (see :attr:`Parameter.role`)."""
BY_HAND = "first version: by hand, against targets 1, 3 and 5"
"""How most mechanism constants were set (the model's first calibration)."""
CALIBRATED = (
    "calibration procedure (scripts/calibrate.py): target 1, and no cliff as a design constraint"
)
"""How the exit constants were set (:mod:`sim.validation.calibration`)."""
FIXED_FIRST = "fixed before any mechanism constant was set; never tuned"
"""How the classification and metric thresholds were set."""


def _constant(
    name: str,
    default: float,
    low: float,
    high: float,
    doc: str,
    role: str = "mechanism",
    integer: bool = False,
    set_by: str = "",
    label: str = "",
    unit: str = "",
) -> Parameter:
    how = set_by or (BY_HAND if role == "mechanism" else FIXED_FIRST)
    return Parameter(
        f"constants.{name}", default, low, high, doc, integer=integer, label=label, unit=unit,
        role=role, set_by=how,
    )  # fmt: skip


MECHANISM_SWITCHES: tuple[tuple[str, str, str], ...] = (
    ("stress", "sense_making", "crisis stress read collectively"),
    ("anchoring", "sense_making", "values anchored to the ambition"),
    ("narrative", "sense_making", "the ambition's core pulled toward members' values"),
    (
        "exploration",
        "questioning_patterns",
        "members' strategy explored toward the perceived demand",
    ),
    ("revision", "questioning_patterns", "willingness to revise the ambition"),
    ("perception_speed", "global_view", "speed of perceiving the demand"),
    ("aid", "global_view", "aid to partners hit hard"),
    ("perception_noise", "analytical_view", "less noise in perceiving the demand"),
    ("blame", "analytical_view", "fewer shortfalls misread as betrayal"),
    ("scandal", "analytical_view", "fewer breaches of a scandal read as betrayal"),
    ("repair", "relationships", "trust repair"),
    ("damage_decay", "relationships", "decay of damage memory"),
    ("closure", "relationships", "triadic closure"),
    ("patience", "relationships", "patience with distrusted partners before ending the tie"),
    ("recovery", "resilience_building", "capacity recovery"),
    (
        "crisis_gate",
        "resilience_building",
        "stabilising first: the gate on ambition revision in acute crises",
    ),
    ("noticing", "change_awareness", "members' noticing of the misfit"),
    ("inertia", "change_awareness", "countering inertia"),
    ("split_speed", "change_awareness", "speed of the effort split"),
    ("search", "change_awareness", "search opened on a noticed misfit"),
    ("balanced_split", "paradox_navigation", "balanced instead of either/or effort split"),
    ("pole_tolerance", "paradox_navigation", "members' tolerance of the pole mismatch"),
    ("familiar_loss", "reflection", "smaller trust losses in familiar situations"),
    ("buffer", "reflection", "robustness buffer learned from crises"),
    ("drift", "reflection", "leadership shares drifting to trusted members"),
)
"""Each mechanism through which a quality acts: (switch name, quality, what it does)."""
SWITCHED_OFF_LEVEL = 0.5
"""The level a quality has in a mechanism whose switch is off (the baseline's)."""


def _switch(name: str, quality: str, doc: str) -> Parameter:
    return _constant(
        f"switch_{name}", 1.0, 0.0, 1.0,
        f"Switch of a mechanism of {quality}: {doc}. 1: on; 0: off, the mechanism works as "
        f"if {quality} were {SWITCHED_OFF_LEVEL}.",
        role="switch", set_by="on (1) by default; 0 switches the mechanism off",
    )  # fmt: skip


# fmt: off
CONSTANTS: tuple[Parameter, ...] = (
    # --- initial state -------------------------------------------------------------------
    _constant("trust_initial_within", 0.65, 0.0, 1.0,
             "Initial trust on ties inside a faction."),
    _constant("trust_initial_cross", 0.5, 0.0, 1.0,
             "Initial trust on ties across factions (faultlines: Lau & Murnighan 1998)."),
    _constant("trust_value_weight", 1.0, 0.0, 1.0,
             "Initial trust falls by this share per unit of core-value distance (Sarkar et al. 2001)."),
    _constant("value_noise", 0.05, 0.0, 0.5,
             "Standard deviation of members' values around their faction's centre."),
    _constant("capacity_initial", 0.9, 0.05, 1.0, "Members' operating capacity at founding."),
    _constant("awareness_initial", 0.3, 0.0, 1.0, "Members' change awareness at founding."),
    # --- environment and shocks ----------------------------------------------------------
    _constant("severity_beta_a", 2.0, 0.1, 50.0, "Shape a of the Beta(a, b) severity of drawn shocks.", label="Severity Beta shape a"),
    _constant("severity_beta_b", 4.0, 0.1, 50.0, "Shape b of the Beta(a, b) severity of drawn shocks.", label="Severity Beta shape b"),
    _constant("local_focus_factor", 1.5, 0.0, 5.0, "Capacity loss of the member hit by a local shock, per unit severity."),
    _constant("local_neighbour_factor", 0.5, 0.0, 5.0, "Capacity loss of its partners, per unit severity."),
    _constant("regime_jump_min", 0.15, 0.0, 1.0, "Smallest jump of the environment demand in a regime shift."),
    _constant("regime_jump_max", 0.35, 0.0, 1.0, "Largest jump of the environment demand in a regime shift."),
    _constant("regime_capacity_factor", 0.5, 0.0, 5.0, "Capacity loss in a regime shift, per unit severity."),
    _constant("relational_tie_share", 0.6, 0.0, 1.0, "Share of ties breached by a relational shock, per unit severity."),
    _constant("capacity_floor", 0.05, 0.0, 0.5, "No shock takes a member's capacity below this."),
    _constant("munificence_spread", 0.6, 0.0, 1.0,
             "Environmental munificence (Dess & Beard 1984), drawn per run uniform on 1 +- spread / 2, scales performance.", set_by="first version: against target 6; targets 11 and 12 rest on it too (see Known limitations)"),
    _constant("environment_drift", 0.01, 0.0, 0.2, "Monthly standard deviation of the environment demand's random walk."),
    _constant("founding_misfit", 0.3, 0.0, 0.5,
             "Largest gap between the founding ambition and the demand: the founding ambition is not the best fit, "
             "so a crisis can open a window for renewal (Romanelli & Tushman 1994); 0 switches renewal off.", set_by="target 9 (exploratory runs of the renewal setting)"),
    _constant("succession_rate", 0.08, 0.0, 1.0,
             "Monthly regrowth of a new lead member's authority after a leader exit (leadership vacuum)."),
    # --- leadership reach ----------------------------------------------------------------
    _constant("coordination_cost", 2.5, 0.0, 20.0,
             "Largest cost of coordinating shared leadership, scaled by missing trust density (Provan & Kenis 2008).", set_by="keeps the first version's founding coordination efficiency of the baseline (0.72)"),
    _constant("coordination_scale", 30.0, 1.0, 10000.0,
             "Effective leaders (or members) at which the cost of size reaches half its largest value.", set_by="Provan & Kenis 2008: shared governance overwhelmed beyond a moderate number of organisations"),
    _constant("attention_cost", 2.5, 0.0, 20.0,
             "Largest cost of a lead member's limited attention over many members (formal coordination).", set_by="equal to coordination_cost: the same cost of size for both leadership modes"),
    _constant("formal_reach", 0.8, 0.0, 1.0,
             "Formal coordination a lead member gives members it has no tie to, times its share and legitimacy "
             "(lead-organisation governance, Provan & Kenis 2008)."),
    _constant("drift_rate", 0.05, 0.0, 1.0, "Monthly drift of leadership shares toward trusted members, times reflection."),
    # --- cooperation and blame -----------------------------------------------------------
    _constant("shortfall_distrust", 0.3, 0.0, 1.0,
             "Chance that an unstressed partner with no trust falls short; it falls with trust, to 0 at full trust."),
    _constant("shortfall_stress", 0.9, 0.0, 2.0, "Rise of the chance of a shortfall per unit of the partner's stress."),
    _constant("stress_sense_making", 0.7, 0.0, 1.0,
             "Share of crisis stress that sense-making absorbs (stress = (1 - capacity)(1 - k sense_making))."),
    _constant("blame_base", 0.15, 0.0, 1.0, "Probability that a shortfall is read as betrayal, with no analytical view.",
             set_by=CALIBRATED),
    _constant("blame_analytical", 0.8, 0.0, 1.0, "Share of misread shortfalls that an analytical view prevents."),
    # --- trust ---------------------------------------------------------------------------
    _constant("trust_build", 0.04, 0.0, 1.0,
             "Share of the gap to the trust ceiling closed by one cooperative month (slow build: Slovic 1993)."),
    _constant("similarity_weight", 1.0, 0.0, 1.0, "Trust building slows by this share per unit of core-value distance."),
    _constant("trust_loss", 0.35, 0.0, 1.0, "Share of trust lost on a violation (fast loss: Slovic 1993)."),
    _constant("reflection_loss_reduction", 0.5, 0.0, 1.0,
             "Share of a violation's trust loss that reflection prevents in a familiar situation."),
    _constant("familiarity_crises", 3.0, 1.0, 50.0, "Shocks met after which situations feel fully familiar.", label="Familiarity", unit="crises"),
    _constant("damage_increment", 0.2, 0.0, 1.0, "Damage memory added by a violation: D += k (1 - D)."),
    _constant("scar_increment", 0.03, 0.0, 1.0,
             "Permanent scar added by a violation: damage never decays below it (two-layer trust)."),
    _constant("damage_decay", 0.1, 0.0, 1.0, "Monthly decay of damage toward the scar, times (0.2 + 0.8 relationships)."),
    _constant("trust_repair", 0.03, 0.0, 1.0, "Monthly repair toward the ceiling on unviolated ties, times relationships."),
    _constant("closure_rate", 0.05, 0.0, 1.0,
             "Monthly chance, times relationships, that a broker closes an open triad with a new tie "
             "(Polidoro et al. 2011)."),
    _constant("dissolution_trust", 0.4, 0.0, 1.0,
             "Trust in a partner below which a member counts months of distrust toward ending the tie (relationship "
             "termination: Ring & Van de Ven 1994; camps along a faultline: Lau & Murnighan 1998, Li & Hambrick 2005); "
             "0 switches tie dissolution off.",
             set_by="not calibrated: below the founding trust across factions (0.5); 0.36-0.44 give the same "
                    "fragmentation (docs/model.md, tie dissolution)"),
    _constant("dissolution_months", 6.0, 1.0, 1000.0,
             "Months of distrust in a row (each counting 1 - relationships) after which a member ends the tie.",
             integer=True, unit="months",
             set_by="not calibrated: half a year (docs/model.md, tie dissolution)"),
    _constant("dissolution_value_gap", 0.5, 0.0, 1.0,
             "Core-value distance beyond which low trust in a partner counts as distrust toward ending the tie "
             "(distrust as value incongruence: Sitkin & Roth 1993).",
             set_by="not calibrated: half the range of values; at their presets no tie ends in the shipped scenarios "
                    "whose factions lie at most 0.3 apart (docs/model.md, tie dissolution)"),
    _constant("mutual_trust_threshold", 0.4, 0.0, 1.0, "Trust both ways above this makes a tie count in fragmentation.", role="classification"),
    # --- values --------------------------------------------------------------------------
    _constant("confidence_bound", 0.3, 0.0, 2.0, "Bounded confidence: partners further apart do not influence (Deffuant et al. 2000)."),
    _constant("convergence_rate", 0.1, 0.0, 0.5, "Share of the value gap closed per month, times trust (Deffuant mu)."),
    _constant("influence_trust_threshold", 0.5, 0.0, 1.0, "Only partners trusted above this influence values."),
    _constant("anchoring_rate", 0.05, 0.0, 1.0,
             "Monthly pull of members' values toward the ambition, times sense-making (Friedkin & Johnsen 1990)."),
    _constant("exploration_rate", 0.08, 0.0, 1.0,
             "Monthly move of strategic orientation toward the perceived demand, times questioning (March 1991)."),
    _constant("value_noise_monthly", 0.01, 0.0, 0.2, "Monthly noise on members' values."),
    # --- aspiration and search -----------------------------------------------------------
    _constant("aspiration_rate", 0.05, 0.0, 1.0,
             "Monthly adjustment of the aspiration level toward performance (historical aspiration: Cyert & March 1963).", set_by="design choice (a slowly adapting historical aspiration); not fitted"),
    _constant("search_scale", 0.1, 0.01, 1.0,
             "Shortfall of performance below aspiration (share) at which search is fully open (problemistic search: Greve 2003).", set_by="design choice (a 10% shortfall opens search fully); not fitted"),
    _constant("calm_search", 0.02, 0.0, 1.0, "Share of the search speed kept when performance meets the aspiration.", set_by="target 9 (exploratory runs of the renewal setting)"),
    # --- perception, awareness, effort split, ambition -----------------------------------
    _constant("perception_rate", 0.3, 0.0, 1.0, "Monthly speed of perceiving the demand, times (0.2 + 0.8 global view)."),
    _constant("perception_noise", 0.1, 0.0, 1.0, "Noise of perceiving the demand, times (1 - 0.9 analytical view)."),
    _constant("misfit_scale", 0.15, 0.01, 1.0, "Misfit between ambition and perceived demand at which noticing saturates."),
    _constant("awareness_rate", 0.1, 0.0, 1.0, "Monthly speed of awareness toward the misfit noticed."),
    _constant("inertia_rate", 0.03, 0.0, 1.0, "Monthly erosion of awareness by inertia, times (1 - change awareness)."),
    _constant("inertia_age", 60.0, 1.0, 1000.0, "Alliance age (months) at which inertia reaches half strength.", unit="months"),
    _constant("transform_weight", 0.3, 0.0, 5.0,
             "Demand for transforming per unit of noticed misfit, against the demand for stabilising."),
    _constant("split_rate", 0.3, 0.0, 1.0, "Monthly adjustment of the effort split toward its target."),
    _constant("revision_rate", 1.0, 0.0, 2.0,
             "Monthly revision of the ambition toward the perceived demand, times questioning, search and acceptance.", set_by="target 9 (exploratory runs of the renewal setting)"),
    _constant("narrative_rate", 0.02, 0.0, 1.0, "Monthly pull of the ambition's core toward members' core values."),
    _constant("crisis_capacity", 0.7, 0.0, 1.0, "Mean capacity below which the alliance counts as in acute crisis."),
    _constant("disruption_cost", 0.3, 0.0, 10.0,
             "Capacity lost per unit of ambition change made during an acute crisis, times (1 - awareness).", set_by="keeps the first version's disruption per unit of revision rate (1.0 x 0.3)"),
    # --- capacity and performance --------------------------------------------------------
    _constant("recovery_rate", 0.12, 0.0, 1.0, "Monthly capacity recovery, times (0.3 + 0.7 resilience building)."),
    _constant("aid_rate", 0.3, 0.0, 1.0, "Share of a partner's capacity surplus sent as aid, times global view and trust."),
    _constant("aid_threshold", 0.6, 0.0, 1.0, "Members below this capacity receive aid from their partners."),
    _constant("fit_scale", 0.4, 0.01, 2.0, "Gap between ambition and demand at which fit reaches zero."),
    # --- exit ----------------------------------------------------------------------------
    _constant("exit_rate", 1.0, 0.0, 1.0, "Monthly exit hazard per unit of dissatisfaction above tolerance.", set_by=CALIBRATED),
    _constant("exit_tolerance", 0.409, 0.0, 5.0, "Dissatisfaction members tolerate before they consider leaving.", set_by=CALIBRATED),
    _constant("commitment_initial", 0.3, 0.0, 2.0,
             "Founding commitment: dissatisfaction tolerated on top of exit_tolerance at founding, wearing off "
             "(a honeymoon: Fichman & Levinthal 1991).", set_by="design choice (three quarters of the first version's tolerance); not fitted"),
    _constant("commitment_months", 60.0, 1.0, 1000.0, "Months over which the founding commitment wears off (linearly).",
             set_by="design choice (five years: the honeymoon ends well before Bleeke & Ernst's typical lifetime of about seven); not fitted", integer=True, unit="months"),
    _constant("performance_need", 0.45, 0.0, 1.0, "Member performance below which the alliance stops serving it."),
    _constant("trust_need", 0.65, 0.01, 1.0, "Mean trust in partners below which missing trust adds to dissatisfaction.",
             set_by="the founding trust inside a faction (trust_initial_within): members expect the trust they began "
                    "with among their own; not fitted"),
    _constant("exit_weight_performance", 1.0, 0.0, 5.0, "Weight of the performance shortfall in dissatisfaction."),
    _constant("exit_weight_values", 1.0, 0.0, 5.0, "Weight of the distance to the ambition in dissatisfaction."),
    _constant("exit_weight_pole", 0.5, 0.0, 5.0, "Weight of the pole mismatch in dissatisfaction."),
    _constant("exit_weight_trust", 1.0, 0.0, 5.0, "Weight of missing trust in dissatisfaction."),
    # --- reflection ----------------------------------------------------------------------
    _constant("buffer_gain", 0.2, 0.0, 1.0, "Growth of the robustness buffer after each shock met, times reflection."),
    _constant("buffer_max", 0.5, 0.0, 0.95, "Largest robustness buffer (share of severity absorbed)."),
    # --- survival and outcomes -----------------------------------------------------------
    _constant("q_min", 0.3, 0.0, 1.0, "Alliance performance below which the alliance is failing.", label="Failing performance (Q_min)"),
    _constant("q_min_months", 12.0, 1.0, 1000.0, "Consecutive failing months that terminate the alliance.", integer=True, label="Failing months to end", unit="months"),
    _constant("min_members_share", 0.5, 0.0, 1.0, "Share of founding members needed to go on (with at least 3)."),
    # --- outcome classes and crisis metrics (measure only: never read by the step) -------
    _constant("fragmentation_share", 0.6, 0.0, 1.0,
             "Classification: largest mutual-trust component below this share of active members is a split.", role="classification"),
    _constant("fragmentation_months", 12.0, 1.0, 1000.0,
             "Classification: months a split must last, up to the reading month, to count as fragmentation.", role="classification", integer=True, unit="months"),
    _constant("degraded_share", 0.8, 0.0, 1.0,
             "Classification: median output (performance times the share of founding members still active) over the later-life window below this share of the founding level: degraded.", role="classification"),
    _constant("degraded_window", 60.0, 1.0, 1000.0,
             "Classification: months of later life whose median output is compared with the founding level.", role="classification", integer=True, unit="months"),
    _constant("founding_months", 12.0, 1.0, 1000.0, "Classification: months 1..k whose mean output is the founding level.", role="classification", integer=True, unit="months"),
    _constant("settle_months", 24.0, 1.0, 1000.0,
             "Classification: months after a crisis starts in which the alliance's response is read; younger crises are still open.", role="classification", integer=True, unit="months"),
    _constant("delta_h", 0.1, 0.0, 2.0,
             "Classification: net revision of the ambition's strategy within a crisis's settle window that counts as renewal.", role="classification", label="Renewal threshold (delta_h)"),
    _constant("recovery_share", 0.95, 0.0, 1.0,
             "Metric and classification: performance (3-month mean) back at this share of its pre-crisis level counts as recovered.", role="classification"),
    _constant("recovery_window", 12.0, 1.0, 1000.0, "Metric: months after a crisis starts at which the recovery ratio is measured.", role="metric", integer=True, unit="months"),
    # --- mechanism switches (1: on; 0: the mechanism no longer reads its quality) --------
    *(_switch(name, quality, doc) for name, quality, doc in MECHANISM_SWITCHES),
)
# fmt: on

PARAMETERS: tuple[Parameter, ...] = (*SCENARIO_PARAMETERS, *CONSTANTS)
"""Every parameter: the scenario keys, then the mechanism constants."""
BY_KEY: dict[str, Parameter] = {p.key: p for p in PARAMETERS}
CONSTANT_NAMES: tuple[str, ...] = tuple(c.name for c in CONSTANTS)
CONSTANTS_BY_NAME: dict[str, Parameter] = {c.name: c for c in CONSTANTS}
CONSTANT_DEFAULTS: dict[str, float] = {c.name: c.default for c in CONSTANTS}
KEYWORDS: dict[str, str] = {p.keyword: p.key for p in SCENARIO_PARAMETERS if p.keyword}
"""Model keyword -> dotted scenario key (``shock_rate`` -> ``shocks.rate``)."""

RULES: tuple[tuple[str, str], ...] = (
    ("alliance.factions", "alliance.members"),
    ("constants.regime_jump_min", "constants.regime_jump_max"),
)
"""Pairs ``(a, b)`` that must satisfy ``a <= b`` together (checked for whole designs too)."""


def default(key: str) -> Any:
    """The default of the parameter ``key``."""
    return BY_KEY[key].default


def constant_index(name: str) -> int:
    """Position of a constant in the kernel's constants array."""
    return CONSTANT_NAMES.index(name)


def label(key: str) -> str:
    """The display label (with its unit) of a dotted key; the key itself when unknown."""
    parameter = BY_KEY.get(key)
    return parameter.display if parameter is not None else key
