"""One processing run in three steps, each small enough to be a Prefect task:

1. `plan`: expand sources into input URIs and group them into shards;
2. `process_shard` (in parallel, one per shard): read → extract → clean → filter → line keys
   (signatures instead when templates are off), written as a spool of candidate documents under
   `<out>/_work/run=<id>/`;
3. `publish`: deduplicate all candidates against each other and the index of earlier runs, write
   records, duplicates and rejects, add the run's segment to the index, and write the manifest
   last. A run without a manifest is invisible; rerunning its id overwrites the same keys.

`ingest` chains the three without Prefect. Steps exchange URIs and small reports only.
"""

from __future__ import annotations

import json
import os
import platform
import secrets
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from pipelines import progress
from pipelines.config import ProcessOptions
from pipelines.dedup import (
    CandidateColumns,
    Deduplicator,
    IndexColumns,
    Keys,
    SignatureFile,
    band_hashes,
    bands_for,
    index_scheme,
    keep_order,
    key64,
    permutations,
    signature,
)
from pipelines.lock import OutputLock, confirm_holder
from pipelines.parquet import (
    INDEX_SCHEMA,
    SCHEMAS,
    TEMPLATE_PAGES_SCHEMA,
    RowWriter,
    SpoolWriter,
    StringColumn,
    TemplateCounts,
    file_metadata,
    iter_index_batches,
    iter_row_groups,
    iter_selected_rows,
    num_rows,
    preload,
    read_columns,
    read_rows,
    read_string_array,
    release_memory,
    row_groups,
    sum_template_counts,
    template_count_table,
    write_columns,
    write_index_segment,
    write_rows,
    write_selected_rows,
    write_template_count_columns,
    write_template_counts,
)
from pipelines.process import (
    Batch,
    StripJob,
    clean_all,
    extract_pages,
    prepare_strip,
    spool_batch,
    strip_job,
)
from pipelines.readers import read_in_worker, read_inputs
from pipelines.records import Document, Duplicate, Page, Reject
from pipelines.redact import redact
from pipelines.storage import Store, expand_sources, store_for
from pipelines.tempfiles import process_dir, sweep
from pipelines.templates import (
    PageCounter,
    TemplateModel,
    count_page_columns,
    line_keys,
    site_keys,
)
from pipelines.urls import url_key
from pipelines.workers import map_ordered, prepare, resolve_workers, warm_up

__all__ = [
    "PUBLISH_PHASES",
    "InputError",
    "Plan",
    "RunReport",
    "ShardReport",
    "clean_pages",
    "ingest",
    "new_run_id",
    "plan",
    "process_shard",
    "publish",
    "start_run",
    "template_model",
]

# v1 segments hold signatures over crc32 shingle hashes; a committed run without a v2 segment
# gets one rebuilt from its records when a later run loads the index (`_rebuild_index_segment`).
INDEX_PREFIX = "index/v2"
INDEX_SCHEME_KEY = "contentpipe.index_scheme"
TEMPLATES_PREFIX = "index/templates/v1"
TEMPLATE_PAGES_PREFIX = "index/templates/pages/v1"


class InputError(ValueError):
    """The sources name nothing that can be read."""


def new_run_id(now: datetime | None = None) -> str:
    """A sortable, unique run id: `20261123T013407Z-3fa9c1`."""
    now = now or datetime.now(UTC)
    return f"{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


@dataclass
class Plan:
    run_id: str
    date: str
    shards: list[list[str]]
    missing: list[tuple[str, str, str]] = field(default_factory=list)  # (path, reason, detail)


@dataclass
class ShardReport:
    index: int
    docs_key: str
    rejects_key: str
    counts: dict[str, int]
    seconds: float = 0.0  # the shard's wall time


@dataclass
class RunReport:
    run_id: str
    out: str
    manifest: str
    counts: dict[str, int]
    files: dict[str, list[str]]
    duplicates_sample: list[dict[str, Any]] = field(default_factory=list)
    # Wall seconds: the shards' in all and the longest's, then each publish phase (`_timed`).
    timings: dict[str, float] = field(default_factory=dict)


def _pending_key(run_id: str) -> str:
    return f"runs/_pending/{run_id}.json"


