"""The names agree everywhere: kernel codes, reporters, series, displays, parameters.

Every list of names is written once in :mod:`sim.names` and every parameter once in
:mod:`sim.parameters`; these tests check that each place that uses them (the
kernel's codes, the Mesa reporters, the demo's and the figures' tables, the scenario
dataclasses, the baseline file, the model's keywords) agrees with them. They also
hold two structural rules: functions short enough to read at once, and a light
``import sim``.
"""

from __future__ import annotations

import ast
import inspect
import json
import re
import subprocess
import sys
import tomllib
from dataclasses import fields
from pathlib import Path

import numpy as np
import pytest

from sim.kernel import layout as L
from sim.names import (
    FAILURE,
    LEADERSHIP_KEYS,
    OUTCOME_LABELS,
    OUTCOMES,
    PHASES,
    QUALITIES,
    SERIES,
    SHOCK_KINDS,
    SUCCESS,
)
from sim.parameters import BY_KEY, KEYWORDS, SCENARIO_PARAMETERS
from sim.scenario import DEFAULT_MIX

ROOT = Path(__file__).resolve().parent.parent
SIM = ROOT / "sim"
MAX_FUNCTION_LINES = 60

SERIES_CODES = {
    "performance": "S_PERFORMANCE",
    "mean_trust": "S_MEAN_TRUST",
    "active_members": "S_ACTIVE",
    "mean_awareness": "S_AWARENESS",
    "ambition_shift": "S_AMBITION_SHIFT",
    "effort_split": "S_EFFORT",
    "phase": "S_PHASE",
    "shocks": "S_SHOCKS",
    "mean_capacity": "S_CAPACITY",
    "demand": "S_DEMAND",
    "perceived_demand": "S_PERCEIVED",
    "buffer": "S_BUFFER",
    "mean_reach": "S_REACH",
    "ambition": "S_AMBITION",
    "aspiration": "S_ASPIRATION",
    "search": "S_SEARCH",
    "largest_component": "S_COMPONENT",
}
"""Each series and the name of its row in :mod:`sim.kernel.layout`."""


# ----------------------------------------------------------------------------------------
# The names themselves
# ----------------------------------------------------------------------------------------


def test_name_lists_are_unique_and_partition_the_outcomes():
    for names in (QUALITIES, LEADERSHIP_KEYS, SHOCK_KINDS, PHASES, OUTCOMES, SERIES):
        assert len(set(names)) == len(names), names
    assert LEADERSHIP_KEYS == (*QUALITIES, "concentration")
    assert len(QUALITIES) == 9
    assert set(SUCCESS).isdisjoint(FAILURE)
    assert set(SUCCESS) | set(FAILURE) == set(OUTCOMES)


# ----------------------------------------------------------------------------------------
# The kernel's codes
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "names", [LEADERSHIP_KEYS, SHOCK_KINDS, PHASES, OUTCOMES], ids=["q", "kinds", "phases", "out"]
)
def test_kernel_codes_are_the_positions_of_the_names(names):
    for position, name in enumerate(names):
        assert getattr(L, name.upper()) == position, name


def test_kernel_series_rows_are_the_positions_of_the_series():
    assert list(SERIES_CODES) == list(SERIES)
    rows = {name: getattr(L, code) for name, code in SERIES_CODES.items()}
    assert rows == {name: position for position, name in enumerate(SERIES)}
    declared = {name for name in vars(L) if name.startswith("S_")}
    assert declared == set(SERIES_CODES.values())  # no row without a series
    assert L.N_SERIES == len(SERIES)


def largest_mutual_trust_component(s, consts) -> float:
    """Share of active members in the largest component of mutual-trust ties (networkx)."""
    import networkx as nx

    from sim.parameters import constant_index

    threshold = consts[constant_index("mutual_trust_threshold")]
    graph = nx.Graph()
    graph.add_nodes_from(np.flatnonzero(s.active).tolist())
    for e in np.flatnonzero(s.live):
        if s.trust[e] > threshold and s.trust[s.rev[e]] > threshold:
            graph.add_edge(int(s.src[e]), int(s.dst[e]))
    return max(len(c) for c in nx.connected_components(graph)) / graph.number_of_nodes()


