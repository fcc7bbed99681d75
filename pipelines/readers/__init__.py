"""Readers adapt input formats into `Page`s at the edge; a bad input becomes a `Reject`.

`read_input(uri)` picks a reader by file extension (`.gz` is undone first for HTML and text).
Every reader reads a page at most to the page limit (`limit`, `ExtractOptions.max_page_bytes`),
streaming through decompression, so a small file that inflates to gigabytes is a `too_large`
reject that cost that limit in memory:

>>> [type(r).__name__ for r in read_input("missing.xyz")]
['Reject']
"""

from __future__ import annotations

import gzip
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from typing import IO

from pipelines.readers.files import DEFAULT_LIMIT, read_html, read_text
from pipelines.readers.jsonl import read_jsonl
from pipelines.readers.warc import read_warc
from pipelines.records import Page, Reject

__all__ = ["SUFFIXES", "read_in_worker", "read_input", "read_inputs"]

Reader = Callable[[IO[bytes], str, Counter[str], int], Iterator[Page | Reject]]

SUFFIXES: dict[str, Reader] = {
    ".html": read_html,
    ".htm": read_html,
    ".xhtml": read_html,
    ".txt": read_text,
    ".md": read_text,
    ".jsonl": read_jsonl,
    ".ndjson": read_jsonl,
    ".warc": read_warc,
}


def _reader_for(uri: str) -> tuple[Reader | None, bool]:
    name = uri.rsplit("/", 1)[-1].lower()
    gz = name.endswith(".gz")
    if gz:
        name = name[:-3]
    if name.endswith(".warc"):
        return read_warc, False  # warcio undoes per-record gzip itself
    suffix = "." + name.rsplit(".", 1)[-1] if "." in name else ""
    return SUFFIXES.get(suffix), gz


def read_in_worker(uri: str) -> bool:
    """Whether `uri` is a local, uncompressed single-page file (HTML or text), which a worker
    process reads itself (`files.read_file`, the same reading): the parent then sends a path
    instead of the page, and reads no file on the way."""
    reader, gz = _reader_for(uri)
    return reader in (read_html, read_text) and not gz and "://" not in uri


def read_inputs(
    uris: Iterable[str], stats: Counter[str], limit: int = DEFAULT_LIMIT
) -> Iterator[Page | Reject]:
    """`read_input` over several inputs, in order, counting them under `inputs`; objects in S3
    are downloaded ahead of their turn, several at a time (`storage.open_inputs`)."""
    from pipelines.storage import open_inputs  # see `read_input`

    for uri, opened in open_inputs(uris):
        stats["inputs"] += 1
        yield from read_input(uri, stats, opened, limit)


def read_input(
    uri: str,
    stats: Counter[str] | None = None,
    opened: AbstractContextManager[IO[bytes]] | None = None,
    limit: int = DEFAULT_LIMIT,
) -> Iterator[Page | Reject]:
    """Yield the pages of one input file, or rejects naming the file and what is wrong with it.

    `stats` counts what is skipped without being a page (e.g. WARC request records); `opened`
    is the file already being opened (`storage.open_inputs`), else it is opened here.
    """
    # Imported here, not with the package: worker processes import `readers.files` and must
    # not pay for boto3 (through `pipelines.storage`) to read local files.
    from pipelines.storage import StorageError, open_input

    stats = Counter() if stats is None else stats
    reader, gz = _reader_for(uri)
    if reader is None:
        known = ", ".join(sorted(SUFFIXES))
        yield Reject(
            None,
            uri,
            None,
            "read",
            "unknown_format",
            f"{uri}: unknown file type (known: {known}, optionally .gz)",
        )
        return
    try:
        with open_input(uri) if opened is None else opened as raw:
            fh: IO[bytes] = gzip.GzipFile(fileobj=raw, mode="rb") if gz else raw  # type: ignore[assignment]
            yield from reader(fh, uri, stats, limit)
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        yield Reject(
            None,
            uri,
            None,
            "read",
            "bad_compression",
            f"{uri}: compressed data is corrupt or truncated ({exc}); "
            "pages before the damage were kept",
        )
    except StorageError as exc:
        yield Reject(None, uri, None, "read", "unreadable", str(exc))
    except OSError as exc:
        yield Reject(None, uri, None, "read", "unreadable", f"{uri}: {exc.strerror or exc}")
