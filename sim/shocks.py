"""Shock kinds and the conversion of a scenario's shock settings into kernel arrays.

Kinds: ``global`` (every member loses capacity), ``local`` (one member and,
less, its partners), ``relational`` (a scandal: forced violations on ties),
``regime_shift`` (the environment's demand jumps; capacities drop),
``leader_exit`` (the lead member leaves). Random crises arrive as a Poisson
process with ``shocks.rate`` per month and kinds drawn by ``shocks.mix``;
scheduled events come from ``[[shocks.events]]``. Severity is Beta(2, 4)
unless given, and the alliance's learned buffer B scales every severity by
``(1 - B)``. The draws themselves happen in the kernel
(:func:`sim.kernel.state.draw_environment`).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from sim.scenario import SHOCK_KINDS, ScenarioSpec

KIND_CODES: dict[str, int] = {kind: code for code, kind in enumerate(SHOCK_KINDS)}


class ShockArrays(NamedTuple):
    """A scenario's shock settings as the kernel takes them."""

    rate: float
    mix: np.ndarray  # weights in the order of SHOCK_KINDS, summing to 1 (or all 0)
    event_at: np.ndarray
    event_kind: np.ndarray
    event_severity: np.ndarray  # NaN: drawn
    event_member: np.ndarray  # -1: drawn


def shock_arrays(spec: ScenarioSpec) -> ShockArrays:
    """Convert ``spec.shocks`` to kernel arrays."""
    events = spec.shocks.events
    return ShockArrays(
        rate=float(spec.shocks.rate),
        mix=np.array(spec.shocks.mix_weights(), dtype=np.float64),
        event_at=np.array([event.at for event in events], dtype=np.int64),
        event_kind=np.array([KIND_CODES[event.kind] for event in events], dtype=np.int64),
        event_severity=np.array(
            [np.nan if event.severity is None else event.severity for event in events],
            dtype=np.float64,
        ),
        event_member=np.array(
            [-1 if event.member is None else event.member for event in events], dtype=np.int64
        ),
    )
