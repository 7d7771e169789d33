"""Experiment files, designs, point ids and seeds."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from sim.experiment import (
    ExperimentError,
    build_design,
    design_seed,
    load_experiment,
    parse_experiment,
    point_id,
    run_seed,
)
from sim.sweeps.plan import as_experiment, in_shard, parse_shard

ROOT = Path(__file__).resolve().parent.parent
MODELS = Path(__file__).resolve().parent / "sweep_models.py"
SHIPPED = sorted((ROOT / "experiments").glob("*.toml"))


GRID = """
name = "grid"
scenario = "baseline"
replications = 3
seed = 7
[parameters]
"leadership.relationships" = [0.1, 0.5, 0.9]
"leadership.sense_making" = { min = 0.0, max = 1.0, levels = 5 }
"alliance.members" = 12
"""


def test_grid_design_has_one_row_per_run_with_typed_parameter_columns(write_toml):
    design = build_design(load_experiment(write_toml(GRID)))
    runs = design.runs
    assert len(runs) == 3 * 5 * 3
    assert list(runs.columns) == [
        "run_id",
        "point_id",
        "point_index",
        "replicate",
        "seed",
        "leadership.relationships",
        "leadership.sense_making",
        "alliance.members",
    ]
    assert design.dtypes == {
        "leadership.relationships": "float64",
        "leadership.sense_making": "float64",
        "alliance.members": "int64",
    }
    assert sorted(runs["leadership.sense_making"].unique()) == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert runs["run_id"].is_unique
    assert runs.groupby("point_id").size().eq(3).all()


def test_seeds_are_plain_ints_and_common_random_numbers_pair_replicates(write_toml):
    experiment = load_experiment(write_toml(GRID))
    runs = build_design(experiment).runs
    assert all(0 <= int(seed) < 2**63 for seed in runs["seed"])
    assert runs.groupby("replicate")["seed"].nunique().eq(1).all()
    assert runs["seed"].nunique() == 3
    seed = run_seed(7, 1)
    assert type(seed) is int and seed == run_seed(7, 1)

    text = GRID.replace("seed = 7", "seed = 7\n[design]\ncommon_random_numbers = false")
    independent = load_experiment(write_toml(text))
    runs = build_design(independent).runs
    assert runs["seed"].is_unique


def test_ids_and_seeds_do_not_change_when_the_design_grows(write_toml):
    small = build_design(load_experiment(write_toml(GRID))).runs
    grown_text = GRID.replace("[0.1, 0.5, 0.9]", "[0.1, 0.3, 0.5, 0.9]").replace(
        "replications = 3", "replications = 5"
    )
    for crn in ("true", "false"):
        text = grown_text + f"[design]\ncommon_random_numbers = {crn}\n"
        base = GRID + f"[design]\ncommon_random_numbers = {crn}\n"
        small = build_design(load_experiment(write_toml(base, "a.toml"))).runs
        grown = build_design(load_experiment(write_toml(text, "b.toml"))).runs
        assert len(grown) == 4 * 5 * 5
        merged = small.merge(grown, on="run_id", suffixes=("", "_grown"))
        assert len(merged) == len(small)
        assert (merged["seed"] == merged["seed_grown"]).all()
        assert (merged["point_id"] == merged["point_id_grown"]).all()


def test_point_id_hashes_typed_values_not_positions():
    assert point_id({"a": 1.0, "b": 2}) == point_id({"b": 2, "a": 1.0})
    assert point_id({"a": 1.0}) != point_id({"a": 1.5})
    assert len(point_id({})) == 16


def test_integer_keys_are_rounded_in_sampled_designs(write_toml):
    text = """
scenario = "baseline"
[design]
method = "lhs"
samples = 40
[parameters]
"alliance.members" = { min = 6, max = 30 }
"horizon" = { min = 60, max = 240 }
"leadership.relationships" = { min = 0.0, max = 1.0 }
"""
    design = build_design(load_experiment(write_toml(text)))
    members = design.runs["alliance.members"]
    assert design.dtypes["alliance.members"] == "int64"
    assert members.between(6, 30).all()
    assert members.nunique() > 10
    assert design.runs["horizon"].dtype == np.int64
    assert design.runs["leadership.relationships"].between(0, 1).all()
    assert len(design.sample) == 40


def test_sobol_and_morris_designs_follow_salib(write_toml):
    from SALib.sample import morris as morris_sample

    text = """
