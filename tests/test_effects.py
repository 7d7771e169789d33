"""``alliance-sim effects``: paired runs at 0.1 and 0.9 per leadership parameter.

The quick tests recompute a few pairs by hand from ``simulate``; the slow test checks
that the tables in ``docs/model.md`` are what ``scripts/effects_table.py`` writes.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from sim import cli
from sim.experiment.seeds import run_seeds
from sim.model.simulation import simulate
from sim.names import LEADERSHIP_KEYS
from sim.validation import effects as E

DOC = Path(__file__).resolve().parent.parent / "docs" / "model.md"


def test_an_effect_is_the_paired_change_of_its_measure():
    pairs, seed = 6, 3
    found = E.scenario_effects("scandal", pairs, seed)
    assert len(found) == len(LEADERSHIP_KEYS) * len(E.MEASURES)
    seeds = run_seeds(seed, pairs)
    low = [simulate("scandal", rng=s, reflection=0.1) for s in seeds]
    high = [simulate("scandal", rng=s, reflection=0.9) for s in seeds]
    survival = next(e for e in found if e.parameter == "reflection" and e.measure == "survival")
    assert survival.low == np.mean([r["survived"] for r in low])
    assert survival.change == pytest.approx(survival.high - survival.low)
    recovery = next(e for e in found if e.parameter == "reflection" and e.measure == "recovery")
    assert recovery.high == np.mean([r["outcome"] == "recovery" for r in high])
    for measure in E.MEASURES:  # Holm: adjusted p at least the raw p, at most 1
        family = [e for e in found if e.measure == measure]
        assert all(e.p <= e.p_holm <= 1 for e in family)


def test_mcnemar_two_sided_by_hand():
    low = np.array([False] * 5 + [True] * 3)
    high = np.array([True] * 5 + [True] * 3)
    assert E.mcnemar_two_sided(low, high) == pytest.approx(2 * 0.5**5)  # 5 of 5 discordant up
    assert E.mcnemar_two_sided(low, low) == 1.0


def test_markdown_marks_adjusted_significance():
    effect = E.Effect("s", "relationships", "survival", 10, 0.1, 0.6, 0.5, 0.001, 0.01)
    rows = [
        E.Effect("s", p, m, 10, 0.2, 0.2, 0.0, 1.0, 1.0)
        for p in LEADERSHIP_KEYS
        for m in E.MEASURES
        if (p, m) != ("relationships", "survival")
    ]
    table = E.markdown([effect, *rows], "s")
    assert "| `relationships` | +0.500* | +0.000 |" in table
    assert len(table.splitlines()) == 2 + len(LEADERSHIP_KEYS)


def test_effects_command_prints_json_rows(capsys):
    assert cli.main(["effects", "--scenario", "baseline", "--pairs", "3", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == len(LEADERSHIP_KEYS) * len(E.MEASURES)
    assert {row["scenario"] for row in rows} == {"baseline"} and rows[0]["pairs"] == 3


@pytest.mark.slow
def test_effects_tables_in_the_docs_are_current(load_script):
    script = load_script("effects_table")
    documented = script.documented_tables(DOC.read_text(encoding="utf-8"))
    assert documented == script.tables(), "run: python scripts/effects_table.py --write"


def test_the_docs_preregistration_is_the_code_s():
    """docs/model.md 4.1 and ``PREREGISTERED`` name the same scenario and measure."""
    import re

    text = DOC.read_text(encoding="utf-8")
    section = text[text.index("### 4.1") : text.index("### 4.2")]
    rows = re.findall(r"\| `(\w+)` \| [^|]* \| `([\w-]+)` \| ([\w ]+?) \| \+ \|", section)
    documented = {q: (scenario, measure.replace(" share", "")) for q, scenario, measure in rows}
    assert documented == E.PREREGISTERED