def start_run(out: str, run_id: str | None = None) -> tuple[str, str]:
    """Check the output is writable and fix the run's id and date partition.

    The date is recorded on the first attempt, so a rerun of the same id writes to the same
    keys even on another day.
    """
    store = store_for(out)
    store.check_writable()
    run_id = run_id or new_run_id()
    pending = _pending_key(run_id)
    if store.exists(pending):
        return run_id, str(json.loads(store.read_bytes(pending))["date"])
    date = f"{datetime.now(UTC):%Y-%m-%d}"
    store.write_bytes(pending, json.dumps({"run_id": run_id, "date": date}).encode())
    return run_id, date


def plan(sources: list[str], out: str, options: ProcessOptions, run_id: str | None = None) -> Plan:
    """Expand sources and group input files into shards of about `options.shard_mb`."""
    sweep()  # what runs killed on this machine left in /tmp
    inputs, missing = expand_sources(sources)
    if not inputs:
        reasons = "; ".join(detail for _, _, detail in missing) or "no sources given"
        raise InputError(f"nothing to ingest: {reasons}")
    _check_dedup_settings(store_for(out), options)
    run_id, date = start_run(out, run_id)
    limit = options.shard_mb * 1024 * 1024
    shards: list[list[str]] = [[]]
    size = 0
    for uri in inputs:
        if shards[-1] and (size >= limit or len(shards[-1]) >= options.shard_files):
            shards.append([])
            size = 0
        shards[-1].append(uri)
        size += _size_of(uri)
    return Plan(run_id, date, shards, missing)


def _check_dedup_settings(store: Store, options: ProcessOptions) -> None:
    """Refuse, before any work, settings whose signatures the output's index cannot compare
    with (publish checks each index segment again)."""
    runs = committed_runs(store)
    if not runs:
        return
    manifest = json.loads(store.read_bytes(f"runs/{runs[-1]}.json"))
    before = manifest.get("options", {}).get("dedup", {})
    wanted = options.dedup
    if (before.get("num_perm"), before.get("shingle_size")) not in (
        (None, None),
        (wanted.num_perm, wanted.shingle_size),
    ):
        raise ValueError(
            f"{store.uri} is deduplicated with num_perm={before.get('num_perm')}, "
            f"shingle_size={before.get('shingle_size')} (run {runs[-1]}); this run asks for "
            f"num_perm={wanted.num_perm}, shingle_size={wanted.shingle_size}: use the same "
            "dedup settings for one output"
        )


def _size_of(uri: str) -> int:
    if uri.startswith("s3://"):
        return 1024 * 1024  # listing sizes costs a request each; assume 1 MB per object
    try:
        return os.stat(uri).st_size
    except OSError:
        return 0


def _batches(
    files: list[str], pages: Iterable[Page], size: int, options: ProcessOptions, run_id: str
) -> Iterator[Batch]:
    """Batches of `files` for the workers to read, then of `pages` read here."""
    perms = permutations(options.dedup.num_perm)
    for start in range(0, len(files), size):
        yield Batch([], options, run_id, perms, files=files[start : start + size])
    it = iter(pages)
    while chunk := list(islice(it, size)):
        yield Batch(chunk, options, run_id, perms)


def process_shard(
    index: int, inputs: list[str], out: str, run_id: str, options: ProcessOptions
) -> ShardReport:
    """Turn one shard of input files into a spool of candidate documents and rejects.

    Documents stream to the spool as they come back from the workers: memory stays flat
    whatever the shard size.
    """
    started = time.perf_counter()
    warm_up(resolve_workers(options.workers))
    store = store_for(out)
    counts: Counter[str] = Counter()
    work = f"_work/run={run_id}/shard-{index:05d}"
    docs_key, rejects_key = f"{work}.docs.parquet", f"{work}.rejects.parquet"
    with tempfile.TemporaryDirectory(dir=process_dir()) as tmp:
        docs_path, rejects_path = Path(tmp, "docs.parquet"), Path(tmp, "rejects.parquet")
        with (
            SpoolWriter(docs_path) as docs,
            RowWriter(rejects_path, SCHEMAS[Reject]) as rejects,
        ):

            def reject(item: Reject) -> None:
                item.run_id = run_id
                counts[f"rejected.{item.reason}"] += 1
                rejects.write(item)

            def pages(uris: list[str]) -> Iterator[Page]:
                for item in read_inputs(uris, counts, options.extract.max_page_bytes):
                    if isinstance(item, Reject):
                        reject(item)
                    else:
                        counts["pages"] += 1
                        yield item

            # Local HTML and text files are read by the workers (a path each, not a page);
            # containers (JSONL, WARC), compressed files and S3 objects here.
            files: list[str] = []
            others: list[str] = []
            for uri in inputs:
                (files if read_in_worker(uri) else others).append(uri)
            batches = _batches(files, pages(others), options.batch_pages, options, run_id)
            for spooled in map_ordered(spool_batch, batches, resolve_workers(options.workers)):
                counts["inputs"] += spooled.files_read
                counts["pages"] += spooled.pages_read
                for rej in spooled.rejects:
                    reject(rej)
                docs.write_rows(spooled.rows)
                counts.update(spooled.counts)
                progress.advance("pages", spooled.docs + len(spooled.rejects))
        counts["candidates"] = docs.count
        store.put_file(docs_key, docs_path)
        store.put_file(rejects_key, rejects_path)
    seconds = round(time.perf_counter() - started, 3)
    return ShardReport(index, docs_key, rejects_key, dict(counts), seconds)


