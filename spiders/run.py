"""Run one source's crawl in this process: `python -m spiders.run --source JSON --warc PATH ...`.

The crawl flow starts this as a subprocess — Twisted's reactor cannot be restarted inside one
process, and Scrapy resets logging — and reads back the WARC, the fetched-URL list and the stats.
"""

from __future__ import annotations

import argparse
import json
from datetime import datetime
from pathlib import Path
from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from pipelines.sources import Source
from spiders import settings as defaults
from spiders.content import ContentSpider

__all__ = ["crawl_settings", "main"]


def crawl_settings(source: Source, warc: Path, user_agent: str | None = None) -> Settings:
    """Scrapy settings for one source: the polite defaults plus the source's overrides."""
    settings = Settings()
    settings.setmodule(defaults, priority="project")
    p = source.politeness
    settings.setdict(
        {
            "ROBOTSTXT_OBEY": p.obey_robots,
            "DOWNLOAD_DELAY": p.delay_seconds,
            "CONCURRENT_REQUESTS_PER_DOMAIN": p.concurrency,
            "AUTOTHROTTLE_ENABLED": p.autothrottle,
            "AUTOTHROTTLE_START_DELAY": max(p.delay_seconds, 0.01),
            "DOWNLOAD_TIMEOUT": p.timeout_seconds,
            "DOWNLOAD_MAXSIZE": p.max_page_bytes,
            "RETRY_TIMES": p.retries,
            "WARC_PATH": str(warc),
            # Page limit: the spider stops handing pages over at max_pages; this stops the crawl.
            "CLOSESPIDER_ITEMCOUNT": source.max_pages,
        },
        priority="cmdline",
    )
    if user_agent:
        settings.set("USER_AGENT", user_agent, priority="cmdline")
    login = source.login()
    if login is not None:  # Scrapy's HttpAuthMiddleware, for the URLs' host only
        user, password, host = login
        settings.setdict(
            {"HTTPAUTH_USER": user, "HTTPAUTH_PASS": password, "HTTPAUTH_DOMAIN": host},
            priority="cmdline",
        )
    return settings


def _jsonable(stats: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in stats.items()}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument(
        "--source",
        required=True,
        help="the Source as JSON, or @FILE holding it (keeps credentials off the command line)",
    )
    ap.add_argument("--warc", required=True, type=Path)
    ap.add_argument("--seen", help="JSON of url key → last fetch time (from earlier runs)")
    ap.add_argument("--fetched", required=True, help="where to write this crawl's fetched URLs")
    ap.add_argument("--stats", required=True, type=Path)
    ap.add_argument("--user-agent")
    args = ap.parse_args(argv)
    if args.source.startswith("@"):
        args.source = Path(args.source[1:]).read_text(encoding="utf-8")
    source = Source.model_validate_json(args.source)
    process = CrawlerProcess(
        crawl_settings(source, args.warc, args.user_agent), install_root_handler=True
    )
    crawler = process.create_crawler(ContentSpider)
    process.crawl(crawler, source=args.source, seen_path=args.seen, fetched_path=args.fetched)
    process.start()
    assert crawler.stats is not None
    args.stats.write_text(json.dumps(_jsonable(crawler.stats.get_stats()), indent=1))


if __name__ == "__main__":
    main()
