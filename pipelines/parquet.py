"""Parquet at the serialization edge: Arrow schemas derived from `pipelines.records`.

The only module that imports pyarrow. Adding a field to a record adds the column here.
"""

from __future__ import annotations

import dataclasses
import operator
import types
import typing
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.parquet as pq

from pipelines.records import Document, Duplicate, Reject

__all__ = [
    "INDEX_SCHEMA",
    "SCHEMAS",
    "SPOOL_SCHEMA",
    "TEMPLATE_PAGES_SCHEMA",
    "TEMPLATE_SCHEMA",
    "RowWriter",
    "SpoolGroup",
    "SpoolWriter",
    "StringColumn",
    "TemplateCounts",
    "file_metadata",
    "iter_index_batches",
    "iter_row_groups",
    "iter_selected_rows",
    "num_rows",
    "preload",
    "read_columns",
    "read_rows",
    "read_string_array",
    "release_memory",
    "row_groups",
    "schema_of",
    "spool_rows",
    "sum_template_counts",
    "template_count_table",
    "write_columns",
    "write_index_segment",
    "write_rows",
    "write_selected_rows",
    "write_template_count_columns",
    "write_template_counts",
]

T = TypeVar("T")

_ARROW: dict[Any, pa.DataType] = {
    str: pa.string(),
    int: pa.int64(),
    float: pa.float64(),
    bool: pa.bool_(),
    datetime: pa.timestamp("us", tz="UTC"),
    dict[str, int]: pa.map_(pa.string(), pa.int64()),
}


def schema_of(cls: type, extra: Sequence[pa.Field[Any]] = ()) -> pa.Schema:
    """The Arrow schema of a record dataclass: optional fields are nullable."""
    hints = typing.get_type_hints(cls)
    fields: list[pa.Field[Any]] = []
    for f in dataclasses.fields(cls):
        hint = hints[f.name]
        args = typing.get_args(hint)
        nullable = isinstance(hint, types.UnionType) and type(None) in args
        base = next(a for a in args if a is not type(None)) if nullable else hint
        fields.append(pa.field(f.name, _ARROW[base], nullable=nullable))
    return pa.schema([*fields, *extra])


SCHEMAS: dict[type, pa.Schema] = {cls: schema_of(cls) for cls in (Document, Duplicate, Reject)}

# A shard's candidate documents, with what deduplication needs beside them.
SPOOL_SCHEMA = schema_of(
    Document,
    [
        pa.field("url_key", pa.string()),
        pa.field("signature", pa.binary()),
        pa.field("line_keys", pa.list_(pa.uint64())),
    ],
)

# One row per published document of a run, under <out>/index/v2/; the file's metadata names
# the signature scheme (`dedup.index_scheme`).
_INDEX_COLUMNS: list[tuple[str, pa.DataType]] = [
    ("id", pa.string()),
    ("url", pa.string()),
    ("run_id", pa.string()),
    ("url_key", pa.string()),
    ("text_hash", pa.string()),
    ("signature", pa.binary()),
]
INDEX_SCHEMA = pa.schema(_INDEX_COLUMNS)

# Per-site line-key page counts of one run, under <out>/index/templates/v1/ (key 0: page count).
_TEMPLATE_COLUMNS: list[tuple[str, pa.DataType]] = [
    ("site", pa.string()),
    ("key", pa.uint64()),
    ("pages", pa.int64()),
]
TEMPLATE_SCHEMA = pa.schema(_TEMPLATE_COLUMNS)
# The pages (URL keys) whose lines a run counted, under <out>/index/templates/pages/v1/.
TEMPLATE_PAGES_SCHEMA = pa.schema([pa.field("url_key", pa.string())])


# Per-site key page counts in memory, as `template_count_table` makes them.
TemplateCounts = pa.Table


def template_count_table(
    sites: Sequence[str],
    site: npt.NDArray[np.int32],
    key: npt.NDArray[np.uint64],
    pages: npt.NDArray[np.int64],
) -> TemplateCounts:
    """Per-site key page counts (`pipelines.templates.count_page_columns`) as a table."""
    names = pa.DictionaryArray.from_arrays(site, pa.array(list(sites), pa.string()))
    return pa.table(
        {"site": names.cast(pa.string()), "key": pa.array(key), "pages": pa.array(pages)},
        schema=TEMPLATE_SCHEMA,
    )