def committed_runs(store: Store) -> list[str]:
    """Ids of runs whose manifest exists: the only runs a reader may see."""
    keys = store.list_keys("runs/")
    return sorted(
        k[len("runs/") : -len(".json")]
        for k in keys
        if k.endswith(".json") and "/" not in k[len("runs/") :]
    )


def _index_segment_key(run_id: str) -> str:
    return f"{INDEX_PREFIX}/run={run_id}.parquet"


def _rebuild_index_segment(store: Store, run_id: str, options: ProcessOptions, tmp: Path) -> str:
    """Write a committed run's index segment from its published records (a run published by
    an older contentpipe, whose segment holds signatures of another scheme)."""
    manifest = json.loads(store.read_bytes(f"runs/{run_id}.json"))
    cols: dict[str, list[Any]] = {name: [] for name in INDEX_SCHEMA.names}
    for key in manifest.get("files", {}).get("records", []):
        path = tmp / "rebuild-records.parquet"
        store.get_file(key, path)
        for doc in read_rows(path, Document):
            cols["id"].append(doc.id)
            cols["url"].append(doc.url)
            cols["run_id"].append(run_id)
            cols["url_key"].append(url_key(doc.canonical_url))
            cols["text_hash"].append(doc.text_hash)
            cols["signature"].append(signature(doc.text, options.dedup).tobytes())
        path.unlink()
    local = tmp / f"index-{run_id}.parquet"
    metadata = {INDEX_SCHEME_KEY: index_scheme(options.dedup)}
    write_columns(local, cols, INDEX_SCHEMA, metadata=metadata)
    store.put_file(_index_segment_key(run_id), local)
    local.unlink()
    return _index_segment_key(run_id)


class _Candidates:
    """This run's candidates as columns, gathered spool by spool (`add`, in order; publish adds
    each stripped spool as the workers finish it): signatures go to a file that is read back
    a row at a time, band hashes are computed on the way, and only the keep-order sort
    (`columns`) briefly holds the ids, dates and word counts of all candidates."""

    _COLUMNS = ("id", "url_key", "text_hash", "published", "word_count", "signature")

    def __init__(self, options: ProcessOptions, tmp: Path) -> None:
        self.options = options
        self.sig_path = tmp / "run-signatures.u32"
        self._sig_file = self.sig_path.open("wb")
        self._ids: list[Any] = []
        self._urls: list[Any] = []
        self._url_keys: list[npt.NDArray[np.uint64]] = []
        self._text_hashes: list[npt.NDArray[np.uint64]] = []
        self._bands: list[npt.NDArray[np.uint32]] = []
        self._published: list[npt.NDArray[np.bytes_]] = []
        self._word_counts: list[npt.NDArray[np.int64]] = []
        self._id_bytes: list[npt.NDArray[np.bytes_]] = []

    def add(self, path: Path) -> None:
        num_perm = self.options.dedup.num_perm
        self._ids.append(read_string_array(path, "id"))
        self._urls.append(read_string_array(path, "url"))
        for cols in iter_row_groups(path, self._COLUMNS, {"signature": num_perm * 4}):
            n = len(cols["id"])
            self._url_keys.append(np.fromiter(map(key64, cols["url_key"]), np.uint64, n))
            self._text_hashes.append(np.fromiter(map(key64, cols["text_hash"]), np.uint64, n))
            self._published.append(np.array([(p or "").encode() for p in cols["published"]], "S"))
            self._word_counts.append(np.asarray(cols["word_count"], dtype=np.int64))
            self._id_bytes.append(np.array([i.encode() for i in cols["id"]], dtype="S"))
            sigs = cols["signature"]
            self._sig_file.write(sigs.tobytes())
            self._bands.append(band_hashes(sigs.view(np.uint32), self.options.dedup))

    def columns(self) -> tuple[CandidateColumns, SignatureFile]:
        """All the candidates added, as `Deduplicator.decide_columns` takes them."""
        self._sig_file.close()
        if not self._bands:  # no candidates at all
            n_bands = bands_for(self.options.dedup.threshold, self.options.dedup.num_perm)[0]
            self._published, self._id_bytes = [np.empty(0, "S")], [np.empty(0, "S")]
            self._word_counts = [np.empty(0, np.int64)]
            self._url_keys = [np.empty(0, np.uint64)]
            self._text_hashes = [np.empty(0, np.uint64)]
            self._bands = [np.empty((0, n_bands), np.uint32)]
        order = keep_order(
            np.concatenate(self._published),
            np.concatenate(self._word_counts),
            np.concatenate(self._id_bytes),
        )
        self._published, self._word_counts, self._id_bytes = [], [], []
        signatures = SignatureFile(str(self.sig_path), self.options.dedup.num_perm)
        cands = CandidateColumns(
            StringColumn(self._ids),
            StringColumn(self._urls),
            np.concatenate(self._url_keys),
            np.concatenate(self._text_hashes),
            order,
            np.concatenate(self._bands),
            signatures,
        )
        release_memory()
        return cands, signatures


