"""Crawl benchmark: a generated local site of 5,000 article pages (plus 50 section pages and a
home page), politeness limits off, crawled by
  (a) a bare Scrapy spider that only follows links and discards the pages;
  (b) contentpipe's crawler as the crawl flow runs it (`python -m spiders.run`: WARC writing,
      seen-URL bookkeeping, stats) — the figure the <= 1.25x (a) target is about;
  (c) `contentpipe crawl` end to end (Prefect flow, crawl, extraction, dedup, Parquet).
Both (a) and (b) are subprocesses with the same Scrapy settings, against the same server.

Usage: python bench/crawl.py [--pages 5000]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from deploy.demo.server import DemoSite, Route  # noqa: E402
from pipelines.sources import Politeness, Source  # noqa: E402

BARE = textwrap.dedent("""
    import sys
    from scrapy import Spider
    from scrapy.crawler import CrawlerProcess
    from scrapy.linkextractors import LinkExtractor

    class Bare(Spider):
        name = "bare"
        start_urls = [sys.argv[1]]
        links = LinkExtractor()

        def parse(self, response):
            for link in self.links.extract_links(response):
                yield response.follow(link.url, self.parse)

    process = CrawlerProcess({"ROBOTSTXT_OBEY": False, "DOWNLOAD_DELAY": 0,
                              "AUTOTHROTTLE_ENABLED": False, "CONCURRENT_REQUESTS": 32,
                              "CONCURRENT_REQUESTS_PER_DOMAIN": 16, "LOG_LEVEL": "ERROR",
                              "TELNETCONSOLE_ENABLED": False, "COOKIES_ENABLED": False})
    crawler = process.create_crawler(Bare)
    process.crawl(crawler)
    process.start()
    print(crawler.stats.get_value("response_received_count"))
""")


def build_site(site: DemoSite, pages: int) -> str:
    sections = 50
    per = pages // sections
    filler = " ".join(f"Sentence {i} of an ordinary article body." for i in range(60))
    site.add(
        "/",
        Route(
            body=(
                "<html><body>"
                + "".join(f'<a href="/s{s}/">section {s}</a>' for s in range(sections))
                + "</body></html>"
            ).encode()
        ),
    )
    for s in range(sections):
        site.add(
            f"/s{s}/",
            Route(
                body=(
                    "<html><body>"
                    + "".join(f'<a href="/s{s}/a{a}.html">article {a}</a>' for a in range(per))
                    + "</body></html>"
                ).encode()
            ),
        )
        for a in range(per):
            site.add(
                f"/s{s}/a{a}.html",
                Route(
                    body=(
                        f"<html><head><title>Article {s}-{a}</title></head><body><article>"
                        f"<h1>Article {s}-{a}</h1><p>{filler}</p><a href='/s{s}/'>back</a>"
                        "</article></body></html>"
                    ).encode()
                ),
            )
    return site.base


def timed(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if done.returncode:
        raise SystemExit(done.stderr[-3000:])
    return time.perf_counter() - start, done.stdout


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--pages", type=int, default=5000)
    args = ap.parse_args()
    site = DemoSite(pages=None)
    site.start()
    base = build_site(site, args.pages)
    total = 1 + 50 + args.pages
    polite = Politeness(obey_robots=False, delay_seconds=0, autothrottle=False, concurrency=16)
    source = Source(
        name="bench",
        kind="urls",
        urls=[f"{base}/"],
        max_depth=2,
        max_pages=total + 10,
        allow_private=True,
        politeness=polite,
    )
    with tempfile.TemporaryDirectory() as tmp:
        # A file, not `-c`: Scrapy reads a callback's source to check its generators.
        bare = Path(tmp, "bare.py")
        bare.write_text(BARE)
        t_bare, out = timed([sys.executable, str(bare), f"{base}/"])
        bare_pages = int(out.strip().splitlines()[-1])
        t_ours, _ = timed(
            [
                sys.executable,
                "-m",
                "spiders.run",
                "--source",
                source.model_dump_json(),
                "--warc",
                f"{tmp}/b.warc.gz",
                "--fetched",
                f"{tmp}/f.json",
                "--stats",
                f"{tmp}/s.json",
            ]
        )
        stats = json.loads(Path(tmp, "s.json").read_text())
        sources = Path(tmp, "sources.yaml")
        sources.write_text("sources:\n  - " + json.dumps(source.model_dump(mode="json")) + "\n")
        env = {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1"}
        t_full, _ = timed(
            [
                str(Path(sys.executable).parent / "contentpipe"),
                "crawl",
                "--sources",
                str(sources),
                "--out",
                f"{tmp}/out",
            ],
            env,
        )
    site.stop()
    ours_pages = stats.get("item_scraped_count", 0)
    print("| measurement | value |\n|---|---|")
    print(f"| site | {total:,} pages on 127.0.0.1 (politeness off, 16 per domain) |")
    print(
        f"| (a) bare Scrapy spider, follow links only | {t_bare:.1f} s, {bare_pages:,} responses, "
        f"{bare_pages / t_bare:.0f} pages/s |"
    )
    print(
        f"| (b) contentpipe crawler (WARC, seen store, stats) | {t_ours:.1f} s = "
        f"{t_ours / t_bare:.2f}x (a), {ours_pages:,} pages written, {ours_pages / t_ours:.0f} "
        "pages/s |"
    )
    print(
        f"| (c) `contentpipe crawl` end to end (Prefect, extraction, dedup, Parquet) | "
        f"{t_full:.1f} s |"
    )


if __name__ == "__main__":
    main()