def write_template_counts(path: Path, table: TemplateCounts) -> int:
    """Write a `template_count_table`; returns the row count."""
    pq.write_table(table, path, compression="zstd", row_group_size=16_384)
    return int(table.num_rows)


def write_template_count_columns(
    path: Path,
    sites: Sequence[str],
    site: npt.NDArray[np.int32],
    key: npt.NDArray[np.uint64],
    pages: npt.NDArray[np.int64],
) -> int:
    """Write per-site key page counts (`pipelines.templates.count_page_columns`); returns the
    row count."""
    return write_template_counts(path, template_count_table(sites, site, key, pages))


def sum_template_counts(
    paths: Sequence[Path], min_pages: int, tables: Sequence[TemplateCounts] = ()
) -> dict[str, dict[int, int]]:
    """Sum the counts of several runs (files, and `tables` in memory); keep each site's page
    count (key 0) and the keys seen on at least `min_pages` pages. Aggregated in Arrow: the
    rows can be millions."""
    if not paths and not tables:
        return {}
    table = pa.concat_tables([*tables, *(pq.read_table(p, schema=TEMPLATE_SCHEMA) for p in paths)])
    summed = table.group_by(["site", "key"]).aggregate([("pages", "sum")])
    # Only the few recurrent keys become Python objects: filter in Arrow first.
    keys = summed["key"].to_numpy()
    keep = (keys == 0) | (summed["pages_sum"].to_numpy() >= min_pages)
    summed = summed.filter(pa.array(keep))
    out: dict[str, dict[int, int]] = {}
    for site, key, n in zip(
        summed["site"].to_pylist(),
        summed["key"].to_pylist(),
        summed["pages_sum"].to_pylist(),
        strict=True,
    ):
        if site is not None and key is not None and n is not None and (key == 0 or n >= min_pages):
            out.setdefault(site, {})[key] = n
    del table, summed
    release_memory()
    return out


def write_columns(
    path: Path,
    columns: dict[str, list[Any]],
    schema: pa.Schema,
    metadata: dict[str, str] | None = None,
) -> int:
    """Write plain columns (lists of equal length) to a Parquet file, with optional key-value
    metadata on its schema; returns the row count."""
    if metadata:
        schema = schema.with_metadata(metadata)
    table = pa.Table.from_pydict(columns, schema=schema)
    # Row groups of 16 k rows: readers stream a large segment without decoding it whole.
    pq.write_table(table, path, compression="zstd", row_group_size=16_384)
    return table.num_rows


def write_index_segment(
    path: Path,
    spools: Sequence[Path],
    kept: Sequence[npt.NDArray[np.bool_]],
    run_id: str,
    metadata: dict[str, str],
) -> int:
    """Write a run's index segment from its spools, one spool at a time: the rows `kept` (one
    mask per spool) of the index columns, in Arrow throughout. Returns the row count."""
    schema = INDEX_SCHEMA.with_metadata(metadata)
    columns = [name for name in INDEX_SCHEMA.names if name != "run_id"]
    rows = 0
    with pq.ParquetWriter(path, schema, compression="zstd") as writer:
        for spool, mask in zip(spools, kept, strict=True):
            for table in _selected_groups(spool, columns, mask):
                run_ids = pa.array([run_id] * table.num_rows, pa.string())
                table = table.append_column("run_id", run_ids).select(INDEX_SCHEMA.names)
                writer.write_table(table.cast(schema), 16_384)
                rows += table.num_rows
                del table
                release_memory()
    return rows


def _selected_groups(
    path: Path, columns: Sequence[str], mask: npt.NDArray[np.bool_]
) -> Iterator[pa.Table]:
    """The rows of `path` where `mask` (one flag per row) is true, in `columns`, one row group
    at a time."""
    parquet = pq.ParquetFile(path)
    if len(mask) != parquet.metadata.num_rows:
        raise ValueError(f"{path}: {parquet.metadata.num_rows} rows, {len(mask)} flags")
    start = 0
    for group in range(parquet.num_row_groups):
        size = parquet.metadata.row_group(group).num_rows
        flags = mask[start : start + size]
        start += size
        if flags.any():
            table = parquet.read_row_group(group, columns=list(columns), use_threads=False)
            yield table.filter(pa.array(flags))
            del table


