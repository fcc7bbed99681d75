"""WARC files (`.warc`, `.warc.gz`) through warcio: HTML response records become pages.

Other record types (request, warcinfo, metadata) are not pages and are only counted; responses
that are not HTML or not 200 become rejects with a reason, and so do records cut short (a
truncated file: the record holds less than its `Content-Length`) and files that are not WARC
at all (warcio reads almost anything as records of some kind: the file must start with
`WARC/`, after gzip). A response's charset is taken from its HTTP `Content-Type` header.
"""

from __future__ import annotations

import gzip
import zlib
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from typing import IO

from pipelines.readers.files import DEFAULT_LIMIT, decode, http_charset, read_bounded, too_large
from pipelines.records import Page, Reject

__all__ = ["read_warc"]


def _parse_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _starts_as_warc(fh: IO[bytes]) -> bool:
    """Whether the file begins with a WARC record (`WARC/1.x`), gzipped or not; rewinds it."""
    start = fh.tell()
    head = fh.read(2)
    fh.seek(start)
    if head == b"\x1f\x8b":
        try:
            head = gzip.GzipFile(fileobj=fh, mode="rb").read(5)
        except (EOFError, OSError, zlib.error):
            head = b""
        fh.seek(start)
    else:
        head = fh.read(5)
        fh.seek(start)
    return head.startswith(b"WARC/")


def read_warc(
    fh: IO[bytes], uri: str, stats: Counter[str], limit: int = DEFAULT_LIMIT
) -> Iterator[Page | Reject]:
    """Yield a `Page` per HTML response record; rejects for unusable responses or a bad file."""
    # Imported here: importing `pipelines.readers` (as worker processes do, for single-page
    # files) does not pay for warcio until a WARC file is read.
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    if not _starts_as_warc(fh):
        yield Reject(
            None, uri, None, "read", "bad_warc", f"{uri}: not a WARC file (no WARC/ header)"
        )
        return

    def reject(url: str | None, record_id: str | None, reason: str, message: str) -> Reject:
        return Reject(url, uri, record_id, "read", reason, f"{uri}: {message}")

    try:
        for record in ArchiveIterator(fh):
            if record.rec_type != "response":
                stats[f"warc_{record.rec_type}_records_skipped"] += 1
                continue
            url = record.rec_headers.get_header("WARC-Target-URI")
            record_id = record.rec_headers.get_header("WARC-Record-ID")
            http = record.http_headers
            status = int(http.get_statuscode()) if http is not None else 0
            ctype = (http.get_header("Content-Type") if http is not None else None) or ""
            if status != 200:
                yield reject(
                    url, record_id, "http_status", f"response for {url} has HTTP status {status}"
                )
                continue
            if "html" not in ctype.lower():
                yield reject(
                    url,
                    record_id,
                    "not_html",
                    f"response for {url} is {ctype or 'untyped'}, not HTML",
                )
                continue
            data = read_bounded(record.content_stream(), limit)
            if data is None:
                big = too_large(uri, limit, f"the response for {url}")
                yield Reject(url, uri, record_id, big.stage, big.reason, big.detail)
                continue
            # What the record's Content-Length promised and the file did not hold.
            if getattr(record.raw_stream, "limit", 0) > 0:
                yield reject(
                    url,
                    record_id,
                    "truncated",
                    f"the record for {url} is cut short (the file ends inside it)",
                )
                continue
            body, how = decode(data, html=True, declared=http_charset(ctype))
            if body is None:
                yield reject(
                    url,
                    record_id,
                    "bad_encoding",
                    f"response for {url} is undecodable (tried {how})",
                )
                continue
            yield Page(
                url=url,
                body=body,
                source=uri,
                content_type="text/html",
                status=status,
                fetched_at=_parse_date(record.rec_headers.get_header("WARC-Date")),
                source_id=record_id,
            )
    except ArchiveLoadFailed as exc:
        yield Reject(
            None, uri, None, "read", "bad_warc", f"{uri}: not a readable WARC file ({exc})"
        )
