"""Print the table of each quality's effect by mechanism, or write it into ``docs/model.md``.

Usage (from the repository root)::

    python scripts/mechanisms_table.py           # print the table
    python scripts/mechanisms_table.py --write   # replace it in docs/model.md

For each quality, its pre-registered effect (docs/model.md 4.1) from 0.1 to 0.9 with
every mechanism on, with each of its mechanisms switched off in turn
(``constants.switch_NAME = 0``), and with all of them off: 200 pairs per cell on the
first seed set of target 13, about 24,000 runs. ``docs/model.md`` carries this output
between its ``BEGIN/END MECHANISMS TABLE`` markers; a slow test checks that it is current.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for folder in (ROOT, ROOT / "scripts"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

import doc_tables  # noqa: E402

from sim.validation import effects as E  # noqa: E402

BEGIN, END = doc_tables.markers("MECHANISMS", "mechanisms_table.py")
SEED = E.SEED_SETS[0]


def tables() -> str:
    """The table of effects by mechanism."""
    return E.mechanism_markdown(E.mechanism_effects(E.PAIRS, SEED), E.PAIRS, SEED)


def documented_tables(text: str) -> str:
    """The table as it stands between the markers of ``docs/model.md``."""
    return doc_tables.documented(text, BEGIN, END)


def main() -> int:
    return doc_tables.main(tables, BEGIN, END, sys.argv[1:])


if __name__ == "__main__":
    raise SystemExit(main())