def test_series_rows_hold_what_their_names_say():
    """Each month, every recorded series is the state's quantity of that name."""
    from sim import kernel
    from sim.model.prepare import prepare, resolve_spec, series_dict

    run = prepare(resolve_spec("repeated-crises", horizon=60), 5)
    s = run.state
    phases, shocks = set(), 0
    while kernel.step(s, run.qualities, run.consts, run.generator):
        row = {name: values[-1] for name, values in series_dict(s).items()}
        active = s.active.astype(bool)
        live = s.live.astype(bool)
        ambition = np.hypot(
            s.alliance[L.AMBITION_CORE] - s.alliance[L.AMBITION_CORE_0],
            s.alliance[L.AMBITION_STRATEGY] - s.alliance[L.AMBITION_STRATEGY_0],
        )
        expected = {
            "step": s.counters[L.STEP],
            "performance": s.alliance[L.PERFORMANCE],
            "mean_trust": s.trust[live].mean(),
            "active_members": active.sum(),
            "mean_awareness": s.awareness[active].mean(),
            "ambition_shift": ambition,
            "effort_split": s.alliance[L.EFFORT_SPLIT],
            "phase": s.counters[L.PHASE],
            "shocks": s.counters[L.SHOCKS_NOW],
            "mean_capacity": s.capacity[active].mean(),
            "demand": s.alliance[L.THETA],
            "perceived_demand": s.alliance[L.THETA_HAT],
            "buffer": s.alliance[L.BUFFER],
            "mean_reach": s.alliance[L.MEAN_REACH],
            "ambition": s.alliance[L.AMBITION_STRATEGY],
            "aspiration": s.alliance[L.ASPIRATION],
            "search": s.alliance[L.SEARCH],
            "largest_component": largest_mutual_trust_component(s, run.consts),
        }
        assert list(expected) == ["step", *SERIES]
        for name, value in expected.items():
            assert row[name] == pytest.approx(value, rel=1e-12, abs=1e-15), (name, row["step"])
        phases.add(PHASES[int(row["phase"])])
        shocks += int(row["shocks"])
    assert shocks > 0 and "crisis" in phases  # the months compared include crises


# ----------------------------------------------------------------------------------------
# The Mesa face and the series dict
# ----------------------------------------------------------------------------------------


def test_model_reporters_and_datacollector_columns_are_the_series():
    from sim.model.model import MODEL_REPORTERS, AllianceModel

    assert list(MODEL_REPORTERS) == list(SERIES)
    model = AllianceModel(rng=2, horizon=12)
    for _ in range(3):
        model.step()
    frame = model.datacollector.get_model_vars_dataframe()
    assert list(frame.columns) == list(SERIES)
    assert len(frame) == 4
    assert set(frame["phase"]) <= set(PHASES)


def test_series_dict_has_a_step_and_every_series():
    from sim.model.prepare import prepare, resolve_spec, series_dict

    run = prepare(resolve_spec("baseline", horizon=6), 1)
    series = series_dict(run.state)
    assert list(series) == ["step", *SERIES]
    assert series["step"].tolist() == [0]


def test_outcomes_of_summaries_are_named_outcomes(run_model):
    from sim.model.simulation import simulate
    from sim.scenario import shipped_scenarios

    seen = set()
    for name in sorted(shipped_scenarios()):
        for seed in range(6):
            summary = simulate(name, rng=seed)
            assert summary["outcome"] in OUTCOMES
            assert {crisis["kind"] for crisis in summary["crises"]} <= set(SHOCK_KINDS)
            seen.add(summary["outcome"])
    assert len(seen) >= 3
    assert run_model("baseline", 1, horizon=24).summary()["outcome"] in OUTCOMES


# ----------------------------------------------------------------------------------------
# Displays: figures and the demo
# ----------------------------------------------------------------------------------------


def test_figure_and_demo_tables_are_keyed_by_the_names():
    from sim.app.theme import CRISIS_KINDS, OUTCOME_TEXT, PHASE_STYLE, QUALITY_TEXT
    from sim.figures.style import OUTCOME_COLOURS

    assert list(OUTCOME_COLOURS) == list(OUTCOMES)
    assert len(set(OUTCOME_COLOURS.values())) == len(OUTCOMES)
    assert list(OUTCOME_TEXT) == list(OUTCOMES)
    assert list(PHASE_STYLE) == list(PHASES)
    assert list(CRISIS_KINDS) == list(SHOCK_KINDS)
    assert list(QUALITY_TEXT) == list(LEADERSHIP_KEYS)
    for key, (label, _) in QUALITY_TEXT.items():
        assert label == BY_KEY[f"leadership.{key}"].display
    assert list(OUTCOME_LABELS) == list(OUTCOMES)


def test_every_measure_the_report_shows_has_a_label_and_a_unit():
    from sim.analysis import CRISIS_METRICS, TRANSFORMATION_METRICS
    from sim.figures.labels import MEASURES
    from sim.figures.report import SENSITIVITY_OUTCOMES, TRAJECTORY_SERIES
    from sim.names import METRICS

    shown = {*CRISIS_METRICS, *TRANSFORMATION_METRICS, *SENSITIVITY_OUTCOMES, *TRAJECTORY_SERIES}
    assert shown <= set(MEASURES)
    assert all(MEASURES[name].unit for name in shown)
    run_columns = {"outcome", "survived", "lifetime", *METRICS, *SERIES, *CRISIS_METRICS}
    assert set(MEASURES) <= run_columns  # keyed by the names the store's columns have


# ----------------------------------------------------------------------------------------
# The parameter table against the scenario, the baseline file and the model
# ----------------------------------------------------------------------------------------


