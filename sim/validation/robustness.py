"""Robustness checks of the whole model (targets 10-12 of ``alliance-sim validate``): a
calm world does not kill an alliance, whatever its size and leadership mode; no
mechanism constant is a knife edge; survival has no cliff in the level of leadership."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from sim.experiment.seeds import run_seeds
from sim.model.prepare import resolve_spec
from sim.model.simulation import simulate
from sim.names import QUALITIES
from sim.parameters import CONSTANTS, Parameter
from sim.scenario import ScenarioSpec
from sim.validation.common import ROOT_SEED, TargetResult, at_most
from sim.validation.effects import run_indicators

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


KNIFE_SHIFT = 0.1
"""The knife-edge target moves each mechanism constant this share either way."""
KNIFE_LIMIT = 0.10
"""Largest move of survival or of any class share allowed for one such change."""
CLIFF_LEVELS: tuple[float, ...] = tuple(round(0.1 * k, 1) for k in range(1, 10))
"""The levels at which the cliff target sets all nine qualities together."""
CLIFF_LIMIT = 0.25
"""Largest change of survival allowed between adjacent levels."""


def shares(spec: ScenarioSpec, seeds: Sequence[int], **params: Any) -> dict[str, float]:
    """Survival and each class's share over runs on ``seeds``."""
    return {k: float(v.mean()) for k, v in run_indicators(spec, seeds, **params).items()}


def shifted_values(parameter: Parameter) -> tuple[float, ...]:
    """A constant's default moved ``KNIFE_SHIFT`` either way (whole numbers by 1),
    clipped to its bounds; a value equal to the default is dropped."""
    if parameter.integer:
        candidates: tuple[float, ...] = (parameter.default - 1, parameter.default + 1)
    else:
        candidates = (
            parameter.default * (1 - KNIFE_SHIFT),
            parameter.default * (1 + KNIFE_SHIFT),
        )
    clipped = (min(parameter.high, max(parameter.low, v)) for v in candidates)
    return tuple(v for v in clipped if v != parameter.default)


def knife_edges(pairs: int, seed: int) -> dict[str, float]:
    """For each mechanism constant and shift, the largest move of survival or of a class
    share against the default constants, on common seeds (baseline preset)."""
    seeds = run_seeds(seed, pairs)
    base = resolve_spec("baseline")
    reference = shares(base, seeds)
    moves = {}
    for parameter in CONSTANTS:
        if parameter.role != "mechanism":
            continue
        for value in shifted_values(parameter):
            spec = base.with_overrides({parameter.key: value}, "knife edges")
            shifted = shares(spec, seeds)
            moves[f"{parameter.name}={value:g}"] = max(
                abs(shifted[k] - reference[k]) for k in reference
            )
    return moves


def target_knife_edges(pairs: int = 400, seed: int = ROOT_SEED + 11) -> TargetResult:
    """Target 11: no single mechanism constant is a knife edge."""
    moves = knife_edges(pairs, seed)
    worst = sorted(moves, key=moves.__getitem__, reverse=True)[:5]
    return TargetResult(
        11,
        "no knife edge",
        f"baseline preset, {pairs} paired runs (root seed {seed}): every mechanism constant "
        f"moved {KNIFE_SHIFT:.0%} either way (whole numbers by 1, clipped to its bounds) moves "
        f"survival and every class share by at most {KNIFE_LIMIT}",
        f"{len(moves)} changes; largest moves: " + ", ".join(f"{k} {moves[k]:.3f}" for k in worst),
        at_most(max(moves.values()), KNIFE_LIMIT),
        moves,
    )


def target_cliff(runs: int = 400, seed: int = ROOT_SEED + 12) -> TargetResult:
    """Target 12: survival rises with the overall level of leadership without a cliff."""
    seeds = run_seeds(seed, runs)
    base = resolve_spec("baseline")
    survival = {
        level: shares(base, seeds, **dict.fromkeys(QUALITIES, level))["survival"]
        for level in CLIFF_LEVELS
    }
    steps = np.diff([survival[level] for level in CLIFF_LEVELS])
    collapse = shares(base, seeds)["collapse"]
    return TargetResult(
        12,
        "no cliff, and a plausible collapse share",
        f"baseline, {runs} runs per level on common seeds (root seed {seed}): all nine "
        f"qualities together at {', '.join(map(str, CLIFF_LEVELS))}; no adjacent step moves "
        f"survival by more than {CLIFF_LIMIT}; at the preset, collapse alone is 15-50%",
        "survival "
        + ", ".join(f"{k}: {v:.3f}" for k, v in survival.items())
        + f"; largest step {np.max(np.abs(steps)):.3f}; collapse at the preset {collapse:.3f}",
        at_most(np.max(np.abs(steps)), CLIFF_LIMIT) and 0.15 <= collapse <= 0.50,
        {"survival": {str(k): v for k, v in survival.items()}, "collapse": collapse},
    )
