"""Single-page files: HTML (`.html`, `.htm`) and plain text (`.txt`, `.md`)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from pipelines.records import Page, Reject

__all__ = ["decode", "looks_binary", "read_file", "read_html", "read_text"]

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.I)


# Control characters other than tab, newline, form feed and carriage return.
_CONTROLS = bytes(b for b in range(32) if b not in (9, 10, 12, 13))


def looks_binary(data: bytes) -> bool:
    """True for data that is not text: NUL bytes or many control characters in the first 8 KB.

    >>> looks_binary(b"plain text"), looks_binary(bytes(range(1, 9)) + b" ab")
    (False, True)
    """
    head = data[:8192]
    if b"\x00" in head:
        return True
    controls = len(head) - len(head.translate(None, _CONTROLS))
    return controls > len(head) * 0.05


def decode(data: bytes, html: bool) -> str | None:
    """UTF-8 first (a BOM is dropped), then the charset an HTML page declares; else None."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    match = _META_CHARSET.search(data[:4096]) if html else None
    if match:
        try:
            return data.decode(match.group(1).decode("ascii"))
        except (LookupError, UnicodeDecodeError):
            return None
    return None


def _file_url(uri: str) -> str:
    return uri if "://" in uri else Path(uri).absolute().as_uri()


def _read_one(fh: IO[bytes], uri: str, html: bool) -> Iterator[Page | Reject]:
    data = fh.read()
    if not data.strip():
        yield Reject(None, uri, None, "read", "empty", f"{uri}: the file is empty")
        return
    if looks_binary(data):
        yield Reject(
            None,
            uri,
            None,
            "read",
            "binary",
            f"{uri}: binary data, not {'HTML' if html else 'text'}",
        )
        return
    text = decode(data, html)
    if text is None:
        yield Reject(
            None,
            uri,
            None,
            "read",
            "bad_encoding",
            f"{uri}: not valid UTF-8{' nor its declared charset' if html else ''}",
        )
        return
    yield Page(
        url=_file_url(uri),
        body=text,
        source=uri,
        content_type="text/html" if html else "text/plain",
    )


def read_html(fh: IO[bytes], uri: str, stats: Counter[str]) -> Iterator[Page | Reject]:
    """One HTML page per file; its URL is the page's canonical link if it has one (see extract)."""
    return _read_one(fh, uri, html=True)


def read_text(fh: IO[bytes], uri: str, stats: Counter[str]) -> Iterator[Page | Reject]:
    """One plain-text article per file; the first line is taken as its title by the cleaner."""
    return _read_one(fh, uri, html=False)


def read_file(path: str) -> Iterator[Page | Reject]:
    """A local single-page file read as `readers.read_input` reads it (`.txt` and `.md` as
    text, the rest as HTML), with only this module's imports: worker processes read the files
    they extract themselves (`pipelines.process`)."""
    html = not path.lower().endswith((".txt", ".md"))
    try:
        with open(path, "rb") as fh:
            yield from _read_one(fh, path, html)
    except OSError as exc:
        yield Reject(None, path, None, "read", "unreadable", f"{path}: {exc.strerror or exc}")