scenario = "baseline"
seed = 3
[design]
method = "sobol"
samples = 16
[parameters]
"leadership.relationships" = { min = 0.0, max = 1.0 }
"leadership.sense_making" = { min = 0.0, max = 1.0 }
"leadership.reflection" = { min = 0.2, max = 0.8 }
"""
    design = build_design(load_experiment(write_toml(text)))
    assert len(design.sample) == 16 * (3 + 2)
    assert design.problem["names"] == [
        "leadership.relationships",
        "leadership.sense_making",
        "leadership.reflection",
    ]
    lookup = design.runs.set_index("point_id")
    first = design.sample.iloc[7]
    assert lookup.loc[first["point_id"], "leadership.reflection"] == first["leadership.reflection"]

    morris = write_toml(
        text.replace('"sobol"', '"morris"').replace("samples = 16", "samples = 6"), "m.toml"
    )
    design = build_design(load_experiment(morris))
    assert len(design.sample) == 6 * 4
    raw = design.sample[design.problem["names"]].to_numpy()
    again = morris_sample.sample(design.problem, 6, num_levels=4, seed=design_seed(3))
    assert np.array_equal(raw, again)


def test_sampled_lists_map_to_their_values(write_toml):
    text = f"""
model = "{MODELS}:toy"
[design]
method = "lhs"
samples = 30
[parameters]
x = {{ min = 0.0, max = 1.0 }}
label = ["a", "b", "c"]
"""
    design = build_design(load_experiment(write_toml(text)))
    assert set(design.runs["label"]) == {"a", "b", "c"}
    assert design.dtypes["label"] == "string"


def test_shards_partition_the_design(write_toml):
    runs = build_design(load_experiment(write_toml(GRID))).runs
    masks = [in_shard(runs["run_id"], (k, 3)) for k in (1, 2, 3)]
    assert (sum(mask.astype(int) for mask in masks) == 1).all()
    assert all(mask.any() for mask in masks)
    assert parse_shard("2/3") == (2, 3)
    for bad in ("0/3", "4/3", "x", "1/2/3", f"1/{2**63}"):
        with pytest.raises(ExperimentError, match="--shard"):
            parse_shard(bad)


def planned_points(experiment) -> int:
    """Design points of an experiment, counted from its file (SALib's sample sizes)."""
    swept = [p for p in experiment.parameters if p.sampled]
    if experiment.method == "grid":
        return math.prod(len(p.values) if p.kind == "levels" else p.levels for p in swept)
    d = len(swept)
    per_sample = {"lhs": 1, "sobol": 2 * d + 2 if experiment.second_order else d + 2}
    per_sample["morris"] = d + 1
    return experiment.samples * per_sample[experiment.method]


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_shipped_experiments_load_and_plan(path):
    """A sweep's experiment plans its design; a calibration's is refused by the sweep (and
    calibrated by tests/test_calibrate.py)."""
    experiment = load_experiment(path)
    assert experiment.name == path.stem
    if experiment.calibration is not None:
        assert experiment.calibration.priors and experiment.calibration.statistics
        with pytest.raises(
            ExperimentError, match="calibration: makes this a calibration: run it with"
        ):
            as_experiment(path)
        return
    design = build_design(experiment)
    points = planned_points(experiment)
    assert design.runs["point_id"].nunique() == points
    assert len(design.runs) == points * experiment.replications
    assert design.runs["run_id"].is_unique


BAD = [
    ("replications = 0", "replications: 0 is out of range"),
    ('scenario = "nowhere"', "scenario: unknown scenario"),
    ("seed = -1", "seed: -1 is out of range"),
    ("[design]\nmethod = 'random'", "design.method: unknown method 'random'"),
    (
        "[design]\nmethod = 'lhs'\n[parameters]\nhorizon = {min=1, max=9}",
        "design.samples: required",
    ),
    (
        "[design]\nmethod = 'sobol'\nsamples = 100\n[parameters]\nhorizon = {min=1, max=9}",
        "design.samples: sobol needs a power of 2",
    ),
    ("[parameters]\n'leadership.charisma' = [0.1]", "parameters.leadership.charisma: unknown key"),
    ("[parameters]\n'leadership.relationships' = [0.1, 1.5]", "out of range [0, 1]"),
    ("[parameters]\n'leadership.relationships' = {min = 0, max = 1}", "needs levels = k"),
    ("[parameters]\n'leadership.relationships' = {min = 1, max = 0, levels = 2}", "must be below"),
    ("[parameters]\n'leadership.relationships' = []", "empty list"),
    ("[parameters]\n'leadership.relationships' = [0.1, 0.1]", "repeated values"),
    ("[parameters]\n'alliance.members' = {min = 3.5, max = 9, levels = 3}", "whole-number ends"),
    ("[parameters]\n'constants.trust_loss' = [2.0]", "parameters.constants.trust_loss"),
    ("[parameters]\n'constants.no_such' = [0.2]", "unknown constant"),
    ("colour = 'red'", "colour: unknown key"),
    ("[output]\ntimeseries_every = -1", "output.timeseries_every"),
    ("name = 'a/b'", "name: 'a/b' is not usable"),
    ('name = "a\\u0000b"', "name: 'a\\x00b' is not usable"),
    (f"name = '{'n' * 101}'", "name: is 101 characters long; a folder name takes at most 100"),
    (f"replications = 1{'0' * 400}", "replications: a 401-digit number is out of range"),
    (
        "seed = 9223372036854775808",
        "seed: 9223372036854775808 is out of range [0, 9223372036854775807]",
    ),
    (
        "[parameters]\n'alliance.members' = [12, 100000]\n'alliance.mean_degree' = [8, 300]",
        "parameters.alliance.mean_degree: the design has points with 100000 members and mean "
        "degree 300: 15,000,000 ties",
    ),
    (
        "replications = 100\n[precision]\noutcome = 'survived'\nhalf_width = 0.1\nstep = 1e19",
        "precision.step: 1e+19 does not fit a 64-bit integer",
    ),
    (
        f"[parameters]\n'alliance.members' = [3, 1{'0' * 400}]",
        "parameters.alliance.members: a 401-digit number does not fit a 64-bit integer",
    ),
    (
        f"[parameters]\n'alliance.members' = {{min = 3, max = 1{'0' * 400}, levels = 2}}",
        "parameters.alliance.members.max: a 401-digit number",
    ),
    ("replications = 2\nreplications = 3", "TOML syntax error"),
]


@pytest.mark.parametrize(("extra", "message"), BAD, ids=[b[1][:30] for b in BAD])
def test_bad_experiment_files_give_one_line_naming_file_and_key(write_toml, extra, message):
    head = 'scenario = "baseline"\n' if "scenario" not in extra else ""
    path = write_toml(head + extra + "\n")
    with pytest.raises(ExperimentError) as info:
        load_experiment(path)
    text = str(info.value)
    assert "\n" not in text
    assert text.startswith(f"{path}: ")
    assert message in text


def test_bad_model_references(write_toml):
    cases = [
        ('model = "nocolon"', "model: expected 'package.module:name'"),
        ('model = "no_such_module_xyz:f"', "model: cannot import"),
        (f'model = "{MODELS}:nothing"', "no such name"),
        (f'model = "{MODELS}:toy"\n[parameters]\nz = [1, 2]', "parameters.z: "),
        (f'model = "{MODELS}:toy"\nscenario = "baseline"', "scenario: .*scenario files apply"),
    ]
    for text, message in cases:
        path = write_toml(text + "\n")
        with pytest.raises(ExperimentError, match=message):
            load_experiment(path)


def test_missing_file_and_text_parsing():
    with pytest.raises(ExperimentError, match=r"nowhere\.toml: file not found"):
        load_experiment("nowhere.toml")
    experiment = parse_experiment('name = "x"\nscenario = "baseline"', "inline")
    assert experiment.name == "x"
    assert len(build_design(experiment).runs) == 1
