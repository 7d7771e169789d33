"""The results store of a sweep: manifest, design and Parquet datasets.

Layout of a store folder (``results/NAME/``)::

    manifest.json      schema version, experiment, resolved scenario, seed, versions, git
                       commit, and every invocation that wrote the store (start, end, runs)
    design.parquet     one row per planned run
    sample.parquet     sampling designs: the sampler's rows, in its order (for SALib analysis)
    runs/              one row per finished run (ok or failed)
    crises/            one row per crisis episode
    timeseries/        one row per recorded step

Each table folder is a Parquet dataset of parts. A batch of finished runs is written
as one part per table, all named ``part-BATCH.parquet``; the ``runs`` part goes last and
marks the batch as complete. Parts are written under a name starting with a dot, then
renamed, so readers never see a partial part (``pyarrow.dataset``, pandas, polars and
DuckDB skip dot files). Every part of a table has the same explicit schema.

Modules: ``output`` (:class:`RunOutput`, what a run sends back), ``manifest`` (the
manifest and :class:`StoreError`), ``parts`` (atomic Parquet parts), ``writer``
(:class:`Store`: open, write, resume), ``reader`` (:func:`load`, :class:`Results`),
``status``, ``merge`` and ``calibration`` (a calibration's store, see
:mod:`sim.store.calibration`). Names are imported on first use, so a sweep's worker that
needs only :class:`RunOutput` loads neither pyarrow nor pandas.
"""

from __future__ import annotations

from sim._lazy import lazy_exports

_EXPORTS: dict[str, str] = {
    "CalibrationStore": "sim.store.calibration",
    "load_calibration": "sim.store.calibration",
    "MANIFEST": "sim.store.manifest",
    "STORE_SCHEMA_VERSION": "sim.store.manifest",
    "StoreError": "sim.store.manifest",
    "read_manifest": "sim.store.manifest",
    "MergeResult": "sim.store.merge",
    "merge_stores": "sim.store.merge",
    "RunOutput": "sim.store.output",
    "ARROW_TYPES": "sim.store.parts",
    "PartTable": "sim.store.parts",
    "read_table": "sim.store.parts",
    "write_parquet_atomic": "sim.store.parts",
    "DESIGN": "sim.store.reader",
    "SAMPLE": "sim.store.reader",
    "Results": "sim.store.reader",
    "load": "sim.store.reader",
    "read_design": "sim.store.reader",
    "StoreStatus": "sim.store.status",
    "store_status": "sim.store.status",
    "TABLES": "sim.store.writer",
    "Store": "sim.store.writer",
    "clear_store": "sim.store.writer",
    "design_table": "sim.store.writer",
}

__all__ = list(_EXPORTS)

__getattr__ = lazy_exports(__name__, _EXPORTS)
