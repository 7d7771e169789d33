"""Parquet datasets of atomic parts that share one explicit schema.

A part is written under a name starting with a dot, synced, then renamed into place, so
readers never see a partial part. Column types come from the first values written and
stay: integers stay integers (whole floats are stored as integers in an integer
column). A new column, or a type widened by a value that does not fit (an integer
column meeting a fraction), updates the schema and rewrites earlier parts.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Collection, Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.dataset as pads
import pyarrow.parquet as pq

from sim.store.create import sync_folder
from sim.store.faults import fault
from sim.store.lock import rewriting
from sim.store.manifest import StoreError

ARROW_TYPES: dict[str, pa.DataType] = {
    "int64": pa.int64(),
    "float64": pa.float64(),
    "bool": pa.bool_(),
    "string": pa.string(),
}


def _kind(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool | np.bool_):
        return "bool"
    if isinstance(value, int | np.integer):
        return "int64"
    if isinstance(value, float | np.floating):
        return "float64"
    return "string"


def _infer(values: Iterable[Any]) -> str | None:
    kinds = {kind for kind in map(_kind, values) if kind is not None}
    if not kinds:
        return None
    if len(kinds) == 1:
        return kinds.pop()
    if kinds == {"int64", "float64"}:
        return "float64"
    return "string"


def arrow_kind(dtype: pa.DataType) -> str:
    """The store's type name (``bool``, ``int64``, ``float64``, ``string``) of an Arrow type."""
    if pa.types.is_boolean(dtype):
        return "bool"
    if pa.types.is_integer(dtype):
        return "int64"
    if pa.types.is_floating(dtype):
        return "float64"
    return "string"


def _kind_of(array: pa.Array) -> str | None:
    """The store's type of an array (None for an array of nulls only)."""
    return None if pa.types.is_null(array.type) else arrow_kind(array.type)


def _whole(array: pa.Array) -> bool:
    """Whether every value of a float array is a whole number an int64 holds."""
    values = array.drop_null().to_numpy()
    return bool(np.all(np.isfinite(values) & (values == np.floor(values)) & (abs(values) < 2**63)))


def _promote(old: str | None, new: str | None) -> str | None:
    if old is None or new is None or old == new:
        return old or new
    if {old, new} == {"int64", "float64"}:
        return "float64"
    return "string"


def write_parquet_atomic(table: pa.Table, path: Path) -> None:
    """Write ``table`` to ``path`` under a dot name, sync it, then rename it into place.

    A file-system error (a full disk, a read-only store) is raised as an ``OSError``
    naming ``path``.
    """
    temp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        with open(temp, "wb") as handle:
            pq.write_table(table, handle, compression="zstd")
            handle.flush()
            os.fsync(handle.fileno())
        fault("part-temp", path)
        os.replace(temp, path)
    except BaseException as err:
        with contextlib.suppress(OSError):
            temp.unlink(missing_ok=True)
        if isinstance(err, OSError):
            raise OSError(err.errno, err.strerror or str(err), os.fspath(path)) from None
        raise
    sync_folder(path.parent)
    fault("part-renamed", path)


def part_files(folder: Path) -> list[Path]:
    """The parts of a table folder, sorted by name (none when the folder is absent)."""
    return sorted(folder.glob("part-*.parquet")) if folder.is_dir() else []


def _regular(path: Path) -> None:
    if not path.is_file():
        raise StoreError(path, "not a regular file" if path.exists() else "no such file")


def read_parquet(path: Path, columns: list[str] | None = None) -> pa.Table:
    """One Parquet file of a store; :class:`StoreError` naming it when it cannot be read."""
    _regular(path)
    try:
        return pq.read_table(path, columns=columns)
    except (OSError, pa.ArrowException) as err:
        raise StoreError(path, f"unreadable Parquet file ({_first_line(err)})") from None


def read_schema(path: Path) -> pa.Schema:
    """The schema of one Parquet file of a store; :class:`StoreError` when unreadable."""
    _regular(path)
    try:
        return pq.read_schema(path)
    except (OSError, pa.ArrowException) as err:
        raise StoreError(path, f"unreadable Parquet file ({_first_line(err)})") from None


TABLES: tuple[str, ...] = ("runs", "crises", "timeseries")
"""The table folders of a sweep's store."""
REQUIRED: dict[str, dict[str, str]] = {
    "runs": {"run_id": "string", "status": "string"},
    "crises": {"run_id": "string", "episode": "int64"},
    "timeseries": {"run_id": "string"},
}
"""The columns (and their types) every part of a table of a sweep's store holds."""


