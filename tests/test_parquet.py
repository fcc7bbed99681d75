"""Row selection between Parquet files: what publish copies from a spool into records."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from pipelines.parquet import (
    SCHEMAS,
    SPOOL_SCHEMA,
    RowWriter,
    iter_selected_rows,
    read_rows,
    write_selected_rows,
)
from pipelines.records import Document


def _doc(i: int) -> Document:
    return Document(
        id=f"id{i}",
        url=f"https://a.example/{i}",
        canonical_url=f"https://a.example/{i}",
        domain="a.example",
        title=f"Title {i}",
        author=None,
        published="2026-01-02",
        language="en",
        sitename=None,
        text=f"text {i}",
        word_count=2,
        text_hash=f"h{i}",
        fetched_at=None,
        run_id="r",
        source=f"in/{i}.html",
        source_id=None if i % 2 else f"s{i}",
        boilerplate_lines_removed=i % 3,
        removed_by_rule={"byline": i} if i % 3 else {},
    )


@pytest.fixture()
def spool(tmp_path: Path) -> Path:
    path = tmp_path / "spool.parquet"
    # Small batches: the 25 rows span several row groups.
    with RowWriter(path, SPOOL_SCHEMA, batch_rows=7) as writer:
        for i in range(25):
            writer.write(_doc(i), url_key=f"k{i}", signature=bytes(8), line_keys=[i])
    assert pq.ParquetFile(path).num_row_groups > 1
    return path


def test_selected_rows_are_copied_across_row_groups(spool: Path, tmp_path: Path) -> None:
    mask = np.array([i % 4 != 1 for i in range(25)])
    dest = tmp_path / "records.parquet"
    assert write_selected_rows(spool, dest, mask, SCHEMAS[Document]) == int(mask.sum())
    assert pq.read_schema(dest).names == SCHEMAS[Document].names  # spool columns dropped
    assert list(read_rows(dest, Document)) == [_doc(i) for i in range(25) if i % 4 != 1]
    found = list(iter_selected_rows(spool, ["id", "source_id"], ~mask))
    assert found == [(f"id{i}", None if i % 2 else f"s{i}") for i in range(25) if i % 4 == 1]


def test_no_selected_row_writes_no_file(spool: Path, tmp_path: Path) -> None:
    dest = tmp_path / "records.parquet"
    assert write_selected_rows(spool, dest, np.zeros(25, dtype=bool), SCHEMAS[Document]) == 0
    assert not dest.exists()
    assert list(iter_selected_rows(spool, ["id"], np.zeros(25, dtype=bool))) == []


def test_a_mask_of_the_wrong_length_is_refused(spool: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="25 rows, 24 flags"):
        write_selected_rows(
            spool, tmp_path / "r.parquet", np.ones(24, dtype=bool), SCHEMAS[Document]
        )


def test_list_columns_read_flat_are_their_lists(tmp_path: Path) -> None:
    """`iter_row_groups(..., flat=[...])`: a list column as offsets into one array of values,
    row group by row group, equal to the lists themselves — missing lists read as empty, and
    row groups that begin inside the file's values (offsets not starting at 0)."""
    import pyarrow as pa

    from pipelines.parquet import iter_row_groups

    lists = [[1, 2], [], None, [3], [2**64 - 1, 0, 5], [], [7]]
    path = tmp_path / "lists.parquet"
    pq.write_table(
        pa.table({"k": pa.array(lists, type=pa.list_(pa.uint64())), "n": range(len(lists))}),
        path,
        row_group_size=3,
    )
    seen = []
    for group in iter_row_groups(path, ["k", "n"], flat=["k"]):
        offsets, values = group["k"]
        assert values.dtype == np.uint64 and offsets[0] == 0 and len(offsets) == len(group["n"]) + 1
        seen += [values[a:b].tolist() for a, b in itertools.pairwise(offsets)]
    assert seen == [v or [] for v in lists]


def test_a_spool_of_workers_batches_is_the_spool_of_its_records(tmp_path: Path) -> None:
    """Workers hand their documents over as Arrow rows (`spool_rows`), which the parent
    appends (`SpoolWriter.write_rows`): the file must be the one `RowWriter` writes from the
    records — same values (missing ones, empty maps, times, text outside ASCII), same row
    groups — whatever the batch sizes, and an empty spool must still be a readable file."""
    from datetime import UTC, datetime

    from pipelines.parquet import SpoolWriter, spool_rows

    def candidate(i: int) -> tuple[Document, str, bytes, list[int]]:
        doc = _doc(i)
        if i % 4 == 0:
            doc.fetched_at = datetime(2026, 1, 2, 3, 4, 5, i, tzinfo=UTC)
            doc.text, doc.title = f"Östra Ängby — 東京 {i}\nline two", None
            doc.removed_by_rule = {"byline": 1, "toc": i}
        return doc, f"k{i}", bytes([i % 256]) * 8 if i % 3 else b"", list(range(i % 5))

    candidates = [candidate(i) for i in range(23)]
    for sizes in ([23], [1] * 23, [5, 0, 9, 2, 7], [3, 20]):
        expected, found = tmp_path / "records.parquet", tmp_path / "rows.parquet"
        with RowWriter(expected, SPOOL_SCHEMA, batch_rows=4) as writer:
            for doc, key, sig, keys in candidates:
                writer.write(doc, url_key=key, signature=sig, line_keys=keys)
        with SpoolWriter(found, batch_rows=4) as spool:
            start = 0
            for size in sizes:
                assert spool.write_rows(spool_rows(candidates[start : start + size])) == size
                start += size
        assert spool.count == 23
        assert pq.read_table(found).equals(pq.read_table(expected)), sizes
        groups = [
            pq.ParquetFile(p).metadata.row_group(g).num_rows
            for p in (found, expected)
            for g in range(pq.ParquetFile(p).num_row_groups)
        ]
        assert groups == [4, 4, 4, 4, 4, 3] * 2, sizes
    empty, none = tmp_path / "empty.parquet", tmp_path / "none.parquet"
    with SpoolWriter(empty) as spool:
        spool.write_rows(spool_rows([]))
    with RowWriter(none, SPOOL_SCHEMA):
        pass
    assert pq.read_table(empty).equals(pq.read_table(none))
    assert pq.ParquetFile(empty).num_row_groups == pq.ParquetFile(none).num_row_groups == 1


def test_arrow_buffers_come_from_jemalloc_unless_the_environment_chooses() -> None:
    """Importing `pipelines` makes jemalloc Arrow's pool (mimalloc, Arrow's default, costs the
    kernel's zeroing of fresh huge pages here); the standard variable still decides."""
    import platform

    if sys.platform != "linux" or platform.machine() != "x86_64":
        pytest.skip("pyarrow has jemalloc on Linux x86-64 only")
    code = "import pipelines.parquet, pyarrow as pa; print(pa.default_memory_pool().backend_name)"
    env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    for chosen, expected in ((None, "jemalloc"), ("system", "system"), ("mimalloc", "mimalloc")):
        if chosen:
            env["ARROW_DEFAULT_MEMORY_POOL"] = chosen
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
        )
        assert done.stdout.strip() == expected
