"""The steps that run on worker processes: extract, clean, filter and sign a batch of pages,
handed back as spool rows; strip a spool of the run's templates. With templates on (the
default), documents are signed in the strip pass, once their template lines are gone, not in
the batch.

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
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from pipelines import minhash
from pipelines.clean import Cleaner, text_hash
from pipelines.config import ProcessOptions
from pipelines.filters import min_words
from pipelines.minhash import Permutations
from pipelines.readers.files import read_file
from pipelines.records import Document, Page, Reject
from pipelines.templates import Cut, TemplateModel, line_keys, site_keys
from pipelines.urls import url_key

if TYPE_CHECKING:
    from pipelines.parquet import SpoolGroup

__all__ = [
    "Batch",
    "Candidate",
    "Processed",
    "Spooled",
    "StripJob",
    "Stripped",
    "clean_all",
    "extract_and_clean",
    "extract_pages",
    "prepare_strip",
    "process_batch",
    "spool_batch",
    "strip_job",
    "strip_templates",
]


@dataclass
class Batch:
    """Pages for one worker call, with what signing them needs; `files` are local single-page
    files (`readers.read_in_worker`) for the worker to read, before `pages`."""

    pages: list[Page]
    options: ProcessOptions
    run_id: str
    permutations: Permutations
    files: list[str] = field(default_factory=list)


# A document with its URL key, signature (b"" until it is signed: at the end of its batch with
# templates off, in the strip pass with them on) and line keys.
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
        return doc, key, b"", []  # signed with the rest of the batch (`process_batch`)
    # Signed later, once its template lines are gone (`strip_templates`): a signature made
    # here would be thrown away for every page a site template changes.
    return doc, key, b"", line_keys(doc.text, doc.title)


def process_batch(batch: Batch) -> Processed:
    """Read, extract, clean, filter and sign a batch of pages (runs in a worker process).

    Stage by stage over the whole batch — every page extracted (`extract_all`, itself in
    stages), then every document cleaned, then every one filtered and keyed — rather than page
    by page: each stage's code stays in the processor's caches (bench/README.md)."""
    cleaner = Cleaner()
    out = Processed([], [], files_read=len(batch.files))
    pages: list[Page] = []
    for path in batch.files:
        for item in read_file(path, batch.options.extract.max_page_bytes):
            if isinstance(item, Reject):
                out.rejects.append(item)
            else:
                pages.append(item)
    out.pages_read = len(pages)
    pages += batch.pages
    cleaned = extract_and_clean(pages, batch.options, batch.run_id, cleaner)
    for result in [
        _step(functools.partial(_keep, batch=batch), doc, batch.run_id) for doc in cleaned
    ]:
        if isinstance(result, Reject):
            out.rejects.append(result)
        else:
            out.docs.append(result)
    if not batch.options.templates.enabled:
        out.docs = _signed(out.docs, batch, out.rejects)
    return out


def extract_and_clean(
    pages: list[Page], options: ProcessOptions, run_id: str, cleaner: Cleaner | None = None
) -> list[Document | Reject]:
    """Each page extracted and cleaned, in order: what a run, `contentpipe extract` and the
    quality benches all make of a page before site templates and filters."""
    return clean_all(extract_pages(pages, options, run_id), run_id, cleaner)


def extract_pages(
    pages: list[Page], options: ProcessOptions, run_id: str
) -> list[Document | Reject]:
    """Each page extracted (not yet cleaned: `word_count` is 0), in order."""
    # Imported here (in worker processes, by `workers.warm_up`): the parent process, which
    # hands batches to its workers, never loads trafilatura.
    from pipelines.extract import extract_all, time_limits

    with time_limits():
        return extract_all(pages, options.extract, run_id, count_words=False)


def clean_all(
    docs: list[Document | Reject], run_id: str, cleaner: Cleaner | None = None
) -> list[Document | Reject]:
    """Each document cleaned; a reject passes through, a failure becomes one."""
    cleaner = cleaner or Cleaner()
    return [_step(cleaner.clean, doc, run_id) for doc in docs]


def _signed(docs: list[Candidate], batch: Batch, rejects: list[Reject]) -> list[Candidate]:
    """With templates off, `docs` signed (`_sign_all`); one that cannot be is a reject."""
    texts = [doc.text for doc, *_ in docs]
    made = _sign_all(texts, batch.options.dedup.shingle_size, batch.permutations)
    signed: list[Candidate] = []
    for (doc, key, _, keys), sig in zip(docs, made, strict=True):
        if isinstance(sig, Exception):
            rejects.append(_internal_error(doc, sig, batch.run_id))
        else:
            signed.append((doc, key, sig, keys))
    return signed


@dataclass
class Spooled:
    """A processed batch as a shard's spool takes it: the documents as spool rows (Arrow IPC,
    `parquet.spool_rows`) and what the parent counts of them, the rejects as records."""

    rows: bytes
    docs: int
    counts: Counter[str]
    rejects: list[Reject]
    files_read: int
    pages_read: int


def spool_batch(batch: Batch) -> Spooled:
    """`process_batch`, its documents handed over as spool rows: the parent appends them to
    the shard's spool in Arrow, without unpickling and converting a record per document on
    the thread that also keeps the workers supplied with batches."""
    # Imported here, not at the top: the fork server must not import pyarrow (`strip_templates`).
    from pipelines.parquet import spool_rows

    out = process_batch(batch)
    counts: Counter[str] = Counter()
    for doc, *_ in out.docs:
        counts["boilerplate_lines_removed"] += doc.boilerplate_lines_removed
        for rule, n in doc.removed_by_rule.items():
            counts[f"removed_by_rule.{rule}"] += n
        if doc.fallback:
            counts[f"fallback.{doc.fallback}"] += 1
    rows = spool_rows(out.docs)
    return Spooled(rows, len(out.docs), counts, out.rejects, out.files_read, out.pages_read)


R = TypeVar("R")


def _step(step: Callable[[Document], R], doc: Document | Reject, run_id: str) -> R | Reject:
    """`step` on a document; a reject passes through, and a failure becomes one: one page's
    bug must not sink the run."""
    if isinstance(doc, Reject):
        return doc
    try:
        return step(doc)
    except Exception as exc:
        return _internal_error(doc, exc, run_id)


def _internal_error(doc: Document, exc: Exception, run_id: str) -> Reject:
    detail = f"{doc.url}: {type(exc).__name__}: {exc}"
    return Reject(doc.url, doc.source, doc.source_id, "process", "internal_error", detail, run_id)


def _sign_all(texts: list[str], size: int, permutations: Permutations) -> list[bytes | Exception]:
    """The texts' signatures, all at once (`minhash.signatures`); should that fail, one by one,
    a failure in place of its text's signature: one text that cannot be signed must not sink
    the others."""
    try:
        return [sig.tobytes() for sig in minhash.signatures(texts, size, permutations)]
    except Exception:
        made: list[bytes | Exception] = []
        for text in texts:
            try:
                made.append(minhash.signature(text, size, permutations).tobytes())
            except Exception as exc:
                made.append(exc)
        return made


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


def prepare_strip() -> None:
    """What a worker's first strip job would otherwise begin with (~0.1 s): pyarrow and the
    modules it imports on first use, minhash's table of word characters."""
    from pipelines.parquet import preload

    preload()
    minhash.prepare()


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
    templates are on). One row group in memory at a time, as columns: only those that
    stripping changes become Python values, the rest is copied as it is."""
    # Imported here, not at the top: the fork server that imports this module for the workers
    # must start no thread (pyarrow starts its allocator's), or a worker forked from it could
    # inherit a lock that no thread of its own will release (`pipelines.workers`).
    from pipelines.parquet import SpoolGroup, SpoolWriter

    rejects: list[Reject] = []
    with SpoolWriter(out) as writer:
        for n in groups:
            group = SpoolGroup(path, n)
            writer.write(_strip_group(group, model, options, permutations, counts, rejects))
    return rejects


def _strip_group(
    group: SpoolGroup,
    model: TemplateModel,
    options: ProcessOptions,
    permutations: Permutations,
    counts: Counter[str],
    rejects: list[Reject],
) -> Any:
    """One row group of `strip_templates`: its table, stripped and signed."""
    texts: list[str] = group.values("text")
    offsets, keys = group.lists("line_keys")
    cuts: dict[int, Cut] = {}  # by row, in row order
    if model.templates or model.titles:
        urls = group.values("url")  # to name a page in an error
        titles = group.values("title")
        for i, site in enumerate(site_keys(group.values("site"), group.values("domain"))):
            if site in model.templates or site in model.titles:
                row_keys = keys[offsets[i] : offsets[i + 1]].tolist()
                cut = model.cut(site, texts[i], row_keys, urls[i], titles[i])
                if cut is not None:
                    cuts[i] = cut
    keep = np.ones(len(texts), dtype=bool)
    signatures: list[bytes] = group.values("signature")
    columns: dict[str, Any] = {}
    if cuts:
        columns = {
            name: group.values(name)
            for name in ("word_count", "text_hash", "boilerplate_lines_removed", "removed_by_rule")
        }
        lengths = np.diff(offsets)
        parts, start = [], 0  # line keys: the rows up to a cut row as they are, then its own
        for i, cut in cuts.items():
            parts += [keys[offsets[start] : offsets[i]], np.array(cut.keys, dtype=keys.dtype)]
            lengths[i], start = len(cut.keys), i + 1
            counts["boilerplate_lines_removed"] += cut.lines
            for rule, n in cut.rules({}).items():
                counts[f"removed_by_rule.{rule}"] += n
            if columns["word_count"][i] - cut.words < options.min_words:
                row_keys = keys[offsets[i] : offsets[i + 1]].tolist()
                doc = model.strip(group.record(Document, i), row_keys)
                reject = min_words(doc, options.min_words)
                assert isinstance(reject, Reject)
                counts["candidates"] -= 1
                counts[f"rejected.{reject.reason}"] += 1
                rejects.append(reject)
                keep[i] = False
                continue
            texts[i] = cut.text
            columns["word_count"][i] -= cut.words
            columns["text_hash"][i] = text_hash(cut.text)
            columns["boilerplate_lines_removed"][i] += cut.lines
            rules = cut.rules(dict(columns["removed_by_rule"][i]))
            columns["removed_by_rule"][i] = list(rules.items())
            signatures[i] = b""  # a signature of the text before stripping
        parts.append(keys[offsets[start] :])
        columns["text"] = texts
        columns["line_keys"] = (np.concatenate(([0], np.cumsum(lengths))), np.concatenate(parts))
    # Signed all at once (`_sign_all`): the documents without a signature.
    unsigned = [i for i, sig in enumerate(signatures) if keep[i] and not sig]
    made = _sign_all([texts[i] for i in unsigned], options.dedup.shingle_size, permutations)
    for i, sig in zip(unsigned, made, strict=True):
        if isinstance(sig, Exception):
            doc = group.record(Document, i)
            rejects.append(_internal_error(doc, sig, doc.run_id))
            counts["candidates"] -= 1
            counts["rejected.internal_error"] += 1
            keep[i] = False
        else:
            signatures[i] = sig
    columns["signature"] = signatures
    return group.replaced(columns, keep)
