"""A local demo website on 127.0.0.1 for `make demo` and the tests.

Serves the bundled demo pages (deploy/demo/site/) with what real news sites have around them:
robots.txt (a disallowed path, a Sitemap line), a sitemap index pointing at a plain and a gzip
sitemap, a Google News sitemap, RSS and Atom feeds, a home page that links everything and
announces its feed, a redirect, a 404 and a slow page. Tests add routes of their own.

    python deploy/demo/server.py
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

SITE = Path(__file__).parent / "site"

__all__ = ["DemoSite", "Route"]


@dataclass
class Route:
    status: int = 200
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    hits: int = 0
    # The Authorization header a request must carry (HTTP basic auth), else 401.
    auth: str | None = None
    # Called per request; may return a replacement Route (e.g. fail twice, then succeed).
    dynamic: Callable[[Route], Route] | None = None


class DemoSite:
    """An HTTP server on 127.0.0.1 with a table of routes; `start()` returns the base URL."""

    def __init__(self, pages: Path | None = SITE, lastmod: str = "2026-03-01") -> None:
        self.routes: dict[str, Route] = {}
        self.lastmod = lastmod
        self._pages = sorted(pages.glob("*.html")) if pages else []
        self._server: ThreadingHTTPServer | None = None
        self.base = ""
        self.log: list[tuple[float, str]] = []  # (monotonic time, path) of every request

    def add(self, path: str, route: Route) -> None:
        self.routes[path] = route

    def hits(self, path: str) -> int:
        return self.routes[path].hits if path in self.routes else 0

    def _build(self) -> None:
        base = self.base
        names = [p.name for p in self._pages]
        for page in self._pages:
            self.add(f"/{page.name}", Route(body=page.read_bytes()))
        links = "".join(f'<li><a href="/{n}">{n}</a></li>' for n in names)
        self.add(
            "/",
            Route(
                body=(
                    f'<html><head><title>Demo news</title><link rel="alternate" '
                    f'type="application/rss+xml" href="{base}/feed.xml"></head>'
                    f"<body><h1>Demo news</h1>"
                    f'<ul>{links}<li><a href="/private/draft.html">draft</a></li>'
                    f'<li><a href="/old-bridge">old link</a></li>'
                    f'<li><a href="/missing">gone</a></li>'
                    f"</ul></body></html>"
                ).encode()
            ),
        )
        half = len(names) // 2

        def urlset(chosen: list[str]) -> bytes:
            entries = "".join(
                f"<url><loc>{base}/{n}</loc><lastmod>{self.lastmod}</lastmod></url>" for n in chosen
            )
            return (
                f'<?xml version="1.0" encoding="UTF-8"?><urlset '
                f'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>'
            ).encode()

        xml = "application/xml"
        self.add("/sitemap-1.xml", Route(body=urlset(names[:half]), content_type=xml))
        self.add(
            "/sitemap-2.xml.gz",
            Route(body=gzip.compress(urlset(names[half:])), content_type="application/x-gzip"),
        )
        self.add(
            "/sitemap_index.xml",
            Route(
                content_type=xml,
                body=(
                    '<?xml version="1.0" encoding="UTF-8"?><sitemapindex '
                    'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                    f"<sitemap><loc>{base}/sitemap-1.xml</loc></sitemap>"
                    f"<sitemap><loc>{base}/sitemap-2.xml.gz</loc></sitemap></sitemapindex>"
                ).encode(),
            ),
        )
        news = "".join(
            f"<url><loc>{base}/{n}</loc><news:news><news:publication><news:name>Demo</news:name>"
            f"<news:language>en</news:language></news:publication><news:publication_date>"
            f"{self.lastmod}</news:publication_date><news:title>{n}</news:title></news:news></url>"
            for n in names[:3]
        )
        self.add(
            "/news-sitemap.xml",
            Route(
                content_type=xml,
                body=(
                    '<?xml version="1.0" encoding="UTF-8"?><urlset '
                    'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
                    'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
                    f"{news}</urlset>"
                ).encode(),
            ),
        )
        items = "".join(f"<item><title>{n}</title><link>{base}/{n}</link></item>" for n in names)
        self.add(
            "/feed.xml",
            Route(
                content_type="application/rss+xml",
                body=(
                    f'<?xml version="1.0"?><rss version="2.0"><channel><title>Demo</title>{items}'
                    "</channel></rss>"
                ).encode(),
            ),
        )
        entries = "".join(
            f'<entry><title>{n}</title><link href="{base}/{n}"/></entry>' for n in names[:4]
        )
        self.add(
            "/atom.xml",
            Route(
                content_type="application/atom+xml",
                body=(
                    '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
                    f"<title>Demo</title>{entries}</feed>"
                ).encode(),
            ),
        )
        self.add(
            "/robots.txt",
            Route(
                content_type="text/plain",
                body=(
                    f"User-agent: *\nDisallow: /private/\n\nSitemap: {base}/sitemap_index.xml\n"
                ).encode(),
            ),
        )
        self.add("/private/draft.html", Route(body=b"<html><body><p>draft</p></body></html>"))
        if names:
            self.add("/old-bridge", Route(status=301, headers={"Location": f"/{names[0]}"}))
        self.add("/slow.html", Route(body=b"<html><body><p>slow</p></body></html>", delay=3))

    def start(self) -> str:
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                site.log.append((time.monotonic(), path))
                route = site.routes.get(path)
                if route is None:
                    route = Route(status=404, body=b"<html><body>not found</body></html>")
                route.hits += 1
                if route.auth is not None and self.headers.get("Authorization") != route.auth:
                    route = Route(status=401, headers={"WWW-Authenticate": 'Basic realm="x"'})
                if route.dynamic:
                    route = route.dynamic(route)
                if route.delay:
                    time.sleep(route.delay)
                self.send_response(route.status)
                self.send_header("Content-Type", route.content_type)
                self.send_header("Content-Length", str(len(route.body)))
                for key, value in route.headers.items():
                    self.send_header(key, value)
                self.end_headers()
                # The client may have given up (a timeout test); nothing to tell it then.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(route.body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._build()
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self.base

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.parse_args()
    site = DemoSite()
    print(f"demo site on {site.start()} (Ctrl-C stops it)", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        site.stop()


if __name__ == "__main__":
    main()
