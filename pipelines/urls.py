"""URL canonicalisation through courlan (trafilatura's own URL library)."""

from __future__ import annotations

import functools
from urllib.parse import urlsplit, urlunsplit

from courlan import normalize_url

from pipelines.redact import redact

__all__ = ["canonical_url", "domain_of", "url_key"]


def canonical_url(url: str) -> str:
    """Normalised URL: lower-case host, default port and fragment dropped, tracking parameters
    (utm_*, fbclid, ...) removed, remaining query parameters sorted.

    >>> canonical_url("HTTPS://www.Example.com:443/a/?utm_source=x&b=2&a=1#top")
    'https://www.example.com/a/?a=1&b=2'
    """
    url = redact(url)
    try:
        normal = normalize_url(url, strict=False)
    except (ValueError, AttributeError):
        normal = url
    parts = urlsplit(normal)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, parts.query, ""))


@functools.lru_cache(maxsize=256)  # a worker asks for a document's key twice in a row
def url_key(canonical: str) -> str:
    """The identity of a canonical URL for deduplication: scheme, `www.` and a trailing slash
    do not make two URLs different articles.

    >>> url_key("https://www.example.com/a/?x=1") == url_key("http://example.com/a?x=1")
    True
    """
    parts = urlsplit(canonical)
    host = parts.netloc.removeprefix("www.")
    path = parts.path.rstrip("/") or "/"
    if parts.scheme == "file":
        return f"file://{path}"
    return f"{host}{path}" + (f"?{parts.query}" if parts.query else "")


def domain_of(canonical: str) -> str:
    """Host without `www.`; empty for local files.

    >>> domain_of("https://www.example.com/a")
    'example.com'
    """
    return urlsplit(canonical).netloc.removeprefix("www.").lower()
