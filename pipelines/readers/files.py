"""Single-page files: HTML (`.html`, `.htm`) and plain text (`.txt`, `.md`)."""

from __future__ import annotations

import codecs
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from pipelines.records import Page, Reject

__all__ = [
    "DEFAULT_LIMIT",
    "decode",
    "http_charset",
    "looks_binary",
    "read_bounded",
    "read_file",
    "read_html",
    "read_text",
    "too_large",
]

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.I)
_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.I)
# The byte-order marks, longest first (UTF-32 LE starts with UTF-16 LE's).
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# The largest page a reader takes by default (`ExtractOptions.max_page_bytes` in a run).
DEFAULT_LIMIT = 20_000_000

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


def http_charset(content_type: str | None) -> str | None:
    """The charset of an HTTP `Content-Type` header value.

    >>> http_charset('text/html; charset="Shift_JIS"')
    'Shift_JIS'
    """
    match = _HEADER_CHARSET.search(content_type or "")
    return match.group(1) if match else None


def _bom(data: bytes) -> str | None:
    return next((name for bom, name in _BOMS if data.startswith(bom)), None)


def _utf16_unmarked(data: bytes) -> str | None:
    """UTF-16 without a BOM: the markup's ASCII puts a NUL in every other byte, and all of the
    NULs fall on one side (binary data has them on both)."""
    head = data[:8192]
    if len(head) < 64:
        return None
    even, odd = head[0::2].count(0), head[1::2].count(0)
    guess = "utf-16-le" if odd >= 8 and even <= odd // 10 else None
    if even >= 8 and odd <= even // 10:
        guess = "utf-16-be"
    if guess is None:
        return None
    try:  # incremental: the sample may end inside a character
        text = codecs.getincrementaldecoder(guess)().decode(head, final=False)
    except UnicodeDecodeError:
        return None
    return guess if "<" in text or "\n" in text else None


def _try(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except (LookupError, UnicodeDecodeError):
        return None


def decode(data: bytes, html: bool, declared: str | None = None) -> tuple[str | None, str]:
    """The page's text and how it was decoded, or None and everything that was tried.

    In order: a byte-order mark; UTF-8 (valid UTF-8 is almost never another encoding, while
    declared charsets are often wrong); the charset the transport declared (`declared`: an
    HTTP `Content-Type` header, kept in WARC records); the `<meta>` charset of an HTML page;
    then detection (charset-normalizer), for legacy pages that declare nothing or the wrong
    thing.

    >>> decode("Grüße".encode("cp1252"), html=False, declared="windows-1252")
    ('Grüße', 'windows-1252 (declared)')
    """
    bom = _bom(data)
    unmarked = None if bom else _utf16_unmarked(data)
    if bom or unmarked:
        encoding = bom or unmarked or ""
        skip = next((len(b) for b, name in _BOMS if name == bom and data.startswith(b)), 0)
        text = _try(data[skip:], encoding)
        how = f"{encoding} ({'byte-order mark' if bom else 'no BOM, told by its NULs'})"
        return (text, how) if text is not None else (None, how)
    tried = ["utf-8"]
    text = _try(data, "utf-8")
    if text is not None:
        return text, "utf-8"
    candidates = [(declared, "declared")]
    match = _META_CHARSET.search(data[:4096]) if html else None
    candidates.append((match.group(1).decode("ascii") if match else None, "meta"))
    for charset, where in candidates:
        if charset and charset.lower() not in ("utf-8", "utf8"):
            tried.append(f"{charset} ({where})")
            text = _try(data, charset)
            if text is not None:
                return text, f"{charset} ({where})"
    tried.append("detection")
    guess = _detect(data, html)
    if guess is not None:
        return guess
    return None, ", ".join(tried)


def _detect(data: bytes, html: bool) -> tuple[str, str] | None:
    # Imported when a page needs it (few do): charset-normalizer is also what requests uses.
    import charset_normalizer

    best = charset_normalizer.from_bytes(data[:200_000]).best()
    if best is None or best.encoding is None:
        return None
    # Web pages come in ASCII-compatible encodings (UTF-16/32 aside, told by their BOM or NULs):
    # a guess of EBCDIC or the like for bytes that are text in no encoding is noise.
    if _try(b"<p>az</p>", best.encoding) != "<p>az</p>":
        return None
    text = _try(data, best.encoding)
    if text is None or (html and "<" not in text):
        return None
    return text, f"{best.encoding} (detected)"


def read_bounded(fh: IO[bytes], limit: int) -> bytes | None:
    """At most `limit` bytes of `fh`, or None if it holds more: a compressed input that
    inflates to gigabytes costs `limit` bytes of memory, not its inflated size."""
    data = fh.read(limit + 1)
    return None if len(data) > limit else data


def too_large(uri: str, limit: int, what: str = "the page") -> Reject:
    return Reject(
        None,
        uri,
        None,
        "read",
        "too_large",
        f"{uri}: {what} is over the {limit:,}-byte page limit (reading stopped there)",
    )


def _file_url(uri: str) -> str:
    return uri if "://" in uri else Path(uri).absolute().as_uri()


def _read_one(
    fh: IO[bytes], uri: str, html: bool, limit: int = DEFAULT_LIMIT
) -> Iterator[Page | Reject]:
    data = read_bounded(fh, limit)
    if data is None:
        yield too_large(uri, limit)
        return
    if not data.strip():
        yield Reject(None, uri, None, "read", "empty", f"{uri}: the file is empty")
        return
    if looks_binary(data) and not (_bom(data) or _utf16_unmarked(data)):
        yield Reject(
            None,
            uri,
            None,
            "read",
            "binary",
            f"{uri}: binary data, not {'HTML' if html else 'text'}",
        )
        return
    text, how = decode(data, html)
    if text is None:
        yield Reject(None, uri, None, "read", "bad_encoding", f"{uri}: undecodable (tried {how})")
        return
    yield Page(
        url=_file_url(uri),
        body=text,
        source=uri,
        content_type="text/html" if html else "text/plain",
    )


def read_html(
    fh: IO[bytes], uri: str, stats: Counter[str], limit: int = DEFAULT_LIMIT
) -> Iterator[Page | Reject]:
    """One HTML page per file; its URL is the page's canonical link if it has one (see extract)."""
    return _read_one(fh, uri, True, limit)


def read_text(
    fh: IO[bytes], uri: str, stats: Counter[str], limit: int = DEFAULT_LIMIT
) -> Iterator[Page | Reject]:
    """One plain-text article per file; the first line is taken as its title by the cleaner."""
    return _read_one(fh, uri, False, limit)


def read_file(path: str, limit: int = DEFAULT_LIMIT) -> Iterator[Page | Reject]:
    """A local single-page file read as `readers.read_input` reads it (`.txt` and `.md` as
    text, the rest as HTML), with only this module's imports: worker processes read the files
    they extract themselves (`pipelines.process`)."""
    html = not path.lower().endswith((".txt", ".md"))
    try:
        with open(path, "rb") as fh:
            yield from _read_one(fh, path, html, limit)
    except OSError as exc:
        yield Reject(None, path, None, "read", "unreadable", f"{path}: {exc.strerror or exc}")
