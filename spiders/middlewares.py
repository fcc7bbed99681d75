"""Downloader middlewares: the SSRF guard, backoff (and Retry-After) on retryable statuses,
and robots.txt with its Crawl-delay."""

from __future__ import annotations

import functools
import ipaddress
import socket
from typing import Any, Self
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.robotstxt import RobotParser

__all__ = ["RetryBackoff", "RobotsWithCrawlDelay", "SsrfGuard", "blocked_reason"]

_METADATA_HOSTS = {"metadata.google.internal", "metadata", "instance-data"}
# Cloud instance-metadata endpoints: never a page to crawl, so refused even for a source with
# `allow_private` (AWS/GCP/Azure/OpenStack, Alibaba, Oracle, AWS's IPv6 one).
_METADATA_IPS = {
    ipaddress.ip_address(a)
    for a in ("169.254.169.254", "169.254.170.2", "100.100.100.200", "192.0.0.192", "fd00:ec2::254")
}
# Ranges of the IANA special-purpose registries that Python's `is_global` (3.11) still calls
# global, and the ones whose name a message should give.
_NAMED = [
    (ipaddress.ip_network(net), name)
    for net, name in (
        ("100.64.0.0/10", "shared address space (carrier-grade NAT)"),
        ("192.88.99.0/24", "deprecated 6to4 relay anycast"),
        ("192.0.0.0/24", "IETF protocol assignments"),
        ("64:ff9b:1::/48", "local-use NAT64"),
        ("169.254.0.0/16", "link-local"),
        ("fe80::/10", "link-local"),
        ("127.0.0.0/8", "loopback"),
        ("::1/128", "loopback"),
        ("::/96", "deprecated IPv4-compatible IPv6"),
        ("10.0.0.0/8", "private"),
        ("172.16.0.0/12", "private"),
        ("192.168.0.0/16", "private"),
        ("fc00::/7", "unique-local (private)"),
        ("0.0.0.0/8", "'this network'"),
        ("224.0.0.0/4", "multicast"),
        ("ff00::/8", "multicast"),
    )
]
_ALWAYS_BLOCKED = {
    "shared address space (carrier-grade NAT)",
    "deprecated 6to4 relay anycast",
    "local-use NAT64",
    "deprecated IPv4-compatible IPv6",
    "IETF protocol assignments",
    "multicast",
}


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


def _embedded(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries: IPv4-mapped, 6to4, Teredo (the client), NAT64."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    compatible = ip in ipaddress.ip_network("::/96") and int(ip) > 1  # not :: or ::1
    if compatible or ip in ipaddress.ip_network("64:ff9b::/96"):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def _kind(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """What makes an address non-public (by the IANA special-purpose registries), or None."""
    if ip in _METADATA_IPS:
        return "a cloud metadata address"
    if isinstance(ip, ipaddress.IPv6Address):
        inner = _embedded(ip)
        if inner is not None and (kind := _kind(inner)):
            return f"an address embedding {inner}, {kind}"
    name = next((n for net, n in _NAMED if ip.version == net.version and ip in net), None)
    if name is not None and (name in _ALWAYS_BLOCKED or not ip.is_global):
        return f"a {name} address"
    if not ip.is_global:
        return "a special-purpose (non-public) address"
    return None


def blocked_reason(url: str, allow_private: bool = False) -> str | None:
    """Why fetching `url` would reach a non-public address, or None if it would not.

    Every address the host resolves to is checked against the IANA special-purpose registries
    (IPv4 and IPv6), IPv6 addresses also for the IPv4 address they embed (IPv4-mapped, 6to4,
    Teredo, NAT64). With `allow_private` (a local test site) only cloud metadata is refused.

    >>> blocked_reason("http://169.254.169.254/latest/meta-data/")
    '169.254.169.254 is a cloud metadata address'
    >>> blocked_reason("http://100.72.1.1/")
    '100.72.1.1 is a shared address space (carrier-grade NAT) address'
    >>> blocked_reason("http://[2002:a00:1::]/")
    '2002:a00:1:: is an address embedding 10.0.0.1, a private address'
    >>> blocked_reason("http://127.0.0.1:8000/", allow_private=True) is None
    True
    """
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    if host in _METADATA_HOSTS:
        return f"{host} is a cloud metadata host"
    for text in _addresses(host):
        ip = ipaddress.ip_address(text)
        kind = _kind(ip)
        if kind and (not allow_private or "metadata" in kind):
            return f"{text} is {kind}"
    return None


class SsrfGuard:
    """Refuses requests to non-public addresses (`blocked_reason`) — after DNS resolution, and
    for every redirect hop, since redirected requests pass through the downloader middlewares
    again. A source with `allow_private` (local test sites) may reach loopback and private
    addresses, never cloud metadata.

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
        reason = blocked_reason(request.url, bool(getattr(spider, "allow_private", False)))
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
    site's download slot waits at least that long between requests (up to a cap).

    The delay is a floor, kept whatever else adjusts the slot: AutoThrottle lowers a slot's
    delay towards its latency target after each response and Scrapy randomises delays
    (half to one and a half times) by default, either of which would send requests faster
    than the site asked.
    The floor is put back after every response (this middleware's `process_response` runs
    after AutoThrottle's signal) and the slot stops randomising.
    """

    MAX_DELAY = 60.0

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.floors: dict[str, float] = {}

    def _slot(self, request: Request) -> tuple[str, Any] | None:
        engine = self.crawler.engine
        if engine is None:
            return None
        downloader = engine.downloader
        key = downloader.get_slot_key(request)
        slot = downloader.slots.get(key)
        return (key, slot) if slot is not None else None

    def _apply(self, request: Request) -> None:
        found = self._slot(request)
        if found is None or found[0] not in self.floors:
            return
        key, slot = found
        if hasattr(slot, "jitter"):  # Scrapy >= 2.14; before, `randomize_delay`
            slot.jitter = 0.0
        else:
            slot.randomize_delay = False
        slot.delay = max(slot.delay, self.floors[key])

    def process_request_2(self, rp: RobotParser | None, request: Request) -> None:
        super().process_request_2(rp, request)
        if rp is None:
            return
        agent = self._robotstxt_useragent or request.headers.get(b"User-Agent") or b""
        delay = rp.crawl_delay(agent)
        found = self._slot(request)
        if not delay or found is None:
            return
        self.floors[found[0]] = min(float(delay), self.MAX_DELAY)
        self._apply(request)
        assert self.crawler.stats is not None
        self.crawler.stats.set_value("contentpipe/crawl_delay", self.floors[found[0]])

    def process_response(self, request: Request, response: Response) -> Response:
        self._apply(request)
        return response
