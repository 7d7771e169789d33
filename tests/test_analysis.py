"""Analysis, figures and the report, on small synthetic results stores.

The stores here follow the sweep's layout (manifest.json, design.parquet,
sample.parquet, runs/, crises/, timeseries/) and are written directly, so these
tests need no simulation.
"""

from __future__ import annotations

import json
import math
import warnings
import xml.etree.ElementTree as ET
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from scipy import stats

from sim import analysis
from sim.analysis import SensitivityError, SensitivityWarning
from sim.figures import plots, style
from sim.figures.report import export_csv, write_report
from sim.names import OUTCOME_LABELS

matplotlib.use("Agg")

Z = 1.959963984540054  # the 97.5% normal quantile

# ----------------------------------------------------------------------------------------
# Synthetic stores
# ----------------------------------------------------------------------------------------


def write_store(
    folder: Path,
    design: pd.DataFrame,
    runs: pd.DataFrame,
    *,
    method: str = "grid",
    problem: dict | None = None,
    sample: pd.DataFrame | None = None,
    crises: pd.DataFrame | None = None,
    timeseries: pd.DataFrame | None = None,
    second_order: bool = False,
    num_levels: int = 4,
    horizon: int = 60,
    name: str = "synthetic",
) -> Path:
    """Write a results store in the sweep's layout."""
    folder.mkdir(parents=True, exist_ok=True)
    content = f'name = "{name}"\ndescription = "A synthetic store for the tests."\n'
    manifest = {
        "store_schema_version": 1,
        "name": name,
        "experiment": {
            "source": f"experiments/{name}.toml",
            "sha256": "0" * 64,
            "content": content,
        },
        "model": "alliance",
        "scenario": {"name": "baseline", "horizon": horizon},
        "root_seed": 1,
        "fingerprint": {"horizon": None},
        "design": {
            "method": method,
            "samples": None,
            "replications": int(design["replicate"].max()) + 1,
            "second_order": second_order,
            "num_levels": num_levels,
            "problem": problem,
            "planned_runs": len(design),
            "points": int(design["point_id"].nunique()),
        },
        "packages": {"numpy": np.__version__},
        "started": "2026-01-01T00:00:00+00:00",
        "finished": "2026-01-01T00:01:00+00:00",
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2))
    pq.write_table(pa.Table.from_pandas(design, preserve_index=False), folder / "design.parquet")
    if sample is not None:
        pq.write_table(
            pa.Table.from_pandas(sample, preserve_index=False), folder / "sample.parquet"
        )
    for table, frame in (("runs", runs), ("crises", crises), ("timeseries", timeseries)):
        (folder / table).mkdir(exist_ok=True)
        if frame is None or frame.empty:
            continue
        half = len(frame) // 2
        for index, part in enumerate((frame.iloc[:half], frame.iloc[half:])):
            if len(part):
                pq.write_table(
                    pa.Table.from_pandas(part, preserve_index=False),
                    folder / table / f"part-all-{index:06d}.parquet",
                )
    return folder


def grid_design(params: dict[str, list], replicates: int) -> pd.DataFrame:
    """A full-factorial design frame like the sweep's."""
    names = list(params)
    points = pd.MultiIndex.from_product([params[n] for n in names], names=names).to_frame(
        index=False
    )
    rows = []
    for index, values in points.iterrows():
        pid = f"p{index:04d}"
        for r in range(replicates):
            rows.append(
                {
                    "run_id": f"{pid}-{r:04d}",
                    "point_id": pid,
                    "point_index": index,
                    "replicate": r,
                    "seed": 1000 + r,
                    **values.to_dict(),
                }
            )
    return pd.DataFrame(rows)


def alliance_runs(design: pd.DataFrame, horizon: int = 60, seed: int = 3) -> pd.DataFrame:
    """Plausible alliance runs: exponential lifetimes, better with more relationships."""
    rng = np.random.default_rng(seed)
    relationships = design["leadership.relationships"].to_numpy(dtype=float)
    rate = 0.03 * (1.5 - relationships)
    life = np.ceil(rng.exponential(1 / rate)).astype(np.int64)
    survived = life >= horizon
    lifetime = np.minimum(life, horizon)
    outcome = np.where(
        survived,
        rng.choice(["degraded", "transformation", "recovery"], len(design)),
        rng.choice(["collapse", "fragmentation"], len(design), p=[0.8, 0.2]),
    )
    founding = np.full(len(design), 12)
    final = np.where(
        survived, 12 - rng.integers(0, 4, len(design)), rng.integers(2, 6, len(design))
    )
    frame = design[["run_id", "point_id", "replicate", "seed"]].copy()
    frame.insert(3, "status", "ok")
    for column in design.columns:
        if column not in analysis.DESIGN_COLUMNS:
            frame[column] = design[column]
    frame["survived"] = survived
    frame["outcome"] = outcome
    frame["lifetime"] = lifetime
    frame["founding_members"] = founding
    frame["final_members"] = final
    frame["ambition_shift"] = rng.uniform(0, 0.4, len(design))
    frame["turnover"] = (founding - final) / founding
    frame["final_mean_trust"] = rng.uniform(0.3, 0.8, len(design))
    frame["final_performance"] = rng.uniform(0.2, 0.9, len(design))
    frame["duration_s"] = 0.01
    frame["error"] = pd.Series([None] * len(design), dtype="string")
    return frame


