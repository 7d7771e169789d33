"""Merging shard stores of one experiment into one store."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sim.store.manifest import (
    StoreError,
    first_difference,
    now_iso,
    read_manifest,
    write_manifest,
)
from sim.store.parts import table_columns, write_parquet_atomic
from sim.store.reader import DESIGN, SAMPLE, read_design
from sim.store.status import StoreStatus, store_status
from sim.store.writer import Store, design_dtypes, design_table


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
    first = manifests[0]
    for source, manifest in zip(sources[1:], manifests[1:], strict=True):
        difference = first_difference(first.get("fingerprint"), manifest.get("fingerprint"))
        if difference is not None:
            raise StoreError(
                source, f"made by a different experiment than {sources[0]} ({difference} differs)"
            )
    designs = [pq.read_table(Path(s) / DESIGN) for s in sources]
    dtypes = design_dtypes(designs[0].schema)
    for source, design in zip(sources, designs, strict=True):
        if design_dtypes(design.schema) != dtypes:
            raise StoreError(source, "its parameters differ from the other sources'")
    largest = max(range(len(designs)), key=lambda i: designs[i].num_rows)
    planned = set(designs[largest].column("run_id").to_pylist())
    for source, other in zip(sources, designs, strict=True):
        if not set(other.column("run_id").to_pylist()) <= planned:
            raise StoreError(source, "its design is not part of the largest source's design")
    return manifests, largest


def _check_target(target: Path, first: dict[str, Any], planned: set[str]) -> dict[str, Any] | None:
    """The target's manifest when it is a store already (of the same experiment), else None."""
    if not (target.exists() and any(target.iterdir())):
        return None
    existing = read_manifest(target)
    difference = first_difference(existing.get("fingerprint"), first.get("fingerprint"))
    if difference is not None:
        raise StoreError(target, f"made by a different experiment ({difference} differs)")
    if not set(read_design(target)["run_id"].tolist()) <= planned:
        raise StoreError(target, "its design is not part of the sources' design")
    return existing


def _copy_part(store: Store, source: Path, part: Path, seen: set[str]) -> tuple[int, int]:
    """Copy the runs of one ``runs`` part (and their crises and series) not yet in ``seen``."""
    runs = pq.read_table(part)
    ids = runs.column("run_id").to_pylist()
    keep = {rid for rid in ids if rid not in seen}
    skipped = len(ids) - len(keep)
    if not keep:
        return 0, skipped
    seen.update(keep)
    name = store.next_part_name()
    for table in ("crises", "timeseries"):
        partner = source / table / part.name
        if partner.is_file():
            rows = pq.read_table(partner)
            rows = rows.filter(pa.array([rid in keep for rid in rows.column("run_id").to_pylist()]))
            if rows.num_rows:
                store.tables[table].write(table_columns(rows), name)
    kept = runs.filter(pa.array([rid in keep for rid in ids]))
    store.tables["runs"].write(table_columns(kept), name)
    return len(keep), skipped


def merge_stores(
    sources: list[str | os.PathLike[str]], out: str | os.PathLike[str] | None = None
) -> MergeResult:
    """Combine shard stores of one experiment into ``out`` (default ``results/NAME``).

    Runs already in the target are skipped, so merging again adds nothing twice.
    """
    if not sources:
        raise StoreError("merge", "no source stores given")
    manifests, largest = _check_sources(sources)
    first = manifests[0]
    target = Path(out) if out is not None else Path("results") / str(first.get("name", "merged"))
    if target.resolve() in {Path(s).resolve() for s in sources}:
        raise StoreError(target, "the target must not be one of the sources")
    design: pd.DataFrame = read_design(sources[largest])
    existing = _check_target(target, first, set(design["run_id"].tolist()))
    target.mkdir(parents=True, exist_ok=True)
    dtypes = design_dtypes(pq.read_schema(Path(sources[largest]) / DESIGN))
    store = Store(target, design, dtypes, label="merge")
    store.cleanup()
    seen = set(store.run_status())
    added = skipped = 0
    for source in sources:
        for part in sorted((Path(source) / "runs").glob("part-*.parquet")):
            more, fewer = _copy_part(store, Path(source), part, seen)
            added, skipped = added + more, skipped + fewer
    manifest = dict(existing or first)
    manifest["design"] = dict(manifest.get("design", {}), planned_runs=len(design))
    manifest["merged_from"] = [os.fspath(s) for s in sources]
    manifest["finished"] = now_iso()
    write_parquet_atomic(design_table(design, dtypes), target / DESIGN)
    sample = Path(sources[largest]) / SAMPLE
    if sample.is_file():
        shutil.copyfile(sample, target / f".{SAMPLE}.tmp")
        os.replace(target / f".{SAMPLE}.tmp", target / SAMPLE)
    write_manifest(target, manifest)
    return MergeResult(os.fspath(target), added, skipped, store_status(target))
