"""What each leadership parameter does to outcomes: paired runs at 0.1 and at 0.9.

For each scenario and each of the ten leadership parameters (the nine qualities and
``concentration``), the runs at the parameter's low and high level share their seeds
(the same crises, the same founding), the other parameters staying at the scenario's
values. The change is reported for survival and for each outcome class's share, with
a two-sided exact McNemar test on the paired indicators, Holm-adjusted over the ten
parameters within each scenario and measure. ``alliance-sim effects`` prints it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy import stats

from sim.analysis.survival import holm
from sim.experiment.seeds import run_seeds
from sim.model.prepare import resolve_spec
from sim.model.simulation import simulate
from sim.names import LEADERSHIP_KEYS, OUTCOMES
from sim.parameters import MECHANISM_SWITCHES
from sim.scenario import ScenarioSpec
from sim.validation.common import ALPHA, ROOT_SEED, TargetResult, at_least, mcnemar_greater

LEVELS: tuple[float, float] = (0.1, 0.9)
"""The low and the high level of each parameter."""
PAIRS = 200
"""Paired runs per parameter and scenario (the default)."""
SEED = ROOT_SEED + 100
"""Root seed of the effects' runs (the default)."""
MEASURES: tuple[str, ...] = ("survival", *OUTCOMES)
"""Survival, then each class's share."""


@dataclass(frozen=True)
class Effect:
    """The change of one measure when one parameter goes from its low to its high level."""

    scenario: str
    parameter: str
    measure: str
    pairs: int
    low: float
    high: float
    change: float
    p: float
    p_holm: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)


def mcnemar_two_sided(low: np.ndarray, high: np.ndarray) -> float:
    """Two-sided exact McNemar p-value of paired booleans (1 when no pair differs)."""
    up = int(np.sum(high & ~low))
    down = int(np.sum(low & ~high))
    if up + down == 0:
        return 1.0
    return float(stats.binomtest(up, up + down, 0.5, "two-sided").pvalue)


def indicators(outcomes: Sequence[str], survived: Sequence[bool]) -> dict[str, np.ndarray]:
    """Each measure as a boolean per run: survival, and membership of each class."""
    classes = np.asarray(outcomes)
    found = {"survival": np.asarray(survived, dtype=bool)}
    found.update({name: classes == name for name in OUTCOMES})
    return found


def run_indicators(spec: ScenarioSpec, seeds: Iterable[int], **params: Any) -> dict[str, Any]:
    """Each measure's indicator over runs of ``spec`` (with ``params``) on ``seeds``."""
    summaries = [simulate(spec, rng=seed, **params) for seed in seeds]
    return indicators([s["outcome"] for s in summaries], [s["survived"] for s in summaries])


def _runs(scenario: str, seeds: Iterable[int], parameter: str, level: float) -> dict[str, Any]:
    setting: dict[str, Any] = {parameter: level}
    return run_indicators(resolve_spec(scenario), seeds, **setting)


def scenario_effects(scenario: str, pairs: int = PAIRS, seed: int = SEED) -> list[Effect]:
    """The effects of the ten parameters in one scenario (``20 * pairs`` runs)."""
    seeds = run_seeds(seed, pairs)
    raw: dict[tuple[str, str], tuple[float, float, float]] = {}
    for parameter in LEADERSHIP_KEYS:
        low = _runs(scenario, seeds, parameter, LEVELS[0])
        high = _runs(scenario, seeds, parameter, LEVELS[1])
        for measure in MEASURES:
            a, b = low[measure], high[measure]
            raw[parameter, measure] = (float(a.mean()), float(b.mean()), mcnemar_two_sided(a, b))
    effects = []
    for measure in MEASURES:
        adjusted = holm([raw[parameter, measure][2] for parameter in LEADERSHIP_KEYS])
        for parameter, p_holm in zip(LEADERSHIP_KEYS, adjusted, strict=True):
            low_share, high_share, p = raw[parameter, measure]
            effects.append(
                Effect(scenario, parameter, measure, pairs, low_share, high_share,
                       high_share - low_share, p, float(p_holm))
            )  # fmt: skip
    return effects


