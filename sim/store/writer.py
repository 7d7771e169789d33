"""Writing a results store: open (check, create or extend), write batches of runs, resume."""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from sim.experiment.designs import Design
from sim.experiment.files import Experiment
from sim.names import DESIGN_COLUMNS
from sim.store.create import (
    CALIBRATION_OUTPUTS,
    REPORT_OUTPUTS,
    STALE_SECONDS,
    create_store,
    empty_trash,
    existing_manifest,
    trash,
)
from sim.store.faults import fault
from sim.store.lock import LOCK, StoreLock, rewriting
from sim.store.manifest import (
    MANIFEST,
    StoreError,
    first_difference,
    invocations,
    jsonable,
    new_invocation,
    new_manifest,
    now_iso,
    read_manifest,
    store_kind,
    with_invocation,
    write_manifest,
)
from sim.store.output import RunOutput
from sim.store.parts import (
    ARROW_TYPES,
    TABLES,
    PartTable,
    arrow_kind,
    read_parquet,
    read_table,
    to_arrow,
    write_parquet_atomic,
)
from sim.store.reader import DESIGN, SAMPLE, check_store_parts

KEY_TYPES: dict[str, pa.DataType] = {
    "run_id": pa.string(),
    "point_id": pa.string(),
    "point_index": pa.int64(),
    "replicate": pa.int64(),
    "seed": pa.int64(),
}
"""Arrow types of the design's key columns (:data:`sim.names.DESIGN_COLUMNS`)."""


def design_table(design: pd.DataFrame, dtypes: Mapping[str, str]) -> pa.Table:
    """The design as an Arrow table with explicit types."""
    fields = [pa.field(name, KEY_TYPES[name]) for name in DESIGN_COLUMNS]
    fields += [pa.field(name, ARROW_TYPES[kind]) for name, kind in dtypes.items()]
    schema = pa.schema(fields)
    arrays = [to_arrow(design[f.name].tolist(), f.type) for f in schema]
    return pa.Table.from_arrays(arrays, schema=schema)


def design_dtypes(schema: pa.Schema) -> dict[str, str]:
    """Parameter column types of a design schema."""
    return {f.name: arrow_kind(f.type) for f in schema if f.name not in DESIGN_COLUMNS}


def _stale(entry: Path, now: float) -> bool:
    """Whether a file is older than :data:`STALE_SECONDS` (False when it is gone)."""
    try:
        return now - entry.stat().st_mtime > STALE_SECONDS
    except FileNotFoundError:
        return False


def _batch_of(part: Path) -> str:
    return part.name.removeprefix("part-").removesuffix(".parquet")


def writer_lock(folder: Path, label: str, force: bool) -> StoreLock:
    """The lock a writer labelled ``label`` takes: shared for a shard, else exclusive."""
    return StoreLock(folder, label, shared=label not in ("all", "merge") and not force)


def refuse_if_busy(path: str | os.PathLike[str], label: str = "all", force: bool = False) -> None:
    """Raise :class:`~sim.store.lock.StoreBusy` at once when another writer holds the store
    at ``path`` (before work that comes ahead of opening it); nothing is kept."""
    folder = Path(path)
    if (folder / LOCK).exists():
        writer_lock(folder, label, force).acquire().release()