def _load_index(
    store: Store, dedup: Deduplicator, runs: set[str], options: ProcessOptions, tmp: Path
) -> tuple[int, int]:
    """Load the committed runs' index segments into `dedup`, as compact columns: signatures in
    one preallocated matrix, URL keys and text hashes as 64-bit hashes, ids and URLs as Arrow
    strings. Returns (indexed documents, segments rebuilt from records)."""
    found = {
        key.rsplit("run=", 1)[-1].removesuffix(".parquet"): key
        for key in store.list_keys(f"{INDEX_PREFIX}/")
    }
    rebuilt = 0
    for run in sorted(runs - set(found)):
        found[run] = _rebuild_index_segment(store, run, options, tmp)
        rebuilt += 1
    expected = index_scheme(options.dedup)
    segments: list[tuple[str, str, Path]] = []
    for run, key in sorted(found.items()):
        if run not in runs:
            continue  # a crashed run's segment, or the run being redone
        path = tmp / f"index-segment-{len(segments):05d}.parquet"
        store.get_file(key, path)
        scheme = file_metadata(path).get(INDEX_SCHEME_KEY)
        if scheme != expected:
            raise ValueError(
                f"the index at {store.url(key)} holds signatures of {scheme}, this run makes "
                f"{expected}: use the same dedup settings (num_perm, shingle_size) for one output"
            )
        segments.append((key, run, path))
    total = sum(num_rows(path) for _, _, path in segments)
    num_perm = dedup.options.num_perm
    n_bands = bands_for(dedup.options.threshold, num_perm)[0]
    # Signatures go to a file, not to memory: only the rows that LSH proposes are read back
    # (memory-mapped). Band hashes are computed batch by batch on the way.
    sig_path = tmp / "index-signatures.u32"
    bands = [np.empty(total, dtype=np.uint32) for _ in range(n_bands)]
    url_keys = np.empty(total, dtype=np.uint64)
    text_hashes = np.empty(total, dtype=np.uint64)
    run_of_row = np.empty(total, dtype=np.int32)
    ids, urls = [], []
    pos = 0
    with sig_path.open("wb") as sig_file:
        for n, (key, _run, path) in enumerate(segments):
            try:
                for sigs, ukeys, thashes in iter_index_batches(path, num_perm * 4):
                    rows = len(sigs)
                    sig_file.write(sigs.tobytes())
                    batch_bands = band_hashes(sigs.view(np.uint32), dedup.options)
                    for b in range(n_bands):
                        bands[b][pos : pos + rows] = batch_bands[:, b]
                    url_keys[pos : pos + rows] = np.fromiter(map(key64, ukeys), np.uint64, rows)
                    text_hashes[pos : pos + rows] = np.fromiter(
                        map(key64, thashes), np.uint64, rows
                    )
                    run_of_row[pos : pos + rows] = n
                    pos += rows
            except ValueError as exc:
                raise ValueError(f"the index at {store.url(key)} is damaged: {exc}") from exc
            ids.append(read_string_array(path, "id"))
            urls.append(read_string_array(path, "url"))
            path.unlink()
    release_memory()
    signatures: npt.NDArray[np.uint32] = (
        np.memmap(sig_path, dtype=np.uint32, mode="r", shape=(total, num_perm))
        if total
        else np.empty((0, num_perm), dtype=np.uint32)
    )
    dedup.load_index(
        IndexColumns(
            StringColumn(ids),
            StringColumn(urls),
            [run for _, run, _ in segments],
            run_of_row,
            url_keys,
            text_hashes,
            signatures,
        ),
        bands,
    )
    return total, rebuilt


