"""JSON Lines: one page per line.

Each line is an object with `url` and `html` or `text`, and optionally `id` (kept as `source_id`),
`title` and `published`. `url`, `html`, `text`, `title` and `published` must be strings (`id` may
be a number too).

A bad line is rejected on its own, naming the file and line; the rest of the file is read. A line
is read at most to twice the page limit (JSON's escapes make a page longer): a longer one is
rejected `too_large` and skipped in bounded pieces, so a compressed file that inflates to one
enormous line costs no more memory than a large page.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from typing import IO, Any

from pipelines.readers.files import DEFAULT_LIMIT
from pipelines.records import Page, Reject

__all__ = ["read_jsonl"]


_STRINGS = ("url", "html", "text", "title", "published")


def _text_field(obj: dict[str, Any], name: str) -> str | None:
    value = obj.get(name)
    return str(value) if value is not None and value != "" else None


def _lines(fh: IO[bytes], cap: int) -> Iterator[tuple[int, bytes | None]]:
    """`(line number, line)` with each line read to at most `cap` bytes; None for a longer
    line, whose rest is read and dropped in pieces of `cap` bytes."""
    lineno = 0
    while True:
        raw = fh.readline(cap + 1)
        if not raw:
            return
        lineno += 1
        if len(raw) > cap and not raw.endswith(b"\n"):
            while (rest := fh.readline(cap)) and not rest.endswith(b"\n"):
                pass
            yield lineno, None
            continue
        yield lineno, raw


def read_jsonl(
    fh: IO[bytes], uri: str, stats: Counter[str], limit: int = DEFAULT_LIMIT
) -> Iterator[Page | Reject]:
    """Yield a `Page` per valid line and a `Reject` per invalid one."""
    cap = 2 * limit
    for lineno, raw in _lines(fh, cap):
        where = f"{uri}:{lineno}"
        if raw is None:
            yield Reject(
                None, uri, None, "read", "too_large", f"{where}: the line is over {cap:,} bytes"
            )
            continue
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
        except UnicodeDecodeError:
            yield Reject(None, uri, None, "read", "bad_encoding", f"{where}: not valid UTF-8")
            continue
        except json.JSONDecodeError as exc:
            yield Reject(None, uri, None, "read", "malformed_json", f"{where}: {exc.msg}")
            continue
        if not isinstance(obj, dict):
            yield Reject(
                None,
                uri,
                None,
                "read",
                "malformed_json",
                f"{where}: expected a JSON object, got {type(obj).__name__}",
            )
            continue
        wrong = [
            f"{name!r} is {type(obj[name]).__name__}"
            for name in _STRINGS
            if obj.get(name) is not None and not isinstance(obj[name], str)
        ]
        if obj.get("id") is not None and not isinstance(obj["id"], str | int):
            wrong.append(f"'id' is {type(obj['id']).__name__}")
        if wrong:
            yield Reject(
                obj["url"] if isinstance(obj.get("url"), str) else None,
                uri,
                None,
                "read",
                "bad_field",
                f"{where}: expected strings: {', '.join(wrong)}",
            )
            continue
        source_id = _text_field(obj, "id")
        url = _text_field(obj, "url")
        html, text = _text_field(obj, "html"), _text_field(obj, "text")
        if url is None or (html is None and text is None):
            missing = "url" if url is None else "html or text"
            yield Reject(
                url,
                uri,
                source_id,
                "read",
                "missing_field",
                f"{where}: the object has no {missing!r}",
            )
            continue
        yield Page(
            url=url,
            body=html if html is not None else text or "",
            source=uri,
            content_type="text/html" if html is not None else "text/plain",
            source_id=source_id,
            title=_text_field(obj, "title"),
            published=_text_field(obj, "published"),
        )
