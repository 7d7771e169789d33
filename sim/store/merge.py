"""Progress of a store, and merging shard stores into one."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from sim.store.parts import read_table, table_columns, write_parquet_atomic
from sim.store.results import (
    DESIGN,
    SAMPLE,
    Store,
    StoreError,
    design_dtypes,
    design_table,
    first_difference,
    now_iso,
    read_design,
    read_manifest,
)


@dataclass
class StoreStatus:
    """Progress of a store: planned, done (ok), failed and pending runs."""

    path: str
    name: str
    planned: int
    done: int
    failed: int
    pending: int
    duplicates: int = 0
    unplanned: int = 0

    def line(self) -> str:
        """One line for humans."""
        text = (
            f"{self.path}: {self.planned} planned, {self.done} done, "
            f"{self.failed} failed, {self.pending} pending"
        )
        if self.duplicates:
            text += f", {self.duplicates} duplicate rows"
        if self.unplanned:
            text += f", {self.unplanned} runs not in the design"
        return text


def store_status(path: str | os.PathLike[str]) -> StoreStatus:
    """Count planned, done, failed and pending runs of a store."""
    manifest = read_manifest(path)
    planned_ids = set(read_design(path)["run_id"].tolist())
    table = read_table(path, "runs", columns=["run_id", "status"])
    ids = table.column("run_id").to_pylist() if table.num_rows else []
    statuses = table.column("status").to_pylist() if table.num_rows else []
    latest = dict(zip(ids, statuses, strict=True))
    done = sum(1 for rid, s in latest.items() if s == "ok" and rid in planned_ids)
    failed = sum(1 for rid, s in latest.items() if s != "ok" and rid in planned_ids)
    return StoreStatus(
        path=os.fspath(path),
        name=str(manifest.get("name", "")),
        planned=len(planned_ids),
        done=done,
        failed=failed,
        pending=len(planned_ids - set(latest)),
        duplicates=len(ids) - len(latest),
        unplanned=len(set(latest) - planned_ids),
    )


@dataclass
class MergeResult:
    """What a merge added to its target."""

    path: str
    added: int
    skipped: int
    status: StoreStatus


def merge_stores(
    sources: list[str | os.PathLike[str]], out: str | os.PathLike[str] | None = None
) -> MergeResult:
    """Combine shard stores of one experiment into ``out`` (default ``results/NAME``).

    Runs already in the target are skipped, so merging again adds nothing twice.
    """
    if not sources:
        raise StoreError("merge", "no source stores given")
    manifests = [read_manifest(source) for source in sources]
    first = manifests[0]
    for source, manifest in zip(sources[1:], manifests[1:], strict=True):
        difference = first_difference(first.get("fingerprint"), manifest.get("fingerprint"))
        if difference is not None:
            raise StoreError(
                source, f"made by a different experiment than {sources[0]} ({difference} differs)"
            )
    target = Path(out) if out is not None else Path("results") / str(first.get("name", "merged"))
    resolved = {Path(s).resolve() for s in sources}
    if target.resolve() in resolved:
        raise StoreError(target, "the target must not be one of the sources")
    designs = [pq.read_table(Path(s) / DESIGN) for s in sources]
    dtypes = design_dtypes(designs[0].schema)
    for source, design in zip(sources, designs, strict=True):
        if design_dtypes(design.schema) != dtypes:
            raise StoreError(source, "its parameters differ from the other sources'")
    largest = max(range(len(designs)), key=lambda i: designs[i].num_rows)
    design = designs[largest].to_pandas()
    planned = set(design["run_id"].tolist())
    for source, other in zip(sources, designs, strict=True):
        if not set(other.column("run_id").to_pylist()) <= planned:
            raise StoreError(source, "its design is not part of the largest source's design")

    existing: dict[str, Any] | None = None
    if target.exists() and any(target.iterdir()):
        existing = read_manifest(target)
        difference = first_difference(existing.get("fingerprint"), first.get("fingerprint"))
        if difference is not None:
            raise StoreError(target, f"made by a different experiment ({difference} differs)")
        old_design = read_design(target)
        if not set(old_design["run_id"].tolist()) <= planned:
            raise StoreError(target, "its design is not part of the sources' design")

    target.mkdir(parents=True, exist_ok=True)
    store = Store(target, design, dtypes, label="merge")
    store.cleanup()
    seen = set(store.run_status())
    added = skipped = 0
    for source in sources:
        runs_parts = sorted((Path(source) / "runs").glob("part-*.parquet"))
        for part in runs_parts:
            runs = pq.read_table(part)
            ids = runs.column("run_id").to_pylist()
            keep_ids = []
            for rid in ids:
                if rid in seen:
                    skipped += 1
                else:
                    keep_ids.append(rid)
                    seen.add(rid)
            if not keep_ids:
                continue
            keep = set(keep_ids)
            store._sequence += 1
            name = f"part-merge-{store.session}-{store._sequence:06d}.parquet"
            for table in ("crises", "timeseries"):
                partner = Path(source) / table / part.name
                if partner.is_file():
                    rows = pq.read_table(partner)
                    mask = [rid in keep for rid in rows.column("run_id").to_pylist()]
                    rows = rows.filter(pa.array(mask))
                    if rows.num_rows:
                        store.tables[table].write(table_columns(rows), name)
            mask = [rid in keep for rid in ids]
            store.tables["runs"].write(table_columns(runs.filter(pa.array(mask))), name)
            added += len(keep_ids)
    manifest = dict(existing or first)
    manifest["design"] = dict(manifest.get("design", {}), planned_runs=len(design))
    manifest["merged_from"] = [os.fspath(s) for s in sources]
    manifest["finished"] = now_iso()
    store.manifest = manifest
    write_parquet_atomic(design_table(design, dtypes), target / DESIGN)
    sample = Path(sources[largest]) / SAMPLE
    if sample.is_file():
        shutil.copyfile(sample, target / f".{SAMPLE}.tmp")
        os.replace(target / f".{SAMPLE}.tmp", target / SAMPLE)
    store.write_manifest()
    return MergeResult(os.fspath(target), added, skipped, store_status(target))
