"""Merging shard stores of one experiment into one store."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from sim.store.create import create_store, existing_manifest
from sim.store.faults import fault
from sim.store.lock import StoreLock
from sim.store.manifest import (
    StoreError,
    first_difference,
    invocations,
    new_invocation,
    now_iso,
    read_manifest,
    store_kind,
    with_invocation,
    write_manifest,
)
from sim.store.parts import (
    TABLES,
    part_files,
    read_parquet,
    read_schema,
    table_columns,
    write_parquet_atomic,
)
from sim.store.reader import DESIGN, SAMPLE, check_store_parts, read_design
from sim.store.status import StoreStatus, store_status
from sim.store.writer import Store, design_dtypes, design_table

PRECISION_DIFFERS = "made with another [precision] table (or with none where the other has one)"
"""Stores merge only with the same stopping rule, which decides what each one plans."""


@dataclass
class MergeResult:
    """What a merge added to its target."""

    path: str
    added: int
    skipped: int
    status: StoreStatus


def _check_sources(sources: list[str | os.PathLike[str]]) -> tuple[list[dict[str, Any]], int]:
    """The sources' manifests, checked to be one experiment; index of the largest design."""
    manifests = [read_manifest(source) for source in sources]
    for source, manifest in zip(sources, manifests, strict=True):
        _check_sweep(source, manifest)
    first = manifests[0]
    for source, manifest in zip(sources[1:], manifests[1:], strict=True):
        difference = first_difference(first.get("fingerprint"), manifest.get("fingerprint"))
        if difference is not None:
            raise StoreError(
                source, f"made by a different experiment than {sources[0]} ({difference} differs)"
            )
        if manifest.get("precision") != first.get("precision"):
            raise StoreError(source, f"{PRECISION_DIFFERS} than {sources[0]}")
    designs = [read_parquet(Path(s) / DESIGN, columns=None) for s in sources]
    dtypes = design_dtypes(designs[0].schema)
    for source, design in zip(sources, designs, strict=True):
        if design_dtypes(design.schema) != dtypes:
            raise StoreError(source, "its parameters differ from the other sources'")
    largest = max(range(len(designs)), key=lambda i: designs[i].num_rows)
    planned = set(designs[largest].column("run_id").to_pylist())
    for source, other in zip(sources, designs, strict=True):
        if not set(other.column("run_id").to_pylist()) <= planned:
            raise StoreError(source, "its design is not part of the largest source's design")
    check_store_parts([Path(source) for source in sources], first)
    return manifests, largest


def _check_sweep(path: str | os.PathLike[str], manifest: dict[str, Any]) -> None:
    """Refuse a store that holds something other than a sweep's runs (a calibration)."""
    kind = store_kind(manifest)
    if kind != "sweep":
        raise StoreError(path, f"a {kind}'s store: merge combines the shard stores of a sweep")


def _check_target(
    target: Path, first: dict[str, Any], planned: set[str], sources: list[Path]
) -> dict[str, Any] | None:
    """The target's manifest when it is a store already (of the same experiment), else None.

    Its parts are checked with the ``sources``' (a column of one type in all of them)."""
    existing = existing_manifest(target)
    if existing is None:
        return None
    check_store_parts([*sources, target], first)
    _check_sweep(target, existing)
    difference = first_difference(existing.get("fingerprint"), first.get("fingerprint"))
    if difference is not None:
        raise StoreError(target, f"made by a different experiment ({difference} differs)")
    if existing.get("precision") != first.get("precision"):
        raise StoreError(target, f"{PRECISION_DIFFERS} than the sources")
    if not set(read_design(target)["run_id"].tolist()) <= planned:
        raise StoreError(target, "its design is not part of the sources' design")
    return existing


def _copy_part(store: Store, source: Path, part: Path, seen: set[str]) -> tuple[int, int]:
    """Copy the runs of one ``runs`` part (and their crises and series) not yet in ``seen``."""
    runs = read_parquet(part)
    ids = runs.column("run_id").to_pylist()
    keep = {rid for rid in ids if rid not in seen}
    skipped = len(ids) - len(keep)
    if not keep:
        return 0, skipped
    name = store.next_part_name()
    for table in ("crises", "timeseries"):
        partner = source / table / part.name
        if partner.exists():
            rows = read_parquet(partner)
            rows = rows.filter(pa.array([rid in keep for rid in rows.column("run_id").to_pylist()]))
            if rows.num_rows:
                store.tables[table].write(table_columns(rows), name)
    kept = runs.filter(pa.array([rid in keep for rid in ids]))
    store.tables["runs"].write(table_columns(kept), name)
    seen.update(keep)
    fault("merge-part", store.path / "runs" / name)
    return len(keep), skipped


def _write_start(
    folder: Path,
    manifest: dict[str, Any],
    design: pd.DataFrame,
    dtypes: dict[str, str],
    sample: Path,
) -> None:
    """Write the target's design, sample and manifest (the manifest last)."""
    for table in TABLES:
        (folder / table).mkdir(exist_ok=True)
    write_parquet_atomic(design_table(design, dtypes), folder / DESIGN)
    if sample.exists():
        write_parquet_atomic(read_parquet(sample), folder / SAMPLE)
    write_manifest(folder, manifest)


def merge_stores(
    sources: list[str | os.PathLike[str]], out: str | os.PathLike[str] | None = None
) -> MergeResult:
    """Combine shard stores of one experiment into ``out`` (default ``results/NAME``).

    Runs already in the target are skipped, so merging again adds nothing twice, and a
    merge that was stopped completes when run again. The target appears with its
    manifest and is locked while the merge writes.
    """
    if not sources:
        raise StoreError("merge", "no source stores given")
    manifests, largest = _check_sources(sources)
    first = manifests[0]
    target = Path(out) if out is not None else Path("results") / str(first.get("name", "merged"))
    if target.resolve() in {Path(s).resolve() for s in sources}:
        raise StoreError(target, "the target must not be one of the sources")
    design: pd.DataFrame = read_design(sources[largest])
    planned = set(design["run_id"].tolist())
    folders = [Path(source) for source in sources]
    existing = _check_target(target, first, planned, folders)
    dtypes = design_dtypes(read_schema(Path(sources[largest]) / DESIGN))
    manifest = dict(existing or first)
    manifest["design"] = dict(manifest.get("design", {}), planned_runs=len(design))
    manifest["merged_from"] = [os.fspath(s) for s in sources]
    history = [entry for m in (existing, *manifests) for entry in invocations(m)]
    invocation = new_invocation("merge")
    manifest = with_invocation(manifest, history, invocation)
    sample = Path(sources[largest]) / SAMPLE
    create_store(target, lambda temp: _write_start(temp, manifest, design, dtypes, sample))
    with StoreLock(target, "merge", shared=False) as lock:
        _check_target(target, first, planned, folders)
        store = Store(target, design, dtypes, label="merge")
        store.cleanup(alone=lock.locked)
        _write_start(target, manifest, design, dtypes, sample)
        seen = set(store.run_status())
        added = skipped = 0
        for source in sources:
            for part in part_files(Path(source) / "runs"):
                more, fewer = _copy_part(store, Path(source), part, seen)
                added, skipped = added + more, skipped + fewer
        invocation.update(finished=now_iso(), runs=added)
        write_manifest(target, with_invocation(manifest, history, invocation))
    return MergeResult(os.fspath(target), added, skipped, store_status(target))
