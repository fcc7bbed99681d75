"""WARC files (`.warc`, `.warc.gz`) through warcio: HTML response records become pages.

Other record types (request, warcinfo, metadata) are not pages and are only counted; responses
that are not HTML or not 200 become rejects with a reason.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from typing import IO

from pipelines.readers.files import decode
from pipelines.records import Page, Reject

__all__ = ["read_warc"]


def _parse_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def read_warc(fh: IO[bytes], uri: str, stats: Counter[str]) -> Iterator[Page | Reject]:
    """Yield a `Page` per HTML response record; rejects for unusable responses or a bad file."""
    # Imported here: importing `pipelines.readers` (as worker processes do, for single-page
    # files) does not pay for warcio until a WARC file is read.
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

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
                yield Reject(
                    url,
                    uri,
                    record_id,
                    "read",
                    "http_status",
                    f"{uri}: response for {url} has HTTP status {status}",
                )
                continue
            if "html" not in ctype.lower():
                yield Reject(
                    url,
                    uri,
                    record_id,
                    "read",
                    "not_html",
                    f"{uri}: response for {url} is {ctype or 'untyped'}, not HTML",
                )
                continue
            body = decode(record.content_stream().read(), html=True)
            if body is None:
                yield Reject(
                    url,
                    uri,
                    record_id,
                    "read",
                    "bad_encoding",
                    f"{uri}: response for {url} is not valid UTF-8 nor its charset",
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
