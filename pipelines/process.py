"""The steps that run on worker processes: extract, clean, filter and sign a batch of pages;
strip a spool of the run's templates.

Kept apart from `pipelines.run` so that a worker imports only what these steps need — no
boto3, no datasketch (its scipy import alone is 0.4 s) — and starts in about half the time.
Signatures use the permutations the parent made with datasketch (`pipelines.dedup`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipelines import minhash
from pipelines.clean import Cleaner
from pipelines.config import ProcessOptions
from pipelines.extract import extract
from pipelines.filters import min_words
from pipelines.minhash import Permutations
from pipelines.parquet import SPOOL_SCHEMA, RowWriter, read_columns, read_rows
from pipelines.records import Document, Page, Reject
from pipelines.templates import TemplateModel, line_keys

__all__ = [
    "Batch",
    "Processed",
    "StripJob",
    "Stripped",
    "process_batch",
    "ready",
    "strip_job",
    "strip_templates",
]


def ready() -> None:
    """Nothing: run on a worker to make it import this module early (`workers.warm_up`)."""


def _sign(text: str, options: ProcessOptions, permutations: Permutations) -> bytes:
    return minhash.signature(text, options.dedup.shingle_size, permutations).tobytes()


@dataclass
class Batch:
    """Pages for one worker call, with what signing them needs."""

    pages: list[Page]
    options: ProcessOptions
    run_id: str
    permutations: Permutations


@dataclass
class Processed:
    docs: list[tuple[Document, bytes, list[int]]]
    rejects: list[Reject]


def _process_page(
    page: Page, batch: Batch, cleaner: Cleaner
) -> tuple[Document, bytes, list[int]] | Reject:
    result = extract(page, batch.options.extract, batch.run_id)
    if isinstance(result, Reject):
        return result
    doc = cleaner.clean(result)
    kept = min_words(doc, batch.options.min_words)
    if isinstance(kept, Reject):
        return kept
    keys = line_keys(doc.text, doc.title) if batch.options.templates.enabled else []
    return doc, _sign(doc.text, batch.options, batch.permutations), keys


def process_batch(batch: Batch) -> Processed:
    """Extract, clean, filter and sign a batch of pages (runs in a worker process)."""
    cleaner = Cleaner()
    out = Processed([], [])
    for page in batch.pages:
        try:
            result = _process_page(page, batch, cleaner)
        except Exception as exc:  # one page's bug must not sink the run: record it instead
            result = Reject(
                page.url,
                page.source,
                page.source_id,
                "process",
                "internal_error",
                f"{page.url}: {type(exc).__name__}: {exc}",
                batch.run_id,
            )
        if isinstance(result, Reject):
            out.rejects.append(result)
        else:
            out.docs.append(result)
    return out


@dataclass
class StripJob:
    """One spool to strip of the run's templates."""

    path: Path
    model: TemplateModel
    options: ProcessOptions
    permutations: Permutations


@dataclass
class Stripped:
    counts: Counter[str]
    rejects: list[Reject]


def strip_job(job: StripJob) -> Stripped:
    """`strip_templates` on a worker process: spools are independent."""
    counts: Counter[str] = Counter()
    rejects = strip_templates(job.path, job.model, job.options, job.permutations, counts)
    return Stripped(counts, rejects)


def strip_templates(
    path: Path,
    model: TemplateModel,
    options: ProcessOptions,
    permutations: Permutations,
    counts: Counter[str],
) -> list[Reject]:
    """Rewrite one spool without its documents' template lines; documents left too short
    become rejects. Signatures and hashes of changed documents are recomputed."""
    if not model.templates:
        return []
    extra = read_columns(path, ["url_key", "signature", "line_keys"])
    rows: list[tuple[Document, dict[str, Any]]] = []
    rejects: list[Reject] = []
    changed = False
    for i, doc in enumerate(read_rows(path, Document)):
        keys = extra["line_keys"][i]
        stripped = model.strip(doc, keys)
        sig = extra["signature"][i]
        if stripped is not doc:
            changed = True
            removed = stripped.boilerplate_lines_removed - doc.boilerplate_lines_removed
            counts["boilerplate_lines_removed"] += removed
            counts["removed_by_rule.template"] += removed
            kept = min_words(stripped, options.min_words)
            if isinstance(kept, Reject):
                counts["candidates"] -= 1
                counts[f"rejected.{kept.reason}"] += 1
                rejects.append(kept)
                continue
            sig = _sign(stripped.text, options, permutations)
            keys = [k for k in keys if k not in model.templates[doc.domain]]
        rows.append(
            (stripped, {"url_key": extra["url_key"][i], "signature": sig, "line_keys": keys})
        )
    if changed:
        with RowWriter(path, SPOOL_SCHEMA) as writer:
            for doc, cols in rows:
                writer.write(doc, **cols)
    return rejects