def _learn_templates(
    store: Store,
    spools: list[Path],
    runs: set[str],
    dedup: Deduplicator,
    local: Path,
    pages: Path,
    tmp: Path,
    options: ProcessOptions,
    writer: ThreadPoolExecutor,
) -> tuple[TemplateModel, Future[None]]:
    """Count this run's line keys per site into `local` (its index segment; the pages counted
    go to `pages`) and learn the templates from it plus the committed runs' segments."""
    # A page counts once, ever: not again if an earlier run counted its URL or published its
    # text, nor twice in this run (reposts must not make an article look like template).
    counted_before = _counted_pages(store, runs, tmp)
    seen_urls: set[int] = set()
    seen_hashes: set[int] = set()
    counted: list[str] = []
    counter = PageCounter()
    columns = ["domain", "site", "title", "line_keys", "url_key", "text_hash"]
    titles: list[tuple[str, str | None]] = []  # every candidate's (site, title)
    for path in spools:
        for cols in iter_row_groups(path, columns, flat=["line_keys"]):
            sites = site_keys(cols["site"], cols["domain"])
            titles += zip(sites, cols["title"], strict=True)
            url_keys: list[str] = cols["url_key"]
            n = len(url_keys)
            urls = np.fromiter(map(key64, url_keys), np.uint64, n)
            hashes = np.fromiter(map(key64, cols["text_hash"]), np.uint64, n)
            known = counted_before.find_hashes(urls) >= 0
            if dedup.index.by_url is not None:
                known |= dedup.index.by_url.find_hashes(urls) >= 0
            if dedup.index.by_hash is not None:
                known |= dedup.index.by_hash.find_hashes(hashes) >= 0
            counts_page = np.zeros(n, dtype=bool)
            for i, (url, text, old) in enumerate(
                zip(urls.tolist(), hashes.tolist(), known.tolist(), strict=True)
            ):
                if old or url in seen_urls or text in seen_hashes:
                    continue
                seen_urls.add(url)
                seen_hashes.add(text)
                counted.append(url_keys[i])
                counts_page[i] = True
            offsets, keys = cols["line_keys"]
            chosen = np.flatnonzero(counts_page)
            counter.add(
                [sites[i] for i in chosen.tolist()],
                [cols["title"][i] for i in chosen.tolist()],
                np.concatenate([[0], np.cumsum(np.diff(offsets)[chosen])]).astype(np.int64),
                keys[np.repeat(counts_page, np.diff(offsets))],
            )
    counts = counter.counts()
    table = template_count_table(counts.sites, counts.site, counts.key, counts.pages)
    del counts

    def write() -> None:
        write_template_counts(local, table)
        write_columns(pages, {"url_key": counted}, TEMPLATE_PAGES_SCHEMA)

    # The model is learned from the counts in memory; the files are written on `writer`'s
    # thread meanwhile (Arrow compresses without the GIL), while the workers strip.
    written = writer.submit(write)
    model = _template_model(store, runs, [], tmp, options, [table])
    model.add_titles(titles)
    return model, written


def _counted_pages(store: Store, runs: set[str], tmp: Path) -> Keys:
    """The URL keys whose pages committed runs have counted for templates."""
    found: list[npt.NDArray[np.uint64]] = []
    for key in store.list_keys(f"{TEMPLATE_PAGES_PREFIX}/"):
        if key.rsplit("run=", 1)[-1].removesuffix(".parquet") in runs:
            store.get_file(key, tmp / "template-pages.parquet")
            keys = read_columns(tmp / "template-pages.parquet", ["url_key"])["url_key"]
            found.append(np.fromiter(map(key64, keys), np.uint64, len(keys)))
    return Keys(np.concatenate(found) if found else np.empty(0, dtype=np.uint64))