def write_selected_rows(
    src: Path, dest: Path, mask: npt.NDArray[np.bool_], schema: pa.Schema
) -> int:
    """Copy the rows of `src` where `mask` is true, in the columns of `schema`, to `dest`: one
    row group at a time and in Arrow throughout, no record objects. Returns the row count;
    with none, `dest` is not written."""
    rows = 0
    writer: pq.ParquetWriter | None = None
    try:
        for table in _selected_groups(src, schema.names, mask):
            if writer is None:
                writer = pq.ParquetWriter(dest, schema, compression="zstd")
            writer.write_table(table.cast(schema))
            rows += table.num_rows
            del table
            release_memory()
    finally:
        if writer is not None:
            writer.close()
    return rows


def iter_selected_rows(
    path: Path, columns: Sequence[str], mask: npt.NDArray[np.bool_]
) -> Iterator[tuple[Any, ...]]:
    """The values of `columns` in the rows of `path` where `mask` is true, as tuples, in row
    order, one row group in memory at a time."""
    for table in _selected_groups(path, columns, mask):
        values = [table.column(name).to_pylist() for name in columns]
        del table
        yield from zip(*values, strict=True)


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _field_names(cls: type) -> tuple[str, ...]:
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(f.name for f in dataclasses.fields(cls))
    return names


def _row(record: Any) -> dict[str, Any]:
    row = {name: getattr(record, name) for name in _field_names(type(record))}
    if "removed_by_rule" in row:
        row["removed_by_rule"] = list(row["removed_by_rule"].items())
    return row


class RowWriter:
    """Streams records (dataclasses of one type) into a Parquet file in batches, so memory stays
    flat whatever the row count. Extra keyword columns must be in `schema`.

    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "r.parquet"
    >>> with RowWriter(path, SCHEMAS[Reject]) as w:
    ...     w.write(Reject(None, "in.txt", None, "read", "empty", "in.txt: empty"))
    >>> w.count
    1
    """

    def __init__(self, path: Path, schema: pa.Schema, batch_rows: int = 2000) -> None:
        self.schema = schema
        self.batch_rows = batch_rows
        self.count = 0
        self._batch: list[dict[str, Any]] = []
        self._writer = pq.ParquetWriter(path, schema, compression="zstd")

    def write(self, record: Any, **extra: Any) -> None:
        row = _row(record)
        row.update(extra)
        self._batch.append(row)
        self.count += 1
        if len(self._batch) >= self.batch_rows:
            self._flush()

    def _flush(self) -> None:
        self._writer.write_table(pa.Table.from_pylist(self._batch, schema=self.schema))
        self._batch = []

    def close(self) -> int:
        if self._batch or self.count == 0:
            self._flush()
        self._writer.close()
        return self.count

    def __enter__(self) -> RowWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def write_rows(path: Path, records: Iterable[Any], schema: pa.Schema) -> int:
    """Write records (dataclasses of one type) to a Parquet file; returns the row count."""
    with RowWriter(path, schema) as writer:
        for record in records:
            writer.write(record)
    return writer.count


def read_columns(path: Path, columns: list[str]) -> dict[str, list[Any]]:
    """Some columns of a Parquet file as Python lists."""
    table = pq.read_table(path, columns=columns)
    return {name: table.column(name).to_pylist() for name in columns}


class StringColumn:
    """String values of Parquet columns kept as one Arrow array (their bytes plus 4 per value),
    turned into a Python `str` only when one is asked for."""

    def __init__(self, arrays: Sequence[pa.Array[Any]]) -> None:
        self._array = pa.concat_arrays(list(arrays)) if arrays else pa.array([], pa.string())

    def __len__(self) -> int:
        return len(self._array)

    def __getitem__(self, i: int, /) -> str:
        return str(self._array[i].as_py())


def read_string_array(path: Path, column: str) -> pa.Array[Any]:
    """One string column as a single Arrow array (for `StringColumn`)."""
    return pq.read_table(path, columns=[column]).column(column).combine_chunks()


def num_rows(path: Path) -> int:
    return int(pq.ParquetFile(path).metadata.num_rows)


def file_metadata(path: Path) -> dict[str, str]:
    """The key-value metadata a Parquet file's schema carries (`write_columns(metadata=...)`)."""
    found = pq.read_schema(path).metadata or {}
    return {k.decode("utf-8"): v.decode("utf-8") for k, v in found.items()}


def iter_index_batches(
    path: Path, width: int
) -> Iterator[tuple[npt.NDArray[np.uint8], list[str], list[str]]]:
    """An index segment one row group at a time as (signature byte matrix, url_keys,
    text_hashes), handing each group's buffers back before the next: loading a large index
    never holds a segment whole."""
    columns = ["signature", "url_key", "text_hash"]
    for group in iter_row_groups(path, columns, {"signature": width}):
        yield group["signature"], group["url_key"], group["text_hash"]
        del group
        release_memory()


