"""Seed-pinned regression values: a change that alters any run shows up here.

The pins live in ``tests/pins.json``, written by ``scripts/regenerate_pins.py``;
every pinned case is compared bit for bit (its hash, and its floats by ``repr``).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from sim.model.simulation import simulate
from sim.scenario import shipped_scenarios

PINS_FILE = Path(__file__).resolve().parent / "pins.json"
PINS = json.loads(PINS_FILE.read_text(encoding="utf-8"))
HOW = (
    "run `python scripts/regenerate_pins.py` to see which cases changed; if the change "
    "of results is deliberate, re-pin with `python scripts/regenerate_pins.py --write` "
    "and say why in the commit message"
)


@pytest.fixture(scope="module")
def script(load_script):
    """``scripts/regenerate_pins.py``."""
    return load_script("regenerate_pins")


@pytest.mark.parametrize("case_id", sorted(PINS))
def test_pinned_run(script, case_id: str) -> None:
    pin = PINS[case_id]
    result = simulate(pin["scenario"], rng=pin["seed"], record_every=1, **pin["params"])
    metrics = result["metrics"]
    got = {
        "outcome": result["outcome"],
        "lifetime": result["lifetime"],
        "final_members": result["final_members"],
        "crises": metrics["crises"],
        "mean_trust": None if metrics["mean_trust"] is None else repr(metrics["mean_trust"]),
        "mean_performance": None
        if metrics["mean_performance"] is None
        else repr(metrics["mean_performance"]),
        "sha256": script.digest(result),
    }
    pinned = {key: pin[key] for key in got}
    assert got == pinned, f"{case_id}: results changed; {HOW}"


def test_case_list_and_pins_agree(script) -> None:
    cases = {
        case["id"]: {"scenario": case["scenario"], "seed": case["seed"], "params": case["params"]}
        for case in script.cases()
    }
    pinned = {
        case_id: {key: pin[key] for key in ("scenario", "seed", "params")}
        for case_id, pin in PINS.items()
    }
    assert cases == pinned, f"the script's cases and tests/pins.json differ; {HOW}"
    assert set(shipped_scenarios()) <= {case["scenario"] for case in cases.values()}
    assert any(case["params"] for case in cases.values())  # one drawn-parameter case
    assert set(script.FIELDS) | {"sha256", "scenario", "seed", "params"} == {
        key for pin in PINS.values() for key in pin
    }


def test_hash_covers_the_whole_result(script) -> None:
    result = simulate("baseline", rng=1, record_every=1, horizon=12)
    first = script.digest(result)
    assert script.digest(simulate("baseline", rng=1, record_every=1, horizon=12)) == first
    performance = result["series"]["performance"]
    performance[-1] = np.nextafter(performance[-1], np.inf)  # one bit of one month
    assert script.digest(result) != first
    result = simulate("baseline", rng=1, record_every=1, horizon=12)
    result["metrics"]["closures"] += 1
    assert script.digest(result) != first


def test_script_writes_the_pins_and_reports_each_changed_case(script, tmp_path, capsys) -> None:
    path = tmp_path / "pins.json"
    assert script.main(["--write", "--pins", str(path)]) == 0
    assert path.read_text(encoding="utf-8") == PINS_FILE.read_text(encoding="utf-8"), HOW
    assert script.main(["--pins", str(path)]) == 0
    assert "unchanged" in capsys.readouterr().out
    edited = json.loads(path.read_text(encoding="utf-8"))
    edited["baseline@1"]["lifetime"] += 1
    edited["baseline@1"]["mean_trust"] = "0.5"
    del edited["drawn@3"]
    path.write_text(json.dumps(edited), encoding="utf-8")
    assert script.main(["--pins", str(path)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    lifetime = PINS["baseline@1"]["lifetime"]
    assert lines[0].startswith("baseline@1: ")
    assert f"lifetime {lifetime + 1} -> {lifetime}" in lines[0]
    assert f"mean_trust 0.5 -> {PINS['baseline@1']['mean_trust']}" in lines[0]
    assert lines[1].startswith("drawn@3: new case")