def effects(
    scenarios: Sequence[str],
    pairs: int = PAIRS,
    seed: int = SEED,
    progress: Callable[[str], None] | None = None,
) -> list[Effect]:
    """The effects in each scenario, in order; ``progress`` is told each scenario done."""
    found = []
    for scenario in scenarios:
        found.extend(scenario_effects(scenario, pairs, seed))
        if progress is not None:
            progress(scenario)
    return found


def heading(scenario: str, pairs: int, seed: int) -> str:
    """The line above a scenario's table: what was compared, on how many pairs."""
    return (
        f"**{scenario}**: change from {LEVELS[0]} to {LEVELS[1]}, {pairs} pairs "
        f"(root seed {seed}); * = Holm-adjusted p < 0.05"
    )


def markdown(found: Sequence[Effect], scenario: str) -> str:
    """One scenario's effects as a Markdown table: a row per parameter, a column per
    measure, each cell the change from 0.1 to 0.9 (``*`` when Holm-adjusted p < 0.05)."""
    cells = {(e.parameter, e.measure): e for e in found if e.scenario == scenario}
    header = "| parameter | " + " | ".join(MEASURES) + " |"
    lines = [header, "|---|" + "---|" * len(MEASURES)]
    for parameter in LEADERSHIP_KEYS:
        row = []
        for measure in MEASURES:
            effect = cells[parameter, measure]
            row.append(f"{effect.change:+.3f}{'*' if effect.p_holm < 0.05 else ''}")
        lines.append(f"| `{parameter}` | " + " | ".join(row) + " |")
    return "\n".join(lines)


PREREGISTERED: dict[str, tuple[str, str]] = {
    "sense_making": ("funding-cut", "survival"),
    "questioning_patterns": ("regime-shift", "transformation"),
    "global_view": ("regime-shift", "transformation"),
    "analytical_view": ("scandal", "survival"),
    "relationships": ("scandal", "survival"),
    "resilience_building": ("funding-cut", "survival"),
    "change_awareness": ("regime-shift", "transformation"),
    "paradox_navigation": ("faultlines", "survival"),
    "reflection": ("repeated-crises", "survival"),
}
"""Where the article locates each quality's effect: scenario and measure (raising the
quality raises the measure), written down before the effect was measured there
(``docs/model.md`` 4.1)."""
EFFECT_MIN = 0.05
"""The smallest pre-registered effect from 0.1 to 0.9 that counts."""
SEED_SETS: tuple[int, int] = (ROOT_SEED + 13, ROOT_SEED + 113)
"""Two independent root seeds: each quality's effect must show on both."""


def preregistered_effects(pairs: int, seed: int) -> dict[str, dict[str, float]]:
    """Each quality's pre-registered effect on one seed set: the change from 0.1 to 0.9,
    a one-sided exact McNemar p (raising helps), and the Holm-adjusted p over the nine."""
    seeds = run_seeds(seed, pairs)
    found = {}
    for quality, (scenario, measure) in PREREGISTERED.items():
        low = _runs(scenario, seeds, quality, LEVELS[0])[measure]
        high = _runs(scenario, seeds, quality, LEVELS[1])[measure]
        found[quality] = {"change": float(high.mean() - low.mean()),
                          "p": mcnemar_greater(high, low)}  # fmt: skip
    adjusted = holm([found[quality]["p"] for quality in PREREGISTERED])
    for quality, p_holm in zip(PREREGISTERED, adjusted, strict=True):
        found[quality]["p_holm"] = float(p_holm)
    return found


