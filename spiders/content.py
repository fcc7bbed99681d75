"""The one spider: navigates a `Source` (start URLs, sitemaps or feeds) and hands pages over.

It only decides what to fetch — allowed domains, allow/deny patterns, depth and page limits, the
seen-URL store — and yields a `PageItem` per HTML page; everything else is done by the WARC
writer and, later, by `pipelines`. Every page it does not hand over is counted under
`contentpipe/dropped/<reason>` or `contentpipe/skipped/<reason>` in the crawl stats.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request, signals
from scrapy.http import Response, TextResponse
from scrapy.linkextractors import LinkExtractor
from scrapy.selector import Selector
from scrapy.spiders import SitemapSpider

from pipelines.redact import redact
from pipelines.sources import Source
from pipelines.urls import canonical_url, url_key
from spiders.pipelines import PageItem

__all__ = ["ContentSpider", "load_seen"]

_FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/feed+json")


def load_seen(path: str | None) -> dict[str, str]:
    """The seen-URL store: url key → ISO time of the last fetch."""
    if not path or not Path(path).is_file():
        return {}
    return dict(json.loads(Path(path).read_text(encoding="utf-8")))


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class ContentSpider(SitemapSpider):
    name = "content"
    sitemap_rules = (("", "parse_page"),)

    def __init__(
        self,
        source: str,
        seen_path: str | None = None,
        fetched_path: str | None = None,
        **kwargs: Any,
    ) -> None:
        self.source = Source.model_validate_json(source)
        self.allowed_domains = self.source.domains()
        self.allow_private = self.source.allow_private
        # Credentials in the URLs are sent as HTTP basic auth (`spiders.run`), never in a URL.
        self.start_urls_bare = self.source.bare_urls()
        self.sitemap_urls = self.start_urls_bare if self.source.kind == "sitemap" else ()
        super().__init__(**kwargs)
        self._allow = [re.compile(p) for p in self.source.allow]
        self._deny = [re.compile(p) for p in self.source.deny]
        # Domains are checked in _wanted: LinkExtractor's allow_domains misses hosts with ports.
        self._links = LinkExtractor(allow=self.source.allow, deny=self.source.deny)
        self.seen = load_seen(seen_path)
        self.fetched_path = fetched_path
        self.fetched: dict[str, str] = {}
        self.pages = 0

    # -- where to start -------------------------------------------------------------------

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> Any:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider._answered, signal=signals.response_received)
        return spider

    async def start(self) -> AsyncIterator[Any]:
        # Start URLs are marked: a source whose start URLs all fail is a bad source, and a
        # crawl whose sources are all bad fails instead of publishing nothing (`flows.crawl`).
        seed = {"contentpipe_seed": True}
        for url in self.start_urls_bare:
            if self.source.kind == "sitemap":
                yield Request(url, callback=self._parse_sitemap, errback=self._failed, meta=seed)
            elif self.source.kind == "feed":
                yield Request(url, callback=self.parse_feed, errback=self._failed, meta=seed)
            else:
                # Start pages are re-read every run: they are where new links appear.
                yield Request(
                    url,
                    callback=self.parse_page,
                    cb_kwargs={"depth": 0, "seed": True},
                    errback=self._failed,
                    dont_filter=True,
                    meta=seed,
                )

    def _answered(self, response: Response, request: Request, spider: Any) -> None:
        if request.meta.get("contentpipe_seed") and response.status < 400:
            self._count("seeds/answered")

    # -- deciding what to fetch -----------------------------------------------------------

    def _count(self, what: str) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"contentpipe/{what}")

    def _wanted(self, url: str, lastmod: str | None = None) -> bool:
        """Inside the source's rules, and new (or changed since we fetched it)."""
        host = (urlsplit(url).hostname or "").lower()
        if not any(host == d or host.endswith("." + d) for d in self.allowed_domains):
            self._count("skipped/offsite")
            return False
        if (self._allow and not any(p.search(url) for p in self._allow)) or any(
            p.search(url) for p in self._deny
        ):
            self._count("skipped/url_rule")
            return False
        key = url_key(canonical_url(url))
        if key in self.fetched:
            return False
        last = _parse_time(self.seen.get(key))
        if last is not None:
            changed = _parse_time(lastmod)
            if changed is None or changed <= last:
                self._count("skipped/seen")
                return False
            self._count("refetched/lastmod")
        return True

    def sitemap_filter(self, entries: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        for entry in entries:
            loc = entry.get("loc", "")
            # Nested sitemaps are always read; pages only when new or changed.
            nested = loc.endswith((".xml", ".xml.gz")) or "sitemap" in loc.rsplit("/", 1)[-1]
            if nested or self._wanted(loc, entry.get("lastmod")):
                yield entry

    def _parse_sitemap(self, response: Response) -> Iterable[Request]:
        requests = list(super()._parse_sitemap(response))
        if not requests and not response.url.endswith("/robots.txt"):
            self._count("dropped/bad_sitemap")
        return requests

    def parse_feed(self, response: Response) -> Iterator[Request]:
        """RSS or Atom items; for an HTML page, the feeds it announces with <link rel=alternate>."""
        if not isinstance(response, TextResponse):
            self._count("dropped/bad_feed")
            return
        if b"<html" in response.body[:2048].lower():
            feeds = response.xpath("//link[@rel='alternate']")
            for link in feeds:
                if (link.attrib.get("type") or "").lower() in _FEED_TYPES:
                    yield response.follow(
                        link.attrib["href"], callback=self.parse_feed, errback=self._failed
                    )
            return
        try:
            sel = Selector(text=response.text, type="xml")
            sel.remove_namespaces()
        except ValueError:
            self._count("dropped/bad_feed")
            return
        links = sel.xpath("//item/link/text() | //entry/link[not(@rel) or @rel='alternate']/@href")
        if not links:
            self._count("dropped/bad_feed")
        for url in (u.strip() for u in links.getall()):
            url = response.urljoin(url)
            if self._wanted(url):
                yield Request(url, callback=self.parse_page, errback=self._failed)

    # -- pages --------------------------------------------------------------------------

    def parse_page(
        self, response: Response, depth: int = 0, seed: bool = False
    ) -> Iterator[PageItem | Request]:
        ctype = (response.headers.get(b"Content-Type") or b"").decode("latin-1").lower()
        if "html" not in ctype or not isinstance(response, TextResponse):
            self._count("dropped/not_html")
            return
        key = url_key(canonical_url(response.url))
        new = not seed or (key not in self.seen and key not in self.fetched)
        if new and self.pages < self.source.max_pages:
            self.pages += 1
            self.fetched[key] = datetime.now(UTC).isoformat(timespec="seconds")
            yield PageItem(
                url=response.url,
                status=response.status,
                headers=[
                    (k.decode("latin-1"), v.decode("latin-1"))
                    for k, vs in response.headers.items()
                    for v in vs
                ],
                body=response.body,
                request_headers=[
                    (k.decode("latin-1"), v.decode("latin-1"))
                    for k, vs in response.request.headers.items()
                    for v in vs
                ]
                if response.request
                else [],
            )
        elif new:
            self._count("skipped/max_pages")
        if self.source.kind == "urls" and depth < self.source.max_depth:
            for link in self._links.extract_links(response):
                if self.pages < self.source.max_pages and self._wanted(link.url):
                    yield Request(
                        link.url,
                        callback=self.parse_page,
                        cb_kwargs={"depth": depth + 1},
                        errback=self._failed,
                    )

    def _failed(self, failure: Any) -> None:
        self._count(f"dropped/{type(failure.value).__name__}")
        request = getattr(failure, "request", None)
        if request is not None and request.meta.get("contentpipe_seed"):
            self._count("seeds/failed")
            assert self.crawler.stats is not None
            why = redact(f"{request.url}: {type(failure.value).__name__}: {failure.value}")
            self.crawler.stats.set_value("contentpipe/seed_error", why[:300])

    def closed(self, reason: str) -> None:
        if self.fetched_path:
            Path(self.fetched_path).write_text(json.dumps(self.fetched), encoding="utf-8")
