"""Print how fragmentation in ``faultlines`` depends on the tie-dissolution constants.

Usage (from the repository root)::

    python scripts/dissolution_sensitivity.py

On the runs of target 14's fragmentation showcase (200 runs, seeds ``ROOT_SEED + 14``)
it prints, for the default and for each dissolution constant moved, the fragmentation
share and survival at relationships and sense-making 0.2 and the fragmentation share at
0.8; then, for the fragmented runs at the default, how many have been split since the
first month, have no live tie between factions, and have one cluster of core values.
docs/model.md (section 5, item 22, and Known limitations) quotes this output. About
4,000 runs, under a minute on one core once the kernel is compiled.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from sim import kernel  # noqa: E402
from sim.experiment.seeds import run_seeds  # noqa: E402
from sim.kernel import layout as L  # noqa: E402
from sim.model.prepare import prepare, resolve_spec  # noqa: E402
from sim.model.summary import summarize  # noqa: E402
from sim.parameters import CONSTANT_DEFAULTS  # noqa: E402
from sim.validation.common import ROOT_SEED  # noqa: E402

SCENARIO = "faultlines"
RUNS = 200
SEED = ROOT_SEED + 14
LOW = {"relationships": 0.2, "sense_making": 0.2}
HIGH = {"relationships": 0.8, "sense_making": 0.8}
SETTINGS: tuple[tuple[str, dict[str, float]], ...] = (
    ("defaults", {}),
    *((f"dissolution_months {m}", {"constants.dissolution_months": m}) for m in (2, 4, 8, 12)),
    *((f"dissolution_value_gap {g}", {"constants.dissolution_value_gap": g}) for g in (0.45, 0.55)),
    *((f"dissolution_trust {t}", {"constants.dissolution_trust": t}) for t in (0.36, 0.44)),
    ("dissolution off (dissolution_trust 0)", {"constants.dissolution_trust": 0.0}),
    ("shocks.rate 0.055 (the first faultlines)", {"shocks.rate": 0.055}),
)


def runs(overrides: dict[str, float], profile: dict[str, float]) -> list[tuple[dict, L.State]]:
    """Each run's summary and final state."""
    spec = resolve_spec(SCENARIO, **profile)
    if overrides:
        spec = spec.with_overrides(overrides, source="dissolution_sensitivity")
    out = []
    for seed in run_seeds(SEED, RUNS):
        run = prepare(spec, int(seed))
        kernel.run(run.state, run.qualities, run.consts, run.generator)
        out.append((summarize(run.state, run.consts, run.seed), run.state))
    return out


def share(results: list[tuple[dict, L.State]], outcome: str) -> float:
    return float(np.mean([summary["outcome"] == outcome for summary, _ in results]))


def split_since_founding(state: L.State) -> bool:
    """The largest mutual-trust component stayed under ``fragmentation_share`` in every month."""
    end = int(state.counters[L.STEP])
    threshold = CONSTANT_DEFAULTS["fragmentation_share"]
    return bool(np.all(state.series[L.S_COMPONENT, 1 : end + 1] < threshold))


def cross_faction_ties(state: L.State, factions: int) -> int:
    live = (state.live == 1) & (state.src % factions != state.dst % factions)
    return int(live.sum())


def main() -> int:
    print(f"{SCENARIO}, {RUNS} runs per cell (seeds ROOT_SEED + 14 = {SEED})\n")
    print("| setting | fragmentation at 0.2 | survival at 0.2 | fragmentation at 0.8 |")
    print("|---|---|---|---|")
    for name, overrides in SETTINGS:
        low, high = runs(overrides, LOW), runs(overrides, HIGH)
        survival = 1.0 - share(low, "collapse")
        print(
            f"| {name} | {share(low, 'fragmentation'):.3f} | {survival:.3f} "
            f"| {share(high, 'fragmentation'):.3f} |",
            flush=True,
        )
    factions = resolve_spec(SCENARIO).alliance.factions
    split = [(s, st) for s, st in runs({}, LOW) if s["outcome"] == "fragmentation"]
    print(f"\nfragmented at the defaults, relationships and sense-making 0.2: {len(split)} runs")
    since = sum(split_since_founding(st) for _, st in split)
    no_cross = sum(cross_faction_ties(st, factions) == 0 for _, st in split)
    one_cluster = sum(s["metrics"]["value_clusters"] == 1 for s, _ in split)
    print(f"  split since the first month: {since}")
    print(f"  no live tie between factions: {no_cross}")
    print(f"  one cluster of core values: {one_cluster}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