def target_every_quality(pairs: int = 200, seed: int = SEED_SETS[0]) -> TargetResult:
    """Target 13: every quality shows its pre-registered effect, on two seed sets
    (``seed`` and, as in :data:`SEED_SETS`, ``seed + 100``)."""
    seed_sets = (seed, seed + SEED_SETS[1] - SEED_SETS[0])
    sets = {s: preregistered_effects(pairs, s) for s in seed_sets}

    def holds(effect: dict[str, float]) -> bool:
        return at_least(effect["change"], EFFECT_MIN) and effect["p_holm"] < ALPHA

    failing = [f"{q} (seed {s})" for s, found in sets.items() for q, e in found.items()
               if not holds(e)]  # fmt: skip
    first = run_seeds(seed_sets[0], pairs)
    off = {q: preregistered_change(q, first, switches_of(q)) for q in PREREGISTERED}
    failing += [f"{q} (switched off: {change:+.3f})" for q, change in off.items() if change != 0]
    return TargetResult(
        13,
        "every quality acts where the article puts it",
        f"for each quality its pre-registered scenario and measure (docs/model.md 4.1), "
        f"0.1 vs 0.9 with the others at the scenario's values, {pairs} pairs on each of the "
        f"root seeds {' and '.join(map(str, seed_sets))}: a rise of >= {EFFECT_MIN} with "
        f"one-sided exact McNemar p < {ALPHA} after Holm's adjustment over the nine; with "
        f"all of the quality's mechanisms switched off, no change (seed {seed_sets[0]})",
        "; ".join(
            f"{q} {PREREGISTERED[q][0]} {PREREGISTERED[q][1]} "
            + "/".join(f"{sets[s][q]['change']:+.3f}" for s in seed_sets)
            for q in PREREGISTERED
        )
        + "; switched off: "
        + ("no change for all nine" if not any(off.values()) else "a change remains")
        + (f"; not met: {', '.join(failing)}" if failing else ""),
        not failing,
        {**{str(seed): found for seed, found in sets.items()}, "switched_off": off},
    )


def switches_of(quality: str) -> tuple[str, ...]:
    """The names of a quality's mechanism switches, in the table's order."""
    return tuple(name for name, owner, _ in MECHANISM_SWITCHES if owner == quality)


def switched_off(names: Iterable[str]) -> dict[str, float]:
    """Overrides that switch the named mechanisms off."""
    return {f"constants.switch_{name}": 0.0 for name in names}


def preregistered_change(quality: str, seeds: Sequence[int], off: Iterable[str] = ()) -> float:
    """A quality's pre-registered effect (0.1 to 0.9) with the mechanisms ``off`` switched off."""
    scenario, measure = PREREGISTERED[quality]
    spec = resolve_spec(scenario).with_overrides(switched_off(off), "mechanism switches")
    low, high = (run_indicators(spec, seeds, **{quality: level})[measure] for level in LEVELS)
    return float(high.mean() - low.mean())


def mechanism_effects(pairs: int = PAIRS, seed: int = SEED) -> dict[str, dict[str, float]]:
    """For each quality, its pre-registered effect with every mechanism on (``"all on"``),
    with each one mechanism off (by its switch's name), and with all of them off."""
    seeds = run_seeds(seed, pairs)
    found = {}
    for quality in PREREGISTERED:
        names = switches_of(quality)
        row = {"all on": preregistered_change(quality, seeds)}
        row.update({name: preregistered_change(quality, seeds, (name,)) for name in names})
        row["all off"] = preregistered_change(quality, seeds, names)
        found[quality] = row
    return found


def mechanism_markdown(found: dict[str, dict[str, float]], pairs: int, seed: int) -> str:
    """The mechanism effects as Markdown: a row per quality, its effect with all mechanisms
    on, with each one off, and with all off."""
    lines = [
        f"Pre-registered effect from {LEVELS[0]} to {LEVELS[1]}, {pairs} pairs (root seed "
        f"{seed}), with each mechanism switched off in turn:",
        "",
        "| quality | scenario: measure | all on | one mechanism off | all off |",
        "|---|---|---|---|---|",
    ]
    for quality, row in found.items():
        scenario, measure = PREREGISTERED[quality]
        each = ", ".join(f"`{name}` {row[name]:+.3f}" for name in switches_of(quality))
        lines.append(
            f"| `{quality}` | {scenario}: {measure} | {row['all on']:+.3f} | {each} "
            f"| {row['all off']:+.3f} |"
        )
    return "\n".join(lines)
