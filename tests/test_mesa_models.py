"""Any Mesa model sweeps as it ships: Scenario-style and keyword models, the determinism
check, runs without outcomes, stable column types, model modules beside the experiment."""

from __future__ import annotations

import multiprocessing
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from sim.cli import main
from sim.experiment import load_experiment, resolve_model
from sim.store import PartTable, load, read_table
from sim.sweeps.run import sweep

HERE = Path(__file__).resolve().parent
MODELS = HERE / "sweep_models.py"
LIGHT = HERE / "light_models.py"
EXAMPLES = "mesa.examples"

SCENARIO_MODELS: dict[str, tuple[str, str, dict[str, Any], int]] = {
    "boltzmann": (
        f"{EXAMPLES}.basic.boltzmann_wealth_model.model:BoltzmannWealth",
        "BoltzmannScenario",
        {"n": [10, 20], "width": 5, "height": 5},
        5,
    ),
    "schelling": (
        f"{EXAMPLES}.basic.schelling.model:Schelling",
        "SchellingScenario",
        {"density": [0.5, 0.8], "width": 8, "height": 8},
        4,
    ),
    "wolf_sheep": (
        f"{EXAMPLES}.advanced.wolf_sheep.model:WolfSheep",
        "WolfSheepScenario",
        {"initial_sheep": [10, 20], "initial_wolves": 4, "width": 8, "height": 8},
        4,
    ),
    "epstein": (
        f"{EXAMPLES}.advanced.epstein_civil_violence.model:EpsteinCivilViolence",
        "EpsteinScenario",
        {"legitimacy": [0.6, 0.9], "width": 8, "height": 8},
        3,
    ),
}
"""Mesa 3.5's Scenario-style examples: model, Scenario class, parameters, horizon.
(``width`` and ``height`` are constructor keywords of EpsteinCivilViolence, scenario
fields of the others.)"""


def _toml(model: str, parameters: dict[str, Any], horizon: int, replications: int = 2) -> str:
    lines = [f'model = "{model}"', f"horizon = {horizon}", f"replications = {replications}"]
    lines.append("[parameters]")
    lines += [f"{name} = {value!r}".replace("'", '"') for name, value in parameters.items()]
    return "\n".join(lines) + "\n"


def _stepped(model: Any, horizon: int) -> dict[str, Any]:
    """A model stepped as the sweep steps it; its last collected values."""
    steps = 0
    while model.running and steps < horizon:
        model.step()
        steps += 1
    return {name: values[-1] for name, values in model.datacollector.model_vars.items()}


def _built(name: str, seed: int, params: dict[str, Any]) -> Any:
    """The example built directly, ``Model(scenario=XScenario(rng=seed, ...))``."""
    ref, scenario_name, _, _ = SCENARIO_MODELS[name]
    cls = resolve_model(ref)
    scenario = getattr(sys.modules[cls.__module__], scenario_name)
    keywords = {k: params.pop(k) for k in ("width", "height")} if name == "epstein" else {}
    return cls(scenario=scenario(rng=seed, **params), **keywords)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("name", list(SCENARIO_MODELS))
def test_shipped_scenario_models_sweep_run_for_run_as_built_directly(name, tmp_path, write_toml):
    ref, _, parameters, horizon = SCENARIO_MODELS[name]
    out = tmp_path / "store"
    result = sweep(write_toml(_toml(ref, parameters, horizon)), out=out, executor="serial")
    assert result.complete and result.done == 4
    runs = load(out).runs
    for row in runs.to_dict("records"):
        params = {k: row[k] for k in parameters}
        expected = _stepped(_built(name, int(row["seed"]), params), horizon)
        assert {k: row[k] for k in expected} == expected, row["run_id"]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # Sugarscape: the mean of no prices
