"""The results store: schema, atomic parts, compatibility checks, status and merge."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as pads
import pyarrow.parquet as pq
import pytest

from sim.experiment import build_design, load_experiment
from sim.store import (
    PartTable,
    Store,
    StoreError,
    merge_stores,
    read_table,
    store_status,
)
from sim.sweeps.run import sweep

MODELS = Path(__file__).resolve().parent / "sweep_models.py"

ALLIANCE = """
name = "fake-alliance"
scenario = "baseline"
replications = 4
seed = 11
[parameters]
"leadership.relationships" = [0.2, 0.8]
"alliance.members" = [6, 12]
[output]
timeseries_every = 5
"""

TOY = f"""
name = "toy"
model = "{MODELS}:toy"
replications = 5
seed = 5
[parameters]
x = [0.0, 1.0, 2.0]
y = 0.5
"""


def test_store_layout_and_schema(tmp_path, write_toml):
    out = tmp_path / "store"
    result = sweep(load_experiment(write_toml(ALLIANCE)), out=out, executor="serial")
    assert result.complete and result.done == 16
    assert sorted(p.name for p in out.iterdir()) == [
        "crises",
        "design.parquet",
        "manifest.json",
        "runs",
        "timeseries",
    ]
    manifest = json.loads((out / "manifest.json").read_text())
    for key in (
        "store_schema_version",
        "alliance_sim_version",
        "experiment",
        "scenario",
        "root_seed",
        "packages",
        "git_commit",
        "git_dirty",
        "python",
        "platform",
        "command",
        "started",
        "finished",
        "invocations",
    ):
        assert key in manifest
    assert manifest["root_seed"] == 11
    assert manifest["scenario"]["name"] == "baseline"
    assert "leadership.relationships" in manifest["experiment"]["content"]

    design = pq.read_schema(out / "design.parquet")
    assert design.field("run_id").type == pa.string()
    assert design.field("seed").type == pa.int64()
    assert design.field("alliance.members").type == pa.int64()
    assert design.field("leadership.relationships").type == pa.float64()

    for table in ("runs", "crises", "timeseries"):
        parts = sorted((out / table).glob("part-*.parquet"))
        assert parts
        schemas = {pq.read_schema(p).to_string() for p in parts}
        assert len(schemas) == 1
        schema = pq.read_schema(parts[0])
        assert not any(pa.types.is_null(f.type) for f in schema)
    runs = pq.read_schema(next((out / "runs").glob("part-*.parquet")))
    expected = {
        "run_id": pa.string(),
        "status": pa.string(),
        "seed": pa.int64(),
        "survived": pa.bool_(),
        "outcome": pa.string(),
        "lifetime": pa.int64(),
        "founding_members": pa.int64(),
        "final_members": pa.int64(),
        "crises": pa.float64(),
        "worst_robustness": pa.float64(),
        "duration_s": pa.float64(),
        "error": pa.string(),
    }
    for name, dtype in expected.items():
        assert runs.field(name).type == dtype, name
    assert runs.names[-2:] == ["duration_s", "error"]
    crises = pads.dataset(out / "crises").schema
    assert crises.field("recovery_time").type == pa.int64()
    assert crises.field("end").type == pa.int64()
    series = pads.dataset(out / "timeseries").schema
    assert series.names[:2] == ["run_id", "step"]

    frame = pd.read_parquet(out / "runs")
    assert len(frame) == 16 and frame["run_id"].is_unique
    assert (frame["founding_members"] == frame["alliance.members"]).all()
    assert not list(out.rglob(".*"))


def test_other_readers_see_the_folders(tmp_path, write_toml):
    out = tmp_path / "store"
    sweep(load_experiment(write_toml(ALLIANCE)), out=out, executor="serial")
    duckdb = pytest.importorskip("duckdb")
    rows = duckdb.sql(f"select count(*) from read_parquet('{out}/runs/*.parquet')").fetchall()
    assert rows[0][0] == 16
    polars = pytest.importorskip("polars")
    assert polars.read_parquet(out / "runs" / "*.parquet").height == 16


def test_schema_widens_and_rewrites_existing_parts(tmp_path):
    table = PartTable(tmp_path / "t", head=[pa.field("run_id", pa.string())])
    table.write({"run_id": ["a", "b"], "n": [1, 2], "gone": [None, None]}, "part-1.parquet")
    table.write({"run_id": ["c"], "n": [2.5], "extra": ["x"]}, "part-2.parquet")
    schemas = [pq.read_schema(p) for p in table.parts()]
    assert schemas[0].equals(schemas[1])
    assert schemas[0].field("n").type == pa.float64()
    assert schemas[0].field("gone").type == pa.float64()
    assert schemas[0].field("extra").type == pa.string()
    frame = pads.dataset(tmp_path / "t").to_table().to_pandas().sort_values("run_id")
    assert frame["n"].tolist() == [1.0, 2.0, 2.5]
    assert PartTable(tmp_path / "t", head=[]).schema.equals(schemas[0])


def test_cleanup_removes_unfinished_batches_and_temporary_files(tmp_path, write_toml):
    out = tmp_path / "store"
    experiment = load_experiment(write_toml(TOY))
    sweep(experiment, out=out, executor="serial")
    orphan = out / "crises" / "part-all-20990101T000000-1-abcd-000001.parquet"
    pq.write_table(pa.table({"run_id": ["zz"], "episode": [0]}), orphan)
    temporary = out / "runs" / ".part-all-x.parquet.1234.tmp"
    temporary.write_bytes(b"partial")
    Store.open(out, experiment, build_design(experiment)).close()
    assert not orphan.exists() and not temporary.exists()


def test_a_shard_leaves_what_other_shards_are_writing(tmp_path, write_toml):
    """A shard starting beside others keeps their fresh temporary files and batches."""
    out = tmp_path / "store"
    experiment = load_experiment(write_toml(TOY))
    design = build_design(experiment)
    Store.open(out, experiment, design, label="1of2").close()
    writing = [
        out / ".design.parquet.0123abcd.tmp",
        out / ".manifest.json.0123abcd.tmp",
        out / "runs" / ".part-2of2-x-000001.parquet.0123abcd.tmp",
    ]
    for path in writing:
        path.write_bytes(b"being written")
    batch = out / "crises" / "part-2of2-20990101T000000-1-abcd-000001.parquet"
    pq.write_table(pa.table({"run_id": ["zz"], "episode": [0]}), batch)
    Store.open(out, experiment, design, label="1of2").close()
    assert all(path.exists() for path in [*writing, batch])


def test_a_writer_alone_removes_a_dead_shards_unfinished_batch(tmp_path, write_toml, read_tables):
    """A shard killed between its crises part and its runs part, then the whole store
    swept: the dead shard's crises must not be stored twice."""
    out = tmp_path / "store"
    experiment = load_experiment(write_toml(TOY))
    design = build_design(experiment)
    reference = tmp_path / "reference"
    sweep(experiment, out=reference, executor="serial")
    crises = read_tables(reference)["crises"]
    assert len(crises)
    Store.open(out, experiment, design, label="1of2").close()
    orphan = out / "crises" / "part-1of2-20990101T000000-1-abcd-000001.parquet"
    pq.write_table(read_table(reference, "crises"), orphan)
    temporary = out / ".manifest.json.0123abcd.tmp"
    temporary.write_bytes(b"partial")
    sweep(experiment, out=out, executor="serial")
    assert not orphan.exists() and not temporary.exists()
    assert len(read_tables(out)["crises"]) == len(crises)


