"""The store of a calibration: its manifest, its candidates, its generations, its posterior.

Layout of a calibration's store folder (``results/NAME/``)::

    manifest.json                  kind "calibration", the experiment, the resolved
                                   scenario, the seed, the [calibration] table, versions,
                                   git commit and every invocation (as a sweep's)
    calibration/candidates/        one row per evaluated candidate: generation, candidate,
                                   parent, draws, the parameters, the statistics,
                                   distance, ok and failed runs, error, duration_s
    calibration/particles.parquet  every generation's accepted particles: generation,
                                   particle, candidate, weight, distance, the parameters
                                   and the statistics
    calibration/generations.parquet one row per generation: tolerance, candidates,
                                   accepted, acceptance rate, effective sample size, runs
    calibration/predictive/        the posterior predictive check: one row per posterior
                                   draw (its particle, parameters and statistics)
    posterior.toml                 the posterior medians as a scenario snippet

The candidates are the calibration's record: a restart reads them and recomputes every
generation from them, simulating only the candidates missing. The store is created,
locked and forced as a sweep's (:mod:`sim.store.create`, :mod:`sim.store.lock`); a
sweep's store is not a calibration's, nor the other way round, without ``--force``.
"""

from __future__ import annotations

import os
import secrets
import time
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from sim.experiment.calibration import CalibrationSpec
from sim.experiment.files import Experiment
from sim.store.create import (
    CALIBRATION_OUTPUTS,
    REPORT_OUTPUTS,
    create_store,
    empty_trash,
    existing_manifest,
    trash,
)
from sim.store.faults import fault
from sim.store.lock import StoreLock, rewriting
from sim.store.manifest import (
    CALIBRATION,
    MANIFEST,
    StoreError,
    base_manifest,
    first_difference,
    invocations,
    jsonable,
    new_invocation,
    now_iso,
    read_manifest,
    store_kind,
    with_invocation,
    write_manifest,
)
from sim.store.parts import (
    TABLES,
    PartTable,
    check_parts,
    read_parquet,
    read_table,
    write_parquet_atomic,
)
from sim.store.reader import DESIGN, SAMPLE, to_frame

FOLDER = CALIBRATION_OUTPUTS[0]
POSTERIOR = CALIBRATION_OUTPUTS[1]
CANDIDATES = "candidates"
PREDICTIVE = "predictive"
PARTICLES = "particles.parquet"
GENERATIONS = "generations.parquet"
TAIL = [
    pa.field("distance", pa.float64()),
    pa.field("ok", pa.int64()),
    pa.field("failed", pa.int64()),
    pa.field("error", pa.string()),
    pa.field("duration_s", pa.float64()),
]
HEADS: dict[str, list[pa.Field]] = {
    CANDIDATES: [
        pa.field("generation", pa.int64()),
        pa.field("candidate", pa.int64()),
        pa.field("parent", pa.int64()),
        pa.field("draws", pa.int64()),
    ],
    PREDICTIVE: [pa.field("draw", pa.int64()), pa.field("particle", pa.int64())],
}
"""The leading columns of the two tables of parts; parameters and statistics follow."""


def calibration_fingerprint(experiment: Experiment) -> dict[str, Any]:
    """What a calibration's store must share with the experiment to be continued by it:
    the sweep's fingerprint, the fixed parameters and the whole ``[calibration]`` table."""
    assert experiment.calibration is not None
    fixed = {p.name: p.values[0] for p in experiment.parameters}
    return jsonable(
        {
            **experiment.fingerprint(),
            "parameters": fixed,
            "calibration": experiment.calibration.to_dict(),
        }
    )


def _check_same(folder: Path, manifest: dict[str, Any], experiment: Experiment) -> None:
    if store_kind(manifest) != CALIBRATION:
        raise StoreError(
            folder, "the store holds a sweep's runs, not a calibration; use another --out "
            "(or --force to replace them)",
        )  # fmt: skip
    if manifest.get("name") != experiment.name:
        raise StoreError(
            folder, f"the store belongs to calibration {manifest.get('name')!r}, not "
            f"{experiment.name!r}; use another --out (or --force to replace its results)",
        )  # fmt: skip
    difference = first_difference(
        manifest.get("fingerprint", {}), calibration_fingerprint(experiment)
    )
    if difference is not None:
        raise StoreError(
            folder, f"the store was made by a different calibration ({difference} differs); "
            "use --force to replace its results, or another --out",
        )  # fmt: skip


