"""Print the effects tables (each leadership parameter from 0.1 to 0.9, every shipped
scenario), or write them into ``docs/model.md``.

Usage (from the repository root)::

    python scripts/effects_table.py           # print the tables
    python scripts/effects_table.py --write   # replace them in docs/model.md

The tables are ``alliance-sim effects`` with its defaults (200 pairs per parameter and
scenario, the default root seed): about 28,000 runs, half a minute. ``docs/model.md``
carries this output between its ``BEGIN/END EFFECTS TABLE`` markers; a slow test checks
that it is current.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for folder in (ROOT, ROOT / "scripts"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

import doc_tables  # noqa: E402

from sim.scenario import shipped_scenarios  # noqa: E402
from sim.validation import effects as E  # noqa: E402

BEGIN, END = doc_tables.markers("EFFECTS", "effects_table.py")


def tables() -> str:
    """Every shipped scenario's effects table, each under its heading."""
    scenarios = sorted(shipped_scenarios())
    found = E.effects(scenarios, E.PAIRS, E.SEED)
    parts = [
        f"{E.heading(name, E.PAIRS, E.SEED)}\n\n{E.markdown(found, name)}" for name in scenarios
    ]
    return "\n\n".join(parts)


def documented_tables(text: str) -> str:
    """The tables as they stand between the markers of ``docs/model.md``."""
    return doc_tables.documented(text, BEGIN, END)


def main() -> int:
    return doc_tables.main(tables, BEGIN, END, sys.argv[1:])


if __name__ == "__main__":
    raise SystemExit(main())
