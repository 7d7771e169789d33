"""Set the exit constants: the calibration procedure of :mod:`sim.validation.calibration`.

Usage (from the repository root)::

    python scripts/calibrate.py           # run the grid, print every point and the choice
    python scripts/calibrate.py --check   # also exit 1 if the choice differs from the defaults
    python scripts/calibrate.py --json    # every point and the choice as one JSON object

It takes about five minutes on one core (20 grid points; 400 runs per evaluation of the
failure share, 1,000 per level of leadership for the cliff).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sim.validation import calibration as cal  # noqa: E402


def line(point: cal.GridPoint) -> str:
    """One grid point as a row of the printed table."""
    mark = "" if point.admissible else "  (lifetime outside the range)"
    return (
        f"exit_rate {point.exit_rate:<5g} blame_base {point.blame_base:<5g} "
        f"-> exit_tolerance {point.exit_tolerance:.3f}: failure {point.failure_share:.3f}, "
        f"median collapse lifetime {point.median_lifetime:.0f} months, "
        f"largest step {point.largest_step:.3f}{mark}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 unless the defaults match")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    progress = None if args.json else (lambda p: print(line(p), flush=True))
    points, chosen = cal.calibrate(progress=progress)
    defaults = cal.defaults()
    matches = chosen.constants() == defaults
    if args.json:
        print(
            json.dumps(
                {
                    "points": [p.to_dict() for p in points],
                    "chosen": chosen.to_dict(),
                    "defaults": defaults,
                    "matches_defaults": matches,
                },
                indent=2,
            )
        )
    else:
        print(f"\nchosen: {chosen.constants()} ({time.perf_counter() - started:.0f} s)")
        print("the defaults match" if matches else f"the defaults differ: {defaults}")
    return 1 if args.check and not matches else 0


if __name__ == "__main__":
    sys.exit(main())
