"""Robustness checks of the whole model (target 10 of ``alliance-sim validate``): a calm
world does not kill an alliance, whatever its size and leadership mode."""

from __future__ import annotations

import numpy as np

from sim.experiment.seeds import run_seeds
from sim.model.prepare import resolve_spec
from sim.model.simulation import simulate
from sim.names import QUALITIES
from sim.validation.common import ROOT_SEED, TargetResult

CALM_SIZES: tuple[int, ...] = (8, 30, 100, 1000)
"""Founding members of the calm-world cells."""
CALM_CONCENTRATIONS: tuple[float, ...] = (0.0, 0.8)
"""Leadership concentration of the calm-world cells."""
CALM_QUALITY = 0.8
CALM_SURVIVAL = 0.95


def calm_survival(members: int, concentration: float, runs: int, seed: int) -> float:
    """Share of alliances surviving 180 months with no crises, every quality at 0.8,
    the demand drifting at its default."""
    spec = resolve_spec(
        "baseline",
        members=members,
        concentration=concentration,
        shock_rate=0.0,
        **dict.fromkeys(QUALITIES, CALM_QUALITY),
    )
    return float(np.mean([simulate(spec, rng=s)["survived"] for s in run_seeds(seed, runs)]))


def target_calm_world(runs: int = 200, seed: int = ROOT_SEED + 10) -> TargetResult:
    """Target 10: without crises, good leadership keeps alliances of any size alive."""
    cells = {
        f"{members} members, concentration {g:g}": calm_survival(members, g, runs, seed)
        for members in CALM_SIZES
        for g in CALM_CONCENTRATIONS
    }
    worst = min(cells, key=cells.__getitem__)
    return TargetResult(
        10,
        "a calm world does not kill",
        f"baseline with shocks.rate 0 and no scheduled events, the demand's drift at its "
        f"default, every quality at {CALM_QUALITY}: at {', '.join(map(str, CALM_SIZES))} "
        f"members and concentration {' and '.join(f'{g:g}' for g in CALM_CONCENTRATIONS)}, "
        f">= {CALM_SURVIVAL:.0%} of {runs} alliances per cell (root seed {seed}) survive "
        "180 months",
        "survival "
        + ", ".join(f"{k}: {v:.3f}" for k, v in cells.items())
        + f"; lowest {cells[worst]:.3f} ({worst})",
        bool(min(cells.values()) >= CALM_SURVIVAL),
        cells,
    )
