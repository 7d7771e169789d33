"""Scenario discovery (``discover``): PRIM finds a known box; the command's JSON, files,
``--box`` and bad input; the condition; the chosen box's rule; quasi-p-values."""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import shutil
import subprocess
import sys
import time
import warnings
import xml.etree.ElementTree as ET
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sim.analysis.discovery import RULE, cases_of_interest, choose, discover
from sim.cli import main
from sim.errors import InputError
from sim.experiment import load_experiment
from sim.figures.discovery import discovery_folder, where_slug
from sim.store import Results, clear_store, load
from sim.sweeps.run import sweep

ROOT = Path(__file__).resolve().parent.parent
LIGHT = Path(__file__).resolve().parent / "light_models.py"
FILES = {"trajectory.csv", "box.json", "trajectory.svg", "trajectory.png", "box.svg", "box.png"}


def _light_models() -> ModuleType:
    """``light_models.py``, loaded by path as the sweep loads it."""
    spec = importlib.util.spec_from_file_location("light_models_for_discover", LIGHT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


MODELS = _light_models()


@pytest.fixture(scope="module")
def boxed_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store of ``light_models.boxed`` over 1000 LHS points in five uniform inputs."""
    folder = tmp_path_factory.mktemp("discover")
    inputs = "\n".join(f"x{i} = {{ min = 0.0, max = 1.0 }}" for i in range(1, 6))
    experiment = folder / "boxed.toml"
    experiment.write_text(
        f'name = "boxed"\nmodel = "{LIGHT}:boxed"\nreplications = 1\nseed = 3\n'
        f'[design]\nmethod = "lhs"\nsamples = 1000\n[parameters]\n{inputs}\n',
        encoding="utf-8",
    )
    store = folder / "store"
    sweep(load_experiment(experiment), out=store, executor="serial", progress=False,
          determinism_check=False)  # fmt: skip
    return store


def test_the_first_box_is_the_known_box(boxed_store: Path) -> None:
    found = discover(boxed_store, "inside")
    box = found.box
    assert box is not None and found.chosen == box.index and not found.picked
    assert box.coverage > 0.9 and box.density > 0.9
    limits = box.limits.set_index("parameter")
    assert set(limits.index) == set(MODELS.BOX)
    for name, (low, high) in MODELS.BOX.items():
        assert abs(limits.loc[name, "min"] - low) <= 0.05, name
        assert abs(limits.loc[name, "max"] - high) <= 0.05, name
    assert found.parameters == ["x1", "x2", "x3", "x4", "x5"]


def test_failed_runs_are_left_out_and_counted(boxed_store: Path) -> None:
    runs = load(boxed_store).runs
    failed = int((runs["status"] != "ok").sum())
    assert failed == int((runs["x5"] > MODELS.BOXED_FAILS_ABOVE).sum()) > 0
    found = discover(boxed_store, "inside")
    assert (found.failed, found.runs) == (failed, len(runs) - failed)
    assert found.trajectory["runs"].iloc[0] == found.runs
    assert found.cases == int(runs.loc[runs["status"] == "ok", "inside"].sum())


def test_trajectory_statistics_agree_with_the_box_limits(boxed_store: Path) -> None:
    found = discover(boxed_store, "inside")
    traj = found.trajectory
    assert list(traj.columns) == [
        "box", "coverage", "density", "mass", "restricted_dims", "runs", "cases",
    ]  # fmt: skip
    assert traj["box"].tolist() == list(range(len(traj)))
    assert (traj.iloc[0][["coverage", "mass"]] == 1.0).all()
    assert np.allclose(traj["density"], traj["cases"] / traj["runs"])
    assert np.allclose(traj["coverage"], traj["cases"] / found.cases)
    ok = load(boxed_store).ok
    box = found.select(len(traj) // 2)
    inside = np.ones(len(ok), dtype=bool)
    for row in box.limits.itertuples():
        inside &= ((ok[row.parameter] >= row.min) & (ok[row.parameter] <= row.max)).to_numpy()
    assert (inside.sum(), ok.loc[inside, "inside"].sum()) == (box.runs, box.cases)


def test_quasi_p_values_are_the_one_sided_binomial_test(boxed_store: Path) -> None:
    found = discover(boxed_store, "inside")
    box = found.select(found.chosen or 0)
    ok = load(boxed_store).ok
    for row in box.limits.itertuples():
        others = box.limits[box.limits["parameter"] != row.parameter]
        wider = np.ones(len(ok), dtype=bool)
        for other in others.itertuples():
            values = ok[other.parameter]
            wider &= ((values >= other.min) & (values <= other.max)).to_numpy()
        share = ok.loc[wider, "inside"].mean()
        test = stats.binomtest(box.cases, box.runs, share, alternative="greater")
        assert row.qp_value == pytest.approx(test.pvalue, rel=1e-6, abs=1e-300)
    assert (box.limits["qp_value"] < 1e-6).all()  # every restriction of the known box matters


def test_quasi_p_values_are_ema_workbenchs_for_a_restriction_at_one_end(
    boxed_store: Path,
) -> None:
    from ema_workbench.analysis import prim  # the discover extra, as the test extra has it

    found = discover(boxed_store, "inside")
    box = found.box
    assert box is not None
    ok = load(boxed_store).ok.reset_index(drop=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ema = prim.Prim(ok[found.parameters], ok["inside"].to_numpy()).find_box()
    assert len(ema.box_lims) == len(found.trajectory)
    one_end = 0
    for row in box.limits.itertuples():
        lower, upper = ema.p_values[box.index][row.parameter]  # -1: that end is not restricted
        if (lower == -1) != (upper == -1):
            one_end += 1
            assert row.qp_value == pytest.approx(max(lower, upper), rel=1e-9, abs=1e-300)
    assert one_end >= 1  # x3: only its lower end is restricted


def test_text_true_false_and_integer_parameters_are_peeled_by_their_values(tmp_path) -> None:
    rng = np.random.default_rng(5)
    n = 1200
    runs = pd.DataFrame(
        {
            "run_id": [f"r{i}" for i in range(n)],
            "a": rng.uniform(size=n),
            "k": rng.integers(1, 11, n),
            "flag": rng.random(n) < 0.5,
            "kind": pd.Series(rng.choice(["u", "v", "w"], n), dtype="str"),
        }
    )
    design = runs.copy()
    runs = runs.assign(status="ok")
    runs["hit"] = (runs["a"] < 0.6) & (runs["k"] >= 4) & runs["flag"] & (runs["kind"] != "w")
    found = discover(Results(tmp_path, {}, design, runs), "hit")
    assert found.box is not None and found.box.coverage > 0.9 and found.box.density > 0.9
    limits = found.to_json()["limits"]
    assert limits["flag"] == [True] and limits["kind"] == ["u", "v"]
    assert limits["k"] == [4, 10] and all(isinstance(v, int) for v in limits["k"])
    assert abs(limits["a"][1] - 0.6) <= 0.05
    inside = (runs["a"] >= limits["a"][0]) & (runs["a"] <= limits["a"][1])
    inside &= runs["k"].between(*limits["k"]) & runs["flag"] & runs["kind"].isin(limits["kind"])
    assert (int(inside.sum()), int(runs.loc[inside, "hit"].sum())) == (
        found.box.runs, found.box.cases,
    )  # fmt: skip


def test_the_rule_picks_the_largest_coverage_times_density_above_the_threshold() -> None:
    traj = pd.DataFrame(
        {
            "box": [0, 1, 2, 3, 4],
            "coverage": [1.0, 0.95, 0.9, 0.9, 0.5],
            "density": [0.3, 0.85, 0.9, 0.9, 1.0],
            "restricted_dims": [0, 2, 3, 2, 4],
        }
    )
    assert choose(traj, 0.8) == 3  # 0.81 twice: the fewer restricted parameters
    assert choose(traj, 0.95) == 4
    assert choose(traj, 0.2) == 3  # the whole space (0.3) scores below box 3
    assert choose(traj.iloc[:1], 0.8) is None


def test_the_condition_is_checked() -> None:
    runs = pd.DataFrame(
        {"outcome": ["collapse", "recovery"], "lifetime": [10, 180], "a.b": [0.1, 0.9]}
    )
    assert cases_of_interest(runs, "outcome == 'collapse' and lifetime < 60").tolist() == [
        True, False,
    ]  # fmt: skip
    assert cases_of_interest(runs, "`a.b` > 0.5").tolist() == [False, True]
    nullable = runs.assign(n=pd.array([1, None], dtype="Int64"))
    assert cases_of_interest(nullable, "n > 0").tolist() == [True, False]
    problems = {
        "lifetim < 60": "names an unknown column 'lifetim'",
        "a.b > 0.5": "a name with dots goes in backticks",
        "outcome ==": "does not parse",
        "lifetime": "is not boolean (it gives int64 values",
        "x = lifetime < 60": "is not a condition on each run",
        "lifetime > 'a'": "cannot be evaluated",
    }
    for where, problem in problems.items():
        with pytest.raises(InputError, match=r"^--where: ") as err:
            cases_of_interest(runs, where)
        assert problem in str(err.value) and "\n" not in str(err.value), where


def test_each_condition_has_its_own_folder() -> None:
    assert where_slug("outcome == 'collapse'").startswith("outcome-eq-collapse-")
    assert where_slug("lifetime < 60") != where_slug("lifetime > 60")
    assert where_slug("lifetime < 60") == where_slug("lifetime  <  60")
    assert discovery_folder("results/x", "a").parent == Path("results/x/discover")


def _discover(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["discover", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_json_is_one_object_with_the_box_and_the_trajectory(
    boxed_store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    code, text, _ = _discover(capsys, str(boxed_store), "--where", "inside", "--json",
                              "--out", str(out))  # fmt: skip
    assert code == 0
    payload = json.loads(text)
    found = discover(boxed_store, "inside")
    assert payload["box"] == found.chosen and payload["rule"] == RULE
    assert payload["coverage"] == pytest.approx(found.box.coverage)
    assert payload["density"] == pytest.approx(found.box.density)
    assert set(payload["limits"]) == set(MODELS.BOX) == set(payload["qp_values"])
    assert all(len(limit) == 2 and limit[0] < limit[1] for limit in payload["limits"].values())
    assert (payload["runs"], payload["cases"], payload["failed"]) == (
        found.runs, found.cases, found.failed,
    )  # fmt: skip
    assert len(payload["trajectory"]) == len(found.trajectory)
    assert set(payload["trajectory"][0]) == set(found.trajectory.columns)
    assert payload["out"] == str(out) and {p.name for p in out.iterdir()} == FILES


def test_box_k_chooses_another_box(
    boxed_store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, text, _ = _discover(capsys, str(boxed_store), "--where", "inside", "--box", "3",
                              "--json", "--out", str(tmp_path))  # fmt: skip
    payload = json.loads(text)
    row = payload["trajectory"][3]
    assert code == 0 and payload["box"] == 3 and payload["rule"] == "asked for (--box)"
    assert (payload["coverage"], payload["density"]) == (row["coverage"], row["density"])
    assert len(payload["limits"]) == row["restricted_dims"]
    assert json.loads((tmp_path / "box.json").read_text())["box"] == 3


def test_the_files_go_into_the_store_beside_its_tables(
    boxed_store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = sorted(p.relative_to(boxed_store) for p in boxed_store.rglob("*"))
    code, text, _ = _discover(capsys, str(boxed_store), "--where", "inside")
    folder = discovery_folder(boxed_store, "inside")
    assert code == 0 and f"to {folder} (" in text
    assert "chosen box" in text and "qp-value" in text and "failed, left out" in text
    assert {p.name for p in folder.iterdir()} == FILES
    after = sorted(p.relative_to(boxed_store) for p in boxed_store.rglob("*"))
    assert [p for p in after if p.parts[0] != "discover"] == before  # the store's own files
    trajectory = pd.read_csv(folder / "trajectory.csv")
    assert trajectory["box"].tolist() == list(range(len(trajectory)))
    assert json.loads((folder / "box.json").read_text())["where"] == "inside"
    for name in ("trajectory", "box"):
        assert ET.parse(folder / f"{name}.svg").getroot().tag.endswith("svg")
        assert (folder / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_store_a_sweep_is_writing_is_read_and_written_without_disturbing_it(
    tmp_path: Path, write_toml, assert_same_stores, capsys: pytest.CaptureFixture[str]
) -> None:
    text = f'name = "gated"\nmodel = "{LIGHT}:gated"\nreplications = 8\nseed = 7\n'
    path = write_toml(text + "[parameters]\nx = [1.0, 2.0, 3.0, 4.0, 5.0]\n")
    out = tmp_path / "store"
    options = {"executor": "serial", "progress": False, "determinism_check": False}
    sweep(load_experiment(path), out=out, shard="1/2", **options)
    first = len(load(out).ok)
    gate = tmp_path / "gate"  # the second shard's runs wait while it exists
    gate.touch()
    argv = [sys.executable, "-m", "sim", "sweep", str(path), "--out", str(out), "--shard",
            "2/2", "--executor", "serial", "--no-progress", "--no-determinism-check"]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SWEEP_TEST_GATE": str(gate)}
    second = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not (out / ".lock-2of2").is_file() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert main(["discover", str(out), "--where", "x >= 4", "--json"]) == 0
        payload = json.loads(capsys.readouterr().out)
        assert (payload["runs"], payload["pending"]) == (first, 40 - first)
        low, high = payload["limits"]["x"]  # a peel falls between two values: 3.5
        assert payload["density"] == 1.0 and 3 < low <= 4 and high == 5
    finally:
        gate.unlink()
        assert second.wait(60) == 0
    whole = tmp_path / "whole"
    sweep(load_experiment(path), out=whole, **options)
    assert_same_stores(whole, out)
    assert (Path(payload["out"]) / "box.json").is_file()


def test_force_clears_a_stores_discoveries(boxed_store: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(boxed_store, copy)
    assert main(["discover", str(copy), "--where", "inside", "--json"]) == 0
    assert (copy / "discover").is_dir()
    clear_store(copy)
    assert not (copy / "discover").exists()


def test_no_box_dense_enough_exits_1_without_a_box(
    boxed_store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    noise = "(x1 * 1000) % 2 < 1"  # no box holds these runs
    code, text, _ = _discover(capsys, str(boxed_store), "--where", noise, "--threshold", "0.99",
                              "--out", str(tmp_path))  # fmt: skip
    assert code == 1 and "no box reaches density 0.99" in text
    assert json.loads((tmp_path / "box.json").read_text())["box"] is None
    assert not (tmp_path / "box.svg").exists() and (tmp_path / "trajectory.svg").exists()


BAD = [
    (["--where", "lifetim < 60"], "--where: lifetim < 60: names an unknown column 'lifetim'"),
    (["--where", "inside =="], "--where: inside ==: does not parse"),
    (["--where", "x1"], "--where: x1: is not boolean"),
    (["--where", "x1 > 2"], "--where: x1 > 2: is true for no run"),
    (["--where", "x1 >= 0"], "--where: x1 >= 0: is true for every run"),
    (["--where", "inside", "--box", "999"], "--box: 999: the trajectory has boxes 0 to"),
    (["--where", "inside", "--threshold", "0"], "--threshold: 0.0 is not in (0, 1]"),
    (["--where", "inside", "--peel-alpha", "0.7"], "--peel-alpha: 0.7 is not in (0, 0.5)"),
]


@pytest.mark.parametrize(("args", "needle"), BAD)
def test_bad_input_exits_2_with_one_line_and_writes_nothing(
    boxed_store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], args, needle
) -> None:
    out = tmp_path / "out"
    code, text, err = _discover(capsys, str(boxed_store), *args, "--out", str(out))
    assert code == 2 and text == ""
    assert err.startswith(f"error: {needle}") and err.count("\n") == 1, err
    assert not out.exists()


HIDE_EMA_WORKBENCH = """\
import sys


class Hide:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] == "ema_workbench":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)


