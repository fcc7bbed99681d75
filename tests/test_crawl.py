"""The crawler against real local HTTP servers on 127.0.0.1, each crawl in its own subprocess as
the flow runs it. No request leaves the machine: sources point at 127.0.0.1 only, and the SSRF
cases that name other addresses are checked before any connection is made."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.test import get_crawler
from warcio.archiveiterator import ArchiveIterator

from deploy.demo.server import DemoSite, Route
from pipelines.config import ProcessOptions
from pipelines.run import ingest
from pipelines.sources import Politeness, Source, SourceError, load_sources
from spiders.content import ContentSpider
from spiders.middlewares import SsrfGuard, blocked_reason

FAST = Politeness(delay_seconds=0, autothrottle=False, timeout_seconds=10, retries=2)


@pytest.fixture
def site() -> Iterator[DemoSite]:
    demo = DemoSite()
    demo.start()
    yield demo
    demo.stop()


def source(kind: str, urls: list[str], **kw: Any) -> Source:
    kw.setdefault("politeness", FAST)
    kw.setdefault("allow_private", True)
    return Source(name=kw.pop("name", "t"), kind=kind, urls=urls, **kw)


def run_crawl(
    src: Source, tmp: Path, seen: dict[str, str] | None = None
) -> tuple[dict[str, Any], list[str]]:
    """Crawl in a subprocess like the flow does; the stats and the URLs written to the WARC."""
    tmp.mkdir(parents=True, exist_ok=True)
    warc, fetched, stats = tmp / "c.warc.gz", tmp / "fetched.json", tmp / "stats.json"
    cmd = [
        sys.executable,
        "-m",
        "spiders.run",
        "--source",
        src.model_dump_json(),
        "--warc",
        str(warc),
        "--fetched",
        str(fetched),
        "--stats",
        str(stats),
    ]
    if seen is not None:
        (tmp / "seen.json").write_text(json.dumps(seen))
        cmd += ["--seen", str(tmp / "seen.json")]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    with warc.open("rb") as fh:
        urls = [
            r.rec_headers.get_header("WARC-Target-URI")
            for r in ArchiveIterator(fh)
            if r.rec_type == "response"
        ]
    return json.loads(stats.read_text()), urls


def names(urls: list[str]) -> set[str]:
    return {u.rsplit("/", 1)[-1] for u in urls}


def site_pages() -> set[str]:
    return {p.name for p in (Path(__file__).parents[1] / "deploy/demo/site").glob("*.html")}


def test_sitemap_index_and_gzip_sitemap_found_through_robots(
    site: DemoSite, tmp_path: Path
) -> None:
    _, urls = run_crawl(source("sitemap", [f"{site.base}/robots.txt"]), tmp_path)
    assert names(urls) == site_pages()
    assert site.hits("/sitemap-2.xml.gz") == 1 and site.hits("/sitemap_index.xml") == 1
    assert site.hits("/private/draft.html") == 0


def test_news_sitemap(site: DemoSite, tmp_path: Path) -> None:
    _, urls = run_crawl(source("sitemap", [f"{site.base}/news-sitemap.xml"]), tmp_path)
    assert len(names(urls)) == 3


def test_rss_atom_and_feed_discovery(site: DemoSite, tmp_path: Path) -> None:
    _, rss = run_crawl(source("feed", [f"{site.base}/feed.xml"]), tmp_path / "a")
    _, atom = run_crawl(source("feed", [f"{site.base}/atom.xml"]), tmp_path / "b")
    _, found = run_crawl(source("feed", [f"{site.base}/"]), tmp_path / "c")  # <link rel=alternate>
    assert names(rss) == site_pages() == names(found)
    assert len(atom) == 4


def test_links_robots_redirect_404(site: DemoSite, tmp_path: Path) -> None:
    stats, urls = run_crawl(source("urls", [f"{site.base}/"]), tmp_path)
    assert site_pages() <= names(urls)
    assert site.hits("/private/draft.html") == 0 and stats["robotstxt/forbidden"] == 1
    assert site.hits("/old-bridge") == 1  # followed to the bridge page, fetched once
    assert stats["downloader/response_status_count/404"] >= 1
    assert stats["contentpipe/dropped/HttpError"] >= 1


def test_crawl_delay_from_robots_is_applied(site: DemoSite, tmp_path: Path) -> None:
    site.routes["/robots.txt"].body = b"User-agent: *\nCrawl-delay: 0.2\nDisallow: /private/\n"
    stats, _ = run_crawl(source("feed", [f"{site.base}/feed.xml"]), tmp_path)
    assert stats["contentpipe/crawl_delay"] == 0.2


def test_retry_on_500_then_success_and_429_retry_after(site: DemoSite, tmp_path: Path) -> None:
    def flaky(status: int, headers: dict[str, str]) -> Route:
        ok = Route(
            body=(
                Path(__file__).parents[1] / "deploy/demo/site/"
                "harbor-ledger-river-bridge-reopens.html"
            ).read_bytes()
        )

        def respond(route: Route) -> Route:
            return Route(status=status, headers=headers) if route.hits <= 2 else ok

        return Route(dynamic=respond)

    site.add("/flaky.html", flaky(500, {}))
    site.add("/busy.html", flaky(429, {"Retry-After": "1"}))
    site.add(
        "/list.html",
        Route(
            body=b'<html><body><a href="/flaky.html">f</a><a href="/busy.html">b</a></body></html>'
        ),
    )
    stats, urls = run_crawl(source("urls", [f"{site.base}/list.html"], max_depth=1), tmp_path)
    assert {"flaky.html", "busy.html"} <= names(urls)
    assert stats["retry/count"] >= 4
    assert stats["contentpipe/retry_after"] >= 1 and stats["contentpipe/backoff"] >= 1


def test_timeouts_non_html_oversize_and_redirect_loop_are_dropped(
    site: DemoSite, tmp_path: Path
) -> None:
    site.add("/logo", Route(body=b"\x89PNG....", content_type="image/png"))  # no extension: fetched
    site.add("/big.html", Route(body=b"<html><body>" + b"x" * 300_000 + b"</body></html>"))
    site.add("/loop-a", Route(status=302, headers={"Location": "/loop-b"}))
    site.add("/loop-b", Route(status=302, headers={"Location": "/loop-a"}))
    site.add("/ok.html", Route(body=b"<html><body><p>fine</p></body></html>"))
    site.add(
        "/list.html",
        Route(
            body=b"".join(
                b'<a href="/%s">x</a>' % p
                for p in (b"slow.html", b"logo", b"big.html", b"loop-a", b"ok.html")
            )
        ),
    )
    polite = Politeness(
        delay_seconds=0, autothrottle=False, timeout_seconds=1, retries=0, max_page_bytes=100_000
    )
    stats, urls = run_crawl(
        source("urls", [f"{site.base}/list.html"], max_depth=1, politeness=polite), tmp_path
    )
    assert names(urls) == {"list.html", "ok.html"}
    assert stats["contentpipe/dropped/not_html"] == 1
    assert stats["contentpipe/dropped/DownloadTimeoutError"] == 1  # the slow page
    assert stats["contentpipe/dropped/DownloadCancelledError"] == 1  # over max_page_bytes
    # The redirect loop ends (Scrapy's duplicate filter drops the return to /loop-a).
    assert site.hits("/loop-a") == 1 and site.hits("/loop-b") == 1


@pytest.mark.parametrize(
    "body",
    [
        b"<?xml version='1.0'?><urlset><url><loc>broken",
        # Billion laughs: entity expansion must not be performed.
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;'
        b'&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;'
        b'&lol2;&lol2;&lol2;&lol2;">]><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        b"<url><loc>&lol3;</loc></url></urlset>",
    ],
    ids=["malformed", "entity-bomb"],
)
def test_bad_sitemaps_are_rejected_and_the_crawl_goes_on(
    site: DemoSite, tmp_path: Path, body: bytes
) -> None:
    site.add("/bad.xml", Route(body=body, content_type="application/xml"))
    stats, urls = run_crawl(
        source("sitemap", [f"{site.base}/bad.xml", f"{site.base}/sitemap-1.xml"]), tmp_path
    )
    assert stats["contentpipe/dropped/bad_sitemap"] == 1
    assert len(urls) == len(site_pages()) // 2  # the good sitemap was crawled


def test_loopback_is_refused_by_default(site: DemoSite, tmp_path: Path) -> None:
    stats, urls = run_crawl(source("urls", [f"{site.base}/"], allow_private=False), tmp_path)
    assert urls == [] and stats["contentpipe/blocked/ssrf"] >= 1
    assert site.hits("/") == 0 and site.hits("/robots.txt") == 0


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.7/admin",
        "http://192.168.1.1/",
        "http://[::1]:8080/",
        "http://metadata.google.internal/computeMetadata/v1/",
        "http://[::ffff:127.0.0.1]/",
        "http://0.0.0.0/",
    ],
)
def test_ssrf_guard_refuses_redirect_targets(url: str) -> None:
    # The guard runs on every request the downloader sees, redirected ones included; checked
    # here on the request a redirect would produce, so no packet is ever sent to the address.
    crawler = get_crawler(ContentSpider)
    crawler.spider = ContentSpider(
        source=source("urls", ["https://example.com/"], allow_private=False).model_dump_json()
    )
    crawler.stats.open_spider()  # type: ignore[union-attr]
    with pytest.raises(IgnoreRequest, match="SSRF guard"):
        SsrfGuard(crawler).process_request(Request(url))
    assert blocked_reason(url) is not None


def test_public_addresses_pass_the_guard() -> None:
    assert blocked_reason("http://93.184.215.14/") is None


def test_seen_urls_are_skipped_unless_the_sitemap_says_they_changed(
    site: DemoSite, tmp_path: Path
) -> None:
    src = source("sitemap", [f"{site.base}/sitemap-1.xml"])
    _, first = run_crawl(src, tmp_path / "a")
    fetched = json.loads((tmp_path / "a" / "fetched.json").read_text())
    stats, again = run_crawl(src, tmp_path / "b", seen=fetched)
    assert again == [] and stats["contentpipe/skipped/seen"] == len(first)
    site.lastmod = "2999-01-01"
    site.routes.clear()
    site._build()
    stats, changed = run_crawl(src, tmp_path / "c", seen=fetched)
    assert len(changed) == len(first) and stats["contentpipe/refetched/lastmod"] == len(first)


def test_warc_is_readable_and_re_ingestable(site: DemoSite, tmp_path: Path) -> None:
    run_crawl(source("feed", [f"{site.base}/feed.xml"]), tmp_path)
    with gzip.open(tmp_path / "c.warc.gz", "rb") as fh:  # gzip per record: one stream reads all
        assert fh.read().count(b"WARC-Type: response") == len(site_pages())
    report = ingest([str(tmp_path / "c.warc.gz")], str(tmp_path / "out"), ProcessOptions(workers=1))
    assert report.counts["pages"] == len(site_pages())
    assert report.counts["records"] == 9


def test_sources_file_validation(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text("sources:\n  - name: a\n    kind: feed\n    urls: [https://a.example/feed]\n")
    assert load_sources(good)[0].kind == "feed"
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "sources:\n  - name: a\n    kind: podcast\n    urls: [https://a.example/]\n"
        "    max_pages: 0\n"
    )
    with pytest.raises(SourceError, match=r"source a: kind: .*max_pages"):
        load_sources(bad)
    bad.write_text("sources:\n  - name: b\n    kind: urls\n    urls: [ftp://x]\n")
    with pytest.raises(SourceError, match=r"source b: urls: .*not an http\(s\) URL"):
        load_sources(bad)
    repo = Path(__file__).parents[1] / "deploy" / "sources.yaml"
    assert load_sources(repo)