class CalibrationStore:
    """An open calibration store, locked; build with :meth:`open`."""

    def __init__(self, path: Path, spec: CalibrationSpec, label: str = "all") -> None:
        self.path = path
        self.spec = spec
        self.label = label
        self.session = f"{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}-{secrets.token_hex(2)}"
        self._sequence = 0
        self.manifest: dict[str, Any] = {}
        self.invocation: dict[str, Any] = new_invocation("calibrate")
        self.lock: StoreLock | None = None
        self.tables = {
            name: PartTable(path / FOLDER / name, head=head, tail=TAIL)
            for name, head in HEADS.items()
        }

    @classmethod
    def check(
        cls, path: str | os.PathLike[str], experiment: Experiment, force: bool
    ) -> dict[str, Any] | None:
        """Check that ``experiment`` may calibrate into ``path``; its manifest, if a store.

        Raises :class:`StoreError` for a folder that is not a store, a sweep's store or a
        store of another calibration (unless ``force``). Writes nothing.
        """
        folder = Path(path)
        manifest = existing_manifest(folder, any_version=force)
        if manifest is None:
            return None
        if not force:
            _check_same(folder, manifest, experiment)
            check_parts(folder / FOLDER / name for name in HEADS)
        return manifest

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str],
        experiment: Experiment,
        *,
        force: bool = False,
        command: str | None = None,
    ) -> CalibrationStore:
        """Check, then create or continue the store at ``path``, locked until :meth:`close`."""
        spec = experiment.calibration
        assert spec is not None
        folder = Path(path)
        cls.check(folder, experiment, force)
        invocation = new_invocation("calibrate", command)

        def fill(temp: Path) -> None:
            cls(temp, spec).begin(experiment, None, invocation)

        created = create_store(folder, fill)
        lock = StoreLock(folder, "all", shared=False)
        lock.acquire()
        try:
            fault("locked", folder)
            previous = cls.check(folder, experiment, force)
            if force and previous is not None and not created:
                names = (*TABLES, DESIGN, SAMPLE, *REPORT_OUTPUTS, *CALIBRATION_OUTPUTS)
                trash(folder, names)
                previous = None
            store = cls(folder, spec)
            store.lock = lock
            store.cleanup()
            store.begin(experiment, previous, invocation)
        except BaseException:
            lock.release()
            raise
        return store

    def begin(
        self, experiment: Experiment, previous: dict[str, Any] | None, invocation: dict[str, Any]
    ) -> None:
        """Write the manifest with ``invocation`` (its start)."""
        (self.path / FOLDER).mkdir(exist_ok=True)
        history = list(previous.get("experiment_history", [])) if previous else []
        if experiment.sha256 not in history:
            history.append(experiment.sha256)
        assert experiment.calibration is not None
        middle = {"kind": CALIBRATION, "calibration": experiment.calibration.to_dict()}
        fingerprint = calibration_fingerprint(experiment)
        self.manifest = base_manifest(
            experiment, history, invocation["command"], middle, fingerprint
        )
        self.invocation = invocation
        self.write_manifest()
        fault("create-manifest", self.path / MANIFEST)

    def write_manifest(self) -> None:
        """Write the manifest atomically, with this invocation among those on disk."""
        with rewriting(self.path):
            try:
                others = invocations(read_manifest(self.path))
            except StoreError:
                others = list(self.manifest.get("invocations", []))
            self.manifest = with_invocation(self.manifest, others, self.invocation)
            write_manifest(self.path, self.manifest)

    def cleanup(self) -> None:
        """Remove what a killed writer left unfinished: dot files of parts, temporaries."""
        folder = self.path / FOLDER
        for entry in [*folder.glob("*/.*"), *folder.glob(".*.tmp"), *self.path.glob(".*.tmp")]:
            entry.unlink(missing_ok=True)
        empty_trash(self.path)

    def close(self) -> None:
        """Release the store's lock."""
        if self.lock is not None:
            self.lock.release()
            self.lock = None

    def finish(self, summary: Mapping[str, Any], runs: int) -> None:
        """Record the end of this invocation (``runs`` it simulated) in the manifest."""
        self.invocation.update(finished=now_iso(), runs=runs)
        self.manifest["last_session"] = dict(summary)
        self.write_manifest()

    # -- tables ----------------------------------------------------------------------------
    def append(self, table: str, columns: Mapping[str, Any]) -> None:
        """Write rows (``columns``: name -> values) as a new part of ``candidates`` or
        ``predictive``."""
        self._sequence += 1
        self.tables[table].write(columns, f"part-{self.session}-{self._sequence:06d}.parquet")

    def read(self, table: str) -> pd.DataFrame:
        """A table of parts, one row per key (the first stored), sorted by its key."""
        return read_parts(self.path, table)

    def write_frame(self, name: str, frame: pd.DataFrame) -> None:
        """Replace ``calibration/NAME`` (``particles.parquet``, ``generations.parquet``)."""
        table = pa.Table.from_pandas(frame, preserve_index=False)
        write_parquet_atomic(table, self.path / FOLDER / name)

    def write_text(self, name: str, text: str) -> None:
        """Replace a text file of the store (``posterior.toml``) atomically."""
        target = self.path / name
        temp = target.with_name(f".{name}.{secrets.token_hex(4)}.tmp")
        temp.write_text(text, encoding="utf-8")
        os.replace(temp, target)


