"""Crawl sources: what to crawl, how deep, and how politely. Loaded from `deploy/sources.yaml` or
given as flow parameters; validated with a clear error per bad entry.

>>> Source(name="demo", kind="sitemap", urls=["https://example.com/sitemap.xml"]).domains()
['example.com']
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from pipelines.redact import redact, split_credentials

__all__ = ["Politeness", "Source", "SourceError", "load_sources"]


# A DNS name (letters of any script, digits, dots, hyphens, underscores) or an IP literal.
_HOST = re.compile(r"[\w.-]+|[0-9a-fA-F:.]+")


class SourceError(ValueError):
    """A sources file or entry that cannot be used; the message names the entry and field."""


class Politeness(BaseModel):
    """Per-source overrides of the polite defaults in `spiders/settings.py`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    obey_robots: bool = Field(True, title="Obey robots.txt")
    delay_seconds: float = Field(0.5, ge=0, title="Delay between requests to one site (s)")
    concurrency: int = Field(4, ge=1, le=64, title="Parallel requests to one site")
    autothrottle: bool = Field(True, title="AutoThrottle")
    timeout_seconds: float = Field(30, gt=0, title="Download timeout (s)")
    max_page_bytes: int = Field(10_000_000, gt=0, title="Largest page (bytes)")
    retries: int = Field(3, ge=0, le=10, title="Retries on 5xx/429 and timeouts")


class Source(BaseModel):
    """One site or feed to crawl."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(..., min_length=1, pattern=r"^[A-Za-z0-9_.-]+$", title="Name")
    kind: Literal["urls", "sitemap", "feed"] = Field(
        ...,
        title="Kind",
        description="urls: start pages, links followed inside the allowed domains; sitemap: "
        "sitemap or sitemap index URLs (or a robots.txt that lists them); feed: RSS/Atom feed "
        "URLs, or pages that link to one with <link rel=alternate>.",
    )
    urls: list[str] = Field(..., min_length=1, title="URLs")
    allowed_domains: list[str] = Field(
        default_factory=list,
        title="Allowed domains",
        description="Hosts to stay on; by default the hosts of the URLs.",
    )
    allow: list[str] = Field(default_factory=list, title="Allow patterns (regex)")
    deny: list[str] = Field(default_factory=list, title="Deny patterns (regex)")
    max_depth: int = Field(2, ge=0, le=20, title="Link depth (urls kind)")
    max_pages: int = Field(1000, ge=1, title="Most pages per run")
    allow_private: bool = Field(
        False,
        title="Allow private addresses",
        description="Fetch loopback/private addresses (local test sites only). Never for "
        "public sources: it disables the SSRF guard.",
    )
    politeness: Politeness = Field(default_factory=Politeness)

    @field_validator("urls")
    @classmethod
    def _http_urls(cls, urls: list[str]) -> list[str]:
        for url in urls:
            shown = redact(url)
            try:
                parts = urlsplit(url)
                parts.port  # noqa: B018 -- raises ValueError for a port that is not a number
            except ValueError as exc:
                raise ValueError(f"{shown!r} is not a valid URL ({exc})") from None
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError(f"{shown!r} is not an http(s) URL")
            if not _HOST.fullmatch(parts.hostname):
                raise ValueError(f"{shown!r} has an invalid host name {parts.hostname!r}")
        return urls

    @field_validator("urls")
    @classmethod
    def _one_login(cls, urls: list[str]) -> list[str]:
        logins = {urlsplit(u).netloc.rpartition("@")[0] for u in urls if "@" in urlsplit(u).netloc}
        if len(logins) > 1:
            raise ValueError("one set of credentials per source: split the URLs into sources")
        return urls

    def domains(self) -> list[str]:
        return self.allowed_domains or sorted({urlsplit(u).hostname or "" for u in self.urls})

    def bare_urls(self) -> list[str]:
        """The URLs without credentials: what is requested, logged and stored."""
        return [split_credentials(u)[0] if "@" in u else u for u in self.urls]

    def login(self) -> tuple[str, str, str] | None:
        """`(user, password, netloc)` for HTTP basic auth, from `https://user:pass@host/` in the
        URLs (`${NAME}` taken from the environment), sent to that host only; else None."""
        for url in self.urls:
            bare, credentials = split_credentials(url)
            if credentials is not None:
                # host[:port] as the URL gives it: Scrapy matches the port too.
                return (*credentials, urlsplit(bare).netloc.lower())
        return None

    def public(self) -> dict[str, object]:
        """The source as JSON without credentials, for manifests and logs."""
        data = self.model_dump(mode="json")
        data["urls"] = [redact(u) for u in self.urls]
        return data


def load_sources(path: Path) -> list[Source]:
    """Read a sources YAML file: `sources:` followed by a list of entries."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SourceError(f"{path}: {exc.strerror or exc}") from exc
    except yaml.YAMLError as exc:
        raise SourceError(f"{path}: not valid YAML ({exc})") from exc
    entries = data.get("sources") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not entries:
        raise SourceError(f"{path}: expected a non-empty list under 'sources:'")
    sources: list[Source] = []
    for n, entry in enumerate(entries, start=1):
        name = entry.get("name", f"#{n}") if isinstance(entry, dict) else f"#{n}"
        try:
            sources.append(Source.model_validate(entry))
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'entry'}: {e['msg']}" for e in exc.errors()
            )
            raise SourceError(f"{path}: source {name}: {problems}") from None
    names = [s.name for s in sources]
    if len(set(names)) != len(names):
        raise SourceError(f"{path}: source names must be unique")
    return sources
