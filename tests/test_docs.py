"""docs/model.md stays true to the code: constants, mechanisms, step order."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

from sim.kernel import schedule as mechanisms
from sim.parameters import CONSTANTS

ROOT = Path(__file__).resolve().parent.parent
DOC = (ROOT / "docs" / "model.md").read_text(encoding="utf-8")


def test_constants_table_in_the_docs_is_current(load_script):
    script = load_script("constants_table")
    assert script.documented_table(DOC) == script.table(), (
        "run: python scripts/constants_table.py --write"
    )


def test_every_constant_is_described():
    for constant in CONSTANTS:
        assert f"`{constant.name}`" in DOC, constant.name


def test_the_step_is_listed_in_the_order_the_code_calls_it():
    source = inspect.getsource(mechanisms.step)
    calls = re.findall(r"^\s+(?:if )?(\w+)\(s, ", source, re.MULTILINE)
    assert len(calls) >= 15
    schedule = DOC[DOC.index("### 1.3") : DOC.index("## 2.")]
    positions = []
    for name in calls:
        assert f"`{name}(" in schedule, name
        positions.append(schedule.index(f"`{name}("))
    assert positions == sorted(positions), "docs/model.md lists the step out of order"
