"""Scrapy settings for contentpipe's crawler: polite by default.

Per-source politeness overrides (`pipelines.sources.Politeness`) are applied on top of these by
`spiders.run`.
"""

BOT_NAME = "contentpipe"
SPIDER_MODULES = ["spiders.content"]
USER_AGENT = (
    "contentpipe/0.1 (+https://github.com/contentpipe/contentpipe; crawler for a news corpus)"
)

ROBOTSTXT_OBEY = True
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 0.5
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
CONCURRENT_REQUESTS = 32
CONCURRENT_REQUESTS_PER_DOMAIN = 4
DOWNLOAD_DELAY = 0.5
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 10_000_000
DOWNLOAD_WARNSIZE = 0
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
REDIRECT_MAX_TIMES = 5
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
LOG_LEVEL = "INFO"

DOWNLOADER_MIDDLEWARES = {
    # Before the redirect middleware's own re-scheduling: every request, redirected ones
    # included, passes the guard before a connection is opened.
    "spiders.middlewares.SsrfGuard": 50,
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "spiders.middlewares.RobotsWithCrawlDelay": 100,
    # Closer to the network than RetryMiddleware (550): it sees a 429 before the retry does.
    "spiders.middlewares.RetryBackoff": 560,
}
ITEM_PIPELINES = {
    "spiders.pipelines.WarcWriter": 300,
}