def test_parameter_table_covers_exactly_the_scenario_fields():
    from sim.scenario import AllianceSpec, LeadershipSpec, ShockSpec

    expected = {"horizon", "shocks.rate"}
    expected |= {f"alliance.{f.name}" for f in fields(AllianceSpec)}
    expected |= {f"leadership.{f.name}" for f in fields(LeadershipSpec)}
    assert {p.key for p in SCENARIO_PARAMETERS} == expected
    assert len(SCENARIO_PARAMETERS) == len(expected)
    assert {f.name for f in fields(LeadershipSpec)} == set(LEADERSHIP_KEYS)
    for spec, section in ((AllianceSpec(), "alliance"), (LeadershipSpec(), "leadership")):
        for f in fields(spec):
            assert getattr(spec, f.name) == BY_KEY[f"{section}.{f.name}"].default, f.name
    assert ShockSpec().rate == BY_KEY["shocks.rate"].default


def test_baseline_file_holds_the_table_defaults():
    data = tomllib.loads((ROOT / "scenarios" / "baseline.toml").read_text(encoding="utf-8"))
    set_keys = {}
    if "horizon" in data:
        set_keys["horizon"] = data["horizon"]
    for section in ("alliance", "leadership", "shocks"):
        for name, value in data.get(section, {}).items():
            if isinstance(value, int | float) and not isinstance(value, bool):
                set_keys[f"{section}.{name}"] = value
    assert set_keys, "baseline.toml sets no scenario key"
    assert set(set_keys) <= set(BY_KEY)
    for key, value in set_keys.items():
        assert value == BY_KEY[key].default, f"baseline.toml: {key} = {value}"
    assert set(data["leadership"]) == set(LEADERSHIP_KEYS)
    assert data["shocks"]["mix"] == dict(DEFAULT_MIX), "baseline.toml: shocks.mix"


def test_model_keywords_are_the_table_keywords_and_documented():
    from sim.model.model import AllianceModel

    parameters = dict(inspect.signature(AllianceModel.__init__).parameters)
    del parameters["self"]
    assert set(parameters) == set(KEYWORDS) | {"preset", "rng", "scenario"}
    assert all(p.kind is p.KEYWORD_ONLY for p in parameters.values())
    doc = AllianceModel.__doc__ or ""
    assert "{keywords}" not in doc
    for keyword in parameters:
        assert re.search(rf"^\s+{keyword}: \S", doc, re.MULTILINE), keyword
    for parameter in SCENARIO_PARAMETERS:
        assert f"``{parameter.key}``" in doc, parameter.key
        assert KEYWORDS[parameter.keyword] == parameter.key


def test_scenario_fields_are_the_table_keywords_with_their_defaults():
    from sim.model.model import AllianceScenario

    defaults = dict(AllianceScenario._scenario_defaults)
    assert defaults.pop("preset") == "baseline"
    assert defaults == {keyword: BY_KEY[key].default for keyword, key in KEYWORDS.items()}
    assert all(type(v) is int for k, v in defaults.items() if BY_KEY[KEYWORDS[k]].integer)


def test_version_agrees_with_the_citation_file():
    import sim

    citation = (ROOT / "CITATION.cff").read_text(encoding="utf-8")
    versions = re.findall(r"^version:\s*['\"]?([^'\"\s]+)", citation, re.MULTILINE)
    assert versions == [sim.__version__]


# ----------------------------------------------------------------------------------------
# Structure: short functions, a light import
# ----------------------------------------------------------------------------------------


def _function_lengths(path: Path) -> list[tuple[int, str, int]]:
    """``(length, name, line)`` of each function in a file, without its docstring."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        length = node.end_lineno - node.lineno + 1
        first = node.body[0]
        if (
            isinstance(first, ast.Expr)
            and isinstance(first.value, ast.Constant)
            and isinstance(first.value.value, str)
        ):
            length -= first.end_lineno - first.lineno + 1
        found.append((length, node.name, node.lineno))
    return found


def test_function_lengths_are_measured_without_docstrings(tmp_path):
    body = "\n".join(f"    x{i} = {i}" for i in range(5))
    source = f'def f():\n    """One\n\n    two.\n    """\n{body}\n\n\ndef g():\n    return 1\n'
    (tmp_path / "m.py").write_text(source)
    assert sorted(_function_lengths(tmp_path / "m.py")) == [(2, "g", 13), (6, "f", 1)]


def test_no_function_under_sim_is_longer_than_sixty_lines():
    offenders = [
        f"{path.relative_to(ROOT)}:{line} {name} ({length} lines)"
        for path in sorted(SIM.rglob("*.py"))
        for length, name, line in _function_lengths(path)
        if length > MAX_FUNCTION_LINES
    ]
    assert not offenders, "functions longer than 60 lines: " + "; ".join(offenders)


HEAVY = ("numba", "pandas", "pyarrow", "scipy", "mesa")


@pytest.mark.parametrize(
    "module", ["sim", "sim.errors", "sim.sweeps.runner", "sim.sweeps.determinism"]
)
def test_import_loads_no_heavy_package(module):
    code = (
        f"import json, sys, {module}; "
        f"print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r}))))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [], f"import {module} loads {done.stdout.strip()}"


def test_the_heavy_package_check_can_see_a_heavy_import():
    code = "import json, sys, sim; sim.simulate; print(json.dumps('numba' in sys.modules))"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert json.loads(done.stdout) is True, done.stderr
