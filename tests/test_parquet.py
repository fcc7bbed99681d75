"""Row selection between Parquet files: what publish copies from a spool into records."""

from __future__ import annotations

import itertools
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
