"""Named mechanism constants: defaults, ranges, meaning and source.

Every constant of the step rule lives here, in one table. A scenario's
``[constants]`` table (or ``--set constants.NAME=VALUE``) overrides any of
them by name. The kernel receives them as one float array in the order of
:data:`CONSTANTS`; :func:`constant_index` gives each name's position.

``docs/model.md`` describes each equation by these names.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Constant:
    """One mechanism constant.

    Attributes:
        name: the key in ``[constants]``.
        default: the value used when a scenario does not set it.
        low: smallest allowed value (inclusive).
        high: largest allowed value (inclusive).
        doc: what it does, and its source or calibration note.
    """

    name: str
    default: float
    low: float
    high: float
    doc: str


# fmt: off
CONSTANTS: tuple[Constant, ...] = (
    # --- initial state -------------------------------------------------------------------
    Constant("trust_initial_within", 0.65, 0.0, 1.0,
             "Initial trust on ties inside a faction (calibration: baseline mean trust ~0.6)."),
    Constant("trust_initial_cross", 0.5, 0.0, 1.0,
             "Initial trust on ties across factions (faultlines: Lau & Murnighan 1998)."),
    Constant("trust_value_weight", 1.0, 0.0, 1.0,
             "Initial trust falls by this share per unit of core-value distance (Sarkar et al. 2001)."),
    Constant("value_noise", 0.05, 0.0, 0.5,
             "Standard deviation of members' values around their faction's centre."),
    Constant("capacity_initial", 0.9, 0.05, 1.0, "Members' operating capacity at founding."),
    Constant("awareness_initial", 0.3, 0.0, 1.0, "Members' change awareness at founding."),
    # --- environment and shocks ----------------------------------------------------------
    Constant("severity_beta_a", 2.0, 0.1, 50.0, "Shape a of the Beta(a, b) severity of drawn shocks."),
    Constant("severity_beta_b", 4.0, 0.1, 50.0, "Shape b of the Beta(a, b) severity of drawn shocks."),
    Constant("local_focus_factor", 1.5, 0.0, 5.0, "Capacity loss of the member hit by a local shock, per unit severity."),
    Constant("local_neighbour_factor", 0.5, 0.0, 5.0, "Capacity loss of its partners, per unit severity."),
    Constant("regime_jump_min", 0.15, 0.0, 1.0, "Smallest jump of the environment demand in a regime shift."),
    Constant("regime_jump_max", 0.35, 0.0, 1.0, "Largest jump of the environment demand in a regime shift."),
    Constant("regime_capacity_factor", 0.5, 0.0, 5.0, "Capacity loss in a regime shift, per unit severity."),
    Constant("relational_tie_share", 0.6, 0.0, 1.0, "Share of ties breached by a relational shock, per unit severity."),
    Constant("capacity_floor", 0.05, 0.0, 0.5, "No shock takes a member's capacity below this."),
    Constant("munificence_spread", 0.6, 0.0, 1.0,
             "Environmental munificence (Dess & Beard 1984), drawn per run uniform on 1 +- spread / 2, scales performance."),
    Constant("environment_drift", 0.01, 0.0, 0.2, "Monthly standard deviation of the environment demand's random walk."),
    Constant("succession_rate", 0.08, 0.0, 1.0,
             "Monthly regrowth of a new lead member's authority after a leader exit (leadership vacuum)."),
    # --- leadership reach ----------------------------------------------------------------
    Constant("coordination_cost", 0.06, 0.0, 2.0,
             "Cost of each further effective leader, scaled by missing trust density (Provan & Kenis 2008)."),
    Constant("formal_reach", 0.8, 0.0, 1.0,
             "Formal coordination a lead member gives members it has no tie to, times its share and legitimacy "
             "(lead-organisation governance, Provan & Kenis 2008)."),
    Constant("drift_rate", 0.05, 0.0, 1.0, "Monthly drift of leadership shares toward trusted members, times reflection."),
    # --- cooperation and blame -----------------------------------------------------------
    Constant("coop_base", 0.7, 0.0, 1.0, "Cooperation probability of a partner with no trust and no stress."),
    Constant("coop_trust", 0.3, 0.0, 1.0, "Rise of cooperation probability per unit of trust."),
    Constant("coop_stress", 0.9, 0.0, 2.0, "Fall of cooperation probability per unit of stress."),
    Constant("stress_sense_making", 0.7, 0.0, 1.0,
             "Share of crisis stress that sense-making absorbs (stress = (1 - capacity)(1 - k sense_making))."),
    Constant("blame_base", 0.3, 0.0, 1.0, "Probability that a shortfall is read as betrayal, with no analytical view."),
    Constant("blame_analytical", 0.8, 0.0, 1.0, "Share of misread shortfalls that an analytical view prevents."),
    # --- trust ---------------------------------------------------------------------------
    Constant("trust_build", 0.04, 0.0, 1.0,
             "Share of the gap to the trust ceiling closed by one cooperative month (slow build: Slovic 1993)."),
    Constant("similarity_weight", 1.0, 0.0, 1.0, "Trust building slows by this share per unit of core-value distance."),
    Constant("trust_loss", 0.35, 0.0, 1.0, "Share of trust lost on a violation (fast loss: Slovic 1993)."),
    Constant("reflection_loss_reduction", 0.5, 0.0, 1.0,
             "Share of a violation's trust loss that reflection prevents in a familiar situation."),
    Constant("familiarity_crises", 3.0, 1.0, 50.0, "Crisis episodes after which situations feel fully familiar."),
    Constant("damage_increment", 0.2, 0.0, 1.0, "Damage memory added by a violation: D += k (1 - D)."),
    Constant("scar_increment", 0.03, 0.0, 1.0,
             "Permanent scar added by a violation: damage never decays below it (two-layer trust)."),
    Constant("damage_decay", 0.1, 0.0, 1.0, "Monthly decay of damage toward the scar, times (0.2 + 0.8 relationships)."),
    Constant("trust_repair", 0.03, 0.0, 1.0, "Monthly repair toward the ceiling on unviolated ties, times relationships."),
    Constant("closure_rate", 0.05, 0.0, 1.0,
             "Monthly chance, times relationships, that a broker closes an open triad with a new tie "
             "(Polidoro et al. 2011)."),
    Constant("mutual_trust_threshold", 0.4, 0.0, 1.0, "Trust both ways above this makes a tie count in fragmentation."),
    # --- values --------------------------------------------------------------------------
    Constant("confidence_bound", 0.3, 0.0, 2.0, "Bounded confidence: partners further apart do not influence (Deffuant et al. 2000)."),
    Constant("convergence_rate", 0.1, 0.0, 0.5, "Share of the value gap closed per month, times trust (Deffuant mu)."),
    Constant("influence_trust_threshold", 0.5, 0.0, 1.0, "Only partners trusted above this influence values."),
    Constant("anchoring_rate", 0.05, 0.0, 1.0,
             "Monthly pull of members' values toward the ambition, times sense-making (Friedkin & Johnsen 1990)."),
    Constant("exploration_rate", 0.08, 0.0, 1.0,
             "Monthly move of strategic orientation toward the perceived demand, times questioning (March 1991)."),
    Constant("value_noise_monthly", 0.01, 0.0, 0.2, "Monthly noise on members' values."),
    # --- perception, awareness, effort split, ambition -----------------------------------
    Constant("perception_rate", 0.3, 0.0, 1.0, "Monthly speed of perceiving the demand, times (0.2 + 0.8 global view)."),
    Constant("perception_noise", 0.1, 0.0, 1.0, "Noise of perceiving the demand, times (1 - 0.9 analytical view)."),
    Constant("misfit_scale", 0.15, 0.01, 1.0, "Misfit between ambition and perceived demand at which noticing saturates."),
    Constant("awareness_rate", 0.1, 0.0, 1.0, "Monthly speed of awareness toward the misfit noticed."),
    Constant("inertia_rate", 0.03, 0.0, 1.0, "Monthly erosion of awareness by inertia, times (1 - change awareness)."),
    Constant("inertia_age", 60.0, 1.0, 1000.0, "Alliance age (months) at which inertia reaches half strength."),
    Constant("transform_weight", 0.3, 0.0, 5.0,
             "Demand for transforming per unit of noticed misfit, against the demand for stabilising."),
    Constant("split_rate", 0.3, 0.0, 1.0, "Monthly adjustment of the effort split toward its target."),
    Constant("revision_rate", 0.3, 0.0, 1.0, "Monthly revision of the ambition toward the perceived demand."),
    Constant("narrative_rate", 0.02, 0.0, 1.0, "Monthly pull of the ambition's core toward members' core values."),
    Constant("crisis_capacity", 0.7, 0.0, 1.0, "Mean capacity below which the alliance counts as in acute crisis."),
    Constant("disruption_cost", 1.0, 0.0, 10.0,
             "Capacity lost per unit of ambition change made during an acute crisis, times (1 - awareness)."),
    # --- capacity and performance --------------------------------------------------------
    Constant("recovery_rate", 0.12, 0.0, 1.0, "Monthly capacity recovery, times (0.3 + 0.7 resilience building)."),
    Constant("aid_rate", 0.3, 0.0, 1.0, "Share of a partner's capacity surplus sent as aid, times global view and trust."),
    Constant("aid_threshold", 0.6, 0.0, 1.0, "Members below this capacity receive aid from their partners."),
    Constant("fit_scale", 0.4, 0.01, 2.0, "Gap between ambition and demand at which fit reaches zero."),
    # --- exit ----------------------------------------------------------------------------
    Constant("exit_rate", 0.4, 0.0, 1.0, "Monthly exit hazard per unit of dissatisfaction above tolerance."),
    Constant("exit_tolerance", 0.55, 0.0, 5.0, "Dissatisfaction members tolerate before they consider leaving."),
    Constant("performance_need", 0.45, 0.0, 1.0, "Member performance below which the alliance stops serving it."),
    Constant("trust_need", 0.4, 0.01, 1.0, "Mean trust in partners below which missing trust adds to dissatisfaction."),
    Constant("exit_weight_performance", 1.0, 0.0, 5.0, "Weight of the performance shortfall in dissatisfaction."),
    Constant("exit_weight_values", 1.0, 0.0, 5.0, "Weight of the distance to the ambition in dissatisfaction."),
    Constant("exit_weight_pole", 0.5, 0.0, 5.0, "Weight of the pole mismatch in dissatisfaction."),
    Constant("exit_weight_trust", 1.0, 0.0, 5.0, "Weight of missing trust in dissatisfaction."),
    # --- reflection ----------------------------------------------------------------------
    Constant("buffer_gain", 0.2, 0.0, 1.0, "Growth of the robustness buffer after each crisis episode, times reflection."),
    Constant("buffer_max", 0.5, 0.0, 0.95, "Largest robustness buffer (share of severity absorbed)."),
    # --- survival and outcomes -----------------------------------------------------------
    Constant("q_min", 0.3, 0.0, 1.0, "Alliance performance below which the alliance is failing."),
    Constant("q_min_months", 12.0, 1.0, 1000.0, "Consecutive failing months that terminate the alliance."),
    Constant("min_members_share", 0.5, 0.0, 1.0, "Share of founding members needed to go on (with at least 3)."),
    Constant("fragmentation_share", 0.6, 0.0, 1.0, "Largest mutual-trust component below this share: fragmentation."),
    Constant("degraded_share", 0.8, 0.0, 1.0, "Final performance below this share of the first months': degraded."),
    Constant("delta_h", 0.1, 0.0, 2.0, "Ambition shift that counts as transformation (bounce forward)."),
    Constant("recovery_share", 0.95, 0.0, 1.0, "A crisis is recovered when performance is back at this share of its pre-crisis level."),
    Constant("recovery_window", 12.0, 1.0, 1000.0, "Months after a crisis starts at which the recovery ratio is measured."),
)
# fmt: on

CONSTANT_NAMES: tuple[str, ...] = tuple(c.name for c in CONSTANTS)
CONSTANTS_BY_NAME: dict[str, Constant] = {c.name: c for c in CONSTANTS}
DEFAULTS: dict[str, float] = {c.name: c.default for c in CONSTANTS}


def constant_index(name: str) -> int:
    """Position of a constant in the kernel's constants array."""
    return CONSTANT_NAMES.index(name)


def constants_array(overrides: dict[str, float] | None = None) -> np.ndarray:
    """The kernel's constants array: defaults, with ``overrides`` applied by name."""
    values = dict(DEFAULTS)
    if overrides:
        unknown = set(overrides) - set(values)
        if unknown:
            raise KeyError(f"unknown constants: {sorted(unknown)}")
        values.update(overrides)
    return np.array([float(values[name]) for name in CONSTANT_NAMES], dtype=np.float64)