def test_a_keyword_example_equals_batch_run_on_the_same_seeds(tmp_path, write_toml):
    from mesa.batchrunner import batch_run

    ref = f"{EXAMPLES}.advanced.sugarscape_g1mt.model:SugarscapeG1mt"
    text = _toml(ref, {"initial_population": [20, 40]}, 3)
    out = tmp_path / "store"
    assert sweep(write_toml(text), out=out, executor="serial").complete
    runs = load(out).runs
    seeds = sorted(set(runs["seed"].tolist()))
    method = multiprocessing.get_start_method()
    try:
        rows = batch_run(
            resolve_model(ref), {"initial_population": [20, 40]}, rng=seeds, max_steps=3,
            display_progress=False,
        )  # fmt: skip
    finally:
        multiprocessing.set_start_method(method, force=True)  # batch_run sets "spawn"
    by_run = {row["RunId"]: row for row in rows}  # one row per agent: the model's are alike
    assert len(by_run) == len(runs) == 4
    for row in by_run.values():
        match = (runs["seed"] == row["rng"]) & (
            runs["initial_population"] == row["initial_population"]
        )
        stored = runs[match].iloc[0]
        for column in ("#Traders", "Trade Volume", "Price"):
            assert stored[column] == row[column] or (row[column] != row[column]), column
            assert (stored[column] != stored[column]) == (row[column] != row[column]), column
        assert stored["steps"] == row["Step"]


def test_an_unseeded_model_stops_the_sweep_before_anything_is_written(tmp_path, write_toml, capsys):
    ref = f"{EXAMPLES}.basic.virus_on_network.model:VirusOnNetwork"
    path = write_toml(_toml(ref, {"num_nodes": [30, 40]}, 10, replications=3))
    out = tmp_path / "store"
    assert main(["sweep", str(path), "--out", str(out), "--no-progress"]) == 1
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Traceback" not in err
    assert "draws randomness outside its rng" in err and "--no-determinism-check" in err
    assert not out.exists()
    assert main(["sweep", str(path), "--out", str(out), "--no-determinism-check"]) == 0


def test_the_check_sees_pythons_global_random_in_a_model_of_ours(tmp_path, write_toml, capsys):
    path = write_toml(_toml(f"{MODELS}:Unseeded", {"bound": [5.0]}, 3))
    assert main(["sweep", str(path), "--out", str(tmp_path / "store"), "--no-progress"]) == 1
    assert "outcome 'position' was" in capsys.readouterr().err


@pytest.mark.parametrize(
    "model, parameters",
    [
        (f"{EXAMPLES}.basic.conways_game_of_life.model:ConwaysGameOfLife", {"width": [5, 6]}),
        (f"{EXAMPLES}.advanced.alliance_formation.model:MultiLevelAllianceModel", {"n": [4, 5]}),
        (f"{LIGHT}:silent", {"x": [1, 2]}),
    ],
)
def test_a_run_without_outcomes_is_a_failed_run(model, parameters, tmp_path, write_toml):
    out = tmp_path / "store"
    result = sweep(write_toml(_toml(model, parameters, 1)), out=out, determinism_check=False)
    assert result.failed == 4 and result.done == 0 and not result.complete
    errors = set(load(out).runs["error"])
    assert len(errors) == 1
    assert errors.pop() in (
        "NoOutcome: no summary(), no DataCollector, or nothing collected",
        "NoOutcome: the model returned no outcome",
    )


def test_integer_outcomes_stay_integers_beside_floats_and_failed_runs(tmp_path, write_toml):
    out = tmp_path / "store"
    text = _toml(f"{MODELS}:Counts", {"x": [1, 2, 3]}, 4)
    result = sweep(write_toml(text), out=out, executor="serial", determinism_check=False)
    assert result.done == 4 and result.failed == 2
    schema = read_table(out, "runs").schema
    assert str(schema.field("count").type) == "int64"
    assert str(schema.field("steps").type) == "int64"
    assert str(schema.field("level").type) == "double"
    results = load(out)
    assert str(results.runs["steps"].dtype) == "Int64"
    assert str(results.ok["steps"].dtype) == "int64" and (results.ok["steps"] == 4).all()
    assert str(results.ok["count"].dtype) == "int64"