def _template_model(
    store: Store,
    runs: set[str],
    paths: list[Path],
    tmp: Path,
    options: ProcessOptions,
    tables: Sequence[TemplateCounts] = (),
) -> TemplateModel:
    paths = list(paths)
    for key in store.list_keys(f"{TEMPLATES_PREFIX}/"):
        run = key.rsplit("run=", 1)[-1].removesuffix(".parquet")
        if run in runs:
            paths.append(tmp / f"templates-{run}.parquet")
            store.get_file(key, paths[-1])
    return TemplateModel.learn(
        [sum_template_counts(paths, options.templates.min_pages, tables)], options.templates
    )


def clean_pages(
    pages: Sequence[Page], options: ProcessOptions | None = None, out: str | None = None
) -> tuple[list[tuple[Document | Reject, Document | Reject]], TemplateModel]:
    """What a run makes of `pages` before its filters and dedup, in one process and without
    writing anything (`contentpipe extract`): each page's extraction and its final document —
    cleaned, then stripped of its site's template, learned from these pages (and `out`'s
    committed runs, if given) — and the template model, to explain the removals with."""
    options = options or ProcessOptions()
    raws = extract_pages(list(pages), options, "")
    cleaned = clean_all(raws, "")
    model = template_model([d for d in cleaned if isinstance(d, Document)], out, options)
    final = [
        doc if isinstance(doc, Reject) else model.strip(doc, line_keys(doc.text, doc.title))
        for doc in cleaned
    ]
    return list(zip(raws, final, strict=True)), model


def template_model(
    docs: Iterable[Document], out: str | None = None, options: ProcessOptions | None = None
) -> TemplateModel:
    """The site templates learned from `docs` plus, if `out` is given, every committed run of
    that output (what `contentpipe extract --templates OUT` explains with)."""
    options = options or ProcessOptions()
    docs = list(docs)
    counts = count_page_columns((d.site_key, d.title, line_keys(d.text, d.title)) for d in docs)
    if out is None:
        model = TemplateModel.learn([counts.as_dict()], options.templates)
    else:
        store = store_for(out)
        with tempfile.TemporaryDirectory(dir=process_dir()) as tmpdir:
            local = Path(tmpdir, "local.parquet")
            write_template_count_columns(local, counts.sites, counts.site, counts.key, counts.pages)
            runs = set(committed_runs(store))
            model = _template_model(store, runs, [local], Path(tmpdir), options)
    model.add_titles((d.site_key, d.title) for d in docs)
    return model


# The columns of a duplicate's spool row that its `Duplicate` row repeats.
_DUPLICATE_SOURCE = ("id", "url", "source", "source_id")


def _versions() -> dict[str, str]:
    names = ["contentpipe", "trafilatura", "datasketch", "pyarrow", "boto3", "prefect"]
    found = {"python": platform.python_version()}
    for name in names:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return found


# The phases of `publish` that the manifest's `timings_s` times, in order.
PUBLISH_PHASES = ("index", "templates", "strip", "dedup", "write")


