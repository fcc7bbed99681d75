"""The only schema: the records that flow through contentpipe's stages and land in the output.

Dicts exist only at serialization edges (`pipelines.parquet`); everything in between passes these
dataclasses. The Parquet schema is derived from them, so adding a field here adds a column there.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from pipelines.redact import redact

__all__ = ["Document", "Duplicate", "Page", "Reject", "document_id"]


def document_id(canonical_url: str) -> str:
    """Stable id of a document: the same canonical URL always gives the same id.

    >>> document_id("https://example.com/a")
    'c4ed1c218d14a0f1'
    """
    return hashlib.sha1(canonical_url.encode("utf-8")).hexdigest()[:16]


@dataclass(slots=True)
class Page:
    """A fetched or ingested page, before extraction.

    `body` is HTML when `content_type` is HTML, plain text otherwise. `source` is where the page
    came from (an input file or URI, or a spider); `source_id` is the id the input itself gave it.
    """

    url: str
    body: str
    source: str
    content_type: str = "text/html"
    status: int = 200
    fetched_at: datetime | None = None
    source_id: str | None = None
    title: str | None = None
    published: str | None = None

    def __post_init__(self) -> None:
        # Credentials in a page's URL (`http://user:pass@host/`) are never written down.
        if "@" in self.url or "@" in self.source:
            self.url, self.source = redact(self.url), redact(self.source)

    @property
    def is_html(self) -> bool:
        return "html" in self.content_type


@dataclass(slots=True)
class Document:
    """A clean article: extracted, cleaned, filtered. One row of `records/`."""

    id: str
    url: str
    canonical_url: str
    domain: str
    title: str | None
    author: str | None
    published: str | None
    language: str | None
    sitename: str | None
    text: str
    word_count: int
    text_hash: str
    fetched_at: datetime | None
    run_id: str
    source: str
    source_id: str | None
    boilerplate_lines_removed: int
    removed_by_rule: dict[str, int] = field(default_factory=dict)
    # The documented per-page rule that took another candidate than the default extraction
    # and cleaning (`precision_thin`, `cleaning_cut`; README), None for none.
    fallback: str | None = None
    # The site whose template this page shares, where the URL does not tell it (a saved file):
    # "" where `domain` does; else its <base href>'s host, `name:<its declared site name>`,
    # or `dir:<its folder>` (`pipelines.extract`). Templates are learned per `site_key`.
    site: str = ""

    @property
    def site_key(self) -> str:
        return self.site or self.domain


@dataclass(slots=True)
class Duplicate:
    """A document dropped as a duplicate of a kept one. One row of `duplicates/`.

    `method` is `url`, `exact` or `near`; `similarity` is the estimated Jaccard similarity of the
    two texts' shingle sets (1.0 for `url` and `exact`).
    """

    id: str
    url: str
    source: str
    source_id: str | None
    duplicate_of: str
    duplicate_of_url: str
    duplicate_of_run: str
    method: str
    similarity: float
    run_id: str


@dataclass(slots=True)
class Reject:
    """A page or input that did not become a document, and why. One row of `rejects/`.

    `reason` is a short stable code (counted in the run stats); `detail` a sentence for people.
    """

    url: str | None
    source: str
    source_id: str | None
    stage: str
    reason: str
    detail: str
    run_id: str = ""

    def __post_init__(self) -> None:
        self.url = redact(self.url) if self.url else self.url
        self.source, self.detail = redact(self.source), redact(self.detail)
