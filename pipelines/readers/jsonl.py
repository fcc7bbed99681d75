"""JSON Lines: one page per line.

Each line is an object with `url` and `html` or `text`, and optionally `id` (kept as `source_id`),
`title` and `published`.

A bad line is rejected on its own, naming the file and line; the rest of the file is read.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from typing import IO, Any

from pipelines.records import Page, Reject

__all__ = ["read_jsonl"]


def _text_field(obj: dict[str, Any], name: str) -> str | None:
    value = obj.get(name)
    return str(value) if value is not None and value != "" else None


def read_jsonl(fh: IO[bytes], uri: str, stats: Counter[str]) -> Iterator[Page | Reject]:
    """Yield a `Page` per valid line and a `Reject` per invalid one."""
    for lineno, raw in enumerate(fh, start=1):
        if not raw.strip():
            continue
        where = f"{uri}:{lineno}"
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
