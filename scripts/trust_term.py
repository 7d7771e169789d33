"""Print how often the exit rule's trust term acts in the baseline.

Usage (from the repository root)::

    python scripts/trust_term.py [RUNS] [TRUST_NEED]

Steps RUNS baseline runs (default 100, seeds ``ROOT_SEED``) month by month and counts the
member-months in which a member's mean trust in its partners lies below ``trust_need``
(default: the constant's default), and the mean trust term ``(need - mean trust) / need``
in those months. docs/model.md (Known limitations) quotes this output; about ten seconds.
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
from sim.model.prepare import prepare, resolve_spec  # noqa: E402
from sim.parameters import CONSTANT_DEFAULTS  # noqa: E402
from sim.validation.common import ROOT_SEED  # noqa: E402


def member_months_below(runs: int, need: float) -> tuple[int, int, float]:
    """(member-months below ``need``, all member-months, mean trust term when below)."""
    spec = resolve_spec("baseline").with_overrides(
        {"constants.trust_need": need}, source="trust_term"
    )
    below = total = 0
    terms = []
    for seed in run_seeds(ROOT_SEED, runs):
        run = prepare(spec, int(seed))
        s = run.state
        while kernel.step(s, run.qualities, run.consts, run.generator):
            for i in np.flatnonzero(s.active == 1):
                ties = slice(s.first[i], s.first[i + 1])
                trust = s.trust[ties][s.live[ties] == 1].sum()
                mean = trust / s.degree[i] if s.degree[i] > 0 else 0.0
                total += 1
                if mean < need:
                    below += 1
                    terms.append((need - mean) / need)
    return below, total, float(np.mean(terms)) if terms else 0.0


def main(argv: list[str]) -> int:
    runs = int(argv[0]) if argv else 100
    need = float(argv[1]) if len(argv) > 1 else CONSTANT_DEFAULTS["trust_need"]
    below, total, term = member_months_below(runs, need)
    print(
        f"trust_need {need}: {below} of {total:,} member-months below ({below / total:.1%}) "
        f"in {runs} baseline runs; mean trust term when below {term:.3f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
