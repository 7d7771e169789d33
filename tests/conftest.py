"""Shared fixtures of the test suite.

Everything shared is a fixture (no test module imports another), so the suite works
under any of pytest's import modes:

- ``validation_results``: the calibration targets, run once per session (slow);
- ``write_toml``: writes a TOML text into the test's ``tmp_path``;
- ``read_tables``: a store's runs, crises and time series, sorted and comparable;
- ``assert_same_stores``: two stores hold identical results (timings aside);
- ``run_model``: an ``AllianceModel`` stepped to its end as a Mesa user steps it;
- ``load_script``: a script of ``scripts/`` loaded as a module;
- ``model_parameters``: the hypothesis strategy of valid model keyword parameters
  (draw from it with ``st.data()``).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import strategies as st

from sim.names import QUALITIES

ROOT = Path(__file__).resolve().parent.parent

STORE_KEYS: dict[str, list[str]] = {
    "runs": ["run_id"],
    "crises": ["run_id", "episode"],
    "timeseries": ["run_id", "step"],
}
"""The key columns of a store's tables (each table's rows are unique on them)."""


@pytest.fixture(scope="session")
def validation_results():
    """The calibration targets by number, run once (about 90,000 simulations)."""
    from sim.validation.targets import validate

    return {result.number: result for result in validate()}


@pytest.fixture
def write_toml(tmp_path: Path) -> Callable[..., Path]:
    """``write_toml(text, name="exp.toml")``: the text written to ``tmp_path / name``."""

    def write(text: str, name: str = "exp.toml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write


def _read_tables(path: Path) -> dict[str, Any]:
    from sim.store import read_table

    out = {}
    for table, key in STORE_KEYS.items():
        frame = read_table(path, table).to_pandas()
        if len(frame):
            frame = frame.drop(columns=["duration_s"], errors="ignore")
            frame = frame.sort_values(key).reset_index(drop=True)
            assert not frame.duplicated(key).any(), f"{path}: repeated rows in {table}"
        out[table] = frame
    return out


@pytest.fixture(scope="session")
def read_tables() -> Callable[[Path], dict[str, Any]]:
    """``read_tables(store)``: table name -> frame sorted by its keys, without timings.

    Asserts that no table holds a key twice.
    """
    return _read_tables


def _assert_same_stores(a: Path, b: Path) -> None:
    import pandas as pd

    left, right = _read_tables(a), _read_tables(b)
    for table in STORE_KEYS:
        pd.testing.assert_frame_equal(left[table], right[table], check_exact=True, obj=table)


@pytest.fixture(scope="session")
def assert_same_stores() -> Callable[[Path, Path], None]:
    """``assert_same_stores(a, b)``: the two stores hold identical runs, crises and series."""
    return _assert_same_stores


def _run_model(preset: Any, seed: int, **params: Any) -> Any:
    from sim.model.model import AllianceModel

    model = AllianceModel(preset=preset, rng=seed, **params)
    while model.running:
        model.step()
    return model


@pytest.fixture(scope="session")
def run_model() -> Callable[..., Any]:
    """``run_model(preset, seed, **params)``: an AllianceModel stepped to its end."""
    return _run_model


def _load_script(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    assert spec is not None and spec.loader is not None, name
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def load_script() -> Callable[[str], ModuleType]:
    """``load_script("regenerate_pins")``: ``scripts/regenerate_pins.py`` as a module."""
    return _load_script


UNIT = st.floats(0.0, 1.0, allow_nan=False)


@st.composite
def _parameter_sets(draw: st.DrawFn) -> dict[str, Any]:
    members = draw(st.integers(3, 40))
    params: dict[str, Any] = {name: draw(UNIT) for name in QUALITIES}
    params.update(
        concentration=draw(UNIT),
        members=members,
        factions=draw(st.integers(1, members)),
        value_distance=draw(UNIT),
        mean_degree=draw(st.floats(1.0, 12.0)),
        cross_faction_share=draw(UNIT),
        shock_rate=draw(st.floats(0.0, 0.5)),
        horizon=draw(st.integers(1, 60)),
    )
    return params


@pytest.fixture(scope="session")
def model_parameters() -> st.SearchStrategy[dict[str, Any]]:
    """Valid model keyword parameters: members 3..40, factions 1..members, qualities,
    concentration, value distance and cross-faction share in [0, 1], mean degree 1..12,
    shock rate 0..0.5, horizon 1..60 months.
    """
    return _parameter_sets()