def row_groups(path: Path) -> int:
    """How many row groups a Parquet file has (`iter_row_groups` can read any of them)."""
    return int(pq.ParquetFile(path).num_row_groups)


def iter_row_groups(
    path: Path,
    columns: Sequence[str],
    fixed: Mapping[str, int] | None = None,
    groups: Iterable[int] | None = None,
    flat: Sequence[str] = (),
) -> Iterator[dict[str, Any]]:
    """Some columns of a Parquet file one row group at a time (all, or those of `groups`):
    each column a Python list; for the `fixed` ones (column → width in bytes) an (n, width)
    byte matrix; for the `flat` ones (list columns) a pair (offsets, values) of numpy arrays,
    row i's list being values[offsets[i]:offsets[i + 1]]. Memory holds one row group, never
    the file."""
    fixed = fixed or {}
    parquet = pq.ParquetFile(path)
    for group in range(parquet.num_row_groups) if groups is None else groups:
        table = parquet.read_row_group(group, columns=list(columns), use_threads=False)
        yield {
            name: (
                _fixed_width(table.column(name).combine_chunks(), path, name, fixed[name])
                if name in fixed
                else _flat(table.column(name).combine_chunks())
                if name in flat
                else table.column(name).to_pylist()
            )
            for name in columns
        }
        del table


def _flat(array: Any) -> tuple[npt.NDArray[np.int64], npt.NDArray[Any]]:
    dtype = array.type.value_type.to_pandas_dtype()
    if array.null_count:  # a missing list is an empty one
        lists = [v or [] for v in array.to_pylist()]
        lengths = np.fromiter(map(len, lists), np.int64, len(lists))
        values = np.fromiter((v for vs in lists for v in vs), dtype, int(lengths.sum()))
        return np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64), values
    offsets = np.asarray(array.offsets, dtype=np.int64)
    values = np.asarray(array.values, dtype=dtype)[offsets[0] : offsets[-1]]
    return offsets - offsets[0], values


def preload() -> None:
    """Import what pyarrow imports on first use of what spools need — `pyarrow.compute` (filter,
    cast), `numpy.ma` (arrays made from numpy) — ~80 ms, paid now rather than by a first job."""
    import numpy.ma  # noqa: F401
    import pyarrow.compute  # noqa: F401


def release_memory() -> None:
    """Hand Arrow's freed buffers back to the operating system."""
    pa.default_memory_pool().release_unused()


def _fixed_width(array: Any, path: Path, column: str, width: int) -> npt.NDArray[np.uint8]:
    if array.null_count:
        raise ValueError(f"{path}: column {column!r} has missing values")
    if not len(array):
        return np.empty((0, width), dtype=np.uint8)
    offset_buf, data_buf = array.buffers()[1], array.buffers()[2]
    assert offset_buf is not None and data_buf is not None
    offsets = np.frombuffer(memoryview(offset_buf), dtype=np.int32)[
        array.offset : array.offset + len(array) + 1
    ]
    if not np.all(np.diff(offsets) == width):
        raise ValueError(f"{path}: values of {column!r} are not all {width} bytes wide")
    data = np.frombuffer(memoryview(data_buf), dtype=np.uint8)[offsets[0] : offsets[-1]]
    return data.reshape(len(array), width)


class SpoolGroup:
    """One row group of a spool, read once: a few columns come out as Python values, and the
    group comes back as a table (`replaced`, for `SpoolWriter.write`) with some columns
    replaced and some rows left out — the others copied as they are, in Arrow, without a
    record object per row."""

    def __init__(self, path: Path, group: int) -> None:
        self.path = path
        self._table = pq.ParquetFile(path).read_row_group(group, use_threads=False)

    def values(self, column: str) -> list[Any]:
        return self._table.column(column).to_pylist()

    def lists(self, column: str) -> tuple[npt.NDArray[np.int64], npt.NDArray[Any]]:
        """A list column as (offsets, values), as `iter_row_groups`'s `flat` columns."""
        return _flat(self._table.column(column).combine_chunks())

    def record(self, cls: type[T], row: int) -> T:
        """One row as a record of `cls`."""
        names = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
        values = self._table.slice(row, 1).select(names).to_pylist()[0]
        if "removed_by_rule" in values:
            values["removed_by_rule"] = dict(values["removed_by_rule"] or [])
        return cls(**values)

    def replaced(
        self, columns: Mapping[str, Any], keep: npt.NDArray[np.bool_] | None = None
    ) -> pa.Table:
        """The group with `columns` (name → a value per row; a list column as (offsets,
        values)) in place of its own, and only the rows `keep` flags."""
        table = self._table
        for name, column in columns.items():
            index = table.schema.get_field_index(name)
            field = table.schema.field(index)
            if isinstance(column, tuple):
                offsets, items = column
                array: Any = pa.ListArray.from_arrays(
                    pa.array(offsets, pa.int32()), pa.array(items, field.type.value_type)
                )
            else:
                array = pa.array(column, field.type)
            table = table.set_column(index, field, array)
        if keep is not None and not keep.all():
            table = table.filter(pa.array(keep))
        return table


