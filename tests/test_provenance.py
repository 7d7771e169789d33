"""A store's provenance: every invocation, the first start, the git commit, whole hashes."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from sim.experiment import load_experiment
from sim.figures.report import write_report
from sim.store import merge_stores
from sim.store.manifest import git_state
from sim.sweeps.run import sweep

ROOT = Path(__file__).resolve().parent.parent
MODELS = Path(__file__).resolve().parent / "sweep_models.py"
LONG_AGO = "2000-01-01T00:00:00+00:00"

TOY = f"""
name = "toy"
model = "{MODELS}:toy"
replications = 3
seed = 5
[parameters]
x = [0.0, 1.0]
y = 0.5
"""


def _manifest(store: Path) -> dict:
    return json.loads((store / "manifest.json").read_text())


def _backdate(store: Path, old_format: bool) -> None:
    """Move the store's first start into the past (in the current or the older layout)."""
    manifest = _manifest(store)
    manifest["started"] = LONG_AGO
    if old_format:
        del manifest["invocations"]
    else:
        manifest["invocations"][0]["started"] = LONG_AGO
    (store / "manifest.json").write_text(json.dumps(manifest))


@pytest.mark.parametrize("old_format", [False, True])
def test_a_resume_with_nothing_to_do_keeps_the_first_start(tmp_path, write_toml, old_format):
    experiment = load_experiment(write_toml(TOY))
    store = tmp_path / "store"
    assert sweep(experiment, out=store, executor="serial").ran == 6
    _backdate(store, old_format)
    again = sweep(experiment, out=store, executor="serial", command="second")
    assert again.ran == 0 and again.complete
    manifest = _manifest(store)
    assert manifest["started"] == LONG_AGO
    first, second = manifest["invocations"]
    assert first["started"] == LONG_AGO and first["runs"] == 6
    assert second["command"] == "second" and second["runs"] == 0
    assert second["pid"] == os.getpid() and second["host"]
    assert second["started"] <= second["finished"] == manifest["finished"]


def test_each_invocation_is_recorded_and_a_merge_keeps_the_shards(tmp_path, write_toml):
    experiment = load_experiment(write_toml(TOY))
    shards = [tmp_path / f"shard{k}" for k in (1, 2)]
    for k, shard in enumerate(shards, start=1):
        sweep(experiment, out=shard, executor="serial", shard=f"{k}/2", command=f"shard {k}")
        sweep(experiment, out=shard, executor="serial", shard=f"{k}/2", command=f"again {k}")
        assert [i["command"] for i in _manifest(shard)["invocations"]] == [
            f"shard {k}",
            f"again {k}",
        ]
    merged = tmp_path / "merged"
    merge_stores(shards, merged)
    merge_stores(shards, merged)
    entries = _manifest(merged)["invocations"]
    assert sorted(i["command"] for i in entries if i["action"] == "sweep") == [
        "again 1",
        "again 2",
        "shard 1",
        "shard 2",
    ]
    merges = [i for i in entries if i["action"] == "merge"]
    assert [i["runs"] for i in merges] == [6, 0]
    assert _manifest(merged)["started"] == min(i["started"] for i in entries)


def test_the_hash_is_whole_and_the_report_shows_the_provenance(tmp_path, write_toml):
    store = tmp_path / "store"
    sweep(load_experiment(write_toml(TOY)), out=store, executor="serial")
    sweep(load_experiment(write_toml(TOY)), out=store, executor="serial")
    manifest = _manifest(store)
    digest = manifest["experiment"]["sha256"]
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    text = write_report(store, formats=("svg",)).read_text()
    assert f"`{digest}`" in text
    times = f"| first start, last end, invocations | {manifest['started']}, "
    assert f"{times}{manifest['finished']}, 2 |" in text
    commit = manifest["git_commit"]
    assert (f"commit `{commit}`" if commit else "not from a git checkout") in text


def _head(root: Path) -> str:
    return subprocess.run(
        ["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()


@pytest.mark.skipif(not (ROOT / ".git").exists() or not shutil.which("git"), reason="no checkout")
def test_the_commit_is_the_checkouts_head(tmp_path, write_toml, monkeypatch):
    monkeypatch.setenv("GIT_DIR", os.fspath(tmp_path / "elsewhere"))  # as inside a git hook
    store = tmp_path / "store"
    sweep(load_experiment(write_toml(TOY)), out=store, executor="serial")
    manifest = _manifest(store)
    monkeypatch.delenv("GIT_DIR")
    assert manifest["git_commit"] == _head(ROOT)
    status = subprocess.run(
        ["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert manifest["git_dirty"] is bool(status.stdout.strip())


@pytest.mark.skipif(not shutil.which("git") or os.geteuid() != 0, reason="needs git and root")
def test_a_checkout_owned_by_another_user_still_gives_its_commit(tmp_path):
    clone = tmp_path / "clone"
    subprocess.run(["git", "init", "-q", str(clone)], check=True)
    (clone / "file.txt").write_text("one\n")
    git = ["git", "-C", str(clone), "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run([*git, "add", "file.txt"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "one"], check=True)
    head = _head(clone)
    for path in (clone, *clone.rglob("*")):
        os.chown(path, 65534, 65534, follow_symlinks=False)
    assert git_state(clone) == {"commit": head, "dirty": False}
    (clone / "file.txt").write_text("two\n")
    assert git_state(clone) == {"commit": head, "dirty": True}


def test_outside_a_checkout_the_commit_is_null(tmp_path):
    assert git_state(tmp_path) == {"commit": None, "dirty": None}
