"""Fetching the demo's front-end assets: verified, unpacked whole, safe beside another fetch."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import tarfile
import time
from pathlib import Path

import pytest

from sim.app import assets


def _tarball(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(f"package/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


@pytest.fixture
def registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """A registry serving ``pkg@1.0.0`` with two files."""
    data = _tarball({"index.js": "x", "dist/a.css": "y"})
    integrity = "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()
    meta = {"dist": {"tarball": "https://registry.test/pkg.tgz", "integrity": integrity}}
    pages = {"https://registry.test/pkg.tgz": data}
    monkeypatch.setenv("NPM_CONFIG_REGISTRY", "https://registry.test")
    pages["https://registry.test/pkg/1.0.0"] = json.dumps(meta).encode()
    monkeypatch.setattr(assets, "_get", pages.__getitem__)


def test_a_fetch_unpacks_the_package_and_marks_it_complete(tmp_path: Path, registry: None):
    assert assets.fetch_package(tmp_path, "pkg", "1.0.0") == 2
    assert (tmp_path / "pkg@1.0.0" / "dist" / "a.css").read_text() == "y"
    assert assets.is_present(tmp_path, "pkg", "1.0.0")
    assert not list(tmp_path.glob(".fetch-*"))


def test_a_fetch_keeps_another_fetchs_staging_and_removes_a_stale_one(
    tmp_path: Path, registry: None
):
    running = tmp_path / ".fetch-running"
    stale = tmp_path / ".fetch-stale"
    running.mkdir()
    stale.mkdir()
    old = time.time() - 2 * 24 * 3600  # two days: left by an interrupted fetch
    os.utime(stale, (old, old))
    assets.fetch_package(tmp_path, "pkg", "1.0.0")
    assert running.is_dir()
    assert not stale.exists()
