"""Item pipeline: every fetched HTML page is written to a WARC file (request + response records,
gzip per record), which the crawl flow uploads to `<out>/raw/` and ingests like any WARC."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Self

from scrapy.crawler import Crawler
from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

__all__ = ["PageItem", "WarcWriter"]

# Scrapy has already undone these: the WARC holds the decoded body, so the headers must not
# claim an encoding or length that no longer applies.
_DROP_HEADERS = {"content-encoding", "transfer-encoding", "content-length"}


@dataclass
class PageItem:
    """A fetched page as the spider hands it over: nothing parsed, nothing cleaned."""

    url: str
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    request_headers: list[tuple[str, str]] = field(default_factory=list)
    method: str = "GET"


class WarcWriter:
    """Appends each `PageItem` to the WARC file named by the WARC_PATH setting."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fh: IO[bytes] | None = None
        self._writer: WARCWriter | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(Path(crawler.settings.get("WARC_PATH", "crawl.warc.gz")))

    def open_spider(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = self.path.open("wb")
        self._writer = WARCWriter(self._fh, gzip=True)
        self._write(
            self._writer.create_warcinfo_record(
                self.path.name,
                {"software": "contentpipe (Scrapy)", "format": "WARC File Format 1.1"},
            )
        )

    def close_spider(self) -> None:
        if self._fh is not None:
            self._fh.close()

    def _write(self, record: ArcWarcRecord) -> None:
        assert self._writer is not None
        self._writer.write_record(record)
        if record.raw_stream is not None:
            record.raw_stream.close()  # warcio buffers payloads in a temp file it never closes

    def process_item(self, item: PageItem) -> PageItem:
        assert self._writer is not None
        path = item.url.split("/", 3)[3] if item.url.count("/") >= 3 else ""
        request = self._writer.create_warc_record(
            item.url,
            "request",
            payload=io.BytesIO(b""),
            http_headers=StatusAndHeaders(
                f"{item.method} /{path} HTTP/1.1", item.request_headers, is_http_request=True
            ),
        )
        headers = [(k, v) for k, v in item.headers if k.lower() not in _DROP_HEADERS]
        response = self._writer.create_warc_record(
            item.url,
            "response",
            payload=io.BytesIO(item.body),
            http_headers=StatusAndHeaders(
                f"{item.status} OK" if item.status == 200 else str(item.status),
                headers,
                protocol="HTTP/1.1",
            ),
        )
        self._write(response)
        request.rec_headers.add_header(
            "WARC-Concurrent-To", response.rec_headers.get_header("WARC-Record-ID")
        )
        self._write(request)
        return item