def alliance_extras(runs: pd.DataFrame, every: int = 6, seed: int = 4):
    """Crises and time series tables for ``runs``."""
    rng = np.random.default_rng(seed)
    crises, series = [], []
    for run_id, life in zip(runs["run_id"], runs["lifetime"], strict=True):
        for episode in range(int(rng.integers(0, 3))):
            crises.append(
                {
                    "run_id": run_id,
                    "episode": episode,
                    "start": int(rng.integers(0, life + 1)),
                    "robustness": float(rng.uniform(0.2, 1.0)),
                    "recovery_time": float(rng.integers(1, 24)),
                    "loss": float(rng.uniform(0, 5)),
                    "recovery_ratio": float(rng.uniform(0, 1.5)),
                }
            )
        steps = np.arange(0, life + 1, every)
        series.append(
            pd.DataFrame(
                {
                    "run_id": run_id,
                    "step": steps,
                    "performance": np.clip(
                        0.8 - 0.004 * steps + rng.normal(0, 0.05, steps.size), 0, 1
                    ),
                    "mean_trust": np.clip(0.5 + rng.normal(0, 0.05, steps.size), 0, 1),
                }
            )
        )
    return pd.DataFrame(crises), pd.concat(series, ignore_index=True)


@pytest.fixture(scope="module")
def grid_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A complete 3 x 2 grid store with crises and time series."""
    design = grid_design(
        {"leadership.relationships": [0.1, 0.5, 0.9], "leadership.concentration": [0.0, 1.0]}, 20
    )
    runs = alliance_runs(design)
    crises, series = alliance_extras(runs)
    return write_store(
        tmp_path_factory.mktemp("grid") / "store", design, runs, crises=crises, timeseries=series
    )


# ----------------------------------------------------------------------------------------
# Kaplan-Meier, bands, median, log-rank, hazard: a hand-computed example
# ----------------------------------------------------------------------------------------
# Horizon 6. Group A lifetimes 1, 2, 2, 4, 6+, 6+ ; group B 3, 5, 6+, 6+, 6+, 6+
# (+ = survived, censored at the horizon).
#
# A: t=1 n=6 d=1 S=5/6; t=2 n=5 d=2 S=1/2; t=4 n=3 d=1 S=1/3.
# Greenwood sums d/(n(n-d)): 1/30; 1/30 + 2/15 = 1/6; 1/6 + 1/6 = 1/3.
# Log-log band: S ** exp(+-z sqrt(G) / |log S|).


def hand_runs() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "run_id": [f"r{i}" for i in range(12)],
            "status": "ok",
            "group": ["A"] * 6 + ["B"] * 6,
            "lifetime": [1, 2, 2, 4, 6, 6, 3, 5, 6, 6, 6, 6],
            "survived": [
                False,
                False,
                False,
                False,
                True,
                True,
                *[False, False, True, True, True, True],
            ],
        }
    )


def loglog(s: float, greenwood: float) -> tuple[float, float]:
    spread = math.exp(Z * math.sqrt(greenwood) / abs(math.log(s)))
    return s**spread, s ** (1 / spread)


def test_kaplan_meier_and_bands_match_hand_computation() -> None:
    km = analysis.kaplan_meier(hand_runs(), by="group")
    a = km[km["level"] == "A"].set_index("time")
    assert a.loc[0.0, "survival"] == 1.0
    assert a["survival"].to_dict() == pytest.approx({0: 1, 1: 5 / 6, 2: 0.5, 4: 1 / 3, 6: 1 / 3})
    assert a["at_risk"].tolist() == [6, 6, 5, 3, 2]
    assert a["events"].tolist() == [0, 1, 2, 1, 0]
    assert a["censored"].tolist() == [0, 0, 0, 0, 2]
    for time, s, g in ((1, 5 / 6, 1 / 30), (2, 0.5, 1 / 6), (4, 1 / 3, 1 / 3)):
        low, high = loglog(s, g)
        assert a.loc[time, "lower"] == pytest.approx(low, rel=1e-9)
        assert a.loc[time, "upper"] == pytest.approx(high, rel=1e-9)
    # At S = 1/2: spread exp(1.96 * sqrt(1/6) / log 2) = 3.172 -> [0.1110, 0.8037].
    assert a.loc[2, "lower"] == pytest.approx(0.11096, abs=1e-4)
    assert a.loc[2, "upper"] == pytest.approx(0.80370, abs=1e-4)


def test_median_lifetime_with_interval() -> None:
    median = analysis.median_lifetime(hand_runs(), by="group").set_index("level")
    # A: S first <= 0.5 at t=2; the lower band is 0.273 <= 0.5 already at t=1; the upper
    # band stays above 0.5 (0.804 at t=2, 0.676 at t=4): not reached.
    assert median.loc["A", "median"] == 2
    assert median.loc["A", "lower"] == 1
    assert math.isnan(median.loc["A", "upper"])
    assert median.loc["A", "n"] == 6 and median.loc["A", "events"] == 4
    assert math.isnan(median.loc["B", "median"])  # S(6) = 2/3: not reached


def test_logrank_matches_hand_computation_and_scipy() -> None:
    # Event times 1..5 with (n_A, n_B, d, deaths in A):
    # (6,6,1,1) (5,6,2,2) (3,6,1,0) (3,5,1,1) (2,5,1,0)
    expected_a = 6 / 12 + 2 * 5 / 11 + 3 / 9 + 3 / 8 + 2 / 7
    variance = (
        36 / 144 + (2 * 9 / 10) * 30 / 121 + 18 / 81 + 15 / 64 + 10 / 49
    )  # d(n-d)/(n-1) n_A n_B / n^2
    chi2 = (4 - expected_a) ** 2 / variance
    test = analysis.logrank(hand_runs(), "group")
    assert test["df"] == 1
    assert test["statistic"] == pytest.approx(chi2, rel=1e-12)
    assert test["statistic"] == pytest.approx(1.879176, abs=1e-5)
    assert test["p"] == pytest.approx(stats.chi2.sf(chi2, 1), rel=1e-12)
    assert test["observed"]["A"] == 4 and test["expected"]["A"] == pytest.approx(expected_a)
    runs = hand_runs()
    a, b = runs[runs["group"] == "A"], runs[runs["group"] == "B"]
    reference = stats.logrank(
        stats.CensoredData.right_censored(a["lifetime"], a["survived"]),
        stats.CensoredData.right_censored(b["lifetime"], b["survived"]),
    )
    assert test["statistic"] == pytest.approx(reference.statistic**2, rel=1e-9)
    assert test["p"] == pytest.approx(reference.pvalue, rel=1e-9)


def test_k_sample_logrank_and_holm_adjusted_adjacent_pairs() -> None:
    runs = hand_runs()
    copy = runs[runs["group"] == "B"].assign(group="C", run_id=lambda f: f["run_id"] + "c")
    three = pd.concat([runs, copy], ignore_index=True)
    test = analysis.logrank(three, "group")
    assert test["levels"] == 3 and test["df"] == 2
    assert 0 < test["p"] < 1
    pairs = analysis.pairwise_logrank(three, "group")
    assert pairs[["level_a", "level_b"]].values.tolist() == [["A", "B"], ["B", "C"]]
    assert pairs.loc[1, "statistic"] == pytest.approx(0.0, abs=1e-12)  # identical groups
    assert pairs.loc[0, "p_holm"] == pytest.approx(min(1.0, 2 * pairs.loc[0, "p"]))
    assert analysis.holm([0.01, 0.04, 0.03]).tolist() == pytest.approx([0.03, 0.06, 0.06])
    assert np.isnan(analysis.holm([np.nan, 0.02])[0])


def test_hazard_by_age() -> None:
    runs = hand_runs()
    hz = analysis.hazard(runs[runs["group"] == "A"], width=2)
    # (0,2]: 3 ends over 1+2+2+2+2+2 = 11 months; (2,4]: 1 over 6; (4,6]: 0 over 4.
    assert hz["events"].tolist() == [3, 1, 0]
    assert hz["exposure"].tolist() == [11, 6, 4]
    assert hz["hazard"].tolist() == pytest.approx([3 / 11, 1 / 6, 0])
    assert hz["at_risk"].tolist() == [6, 3, 2]
    assert (hz["lower"] <= hz["hazard"]).all() and (hz["hazard"] <= hz["upper"]).all()


def test_levels_bin_continuous_parameters_into_quantiles() -> None:
    runs = pd.DataFrame({"status": "ok", "x": np.linspace(0, 1, 101)})
    lev = analysis.levels(runs, "x")
    assert len(lev.cat.categories) == analysis.QUANTILE_BINS
    assert lev.cat.ordered and lev.value_counts().min() >= 25
    assert analysis.levels(runs.iloc[:3], "x").cat.categories.tolist() == ["0", "0.01", "0.02"]


# ----------------------------------------------------------------------------------------
# Sensitivity: the Ishigami function (analytic indices known)
# ----------------------------------------------------------------------------------------

A, B = 7.0, 0.1
_V1 = 0.5 * (1 + B * math.pi**4 / 5) ** 2
_V2 = A**2 / 8
_V13 = B**2 * math.pi**8 * (1 / 18 - 1 / 50)
_V = _V1 + _V2 + _V13
ISHIGAMI_S1 = {"x1": _V1 / _V, "x2": _V2 / _V, "x3": 0.0}
ISHIGAMI_ST = {"x1": (_V1 + _V13) / _V, "x2": _V2 / _V, "x3": _V13 / _V}
PROBLEM = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[-math.pi, math.pi]] * 3}


def ishigami(x: np.ndarray) -> np.ndarray:
    return np.sin(x[:, 0]) + A * np.sin(x[:, 1]) ** 2 + B * x[:, 2] ** 4 * np.sin(x[:, 0])


def sampled_store(folder: Path, method: str, matrix: np.ndarray, **kwargs) -> Path:
    """A sampling-design store of the Ishigami function with two replicates per point.

    The replicates are y + 0.5 and y - 0.5, so their mean is the function's value.
    """
    points = pd.DataFrame(matrix, columns=PROBLEM["names"])
    pids = [f"{i:06d}" for i in range(len(points))]
    sample = points.assign(row=np.arange(len(points)), point_id=pids)
    y = ishigami(matrix)
    design_rows, run_rows = [], []
    for i, pid in enumerate(pids):
        for r, noise in enumerate((0.5, -0.5)):
            rid = f"{pid}-{r:04d}"
            values = points.iloc[i].to_dict()
            design_rows.append(
                {"run_id": rid, "point_id": pid, "point_index": i, "replicate": r, "seed": r}
                | values
            )
            run_rows.append(
                {"run_id": rid, "point_id": pid, "replicate": r, "status": "ok", "seed": r}
                | values
                | {"y": y[i] + noise, "error": None}
            )
    return write_store(
        folder,
        pd.DataFrame(design_rows),
        pd.DataFrame(run_rows),
        method=method,
        problem=PROBLEM,
        sample=sample[["row", "point_id", *PROBLEM["names"]]],
        **kwargs,
    )


@pytest.fixture(scope="module")
def sobol_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from SALib.sample import sobol

    matrix = sobol.sample(PROBLEM, 1024, calc_second_order=True, seed=7)
    return sampled_store(
        tmp_path_factory.mktemp("sobol") / "store", "sobol", matrix, second_order=True
    )


def test_sobol_indices_match_ishigami_analytic_values(sobol_store: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SensitivityWarning)  # S1 of x3 is ~0
        indices = analysis.sensitivity(sobol_store, outcome="y").set_index("parameter")
    assert list(indices.columns) == ["S1", "S1_conf", "ST", "ST_conf"]
    assert indices.index.tolist() == ["x1", "x2", "x3"]  # sorted by total effect
    for name in PROBLEM["names"]:
        assert indices.loc[name, "S1"] == pytest.approx(ISHIGAMI_S1[name], abs=0.05)
        assert indices.loc[name, "ST"] == pytest.approx(ISHIGAMI_ST[name], abs=0.05)
        assert 0 < indices.loc[name, "ST_conf"] < 0.1
    pairs = analysis.sensitivity_pairs(sobol_store, outcome="y").set_index(
        ["parameter_a", "parameter_b"]
    )
    assert pairs.loc[("x1", "x3"), "S2"] == pytest.approx(_V13 / _V, abs=0.08)
    assert pairs.loc[("x1", "x2"), "S2"] == pytest.approx(0.0, abs=0.08)


def test_sensitivity_refuses_failed_runs_unless_dropped(tmp_path: Path) -> None:
    from SALib.sample import sobol

    store = sampled_store(
        tmp_path / "s", "sobol", sobol.sample(PROBLEM, 64, calc_second_order=False, seed=1)
    )
    runs_dir = store / "runs"
    runs = pd.concat([pq.read_table(p).to_pandas() for p in sorted(runs_dir.glob("*.parquet"))])
    runs.loc[runs["run_id"] == "000003-0001", ["status", "error"]] = ("failed", "boom")
    for part in runs_dir.glob("*.parquet"):
        part.unlink()
    pq.write_table(pa.Table.from_pandas(runs, preserve_index=False), runs_dir / "part-0.parquet")
    with pytest.raises(SensitivityError, match="000003-0001"):
        analysis.sensitivity(store, outcome="y")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SensitivityWarning)
        indices = analysis.sensitivity(store, outcome="y", drop_failed=True)
    assert len(indices) == 3
    with pytest.raises(SensitivityError, match="no outcome 'nope'"):
        analysis.sensitivity(store, outcome="nope", drop_failed=True)


def test_small_sample_warns_about_unstable_indices(tmp_path: Path) -> None:
    from SALib.sample import sobol

    store = sampled_store(
        tmp_path / "s", "sobol", sobol.sample(PROBLEM, 4, calc_second_order=False, seed=3)
    )
    with pytest.warns(SensitivityWarning, match="too small"):
        analysis.sensitivity(store, outcome="y")


def test_morris_matches_salib_directly(tmp_path: Path) -> None:
    from SALib.analyze import morris as morris_analyze
    from SALib.sample import morris

    matrix = morris.sample(PROBLEM, 40, num_levels=4, seed=2)
    store = sampled_store(tmp_path / "m", "morris", matrix)
    indices = analysis.sensitivity(store, outcome="y", seed=5).set_index("parameter")
    direct = morris_analyze.analyze(
        PROBLEM, matrix, ishigami(matrix), num_resamples=1000, num_levels=4, seed=5
    )
    for i, name in enumerate(PROBLEM["names"]):
        assert indices.loc[name, "mu_star"] == pytest.approx(direct["mu_star"][i])
        assert indices.loc[name, "mu_star_conf"] == pytest.approx(direct["mu_star_conf"][i])
        assert indices.loc[name, "sigma"] == pytest.approx(direct["sigma"][i])
    assert indices["mu_star"].is_monotonic_decreasing  # the most influential first


def test_sensitivity_needs_a_sampling_design(grid_store: Path) -> None:
    with pytest.raises(SensitivityError, match="grid design"):
        analysis.sensitivity(grid_store)


# ----------------------------------------------------------------------------------------
# Profiles, grids, transformation, trajectories
# ----------------------------------------------------------------------------------------


def test_profiles_and_grids(grid_store: Path) -> None:
    res = analysis.load(grid_store)
    assert res.parameters == ["leadership.relationships", "leadership.concentration"]
    assert res.horizon == 60 and not res.partial and len(res.ok) == 120
    profile = analysis.outcome_profile(res, "leadership.relationships")
    assert len(profile) == 3 * 5
    sums = profile.groupby("level")["share"].sum()
    assert sums.to_numpy() == pytest.approx(1.0)
    grid = analysis.survival_grid(res, "leadership.relationships", "leadership.concentration")
    assert len(grid) == 6 and (grid["n"] == 20).all()
    assert ((grid["lower"] <= grid["share"]) & (grid["share"] <= grid["upper"])).all()
    summary = analysis.transformation_summary(res)
    assert {"ambition_shift", "turnover", "final_mean_trust"} <= set(summary["metric"])
    bands = analysis.trajectory_bands(res, "performance")
    assert len(bands) > 0
    assert (bands["q05"] <= bands["q25"]).all() and (bands["q25"] <= bands["median"]).all()
    assert (bands["median"] <= bands["q75"]).all() and (bands["q75"] <= bands["q95"]).all()
    assert set(bands["level"]) <= set(analysis.OUTCOMES) and len(set(bands["level"])) > 1
    resilience = analysis.resilience_summary(res)
    assert set(resilience["metric"]) == set(analysis.CRISIS_METRICS)


# ----------------------------------------------------------------------------------------
# Figures: valid and byte-deterministic
# ----------------------------------------------------------------------------------------


def _draw(res: analysis.Results, folder: Path) -> list[Path]:
    fig, axes = style.new_figure("two", aspect=0.4, ncols=3)
    km = analysis.kaplan_meier(res, "leadership.relationships")
    plots.survival_curves(km, axes[0], p=analysis.logrank(res, "leadership.relationships")["p"])
    plots.outcome_bars(analysis.outcome_profile(res, "leadership.relationships"), axes[1])
    plots.survival_heatmap(
        analysis.survival_grid(res, "leadership.relationships", "leadership.concentration"),
        axes[2],
    )
    files = style.save(fig, folder / "figure")
    matplotlib.pyplot.close(fig)
    return files


def test_figures_are_valid_and_byte_identical(grid_store: Path, tmp_path: Path) -> None:
    res = analysis.load(grid_store)
    first = _draw(res, tmp_path / "a")
    second = _draw(res, tmp_path / "b")
    assert [p.suffix for p in first] == [".pdf", ".svg", ".png"]
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name
    pdf = first[0].read_bytes()
    assert pdf.startswith(b"%PDF") and b"/FontFile2" in pdf  # embedded TrueType
    assert b"CreationDate" not in pdf
    svg = ET.parse(first[1]).getroot()
    texts = [e.text for e in svg.iter("{http://www.w3.org/2000/svg}text")]
    p = analysis.logrank(res, "leadership.relationships")["p"]
    expected = "log-rank p < 0.001" if p < 0.001 else f"log-rank p = {p:.3f}"
    assert [t for t in texts if t and t.startswith("log-rank")] == [expected]
    assert b"<dc:date>" not in first[1].read_bytes()
    assert first[2].read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert matplotlib.image.imread(first[2]).shape[2] == 4


SVG = "{http://www.w3.org/2000/svg}"


def svg_texts(path: Path) -> list[str]:
    """Every text of an SVG figure (the style keeps text as text)."""
    root = ET.parse(path).getroot()
    return ["".join(e.itertext()) for e in root.iter(f"{SVG}text")]


def small_store(folder: Path, single: str | None = None) -> Path:
    """A 2 x 2 grid store of 24 runs with crises and time series; with ``single``, exactly
    one run ends in that outcome class."""
    design = grid_design(
        {"leadership.relationships": [0.1, 0.9], "leadership.concentration": [0.0, 1.0]}, 6
    )
    runs = alliance_runs(design)
    if single is not None:
        runs["outcome"] = runs["outcome"].replace(single, "collapse")
        runs.loc[runs.index[0], ["outcome", "survived"]] = (single, False)
    crises, series = alliance_extras(runs)
    return write_store(folder, design, runs, crises=crises, timeseries=series)


def test_trajectory_panels_span_the_months_of_every_class(tmp_path: Path, monkeypatch) -> None:
    from sim.figures import report as report_module

    store = small_store(tmp_path / "store")
    spans = {}

    def save(fig, path, formats):
        spans[Path(path).name] = [ax.get_xlim() for ax in fig.axes]

    monkeypatch.setattr(report_module.style, "save", save)
    write_report(store, formats=("svg",))
    last = int(analysis.load(store).timeseries["step"].max())
    assert spans["trajectories_by_outcome"]
    assert all(low == 0 and high == last for low, high in spans["trajectories_by_outcome"])


def test_report_files_do_not_depend_on_the_other_formats(tmp_path: Path, capsys) -> None:
    from sim.cli import main

    calls = {"svg": "svg", "all": "pdf,png,svg", "again": "pdf,png,svg", "pdf-last": "svg,png,pdf"}
    stores = {name: small_store(tmp_path / name) for name in calls}
    for name, formats in calls.items():
        by = ["--by", "leadership.relationships"]  # five figures are enough, and faster
        assert main(["report", str(stores[name]), "--format", formats, *by]) == 0
    assert "report.md" in capsys.readouterr().out
    for fmt, names in (("svg", list(calls)), ("pdf", ["all", "again", "pdf-last"])):
        files = {n: sorted((stores[n] / "figures").glob(f"*.{fmt}")) for n in names}
        first = files[names[0]]
        assert len(first) == 5
        for name in names[1:]:
            assert [f.name for f in files[name]] == [f.name for f in first]
            for a, b in zip(first, files[name], strict=True):
                assert a.read_bytes() == b.read_bytes(), f"{name}: {b.name}"


def test_figures_show_labels_and_units_not_keys(tmp_path: Path) -> None:
    store = small_store(tmp_path / "store")
    text = write_report(store, formats=("svg",)).read_text()
    figures = {p.stem: svg_texts(p) for p in (store / "figures").glob("*.svg")}
    every = [t for texts in figures.values() for t in texts]
    assert not [t for t in every if "leadership." in t or "_" in t]
    survival = figures["survival_leadership-relationships"]
    assert {"Eye for relationships (0-1)", "alliance age (months)"} <= set(survival)
    assert "still running (share of runs)" in survival
    assert {"Collapse", "Recovery"} <= set(figures["outcomes_leadership-relationships"])
    assert "Recovery time (months)" in figures["resilience_by_outcome"]
    assert "## By Eye for relationships (`leadership.relationships`)" in text
    assert "| Eye for relationships | 2 |" in text  # the ranking table
    assert "| Recovery time (months) |" in text and "| Collapse |" in text
    assert "| level | n | events | survived share | median | lower | upper |" in text


def test_box_plots_give_the_number_of_crises_per_box(grid_store: Path) -> None:
    res = analysis.load(grid_store)
    crises = analysis.crisis_metrics(res, "outcome")
    fig, ax = style.new_figure()
    plots.resilience_distributions(crises, ax, "recovery_time")
    texts = [t.get_text() for t in ax.texts]
    matplotlib.pyplot.close(fig)
    counts = crises.groupby("level", sort=False)["recovery_time"].count()
    assert texts == [f"n = {counts[level]}" for level in counts.index]
    assert [t.get_text() for t in ax.get_xticklabels()] == [
        OUTCOME_LABELS[level] for level in counts.index
    ]


def test_bands_of_quantities_in_the_unit_interval_stay_inside_it() -> None:
    bands = pd.DataFrame(
        {
            "series": "mean_trust",
            "parameter": "outcome",
            "level": "recovery",
            "step": [0, 1, 2],
            "n": 10,
            "median": [0.9, 0.95, 1.0],
            "q05": [-0.2, 0.5, 0.6],
            "q25": [0.8, 0.9, 0.95],
            "q75": [0.95, 1.0, 1.05],
            "q95": [1.1, 1.2, 1.3],
        }
    )
    sobol = pd.DataFrame(
        {"parameter": ["a", "b"], "S1": [-0.05, 0.9], "S1_conf": [0.3, 0.3]}
        | {"ST": [0.1, 0.97], "ST_conf": [0.4, 0.2]}
    )
    fig, axes = style.new_figure("two", ncols=2)
    plots.trajectory_fan(bands, axes[0])
    plots.sensitivity_bars(sobol, axes[1])
    fig.draw_without_rendering()
    filled = [c for c in axes[0].collections if len(c.get_paths())]
    band = np.concatenate([path.vertices[:, 1] for c in filled for path in c.get_paths()])
    ends = np.concatenate([seg[:, 0] for c in axes[1].collections for seg in c.get_segments()])
    matplotlib.pyplot.close(fig)
    assert band.min() == 0.0 and band.max() == 1.0
    assert ends.min() == 0.0 and ends.max() == 1.0


def test_survival_grid_cells_give_their_wilson_interval(grid_store: Path) -> None:
    grid = analysis.survival_grid(
        analysis.load(grid_store), "leadership.relationships", "leadership.concentration"
    )
    fig, ax = style.new_figure()
    plots.survival_heatmap(grid, ax)
    cells = [t.get_text().split("\n") for t in ax.texts]
    matplotlib.pyplot.close(fig)
    shown = sorted((share, *interval.split("–")) for share, interval in cells)
    expected = sorted(
        tuple(f"{v:.2f}" for v in row)
        for row in grid[["share", "lower", "upper"]].itertuples(index=False)
    )
    assert shown == expected
    assert all(0 <= float(low) <= float(high) <= 1 for _, low, high in shown)


def test_a_class_with_one_run_says_so_instead_of_an_empty_panel(tmp_path: Path) -> None:
    store = small_store(tmp_path / "store", single="fragmentation")
    write_report(store, formats=("svg",))
    texts = svg_texts(store / "figures" / "trajectories_by_outcome.svg")
    assert "Fragmentation (n = 1)" in texts
    counts = analysis.load(store).ok["outcome"].value_counts()
    few = [f"n = {k}, not drawn" for k in counts if k < plots.MIN_RUNS]
    assert sorted(t for t in texts if t.endswith("not drawn")) == sorted(few * 2)  # 2 series
    fig, ax = style.new_figure()
    plots.resilience_distributions(analysis.crisis_metrics(analysis.load(store)).iloc[:0], ax)
    assert [t.get_text() for t in ax.texts] == ["n = 0, not drawn"]
    matplotlib.pyplot.close(fig)


def test_p_values_are_written_with_three_decimals_or_a_bound() -> None:
    assert plots.format_p(0.0321) == "p = 0.032"
    assert plots.format_p(0.001) == "p = 0.001"
    assert plots.format_p(0.000999) == "p < 0.001"
    assert plots.format_p(float("nan")) == plots.format_p(None) == "p = n/a"


# ----------------------------------------------------------------------------------------
# Report and export
# ----------------------------------------------------------------------------------------


def test_report_on_a_partial_store(tmp_path: Path) -> None:
    design = grid_design({"leadership.relationships": np.linspace(0, 1, 9).tolist()}, 8)
    runs = alliance_runs(design).iloc[:50].copy()
    runs.loc[runs.index[3], ["status", "error"]] = ("failed", "RuntimeError: boom")
    crises, series = alliance_extras(runs)
    store = write_store(tmp_path / "partial", design, runs, crises=crises, timeseries=series)
    report = write_report(store, formats=("svg",))
    text = report.read_text()
    assert "**Partial results.** 49 of 72 planned runs are done (22 pending, 1 failed)" in text
    assert "binned into 4 quantile levels" in text  # nine values -> quartile bins
    assert "Log-rank test across the 4 levels" in text
    assert "Parameters ranked by the log-rank test" in text
    figures = store / "figures"
    assert (figures / "survival_leadership-relationships.svg").is_file()
    assert not list(figures.glob("*.pdf")) and not list(figures.glob("*.png"))
    km = pd.read_csv(figures / "data" / "survival_leadership-relationships.csv")
    assert km["level"].nunique() == 4
    for link in ("figures/data/outcomes_all.csv", "figures/trajectories_by_outcome.svg"):
        assert link in text and (store / link).is_file()
    before = {p.name: p.read_bytes() for p in figures.glob("*.svg")}
    write_report(store, formats=("svg",))
    assert before == {p.name: p.read_bytes() for p in figures.glob("*.svg")}
    assert report.read_text().count("![") == text.count("![")
    empty = write_store(tmp_path / "empty", design, runs.iloc[:0])
    text = write_report(empty, formats=("svg",)).read_text()
    assert "0 of 72 planned runs are done (72 pending" in text and "No finished runs yet" in text


def test_report_by_and_sensitivity_sections(sobol_store: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not a parameter"):
        write_report(sobol_store, by="nope")
    store = tmp_path / "sobol"
    from SALib.sample import sobol

    sampled_store(store, "sobol", sobol.sample(PROBLEM, 32, calc_second_order=False, seed=1))
    text = write_report(store, formats=("svg",)).read_text()
    assert "### y" in text and (store / "figures" / "sensitivity_y.svg").is_file()
    assert text.index("## By `x2`") < text.index("## By `x3`")  # the most influential first
    assert "binned into 4 quantile levels" in text and "Mean of each outcome per level" in text
    assert write_report(store, formats=("svg",)).read_text() == text  # seeded bootstrap


def test_export_csv(grid_store: Path, tmp_path: Path) -> None:
    files = export_csv(grid_store, tmp_path / "csv")
    assert sorted(p.name for p in files) == [
        "crises.csv",
        "design.csv",
        "runs.csv",
        "timeseries.csv",
    ]
    runs = pd.read_csv(tmp_path / "csv" / "runs.csv")
    assert len(runs) == 120 and "leadership.relationships" in runs.columns


def test_cli_report_and_export(grid_store: Path, tmp_path: Path, capsys) -> None:
    from sim.cli import main

    assert main(["report", str(tmp_path / "missing")]) == 2
    assert "missing: no such folder" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert main(["report", str(tmp_path / "empty")]) == 2
    err = capsys.readouterr().err
    assert "not a results store" in err and len(err.strip().splitlines()) == 1
    assert main(["report", str(grid_store), "--format", "gif"]) == 2
    assert "--format gif" in capsys.readouterr().err
    assert main(["report", str(grid_store), "--by", "nope"]) == 2
    (grid_store / "figures" / "data").mkdir(parents=True, exist_ok=True)
    for name in ("old.png", "data/old.csv", "notes.txt"):
        (grid_store / "figures" / name).write_text("earlier")
    assert (
        main(["report", str(grid_store), "--format", "svg", "--by", "leadership.relationships"])
        == 0
    )
    assert "report.md" in capsys.readouterr().out
    assert (grid_store / "figures" / "survival_leadership-relationships.svg").is_file()
    assert not (grid_store / "figures" / "old.png").exists()  # an earlier report's files go
    assert not (grid_store / "figures" / "data" / "old.csv").exists()
    assert (grid_store / "figures" / "notes.txt").is_file()  # anything else stays
    assert main(["export", str(grid_store), "--out", str(tmp_path / "csv")]) == 0  # CSV
    assert (tmp_path / "csv" / "runs.csv").is_file()
    assert main(["export", str(grid_store), "--csv", "--out", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "runs.csv").is_file()
