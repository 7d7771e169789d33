"""Print the Markdown table of the mechanism constants, from ``sim.parameters.CONSTANTS``.

Usage (from the repository root)::

    python scripts/constants_table.py           # print the table
    python scripts/constants_table.py --write   # replace it in docs/model.md

The table lists every constant in the order of the kernel's constants array, with
its group (the section comment it stands under in ``sim/parameters.py``), what reads
it (its role: the step's mechanisms, the outcome class, or a metric), its default,
allowed range, meaning and source, and how its default was set. ``docs/model.md``
carries this output between its ``BEGIN/END CONSTANTS TABLE`` markers; a test checks
that it is current.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for folder in (ROOT, ROOT / "scripts"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

import doc_tables  # noqa: E402

from sim import parameters as parameters_module  # noqa: E402
from sim.parameters import CONSTANTS  # noqa: E402

SECTION = re.compile(r"^\s*#\s*-+\s*(?P<title>[^-].*?)\s*-+\s*$")
NAME = re.compile(r'^\s*_constant\(\s*"(?P<name>[a-z0-9_]+)"')


def groups() -> dict[str, str]:
    """Each constant's group: the section comment above it in ``sim/parameters.py``."""
    source = Path(parameters_module.__file__).read_text(encoding="utf-8")
    current = ""
    found: dict[str, str] = {}
    for line in source.splitlines():
        section = SECTION.match(line)
        if section:
            current = section.group("title")
            continue
        name = NAME.match(line)
        if name:
            found[name.group("name")] = current
    return found


def number(value: float) -> str:
    """A compact number: whole numbers without a decimal point, others as ``%g``."""
    if float(value).is_integer():
        return str(int(value))
    return f"{value:g}"


def cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return " ".join(text.split()).replace("|", "\\|")


def table() -> str:
    """The Markdown table, one row per constant."""
    by_name = groups()
    lines = [
        "| # | constant | group | read by | default | range | meaning and source | how set |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for index, constant in enumerate(CONSTANTS):
        lines.append(
            f"| {index} | `{constant.name}` | {cell(by_name.get(constant.name, ''))} "
            f"| {constant.role} | {number(constant.default)} "
            f"| [{number(constant.low)}, {number(constant.high)}] "
            f"| {cell(constant.doc)} | {cell(constant.set_by)} |"
        )
    return "\n".join(lines)


BEGIN, END = doc_tables.markers("CONSTANTS", "constants_table.py")


def documented_table(text: str) -> str:
    """The table as it stands between the markers of ``docs/model.md``."""
    return doc_tables.documented(text, BEGIN, END)


def main() -> int:
    return doc_tables.main(table, BEGIN, END, sys.argv[1:])


if __name__ == "__main__":
    raise SystemExit(main())
