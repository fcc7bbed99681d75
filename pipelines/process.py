"""The steps that run on worker processes: extract, clean, filter and sign a batch of pages;
strip a spool of the run's templates. With templates on (the default), documents are signed in
the strip pass, once their template lines are gone, not in the batch.

Kept apart from `pipelines.run` so that a worker imports only what these steps need — no
boto3, none of publish's dedup index — and starts in about half the time. Signatures use
the permutations the parent drew (`pipelines.dedup.permutations`).
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from pipelines import minhash
from pipelines.clean import Cleaner
from pipelines.config import ProcessOptions
from pipelines.filters import min_words
from pipelines.minhash import Permutations
from pipelines.readers.files import read_file
from pipelines.records import Document, Page, Reject
from pipelines.templates import TemplateModel, line_keys
from pipelines.urls import url_key

__all__ = [
    "Batch",
    "Candidate",
    "Processed",
    "StripJob",
    "Stripped",
    "process_batch",
    "strip_job",
    "strip_templates",
]


def _sign(text: str, options: ProcessOptions, permutations: Permutations) -> bytes:
    return minhash.signature(text, options.dedup.shingle_size, permutations).tobytes()


@dataclass
class Batch:
    """Pages for one worker call, with what signing them needs; `files` are local single-page
    files (`readers.read_in_worker`) for the worker to read, before `pages`."""

    pages: list[Page]
    options: ProcessOptions
    run_id: str
    permutations: Permutations
    files: list[str] = field(default_factory=list)


# A document with its URL key, signature (b"" until the strip pass signs it) and line keys.
Candidate = tuple[Document, str, bytes, list[int]]


@dataclass
class Processed:
    docs: list[Candidate]
    rejects: list[Reject]
    files_read: int = 0
    pages_read: int = 0  # of `files`


def _keep(doc: Document, batch: Batch) -> Candidate | Reject:
    """A cleaned document that is long enough, with its URL key and template line keys."""
    kept = min_words(doc, batch.options.min_words)
    if isinstance(kept, Reject):
        return kept
    key = url_key(doc.canonical_url)  # here, not in the parent: the extractor just made it
    if not batch.options.templates.enabled:
        return doc, key, _sign(doc.text, batch.options, batch.permutations), []
    # Signed later, once its template lines are gone (`strip_templates`): a signature made
    # here would be thrown away for every page a site template changes.
    return doc, key, b"", line_keys(doc.text, doc.title)


def process_batch(batch: Batch) -> Processed:
    """Read, extract, clean, filter and sign a batch of pages (runs in a worker process).

    Stage by stage over the whole batch — every page extracted (`extract_all`, itself in
    stages), then every document cleaned, then every one filtered and keyed — rather than page
    by page: each stage's code stays in the processor's caches (bench/README.md)."""
    # Imported here (in worker processes, by `workers.warm_up`): the parent process, which
    # hands batches to its workers, never loads trafilatura.
    from pipelines.extract import extract_all, time_limits

    cleaner = Cleaner()
    out = Processed([], [], files_read=len(batch.files))
    pages: list[Page] = []
    for path in batch.files:
        for item in read_file(path):
            if isinstance(item, Reject):
                out.rejects.append(item)
            else:
                pages.append(item)
    out.pages_read = len(pages)
    pages += batch.pages
    with time_limits():
        extracted = extract_all(pages, batch.options.extract, batch.run_id, count_words=False)
    cleaned = [_step(cleaner.clean, doc, batch) for doc in extracted]
    for result in [_step(functools.partial(_keep, batch=batch), doc, batch) for doc in cleaned]:
        if isinstance(result, Reject):
            out.rejects.append(result)
        else:
            out.docs.append(result)
    return out


R = TypeVar("R")


def _step(step: Callable[[Document], R], doc: Document | Reject, batch: Batch) -> R | Reject:
    """`step` on a document; a reject passes through, and a failure becomes one: one page's
    bug must not sink the run."""
    if isinstance(doc, Reject):
        return doc
    try:
        return step(doc)
    except Exception as exc:
        detail = f"{doc.url}: {type(exc).__name__}: {exc}"
        return Reject(
            doc.url, doc.source, doc.source_id, "process", "internal_error", detail, batch.run_id
        )


@dataclass
class StripJob:
    """Row groups of a spool to strip of the run's templates and sign, into a spool of their
    own (`out`): a shard's spool is split across the workers, however few shards a run has."""

    path: Path
    groups: list[int]
    out: Path
    model: TemplateModel
    options: ProcessOptions
    permutations: Permutations


@dataclass
class Stripped:
    counts: Counter[str]
    rejects: list[Reject]


def strip_job(job: StripJob) -> Stripped:
    """`strip_templates` on a worker process: row groups are independent."""
    counts: Counter[str] = Counter()
    rejects = strip_templates(
        job.path, job.groups, job.out, job.model, job.options, job.permutations, counts
    )
    return Stripped(counts, rejects)


def strip_templates(
    path: Path,
    groups: list[int],
    out: Path,
    model: TemplateModel,
    options: ProcessOptions,
    permutations: Permutations,
    counts: Counter[str],
) -> list[Reject]:
    """Write the documents of a spool's row `groups` to `out` without their template lines,
    signed; documents left too short become rejects. Hashes of changed documents are
    recomputed; a document keeps a signature it has (`process_batch` makes none when
    templates are on). One row group in memory at a time."""
    # Imported here, not at the top: the fork server that imports this module for the workers
    # must start no thread (pyarrow starts its allocator's), or a worker forked from it could
    # inherit a lock that no thread of its own will release (`pipelines.workers`).
    from pipelines.parquet import SPOOL_SCHEMA, RowWriter, iter_row_groups, read_rows

    rejects: list[Reject] = []
    with RowWriter(out, SPOOL_SCHEMA) as writer:
        for group in groups:
            (extra,) = iter_row_groups(path, ["url_key", "signature", "line_keys"], groups=[group])
            # Stage by stage over the group, as `process_batch`: stripped, then signed, then
            # written.
            docs: list[Candidate] = []
            for i, doc in enumerate(read_rows(path, Document, groups=[group])):
                keys, sig = extra["line_keys"][i], extra["signature"][i]
                stripped = model.strip(doc, keys) if model.templates else doc
                if stripped is not doc:
                    removed = stripped.boilerplate_lines_removed - doc.boilerplate_lines_removed
                    counts["boilerplate_lines_removed"] += removed
                    counts["removed_by_rule.template"] += removed
                    kept = min_words(stripped, options.min_words)
                    if isinstance(kept, Reject):
                        counts["candidates"] -= 1
                        counts[f"rejected.{kept.reason}"] += 1
                        rejects.append(kept)
                        continue
                    keys = [k for k in keys if k not in model.templates[doc.domain]]
                    sig = b""  # a signature of the text before stripping
                docs.append((stripped, extra["url_key"][i], sig, keys))
            unsigned = [doc.text for doc, _, sig, _ in docs if not sig]
            made = iter(minhash.signatures(unsigned, options.dedup.shingle_size, permutations))
            for doc, key, sig, keys in docs:
                sig = sig or next(made).tobytes()
                writer.write(doc, url_key=key, signature=sig, line_keys=keys)
    return rejects