def check_parts(folders: Iterable[Path], numbers: Collection[str] = ()) -> None:
    """Check every part in ``folders`` before a store is read or written.

    :class:`StoreError` names the first problem: a table path that is not a folder, a
    part that is not a readable Parquet file, a part of ``runs``, ``crises`` or
    ``timeseries`` without that table's columns (:data:`REQUIRED`: a foreign Parquet
    file), or a column whose type differs between parts of tables of one name (the
    folders of several stores are checked together: the sources of a merge). The
    columns ``numbers`` of ``runs`` parts must hold numbers or booleans (an alliance
    store's outcomes).
    """
    kinds: dict[tuple[str, str], tuple[str, Path]] = {}
    for folder in folders:
        if folder.exists() and not folder.is_dir():
            raise StoreError(folder, "not a folder")
        required = REQUIRED.get(folder.name, {})
        for part in part_files(folder):
            schema = read_schema(part)
            for name, kind in required.items():
                if name not in schema.names:
                    raise StoreError(
                        part, f"not a part of {folder.name}/: it lacks the column {name}"
                    )
                if pa.types.is_null(schema.field(name).type):
                    continue
                if arrow_kind(schema.field(name).type) != kind:
                    found = arrow_kind(schema.field(name).type)
                    raise StoreError(part, f"column {name}: expected {kind} values, got {found}")
            for column in schema:
                if pa.types.is_null(column.type):
                    continue
                kind = arrow_kind(column.type)
                if folder.name == "runs" and column.name in numbers and kind == "string":
                    raise StoreError(part, f"column {column.name}: expected numbers, got text")
                seen = kinds.setdefault((folder.name, column.name), (kind, part))
                if seen[0] == kind or {seen[0], kind} == {"int64", "float64"}:
                    continue
                if _all_null(part, column.name):
                    continue  # a part without a value in it typed it as the default
                if _all_null(seen[1], column.name):
                    kinds[(folder.name, column.name)] = (kind, part)
                    continue
                raise StoreError(
                    part, f"column {column.name}: {kind} values, but {seen[0]} in {seen[1]}"
                )


def _all_null(part: Path, name: str) -> bool:
    """Whether column ``name`` of ``part`` holds no value (read only on a type conflict)."""
    return (
        pq.read_table(part, columns=[name]).column(name).null_count
        == pq.read_metadata(part).num_rows
    )


