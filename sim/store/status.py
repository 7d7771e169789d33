"""Progress of a results store: planned, done, failed and pending runs."""

from __future__ import annotations

import os
from dataclasses import dataclass

from sim.store.manifest import read_manifest
from sim.store.parts import read_table
from sim.store.reader import count_status, read_design


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


def stored_status(path: str | os.PathLike[str]) -> tuple[dict[str, str], int]:
    """The latest status of every stored run by run id, and the number of repeated rows."""
    table = read_table(path, "runs", columns=["run_id", "status"])
    if table.num_rows == 0:
        return {}, 0
    ids = table.column("run_id").to_pylist()
    latest = dict(zip(ids, table.column("status").to_pylist(), strict=True))
    return latest, len(ids) - len(latest)


def store_status(path: str | os.PathLike[str]) -> StoreStatus:
    """Count planned, done, failed and pending runs of a store."""
    manifest = read_manifest(path)
    planned = set(read_design(path)["run_id"].tolist())
    latest, duplicates = stored_status(path)
    counts = count_status(planned, latest)
    return StoreStatus(
        path=os.fspath(path),
        name=str(manifest.get("name", "")),
        **counts,
        duplicates=duplicates,
        unplanned=len(set(latest) - planned),
    )
