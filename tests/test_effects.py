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
from sim.model.prepare import resolve_spec
from sim.model.simulation import simulate
from sim.names import LEADERSHIP_KEYS
from sim.parameters import MECHANISM_SWITCHES
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


@pytest.mark.parametrize("quality", list(E.PREREGISTERED))
def test_a_quality_with_its_mechanisms_switched_off_changes_nothing(quality):
    """With every switch of a quality at 0 the kernel never reads the quality: runs at
    0.1 and at 0.9 are identical (there is no path the switches do not cover)."""
    scenario, _ = E.PREREGISTERED[quality]
    off = resolve_spec(scenario).with_overrides(E.switched_off(E.switches_of(quality)), "off")
    for seed in (1, 2):
        low = simulate(off, rng=seed, record_every=1, **{quality: 0.1})
        high = simulate(off, rng=seed, record_every=1, **{quality: 0.9})
        assert low["lifetime"] == high["lifetime"] and low["outcome"] == high["outcome"]
        for name, series in low["series"].items():
            np.testing.assert_array_equal(series, high["series"][name], err_msg=name)


def test_switches_on_are_the_default_model():
    spec = resolve_spec("baseline")
    on = spec.with_overrides({f"constants.switch_{n}": 1.0 for n, _, _ in MECHANISM_SWITCHES}, "on")
    assert simulate(on, rng=3) == simulate(spec, rng=3)


def test_mechanism_markdown_by_hand():
    names = E.switches_of("reflection")
    row = {"all on": 0.2, **dict.fromkeys(names, 0.1), "all off": 0.0}
    table = E.mechanism_markdown({"reflection": row}, 7, 11)
    assert "7 pairs (root seed 11)" in table
    assert "| `reflection` | repeated-crises: survival | +0.200 | `familiar_loss` +0.100" in table
    assert table.endswith("| +0.000 |")


@pytest.mark.slow
def test_mechanisms_table_in_the_docs_is_current(load_script):
    script = load_script("mechanisms_table")
    documented = script.documented_tables(DOC.read_text(encoding="utf-8"))
    assert documented == script.tables(), "run: python scripts/mechanisms_table.py --write"