def test_a_column_keeps_the_type_of_its_first_values(tmp_path):
    table = PartTable(tmp_path / "t", head=[])
    table.write({"n": [1, 2], "empty": [None, None]}, "part-1.parquet")
    table.write({"n": [3.0, 4.0], "empty": [5, 6]}, "part-2.parquet")
    assert table.schema is not None
    assert str(table.schema.field("n").type) == "int64"
    assert str(table.schema.field("empty").type) == "int64"
    table.write({"n": [2.5], "empty": [7]}, "part-3.parquet")
    assert str(table.schema.field("n").type) == "double"
    assert sorted(read_table(tmp_path, "t").column("n").to_pylist()) == [1, 2, 2.5, 3, 4]


def test_workers_load_only_what_the_run_needs(tmp_path, write_toml):
    out = tmp_path / "store"
    text = _toml(f"{LIGHT}:loaded", {"x": [1.0, 2.0]}, 1)
    assert sweep(write_toml(text), out=out, executor="processes", workers=2).complete
    assert set(load(out).runs["heavy"]) == {""}


def _command() -> str:
    return str(Path(sys.executable).with_name("alliance-sim"))


def test_a_model_module_beside_the_experiment_or_in_the_cwd_is_found(tmp_path):
    folder, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    folder.mkdir()
    elsewhere.mkdir()
    (folder / "my_models.py").write_text(MODELS.read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "exp.toml").write_text(_toml("my_models:Walker", {"bound": [1.0, 2.0]}, 5))
    beside = [_command(), "sweep", str(folder / "exp.toml"), "--out", str(tmp_path / "a")]
    done = subprocess.run(beside, cwd=elsewhere, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    (elsewhere / "exp.toml").write_text(_toml("my_models:Walker", {"bound": [1.0, 2.0]}, 5))
    in_cwd = [_command(), "sweep", str(elsewhere / "exp.toml"), "--out", str(tmp_path / "b")]
    done = subprocess.run(in_cwd, cwd=folder, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


AMBIGUOUS = """
import mesa
from mesa.experimental.scenarios import Scenario


class Small(Scenario):
    size: int = 2


class Large(Scenario):
    size: int = 9


class Grid(mesa.Model):
    def __init__(self, scenario=None):
        super().__init__(scenario=scenario)
        self.size = scenario.size
        self.datacollector = mesa.DataCollector(model_reporters={"cells": "size"})
        self.datacollector.collect(self)
"""


@pytest.mark.parametrize(
    "model, parameters, message",
    [
        (
            f"{MODELS}:NoSeed",
            {"size": [1, 2]},
            "model: .*NoSeed takes neither 'scenario' nor 'rng', so a sweep cannot seed it; "
            "add an rng keyword passed on to super",
        ),
        (
            f"{EXAMPLES}.basic.schelling.model:Schelling",
            {"densty": [0.5]},
            "parameters.densty: .*SchellingScenario has no such field \\(its fields: density",
        ),
        ("ambiguous.py:Grid", {"size": [1]}, "model: .*any of Small, Large; name one with"),
    ],
)
def test_a_model_a_sweep_cannot_call_is_one_line_naming_file_and_key(
    model, parameters, message, tmp_path, write_toml, capsys
):
    (tmp_path / "ambiguous.py").write_text(AMBIGUOUS, encoding="utf-8")
    path = write_toml(_toml(model, parameters, 2))
    assert main(["sweep", str(path), "--out", str(tmp_path / "store")]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and err.startswith(f"error: {path}: ")
    assert __import__("re").search(message, err), err
    assert not (tmp_path / "store").exists()


def test_a_named_scenario_class_picks_among_several(tmp_path, write_toml):
    (tmp_path / "ambiguous.py").write_text(AMBIGUOUS, encoding="utf-8")
    text = _toml("ambiguous.py:Grid", {"size": [1, 3]}, 1, replications=1)
    path = write_toml('scenario = "ambiguous.py:Large"\n' + text)
    assert load_experiment(path).scenario == "ambiguous.py:Large"
    out = tmp_path / "store"
    assert sweep(path, out=out, executor="serial").complete
    assert sorted(load(out).runs["cells"]) == [1, 3]