def test_incompatible_store_is_refused_without_writing(tmp_path, write_toml):
    out = tmp_path / "store"
    sweep(load_experiment(write_toml(TOY)), out=out, executor="serial")
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*")}
    changed = write_toml(TOY.replace("seed = 5", "seed = 6"), "changed.toml")
    with pytest.raises(StoreError, match="seed differs"):
        sweep(changed, out=out, executor="serial")
    fewer = write_toml(TOY.replace("replications = 5", "replications = 4"), "fewer.toml")
    with pytest.raises(StoreError, match="drops 3 planned runs"):
        sweep(fewer, out=out, executor="serial")
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*")} == before

    result = sweep(changed, out=out, executor="serial", force=True)
    assert result.done == 15 and result.ran == 15
    assert json.loads((out / "manifest.json").read_text())["root_seed"] == 6

    stranger = tmp_path / "stranger"
    stranger.mkdir()
    (stranger / "notes.txt").write_text("mine")
    with pytest.raises(StoreError, match="not a results store"):
        sweep(changed, out=stranger, executor="serial")
    assert sorted(p.name for p in stranger.iterdir()) == ["notes.txt"]


def test_status_counts(tmp_path, write_toml):
    out = tmp_path / "store"
    sweep(load_experiment(write_toml(TOY)), out=out, executor="serial", shard="1/2")
    status = store_status(out)
    assert status.planned == 15
    assert status.done + status.pending == 15 and 0 < status.done < 15
    assert status.failed == 0 and status.duplicates == 0
    assert "15 planned" in status.line()
    with pytest.raises(StoreError, match="no such folder"):
        store_status(tmp_path / "nothing")


def test_shards_merge_into_the_same_store_as_one_sweep(tmp_path, write_toml, assert_same_stores):
    experiment = load_experiment(write_toml(ALLIANCE))
    whole = tmp_path / "whole"
    sweep(experiment, out=whole, executor="serial")
    shards = []
    for k in (1, 2, 3):
        shard = tmp_path / f"shard{k}"
        result = sweep(experiment, out=shard, executor="serial", shard=f"{k}/3")
        assert result.complete
        shards.append(shard)
    merged = tmp_path / "merged"
    result = merge_stores(shards, merged)
    assert result.added == 16 and result.status.pending == 0
    assert_same_stores(whole, merged)
    again = merge_stores(shards, merged)
    assert again.added == 0 and again.skipped == 16

    shared = tmp_path / "shared"
    for k in (1, 2, 3):
        sweep(experiment, out=shared, executor="serial", shard=f"{k}/3")
    assert_same_stores(whole, shared)

    other = tmp_path / "other"
    sweep(load_experiment(write_toml(TOY)), out=other, executor="serial")
    with pytest.raises(StoreError, match="different experiment"):
        merge_stores([shards[0], other], tmp_path / "bad")


def test_runs_table_column_values(tmp_path, write_toml, read_tables):
    out = tmp_path / "store"
    sweep(load_experiment(write_toml(TOY)), out=out, executor="serial")
    runs = read_tables(out)["runs"]
    assert set(runs["status"]) == {"ok"}
    assert runs["error"].isna().all()
    assert runs["missing"].isna().all()
    assert runs["label_seen"].eq("a").all()
    design = pd.read_parquet(out / "design.parquet").sort_values("run_id").reset_index(drop=True)
    assert np.array_equal(runs["seed"].to_numpy(), design["seed"].to_numpy())
    assert runs["y"].eq(0.5).all()