def publish(
    run: Plan,
    reports: list[ShardReport],
    out: str,
    options: ProcessOptions,
    sources: list[str],
    extra: dict[str, Any] | None = None,
) -> RunReport:
    """Deduplicate the run's candidates and write its output; the manifest is written last."""
    started = time.perf_counter()
    timings: dict[str, float] = {
        "shards": round(sum(r.seconds for r in reports), 3),
        "shard_longest": max((r.seconds for r in reports), default=0.0),
        **dict.fromkeys(PUBLISH_PHASES, 0.0),  # every key in every manifest, 0 if skipped
    }
    store = store_for(out)
    run_id, date = run.run_id, run.date
    reports = sorted(reports, key=lambda r: r.index)
    counts: Counter[str] = Counter()
    for rep in reports:
        counts.update(rep.counts)
    extra = extra or {}
    counts.update(extra.get("counts", {}))
    files: dict[str, list[str]] = {"records": [], "duplicates": [], "rejects": [], "index": []}
    for kind, keys in extra.get("files", {}).items():
        files.setdefault(kind, []).extend(keys)

    def part(kind: str, n: int) -> str:
        return f"{kind}/date={date}/run={run_id}/part-{n:05d}.parquet"

    with tempfile.TemporaryDirectory(dir=process_dir()) as tmpdir:
        tmp = Path(tmpdir)
        dedup = Deduplicator(options.dedup, run_id)
        runs_before = set(committed_runs(store)) - {run_id}
        with _timed(timings, "index"):
            counts["index_documents"], counts["index_segments_rebuilt"] = _load_index(
                store, dedup, runs_before, options, tmp
            )

        spools: list[Path] = []
        for rep in reports:
            path = tmp / f"shard-{rep.index:05d}.parquet"
            store.get_file(rep.docs_key, path)
            spools.append(path)
        template_rejects: list[Reject] = []
        candidates = _Candidates(options, tmp)
        if options.templates.enabled:
            # The workers wait for the templates: meanwhile, they get ready to strip.
            prepare(resolve_workers(options.workers), prepare_strip)
            local, pages = tmp / "templates.parquet", tmp / "template-pages-run.parquet"
            with ThreadPoolExecutor(max_workers=1, thread_name_prefix="templates") as writer:
                with _timed(timings, "templates"):
                    model, counts_written = _learn_templates(
                        store, spools, runs_before, dedup, local, pages, tmp, options, writer
                    )
                perms = permutations(options.dedup.num_perm)
                # A job per row group (≤ 2,000 documents): the workers share a spool's work however
                # few shards the run has; the stripped parts replace the spools, in order.
                jobs = [
                    StripJob(path, [g], tmp / f"{path.stem}.{g:05d}.parquet", model, options, perms)
                    for path in spools
                    for g in range(row_groups(path))
                ]
                with _timed(timings, "strip"):
                    parts = map_ordered(strip_job, jobs, resolve_workers(options.workers))
                    for job, stripped in zip(jobs, parts, strict=True):
                        counts.update(stripped.counts)
                        template_rejects.extend(stripped.rejects)
                        candidates.add(job.out)  # while the workers strip the next parts
                for path in spools:
                    path.unlink()
                spools = [job.out for job in jobs]
                counts_written.result()
            for prefix, path in ((TEMPLATES_PREFIX, local), (TEMPLATE_PAGES_PREFIX, pages)):
                segment = f"{prefix}/run={run_id}.parquet"
                store.put_file(segment, path)
                files["index"].append(segment)
            counts["templates_known"] = model.template_count()

        with _timed(timings, "dedup"):
            if not options.templates.enabled:  # else gathered during the strip pass
                for path in spools:
                    candidates.add(path)
            cands, signatures = candidates.columns()
            try:
                decisions = dedup.decide_columns(cands)
            finally:
                signatures.close()
        writing = time.perf_counter()

        # Records and duplicates spool by spool, in candidate-row order. Kept rows are copied
        # from the spool column by column, on two threads (Arrow's reading, filtering and
        # compression run without the GIL); only duplicates become Python values, here.
        dups_path = tmp / "duplicates.parquet"
        first_dups: list[Duplicate] = []
        kept_masks: list[npt.NDArray[np.bool_]] = []
        kept, row = decisions.kept, 0
        with (
            RowWriter(dups_path, SCHEMAS[Duplicate]) as dups,
            ThreadPoolExecutor(max_workers=2, thread_name_prefix="records") as threads,
        ):
            written: list[Future[int]] = []
            for n, path in enumerate(spools):
                size = num_rows(path)
                mask = kept[row : row + size]
                kept_masks.append(mask)
                local = tmp / f"records-{n:05d}.parquet"
                written.append(
                    threads.submit(write_selected_rows, path, local, mask, SCHEMAS[Document])
                )
                positions = np.flatnonzero(~mask) + row
                found = iter_selected_rows(path, _DUPLICATE_SOURCE, ~mask)
                for pos, (doc_id, url, source, source_id) in zip(positions, found, strict=True):
                    decision = decisions[int(pos)]
                    target = decision.duplicate_of
                    assert target is not None
                    counts[f"duplicates.{decision.method}"] += 1
                    dup = Duplicate(
                        doc_id,
                        url,
                        source,
                        source_id,
                        target.id,
                        target.url,
                        target.run_id,
                        str(decision.method),
                        round(decision.similarity, 4),
                        run_id,
                    )
                    dups.write(dup)
                    if len(first_dups) < 20:
                        first_dups.append(dup)
                row += size
            # This thread's own files meanwhile: the run's rejects and its index segment.
            rejects: list[Reject] = [
                Reject(None, where, None, "read", reason, detail, run_id)
                for where, reason, detail in run.missing
            ]
            for rep in reports:
                path = tmp / "rejects-spool.parquet"
                store.get_file(rep.rejects_key, path)
                rejects.extend(read_rows(path, Reject))
            rejects.extend(template_rejects)
            rejects_path = tmp / "rejects.parquet"
            write_rows(rejects_path, rejects, SCHEMAS[Reject])
            index_path = tmp / "index.parquet"
            metadata = {INDEX_SCHEME_KEY: index_scheme(options.dedup)}
            write_index_segment(index_path, spools, kept_masks, run_id, metadata)
            for n, done in enumerate(written):
                if done.result():
                    counts["records"] += done.result()
                    store.put_file(part("records", n), tmp / f"records-{n:05d}.parquet")
                    files["records"].append(part("records", n))
        counts["duplicates"] = dups.count
        store.put_file(part("duplicates", 0), dups_path)
        files["duplicates"].append(part("duplicates", 0))

        for _, reason, _ in run.missing:
            counts[f"rejected.{reason}"] += 1
        counts["rejected"] = len(rejects)
        store.put_file(part("rejects", 0), rejects_path)
        files["rejects"].append(part("rejects", 0))
        store.put_file(_index_segment_key(run_id), index_path)
        files["index"].append(_index_segment_key(run_id))
        timings["write"] = round(time.perf_counter() - writing, 3)

    _remove_stale(
        store,
        [f"{kind}/date={date}/run={run_id}/" for kind in ("records", "duplicates", "rejects")],
        files,
    )
    manifest_key = f"runs/{run_id}.json"
    report = RunReport(
        run_id,
        store.uri,
        store.url(manifest_key),
        {k: v for k, v in sorted(counts.items()) if v},
        files,
        [asdict(d) for d in first_dups],
    )
    # The manifest's own write is the one step not timed: it is written last, timings in it.
    timings["publish"] = round(time.perf_counter() - started, 3)
    report.timings = timings
    manifest = {
        "run_id": run_id,
        "date": date,
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "out": store.uri,
        "sources": [redact(s) for s in sources],
        "options": options.model_dump(mode="json"),
        "versions": _versions(),
        "counts": report.counts,
        "timings_s": timings,
        "files": files,
        **{k: v for k, v in extra.items() if k not in ("counts", "files")},
    }
    confirm_holder(store, run_id)
    _write_manifest(store, manifest_key, manifest)
    store.delete([*store.list_keys(f"_work/run={run_id}/"), _pending_key(run_id)])
    return report