def read_parts(path: str | os.PathLike[str], table: str) -> pd.DataFrame:
    """``candidates`` or ``predictive`` of a calibration store, sorted by its key."""
    key = [HEADS[table][0].name, HEADS[table][1].name]
    frame = read_table(Path(path) / FOLDER, table)
    if frame.num_rows == 0:
        return pd.DataFrame(columns=[f.name for f in (*HEADS[table], *TAIL)])
    rows = to_frame(frame).drop_duplicates(key, keep="first")
    return rows.sort_values(key, kind="stable").reset_index(drop=True)


@dataclass
class CalibrationResults:
    """A calibration's store, read.

    Attributes:
        path: the store folder.
        manifest: the manifest (a dict).
        spec: the ``[calibration]`` table it ran.
        candidates: every evaluated candidate.
        particles: every generation's accepted particles.
        generations: one row per generation.
        predictive: the posterior predictive check's draws.
        posterior: the text of ``posterior.toml`` (empty when absent).
    """

    path: Path
    manifest: dict[str, Any]
    spec: CalibrationSpec
    candidates: pd.DataFrame
    particles: pd.DataFrame
    generations: pd.DataFrame
    predictive: pd.DataFrame
    posterior: str

    @property
    def name(self) -> str:
        """The calibration's name."""
        return str(self.manifest.get("name") or self.path.name)

    @property
    def description(self) -> str:
        """The experiment's description."""
        text = (self.manifest.get("experiment") or {}).get("content") or ""
        try:
            return str(tomllib.loads(text).get("description", "")).strip()
        except tomllib.TOMLDecodeError:
            return ""

    @property
    def final(self) -> pd.DataFrame:
        """The last generation's particles: the posterior (weighted samples)."""
        if self.particles.empty:
            return self.particles
        last = self.particles["generation"].max()
        return self.particles[self.particles["generation"] == last].reset_index(drop=True)


def _optional(path: Path) -> pd.DataFrame:
    return to_frame(read_parquet(path)) if path.is_file() else pd.DataFrame()


def load_calibration(path: str | os.PathLike[str]) -> CalibrationResults:
    """Read a calibration's store; :class:`StoreError` when it is not one."""
    folder = Path(path)
    manifest = read_manifest(folder)
    if store_kind(manifest) != CALIBRATION or "calibration" not in manifest:
        raise StoreError(folder, "not a calibration's store")
    posterior = folder / POSTERIOR
    return CalibrationResults(
        path=folder,
        manifest=manifest,
        spec=CalibrationSpec.from_dict(manifest["calibration"]),
        candidates=read_parts(folder, CANDIDATES),
        particles=_optional(folder / FOLDER / PARTICLES),
        generations=_optional(folder / FOLDER / GENERATIONS),
        predictive=read_parts(folder, PREDICTIVE),
        posterior=posterior.read_text(encoding="utf-8") if posterior.is_file() else "",
    )
