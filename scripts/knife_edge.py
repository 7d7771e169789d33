"""Print how far one mechanism constant moved 10% either way moves baseline outcomes.

Usage (from the repository root)::

    python scripts/knife_edge.py NAME [PAIRS] [SEED ...]

Target 11's measurement for a single constant on more pairs: for each root seed (default
target 11's own), PAIRS paired baseline runs (default 2,000) at the constant's default and
at each shifted value (:func:`sim.validation.robustness.shifted_values`), and the change
of survival and of every class share. docs/model.md (Known limitations) quotes it for
``performance_need``; about ten seconds per seed at 2,000 pairs.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sim.experiment.seeds import run_seeds  # noqa: E402
from sim.model.prepare import resolve_spec  # noqa: E402
from sim.parameters import CONSTANTS_BY_NAME  # noqa: E402
from sim.validation.robustness import shares, shifted_values, target_knife_edges  # noqa: E402
from sim.validation.targets import default_seed  # noqa: E402


def moves(name: str, pairs: int, seed: int) -> dict[float, dict[str, float]]:
    """Per shifted value of constant ``name``: survival and each class share's change."""
    parameter = CONSTANTS_BY_NAME[name]
    seeds = run_seeds(seed, pairs)
    base = resolve_spec("baseline")
    reference = shares(base, seeds)
    found = {}
    for value in shifted_values(parameter):
        shifted = shares(base.with_overrides({parameter.key: value}, "knife_edge"), seeds)
        found[value] = {k: shifted[k] - reference[k] for k in reference}
    return found


USAGE = "usage: python scripts/knife_edge.py NAME [PAIRS] [SEED ...]"


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in CONSTANTS_BY_NAME:
        print(f"{USAGE}: NAME is a constant's name (docs/model.md, section 6)", file=sys.stderr)
        return 2
    name = argv[0]
    try:
        pairs = int(argv[1]) if len(argv) > 1 else 2000
        seeds = [int(s) for s in argv[2:]] or [default_seed(target_knife_edges)]
    except ValueError:
        print(f"{USAGE}: PAIRS and SEED are whole numbers", file=sys.stderr)
        return 2
    if pairs < 1:
        print(f"{USAGE}: PAIRS must be at least 1", file=sys.stderr)
        return 2
    for seed in seeds:
        for value, change in moves(name, pairs, seed).items():
            largest = max(change, key=lambda k: abs(change[k]))
            print(
                f"seed {seed}, {pairs} pairs, {name}={value:g}: survival "
                f"{change['survival']:+.3f}; largest move {largest} {change[largest]:+.3f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