sys.meta_path.insert(0, Hide())
"""
"""Code that makes EMA Workbench as missing as when it is not installed."""


def test_without_the_extra_one_line_names_the_install(boxed_store: Path, tmp_path: Path) -> None:
    code = HIDE_EMA_WORKBENCH + "from sim.cli import main\nsys.exit(main())\n"
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-c", code, "discover", str(boxed_store), "--where", "inside",
         "--out", str(out)],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr == (
        "error: alliance-sim discover: needs the 'discover' extra (ema_workbench is not "
        "installed): pip install 'alliance-sim[discover]'\n"
    )
    assert not out.exists()


def test_import_of_the_analysis_loads_neither_ema_workbench_nor_matplotlib() -> None:
    code = (
        "import json, sys, sim.analysis as a; before = sorted({'ema_workbench', 'matplotlib'} & "
        "{m.split('.')[0] for m in sys.modules}); a.discover; "
        "print(json.dumps([before, 'sim.analysis.discovery' in sys.modules, "
        "'ema_workbench' in sys.modules]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert json.loads(done.stdout) == [[], True, False], done.stderr


def test_the_command_prints_no_warning_and_leaves_warnings_and_logging_as_they_were(
    boxed_store: Path, tmp_path: Path
) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "sim", "discover", str(boxed_store), "--where", "inside",
         "--json", "--out", str(tmp_path / "out")],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert done.returncode == 0 and done.stderr == ""
    assert json.loads(done.stdout)["box"] is not None
    filters, root = list(warnings.filters), logging.getLogger()
    handlers, level = list(root.handlers), root.level
    discover(boxed_store, "inside")
    assert (list(warnings.filters), list(root.handlers), root.level) == (filters, handlers, level)