class Store:
    """An open results store that a sweep writes into.

    Build with :meth:`open`, which checks an existing store against the experiment
    before anything is written.
    """

    def __init__(self, path: Path, design: pd.DataFrame, dtypes: Mapping[str, str], label: str):
        self.path = path
        self.design = design
        self.dtypes = dict(dtypes)
        self.label = label
        self.session = f"{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}-{secrets.token_hex(2)}"
        self._sequence = 0
        self._position = {rid: i for i, rid in enumerate(design["run_id"].tolist())}
        self.manifest: dict[str, Any] = {}
        self.invocation: dict[str, Any] = new_invocation("sweep")
        self.lock: StoreLock | None = None
        param_fields = [pa.field(n, ARROW_TYPES[k]) for n, k in self.dtypes.items()]
        self.tables = {
            "runs": PartTable(
                path / "runs",
                head=[
                    pa.field("run_id", pa.string()),
                    pa.field("point_id", pa.string()),
                    pa.field("replicate", pa.int64()),
                    pa.field("status", pa.string()),
                    pa.field("seed", pa.int64()),
                    *param_fields,
                ],
                tail=[pa.field("duration_s", pa.float64()), pa.field("error", pa.string())],
            ),
            "crises": PartTable(
                path / "crises",
                head=[pa.field("run_id", pa.string()), pa.field("episode", pa.int64())],
            ),
            "timeseries": PartTable(path / "timeseries", head=[pa.field("run_id", pa.string())]),
        }

    # -- opening -------------------------------------------------------------------------
    @classmethod
    def check(
        cls, path: str | os.PathLike[str], experiment: Experiment, design: Design, force: bool
    ) -> dict[str, Any] | None:
        """Check that ``experiment`` may run into ``path``; returns the existing manifest.

        Raises :class:`StoreError` for a folder that is not a store, or a store made by
        another experiment: another name, or a difference beyond added points or
        replicates (unless ``force``). Writes nothing.
        """
        folder = Path(path)
        manifest = existing_manifest(folder, any_version=force)
        if manifest is None:
            return None
        if not force:
            _check_same_experiment(folder, manifest, experiment, design)
            check_store_parts([folder], manifest)
        return manifest

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str],
        experiment: Experiment,
        design: Design,
        *,
        force: bool = False,
        label: str = "all",
        command: str | None = None,
    ) -> Store:
        """Check, then create or extend the store at ``path`` for ``experiment``, locked.

        The store appears whole (with its manifest) or not at all; the returned store
        holds its lock until :meth:`close`. Raises :class:`StoreError` (a store of another
        experiment) or :class:`~sim.store.lock.StoreBusy` (another writer holds it).
        """
        folder = Path(path)
        cls.check(folder, experiment, design, force)

        invocation = new_invocation("sweep", command)

        def fill(temp: Path) -> None:
            new = cls(temp, design.runs, design.dtypes, label)
            new.begin(experiment, design, None, invocation)

        created = create_store(folder, fill)
        lock = writer_lock(folder, label, force)
        lock.acquire()
        try:
            fault("locked", folder)
            previous = cls.check(folder, experiment, design, force)
            if force and previous is not None and not created:
                trash(folder, (*TABLES, SAMPLE, *REPORT_OUTPUTS, *CALIBRATION_OUTPUTS))
                previous = None
            store = cls(folder, design.runs, design.dtypes, label)
            store.lock = lock
            store.cleanup()
            store.begin(experiment, design, previous, invocation)
        except BaseException:
            lock.release()
            raise
        return store

    def begin(
        self,
        experiment: Experiment,
        design: Design,
        previous: dict[str, Any] | None,
        invocation: dict[str, Any],
    ) -> None:
        """Write the design (and sample), then the manifest with ``invocation``: its start."""
        for table in TABLES:
            (self.path / table).mkdir(exist_ok=True)
        history = list(previous.get("experiment_history", [])) if previous else []
        if experiment.sha256 not in history:
            history.append(experiment.sha256)
        self.manifest = new_manifest(experiment, design, history, invocation["command"])
        self.invocation = invocation
        write_parquet_atomic(design_table(design.runs, design.dtypes), self.path / DESIGN)
        fault("create-design", self.path / DESIGN)
        if design.sample is not None:
            write_parquet_atomic(
                pa.Table.from_pandas(design.sample, preserve_index=False), self.path / SAMPLE
            )
        self.write_manifest()
        fault("create-manifest", self.path / MANIFEST)

    def close(self) -> None:
        """Release the store's lock."""
        if self.lock is not None:
            self.lock.release()
            self.lock = None

    def write_manifest(self) -> None:
        """Write the manifest atomically, with this invocation among those on disk.

        Shards write one store side by side: each keeps the others' invocations.
        """
        with rewriting(self.path):
            try:
                others = invocations(read_manifest(self.path))
            except StoreError:  # none yet (a new store), or unreadable: keep what we know
                others = list(self.manifest.get("invocations", []))
            self.manifest = with_invocation(self.manifest, others, self.invocation)
            write_manifest(self.path, self.manifest)

    def finish(self, summary: Mapping[str, Any], runs: int) -> None:
        """Record the end of this invocation (``runs`` it ran) in the manifest."""
        self.invocation.update(finished=now_iso(), runs=runs)
        self.manifest["last_session"] = dict(summary)
        self.manifest["schemas"] = {
            name: [[f.name, str(f.type)] for f in table.schema] if table.schema else None
            for name, table in self.tables.items()
        }
        self.write_manifest()

    def cleanup(self, alone: bool | None = None) -> None:
        """Remove unfinished parts: dot files and batches without a ``runs`` part.

        A writer that holds the store alone (``alone``; by default, when its lock is
        exclusive) removes all of them: no one else can be writing. A shard removes its
        own, and other writers' only when stale, since other shards may be writing them.
        """
        if alone is None:
            alone = self.lock is not None and self.lock.locked and not self.lock.shared
        batches = {_batch_of(p) for p in self.tables["runs"].parts()}
        now = time.time()

        def unfinished(entry: Path, own: bool) -> None:
            if own or alone or _stale(entry, now):
                entry.unlink(missing_ok=True)

        for table in TABLES:
            folder = self.path / table
            if not folder.is_dir():
                continue
            for entry in folder.iterdir():
                if entry.name.startswith("."):
                    unfinished(entry, f"part-{self.label}-" in entry.name)
                elif table != "runs" and entry.name.startswith("part-"):
                    if _batch_of(entry) not in batches:
                        unfinished(entry, entry.name.startswith(f"part-{self.label}-"))
        for entry in self.path.glob(".*.tmp"):  # other shards' files being written stay
            unfinished(entry, False)
        empty_trash(self.path)

    # -- reading -------------------------------------------------------------------------
    def run_status(self) -> dict[str, str]:
        """Status (``ok`` / ``failed``) of every stored run, by run id."""
        table = read_table(self.path, "runs", columns=["run_id", "status"])
        if table.num_rows == 0:
            return {}
        return dict(
            zip(table.column("run_id").to_pylist(), table.column("status").to_pylist(), strict=True)
        )

    def remove_runs(self, run_ids: Iterable[str]) -> int:
        """Delete the rows of ``run_ids`` from every table (parts rewritten atomically)."""
        drop = set(run_ids)
        if not drop:
            return 0
        removed = 0
        with rewriting(self.path):
            for name in ("crises", "timeseries", "runs"):
                for part in self.tables[name].parts():
                    table = read_parquet(part)
                    ids = table.column("run_id").to_pylist()
                    keep = [rid not in drop for rid in ids]
                    if all(keep):
                        continue
                    if name == "runs":
                        removed += len(keep) - sum(keep)
                    kept = table.filter(pa.array(keep))
                    if kept.num_rows == 0:
                        part.unlink()
                    else:
                        write_parquet_atomic(kept, part)
        return removed

    # -- writing -------------------------------------------------------------------------
    def write_batch(self, outputs: list[RunOutput]) -> None:
        """Store finished runs: crises and series parts first, the runs part last."""
        if not outputs:
            return
        name = self.next_part_name()
        crises: dict[str, list[Any]] = {"run_id": [], "episode": []}
        crisis_rows = 0
        for output in outputs:
            for episode, crisis in enumerate(output.crises):
                crises["run_id"].append(output.run_id)
                crises["episode"].append(episode)
                for key, value in crisis.items():
                    if key in ("run_id", "episode"):
                        continue
                    column = crises.setdefault(key, [None] * crisis_rows)
                    column.append(value)
                crisis_rows += 1
                for column in crises.values():
                    if len(column) < crisis_rows:
                        column.append(None)
        if crisis_rows:
            self.tables["crises"].write(crises, name)
        series_parts = [o for o in outputs if o.series]
        if series_parts:
            self.tables["timeseries"].write(_series_columns(series_parts), name)
        self.tables["runs"].write(self._runs_columns(outputs), name)
        fault("batch-written", self.path / "runs" / name)

    def next_part_name(self) -> str:
        """The file name of this writer's next batch of parts (one per table)."""
        self._sequence += 1
        return f"part-{self.label}-{self.session}-{self._sequence:06d}.parquet"

    def _runs_columns(self, outputs: list[RunOutput]) -> dict[str, Any]:
        positions = [self._position[o.run_id] for o in outputs]
        rows = self.design.iloc[positions]
        columns: dict[str, Any] = {
            "run_id": [o.run_id for o in outputs],
            "point_id": rows["point_id"].tolist(),
            "replicate": rows["replicate"].tolist(),
            "status": [o.status for o in outputs],
            "seed": [int(o.seed) for o in outputs],
        }
        for name in self.dtypes:
            columns[name] = rows[name].tolist()
        names: dict[str, None] = {}
        for output in outputs:
            names.update(dict.fromkeys(output.outcomes))
        for name in names:
            columns[name] = [o.outcomes.get(name) for o in outputs]
        columns["duration_s"] = [float(o.duration_s) for o in outputs]
        columns["error"] = [o.error for o in outputs]
        return columns


