"""Survival, outcome class and resilience metrics of a run, as a JSON-ready summary.

The arithmetic runs in the compiled kernel (:mod:`sim.kernel.outcomes`,
:mod:`sim.kernel.measures`); this module turns the state into the summary dict both
faces return. Missing values are ``None``.

Per crisis episode (Bruneau et al. 2003; Henry & Ramirez-Marquez 2012):
``robustness = min(1, Q_min / Q_pre)`` (1: performance never fell below its
pre-crisis level); ``recovery_time`` = months until performance is
back at ``recovery_share Q_pre`` (None if never); ``loss`` = resilience-triangle
loss, the sum of ``(Q_pre - Q)+`` over the episode; ``recovery_ratio =
(Q_w - Q_min) / (Q_pre - Q_min)`` with ``Q_w`` the performance
``recovery_window`` months after the start (or at the run's end if sooner);
above 1 means the alliance bounced forward, below 0 that the episode had recovered
before that month and performance then fell below its low (docs/model.md 3.3.19;
reported as computed, not bounded).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from sim.kernel import layout as L
from sim.kernel.episodes import LEVEL_MONTHS
from sim.kernel.measures import ambition_shift, mean_live_trust, mean_performance, trust_density
from sim.kernel.outcomes import classify, trust_components, value_clusters
from sim.names import METRICS as METRICS  # the metrics summarize() returns
from sim.names import OUTCOMES, SHOCK_KINDS


def _number(value: float) -> float | None:
    value = float(value)
    return None if math.isnan(value) or math.isinf(value) else value


def _mean(values: list[float]) -> float | None:
    return float(np.mean(values)) if values else None


def crisis_records(state: L.State) -> list[dict[str, Any]]:
    """One record per crisis episode, in order of start."""
    last = int(state.counters[L.STEP])
    final_q = state.series[L.S_PERFORMANCE, last]
    records = []
    for row in state.episodes[: int(state.counters[L.EPISODES])]:
        q_pre = row[L.EP_Q_PRE]
        q_min = row[L.EP_Q_MIN]
        q_window = row[L.EP_Q_WINDOW]
        if math.isnan(q_window):
            q_window = final_q
        drop = q_pre - q_min
        recovered = not math.isnan(row[L.EP_END])
        records.append(
            {
                "start": int(row[L.EP_START]),
                "end": int(row[L.EP_END]) if recovered else None,
                "kind": SHOCK_KINDS[int(row[L.EP_KIND])],
                "shocks": int(row[L.EP_SHOCKS]),
                "severity": _number(row[L.EP_SEVERITY]),
                "q_pre": _number(q_pre),
                "q_min": _number(q_min),
                "robustness": _number(min(1.0, q_min / q_pre)) if q_pre > 0 else None,
                "recovered": recovered,
                "recovery_time": int(row[L.EP_RECOVERY_TIME]) if recovered else None,
                "loss": _number(row[L.EP_LOSS]),
                "recovery_ratio": _number((q_window - q_min) / drop) if drop > 1e-12 else None,
            }
        )
    return records


def summarize(state: L.State, consts: np.ndarray, seed: int) -> dict[str, Any]:
    """The run's summary: survival, outcome, lifetime, members, metrics and crises."""
    outcome, q_start, q_later, renewed = classify(state, consts, state.counters[L.STEP])
    component, components = trust_components(state, consts)
    counters = state.counters
    terminated = bool(counters[L.TERMINATED])
    step = int(counters[L.STEP])
    lifetime = int(counters[L.END_STEP]) if terminated else step
    founding = int(counters[L.FOUNDING])
    final = int(counters[L.ACTIVE])
    crises = crisis_records(state)
    robustness = [c["robustness"] for c in crises if c["robustness"] is not None]
    ratios = [c["recovery_ratio"] for c in crises if c["recovery_ratio"] is not None]
    times = [c["recovery_time"] for c in crises if c["recovery_time"] is not None]
    active = state.active.astype(bool)
    metrics = {
        "crises": len(crises),
        "shocks": int(counters[L.SHOCKS_TOTAL]),
        "worst_robustness": min(robustness) if robustness else None,
        "mean_robustness": _mean(robustness),
        "share_recovered": (sum(c["recovered"] for c in crises) / len(crises)) if crises else None,
        "mean_recovery_time": _mean(times),
        "triangle_loss": float(sum(c["loss"] or 0.0 for c in crises)),
        "mean_recovery_ratio": _mean(ratios),
        "ambition_shift": float(ambition_shift(state)),
        "renewals": int(renewed),
        "turnover": (founding - final) / founding,
        "founding_output": _number(q_start),
        "later_output": _number(q_later),
        "final_performance": _number(mean_performance(state, step - LEVEL_MONTHS + 1, step)),
        "mean_performance": _number(np.nanmean(state.series[L.S_PERFORMANCE, 1 : step + 1]))
        if step > 0
        else None,
        "final_mean_trust": _number(mean_live_trust(state)),
        "mean_trust": _number(np.nanmean(state.series[L.S_MEAN_TRUST, : step + 1])),
        "largest_component_share": float(component),
        "trust_components": int(components),
        "trust_density": float(trust_density(state)),
        "value_clusters": int(value_clusters(state, consts)),
        "final_awareness": _number(state.awareness[active].mean()) if active.any() else None,
        "buffer": float(state.alliance[L.BUFFER]),
        "closures": int(counters[L.CLOSURES]),
        "dissolutions": int(counters[L.DISSOLUTIONS]),
    }
    return {
        "survived": not terminated,
        "outcome": OUTCOMES[outcome],
        "lifetime": lifetime,
        "founding_members": founding,
        "final_members": final,
        "seed": int(seed),
        "metrics": metrics,
        "crises": crises,
    }