def _first_line(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__


class PartTable:
    """A table folder of Parquet parts sharing one schema.

    Args:
        folder: the table folder.
        head: leading fields of known type.
        tail: trailing fields of known type.

    Columns between head and tail get their types from the values written. A column
    that appears later, or a type that widens (int to float), updates the schema and
    rewrites the existing parts, so that all parts keep one schema.
    """

    def __init__(self, folder: Path, head: list[pa.Field], tail: list[pa.Field] | None = None):
        self.folder = folder
        self.head = head
        self.tail = tail or []
        self.schema: pa.Schema | None = None
        self._valued: set[str] = set()
        parts = self.parts()
        if parts:
            self.schema = read_schema(parts[0])

    def parts(self) -> list[Path]:
        """The table's finished parts, sorted by name."""
        return part_files(self.folder)

    def _middle(self) -> dict[str, str]:
        if self.schema is None:
            return {}
        fixed = {f.name for f in self.head} | {f.name for f in self.tail}
        return {f.name: arrow_kind(f.type) for f in self.schema if f.name not in fixed}

    def _schema_for(self, middle: Mapping[str, str]) -> pa.Schema:
        fields = [*self.head]
        fields += [pa.field(name, ARROW_TYPES[kind]) for name, kind in middle.items()]
        fields += self.tail
        return pa.schema(fields)

    def write(self, columns: Mapping[str, Any], name: str) -> int:
        """Write one part called ``name`` from ``columns`` (name -> values); returns its rows.

        Values are lists of Python scalars or numpy arrays.
        """
        if not columns:
            return 0
        lengths = {len(values) for values in columns.values()}
        if len(lengths) != 1:
            raise ValueError("columns of unequal length")
        rows = lengths.pop()
        if rows == 0:
            return 0
        self.folder.mkdir(parents=True, exist_ok=True)
        with rewriting(self.folder.parent):  # another shard may widen the schema meanwhile
            return self._write(columns, rows, name)

    def _write(self, columns: Mapping[str, Any], rows: int, name: str) -> int:
        parts = self.parts()
        if parts:  # another writer (a shard) may have set or widened the schema
            self.schema = read_schema(parts[0])
        known = {f.name: f for f in (*self.head, *self.tail)}
        middle = dict(self._middle())
        converted = {column: _arrow_column(values) for column, values in columns.items()}
        for column, array in converted.items():
            if column in known:
                continue
            if column in middle:
                middle[column] = self._settle(column, middle[column], array)
            else:
                middle[column] = _kind_of(array) or "float64"
        schema = self._schema_for(middle)
        if self.schema is not None and not schema.equals(self.schema):
            self._rewrite(schema)
        self.schema = schema
        arrays = []
        for schema_field in schema:
            array = converted.get(schema_field.name)
            if array is None:
                arrays.append(pa.nulls(rows, type=schema_field.type))
            elif array.type.equals(schema_field.type):
                arrays.append(array)
            else:
                arrays.append(array.cast(schema_field.type))
        table = pa.Table.from_arrays(arrays, schema=schema)
        write_parquet_atomic(table, self.folder / name)
        return rows

    def _settle(self, column: str, old: str, array: pa.Array) -> str:
        """A column's type once ``array`` is added to it.

        The type is fixed by the first values stored: a column that holds none yet
        takes the new values' type; integers stay integers while they are whole
        numbers; an integer column widens to float only for a value with a fraction,
        and a column of mixed kinds becomes a string column.
        """
        new = _kind_of(array)
        if new is None or new == old:
            return old
        if not self._holds_values(column):
            return new
        if old == "int64" and new == "float64" and _whole(array):
            return old
        return _promote(old, new) or old

    def _holds_values(self, column: str) -> bool:
        """Whether the stored parts hold a value (not null) of ``column``."""
        if column in self._valued:
            return True
        for part in self.parts():
            values = read_parquet(part, [column]).column(column)
            if values.null_count < len(values):
                self._valued.add(column)
                return True
        return False

    def _rewrite(self, schema: pa.Schema) -> None:
        for part in self.parts():
            write_parquet_atomic(_conform(read_parquet(part), schema), part)


def _arrow_column(values: Any) -> pa.Array:
    """Values as an Arrow array of one of the store's types (or of null type: no values)."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if isinstance(values, pa.Array):
        array = values
    elif isinstance(values, np.ndarray) and values.dtype.kind in "biuf":
        array = pa.array(values)
    else:
        try:
            array = pa.array(values, from_pandas=False)
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
            kind = _infer(values) or "float64"
            return to_arrow(list(values), ARROW_TYPES[kind])
    dtype = array.type
    if pa.types.is_null(dtype) or pa.types.is_boolean(dtype):
        return array
    if pa.types.is_integer(dtype):
        return array if dtype == pa.int64() else array.cast(pa.int64())
    if pa.types.is_floating(dtype):
        return array if dtype == pa.float64() else array.cast(pa.float64())
    if pa.types.is_string(dtype):
        return array
    if pa.types.is_large_string(dtype):
        return array.cast(pa.string())
    return to_arrow(array.to_pylist(), pa.string())


def to_arrow(values: Any, dtype: pa.DataType) -> pa.Array:
    """Values (a list or numpy array) as an Arrow array of ``dtype``."""
    if isinstance(values, np.ndarray):
        if pa.types.is_string(dtype) and values.dtype.kind != "U":
            return pa.array([None if v is None else str(v) for v in values.tolist()], type=dtype)
        return pa.array(values, type=dtype, from_pandas=False)
    if pa.types.is_string(dtype):
        return pa.array([None if v is None else str(v) for v in values], type=dtype)
    if pa.types.is_boolean(dtype):
        return pa.array([None if v is None else bool(v) for v in values], type=dtype)
    if pa.types.is_integer(dtype):
        return pa.array([None if v is None else int(v) for v in values], type=dtype)
    return pa.array([None if v is None else float(v) for v in values], type=dtype)


def _conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    arrays = []
    for schema_field in schema:
        if schema_field.name in table.column_names:
            column = table.column(schema_field.name)
            if not column.type.equals(schema_field.type):
                column = column.cast(schema_field.type)
            arrays.append(column)
        else:
            arrays.append(pa.nulls(len(table), type=schema_field.type))
    return pa.Table.from_arrays(arrays, schema=schema)


def read_table(
    path: str | os.PathLike[str], table: str, columns: list[str] | None = None, filter: Any = None
) -> pa.Table:
    """One table of a store (``runs``, ``crises`` or ``timeseries``) as an Arrow table.

    ``columns`` absent from the table are left out; a table without parts is empty.
    Raises :class:`~sim.store.manifest.StoreError` for a part that cannot be read.
    """
    parts = part_files(Path(path) / table)
    if not parts:
        return pa.table({})
    for part in parts:
        _regular(part)
    try:
        dataset = pads.dataset([str(p) for p in parts], format="parquet")
        if columns is not None:
            columns = [c for c in columns if c in dataset.schema.names]
        return dataset.to_table(columns=columns, filter=filter)
    except (OSError, pa.ArrowException) as err:
        for part in parts:  # name the part that fails, when one does alone
            read_schema(part)
        raise StoreError(Path(path) / table, f"unreadable parts ({_first_line(err)})") from None


def table_columns(table: pa.Table) -> dict[str, Any]:
    """An Arrow table as columns for :meth:`PartTable.write`."""
    columns: dict[str, Any] = {}
    for name in table.column_names:
        column = table.column(name)
        kind = arrow_kind(column.type)
        if kind in ("int64", "float64", "bool") and column.null_count == 0:
            columns[name] = column.to_numpy()
        else:
            columns[name] = column.to_pylist()
    return columns