def spool_rows(candidates: Sequence[tuple[Document, str, bytes, list[int]]]) -> bytes:
    """Candidates — (document, URL key, signature, line keys) — as spool rows in Arrow's IPC
    stream format: how a worker hands a batch's documents over, for the parent to append to a
    shard's spool (`SpoolWriter.write_rows`) without a Python object per row. Built column by
    column, with what `RowWriter` writes for the same candidates."""
    names = _field_names(Document)
    fields = operator.attrgetter(*names)
    rows = [(*fields(doc), key, sig, keys) for doc, key, sig, keys in candidates]
    columns: list[Any] = list(zip(*rows, strict=True)) if rows else [()] * len(SPOOL_SCHEMA)
    rules = names.index("removed_by_rule")
    columns[rules] = [list(removed.items()) for removed in columns[rules]]
    table = pa.Table.from_arrays(
        [pa.array(column, field.type) for column, field in zip(columns, SPOOL_SCHEMA, strict=True)],
        schema=SPOOL_SCHEMA,
    )
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, SPOOL_SCHEMA) as stream:
        stream.write_table(table)
    return sink.getvalue().to_pybytes()


class SpoolWriter:
    """Writes a spool: row groups of another spool (`SpoolGroup.replaced`), one row group
    each, or workers' batches of rows (`spool_rows`), gathered into row groups of
    `batch_rows` as `RowWriter` makes them."""

    def __init__(self, path: Path, batch_rows: int = 2000) -> None:
        self.count = 0
        self.batch_rows = batch_rows
        self._writer = pq.ParquetWriter(path, SPOOL_SCHEMA, compression="zstd")
        self._pending: list[pa.Table] = []
        self._pending_rows = 0

    def write(self, table: pa.Table) -> None:
        self._writer.write_table(table.cast(SPOOL_SCHEMA))
        self.count += table.num_rows

    def write_rows(self, rows: bytes) -> int:
        """Append a batch of `spool_rows`; returns its row count."""
        table = pa.ipc.open_stream(rows).read_all()
        self._pending.append(table)
        self._pending_rows += table.num_rows
        self.count += table.num_rows
        if self._pending_rows >= self.batch_rows:
            self._flush(whole_groups_only=True)
        return int(table.num_rows)

    def _flush(self, whole_groups_only: bool = False) -> None:
        pending = pa.concat_tables(self._pending) if self._pending else SPOOL_SCHEMA.empty_table()
        size = pending.num_rows
        if whole_groups_only:
            size -= size % self.batch_rows
        if size or self.count == 0:  # an empty spool still gets its schema's row group
            self._writer.write_table(pending.slice(0, size), row_group_size=self.batch_rows)
        rest = pending.slice(size)
        self._pending, self._pending_rows = ([rest] if rest.num_rows else []), rest.num_rows

    def close(self) -> int:
        if self._pending or self.count == 0:
            self._flush()
        self._writer.close()
        return self.count

    def __enter__(self) -> SpoolWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_rows(path: Path, cls: type[T], groups: Iterable[int] | None = None) -> Iterator[T]:
    """Stream a Parquet file (or its row `groups`) back into records of `cls` (extra columns
    are ignored), one row group at a time: Arrow's batch iterator reads ahead and keeps what it
    read, so a large spool streamed with it would end up in memory whole."""
    names = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
    for group in iter_row_groups(path, names, groups=groups):
        rows = [
            dict(zip(names, values, strict=True)) for values in zip(*group.values(), strict=True)
        ]
        del group
        for row in rows:
            if "removed_by_rule" in row:
                row["removed_by_rule"] = dict(row["removed_by_rule"] or [])
            yield cls(**row)
        release_memory()
