"""Quality filters: decide keep or drop with a reason code; the caller counts and records it."""

from __future__ import annotations

from pipelines.records import Document, Reject

__all__ = ["min_words"]


def min_words(doc: Document, minimum: int) -> Document | Reject:
    """Drop documents with fewer than `minimum` words after cleaning."""
    if doc.word_count >= minimum:
        return doc
    return Reject(
        doc.url,
        doc.source,
        doc.source_id,
        "filter",
        "too_short",
        f"{doc.url}: {doc.word_count} words after cleaning, fewer than {minimum}",
        doc.run_id,
    )
