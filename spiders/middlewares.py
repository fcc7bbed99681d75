"""Downloader middlewares: the SSRF guard, backoff (and Retry-After) on retryable statuses,
and robots.txt with its Crawl-delay."""

from __future__ import annotations

import functools
import ipaddress
import socket
from typing import Self
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.robotstxt import RobotParser

__all__ = ["RetryBackoff", "RobotsWithCrawlDelay", "SsrfGuard", "blocked_reason"]

_METADATA_HOSTS = {"metadata.google.internal", "metadata", "instance-data"}


@functools.lru_cache(maxsize=4096)
def _addresses(host: str) -> tuple[str, ...]:
    try:
        return (str(ipaddress.ip_address(host)),)
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except OSError:
        return ()  # unresolvable: the download fails on its own, with Scrapy's DNS error
    return tuple(sorted({str(info[4][0]) for info in infos}))


def blocked_reason(url: str) -> str | None:
    """Why fetching `url` would reach a non-public address, or None if it would not.

    >>> blocked_reason("http://169.254.169.254/latest/meta-data/")
    '169.254.169.254 is a link-local address'
    >>> blocked_reason("http://10.1.2.3/") is not None
    True
    """
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    if host in _METADATA_HOSTS:
        return f"{host} is a cloud metadata host"
    for text in _addresses(host):
        ip = ipaddress.ip_address(text)
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
            ip = ip.ipv4_mapped
        for kind in ("loopback", "link_local", "private", "reserved", "multicast", "unspecified"):
            if getattr(ip, f"is_{kind}"):
                return f"{text} is a {kind.replace('_', '-')} address"
    return None


class SsrfGuard:
    """Refuses requests to loopback, private, link-local and cloud-metadata addresses — after
    DNS resolution, and for every redirect hop, since redirected requests pass through the
    downloader middlewares again. A source with `allow_private` (local test sites) skips it.

    The check resolves names itself; a DNS answer that changes between the check and the
    connection (rebinding) is not covered.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        spider = self.crawler.spider
        if getattr(spider, "allow_private", False):
            return
        reason = blocked_reason(request.url)
        if reason:
            assert self.crawler.stats is not None
            self.crawler.stats.inc_value("contentpipe/blocked/ssrf")
            raise IgnoreRequest(f"SSRF guard: {request.url}: {reason}")


class RetryBackoff:
    """Backs off from a struggling site: on a retryable status (5xx, 429, 408) its download slot
    waits Retry-After seconds when the response says so, else 0.5 s doubled per retry of the
    request (capped); successful responses halve the wait back towards the configured delay.
    Only that site slows down; the retry itself is still Scrapy's RetryMiddleware, which this
    runs before (it sits closer to the network)."""

    MAX_WAIT = 60.0

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.codes = set(crawler.settings.getlist("RETRY_HTTP_CODES"))
        self.base_delay = crawler.settings.getfloat("DOWNLOAD_DELAY")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        engine = self.crawler.engine
        if engine is None:
            return response
        downloader = engine.downloader
        slot = downloader.slots.get(downloader.get_slot_key(request))
        if slot is None:
            return response
        if response.status not in self.codes:
            if slot.delay > self.base_delay:
                slot.delay = max(self.base_delay, slot.delay / 2)
            return response
        value = (response.headers.get(b"Retry-After") or b"").decode("latin-1").strip()
        assert self.crawler.stats is not None
        if value.isdigit():
            wait = float(value)
            self.crawler.stats.inc_value("contentpipe/retry_after")
        else:
            wait = 0.5 * 2 ** int(request.meta.get("retry_times", 0))
            self.crawler.stats.inc_value("contentpipe/backoff")
        slot.delay = max(slot.delay, min(wait, self.MAX_WAIT))
        return response


class RobotsWithCrawlDelay(RobotsTxtMiddleware):
    """Scrapy's robots.txt middleware, plus the Crawl-delay it parses but does not apply: the
    site's download slot waits at least that long between requests (up to a cap)."""

    MAX_DELAY = 60.0

    def process_request_2(self, rp: RobotParser | None, request: Request) -> None:
        super().process_request_2(rp, request)
        if rp is None:
            return
        agent = self._robotstxt_useragent or request.headers.get(b"User-Agent") or b""
        delay = rp.crawl_delay(agent)
        engine = self.crawler.engine
        if not delay or engine is None:
            return
        downloader = engine.downloader
        slot = downloader.slots.get(downloader.get_slot_key(request))
        if slot is not None and slot.delay < delay:
            slot.delay = min(float(delay), self.MAX_DELAY)
            assert self.crawler.stats is not None
            self.crawler.stats.set_value("contentpipe/crawl_delay", slot.delay)