def _series_columns(outputs: list[RunOutput]) -> dict[str, Any]:
    names: dict[str, None] = {}
    for output in outputs:
        assert output.series is not None
        if "step" in output.series:
            names["step"] = None
    for output in outputs:
        assert output.series is not None
        names.update(dict.fromkeys(output.series))
    lengths = [len(next(iter(o.series.values()))) if o.series else 0 for o in outputs]
    owners = np.repeat(np.arange(len(outputs)), lengths)
    columns: dict[str, Any] = {
        "run_id": pc.take(pa.array([o.run_id for o in outputs], type=pa.string()), owners)
    }
    for name in names:
        pieces = []
        for output, length in zip(outputs, lengths, strict=True):
            assert output.series is not None
            values = output.series.get(name)
            if values is None:
                pieces.append(np.full(length, None, dtype=object))
            else:
                pieces.append(np.asarray(values))
        kinds = {piece.dtype.kind for piece in pieces}
        if kinds <= set("biuf") and len(kinds) == 1:
            columns[name] = np.concatenate(pieces)
        elif kinds <= set("iuf"):
            columns[name] = np.concatenate([p.astype(np.float64) for p in pieces])
        else:
            columns[name] = np.concatenate([p.astype(object) for p in pieces]).tolist()
    return columns