@contextmanager
def _timed(timings: dict[str, float], phase: str) -> Iterator[None]:
    """Add the block's wall seconds to `timings[phase]` (the manifest's `timings_s`)."""
    start = time.perf_counter()
    try:
        yield
    finally:
        timings[phase] = round(timings.get(phase, 0.0) + time.perf_counter() - start, 3)


def _remove_stale(store: Store, prefixes: list[str], files: dict[str, list[str]]) -> None:
    """Delete files a failed earlier attempt of this run left that this attempt did not write."""
    written = {key for keys in files.values() for key in keys}
    stale = [key for prefix in prefixes for key in store.list_keys(prefix) if key not in written]
    store.delete(stale)


def _write_manifest(store: Store, key: str, manifest: dict[str, Any]) -> None:
    store.write_bytes(key, json.dumps(manifest, indent=2, sort_keys=True).encode("utf-8"))


def ingest(
    sources: list[str], out: str, options: ProcessOptions | None = None, run_id: str | None = None
) -> RunReport:
    """Run plan → process_shard → publish in this process, without Prefect.

    With worker processes, two shards are in flight at a time, as under Prefect's thread
    runner: while one shard's last batches finish, the next shard's first batches keep the
    other workers busy instead of leaving them idle at every shard's end.
    """
    options = options or ProcessOptions()
    run_id = run_id or new_run_id()
    lock = OutputLock(store_for(out), run_id, options.lock_ttl_seconds)
    with lock.held(options.lock_wait_seconds):
        run = plan(sources, out, options, run_id)

        def shard(job: tuple[int, list[str]]) -> ShardReport:
            return process_shard(job[0], job[1], out, run.run_id, options)

        if resolve_workers(options.workers) > 1 and len(run.shards) > 1:
            with ThreadPoolExecutor(max_workers=2, thread_name_prefix="shard") as threads:
                done = threads.map(shard, enumerate(run.shards))
                # While the workers extract, this process imports what publishing will use
                # (its first use would otherwise pay for it while the workers wait).
                preload()
                reports = list(done)
        else:  # inline extraction stays on the main thread, where its time limit works
            reports = [shard(job) for job in enumerate(run.shards)]
        lock.renew()
        return publish(run, reports, out, options, sources)
