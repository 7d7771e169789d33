"""The results store of a sweep: manifest, design and Parquet datasets.

Layout of a store folder (``results/NAME/``)::

    manifest.json      schema version, experiment, resolved scenario, seed, versions, times
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

Modules: ``manifest`` (the manifest and :class:`StoreError`), ``parts`` (atomic
Parquet parts), ``writer`` (:class:`Store`: open, write, resume), ``reader``
(:func:`load`, :class:`Results`), ``status`` and ``merge``.
"""

from sim.store.manifest import MANIFEST, STORE_SCHEMA_VERSION, StoreError, read_manifest
from sim.store.merge import MergeResult, merge_stores
from sim.store.parts import ARROW_TYPES, PartTable, read_table, write_parquet_atomic
from sim.store.reader import DESIGN, SAMPLE, Results, load, read_design
from sim.store.status import StoreStatus, store_status
from sim.store.writer import TABLES, RunOutput, Store, clear_store, design_table

__all__ = [
    "ARROW_TYPES",
    "DESIGN",
    "MANIFEST",
    "SAMPLE",
    "STORE_SCHEMA_VERSION",
    "TABLES",
    "MergeResult",
    "PartTable",
    "Results",
    "RunOutput",
    "Store",
    "StoreError",
    "StoreStatus",
    "clear_store",
    "design_table",
    "load",
    "merge_stores",
    "read_design",
    "read_manifest",
    "read_table",
    "store_status",
    "write_parquet_atomic",
]