def clear_store(path: Path) -> None:
    """Delete what a store made (tables, manifest, design, sample, report), nothing else."""
    empty_trash(path)
    trash(path, (*TABLES, MANIFEST, DESIGN, SAMPLE, *REPORT_OUTPUTS, *CALIBRATION_OUTPUTS))
    empty_trash(path)


def _check_same_experiment(
    folder: Path, manifest: dict[str, Any], experiment: Experiment, design: Design
) -> None:
    """Raise :class:`StoreError` unless ``experiment`` may extend the store of ``manifest``."""
    if store_kind(manifest) != "sweep":
        raise StoreError(
            folder,
            f"the store holds a {store_kind(manifest)}, not a sweep's runs; use another --out "
            "(or --force to replace it)",
        )
    if manifest.get("name") != experiment.name:
        raise StoreError(
            folder,
            f"the store belongs to experiment {manifest.get('name')!r}, not {experiment.name!r}; "
            "use another --out (or --force to replace its results)",
        )
    new = jsonable(experiment.fingerprint())
    difference = first_difference(manifest.get("fingerprint", {}), new)
    if difference is not None:
        raise StoreError(
            folder,
            f"the store was made by a different experiment ({difference} differs); "
            "only added points or replicates can extend a store "
            "(use --force to replace its results, or another --out)",
        )
    if (folder / DESIGN).exists():
        _check_design(folder, read_parquet(folder / DESIGN), design)


def _check_design(folder: Path, old_design: pa.Table, design: Design) -> None:
    old_params = design_dtypes(old_design.schema)
    if old_params != design.dtypes:
        raise StoreError(
            folder,
            "the experiment's parameters differ from the store's "
            f"({', '.join(old_params) or 'none'} -> {', '.join(design.dtypes) or 'none'}); "
            "use --force or another --out",
        )
    old_ids = set(old_design.column("run_id").to_pylist())
    missing = old_ids - set(design.runs["run_id"].tolist())
    if missing:
        raise StoreError(
            folder,
            f"the experiment drops {len(missing)} planned runs of the store "
            "(removed points or replicates); use --force or another --out",
        )
