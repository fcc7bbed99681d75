"""The `crawl` flow: Scrapy crawls each source in a subprocess, raw pages land as WARC under
`<out>/raw/date=…/run=…/`, and the same processing path as `ingest` turns them into records.

A crawl is an ingest of the WARC it just wrote, so a better cleaner can reprocess old crawls
without fetching again. The seen-URL store (`pipelines.crawlstate`) makes scheduled crawls fetch
only what is new; feeds, sitemaps and start pages are re-read every run.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from pydantic import BaseModel, Field

from flows.ingest import DEFAULT_RUNNER, RunnerOptions, _io_error, process
from pipelines.config import ProcessOptions
from pipelines.crawlstate import load_seen, save_fetched
from pipelines.lock import OutputLock
from pipelines.redact import redact
from pipelines.run import RunReport, committed_runs, new_run_id, start_run
from pipelines.sources import Source, load_sources
from pipelines.storage import store_for
from pipelines.tempfiles import process_dir

__all__ = ["CrawlOptions", "CrawlReport", "crawl", "crawl_counts"]


class CrawlError(RuntimeError):
    """The crawler process failed; the message carries the end of its log."""


class CrawlOptions(BaseModel):
    """How the crawl itself behaves, beside the processing options."""

    user_agent: str | None = Field(
        None,
        title="User-Agent",
        description="Replaces the default, which names contentpipe and a contact URL.",
    )
    process: ProcessOptions = Field(default_factory=ProcessOptions)


DEFAULT_CRAWL_OPTIONS = CrawlOptions()


class CrawlReport(BaseModel):
    source: str
    warc_uri: str
    warc_key: str
    stats: dict[str, Any]
    fetched: dict[str, str]


def crawl_counts(stats: dict[str, Any]) -> dict[str, int]:
    """The Scrapy stats worth a row in the run's counts, under `crawl.`.

    >>> crawl_counts({"downloader/request_count": 3, "item_scraped_count": 2,
    ...               "downloader/response_status_count/404": 1})
    {'crawl.requests': 3, 'crawl.pages_written': 2, 'crawl.responses.404': 1}
    """
    names = {
        "downloader/request_count": "crawl.requests",
        "item_scraped_count": "crawl.pages_written",
        "downloader/response_bytes": "crawl.bytes",
        "robotstxt/forbidden": "crawl.robots_denied",
        "offsite/filtered": "crawl.offsite",
        "retry/count": "crawl.retries",
        "downloader/exception_count": "crawl.download_errors",
    }
    out: dict[str, int] = {}
    for key, value in stats.items():
        if not isinstance(value, int):
            continue
        if key in names:
            out[names[key]] = value
        elif key.startswith("downloader/response_status_count/"):
            out["crawl.responses." + key.rsplit("/", 1)[-1]] = value
        elif key.startswith("contentpipe/"):
            out["crawl." + key[len("contentpipe/") :].replace("/", ".")] = value
    return out


@task(
    name="crawl-source",
    retries=1,
    retry_delay_seconds=10,
    retry_condition_fn=_io_error,
    task_run_name="crawl-{source.name}",
)
def crawl_source(
    source: Source, out: str, run_id: str, date: str, seen_key: str | None, user_agent: str | None
) -> CrawlReport:
    """Crawl one source in a subprocess and upload its WARC to the run's raw/ folder."""
    store = store_for(out)
    with tempfile.TemporaryDirectory(prefix="crawl-", dir=process_dir()) as tmpdir:
        tmp = Path(tmpdir)
        seen_path = tmp / "seen.json"
        if seen_key:
            seen_path.write_bytes(store.read_bytes(seen_key))
        warc, fetched, stats = (
            tmp / f"{source.name}.warc.gz",
            tmp / "fetched.json",
            tmp / "stats.json",
        )
        # In a file, not on the command line (where `ps` shows it): it may hold credentials.
        source_file = tmp / "source.json"
        source_file.write_text(source.model_dump_json(), encoding="utf-8")
        cmd = [
            sys.executable,
            "-m",
            "spiders.run",
            "--source",
            f"@{source_file}",
            "--warc",
            str(warc),
            "--fetched",
            str(fetched),
            "--stats",
            str(stats),
        ]
        if seen_key:
            cmd += ["--seen", str(seen_path)]
        if user_agent:
            cmd += ["--user-agent", user_agent]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0 or not warc.exists():
            raise CrawlError(f"crawl of {source.name} failed: {redact(done.stderr[-2000:])}")
        key = f"raw/date={date}/run={run_id}/{source.name}.warc.gz"
        store.put_file(key, warc)
        return CrawlReport(
            source=source.name,
            warc_uri=store.url(key),
            warc_key=key,
            stats=json.loads(stats.read_text()),
            fetched=json.loads(fetched.read_text()) if fetched.exists() else {},
        )


@task(name="load-seen", retries=2, retry_delay_seconds=[2, 10], retry_condition_fn=_io_error)
def load_seen_task(out: str, run_id: str) -> str | None:
    """Write the merged seen-URL store of earlier runs to the run's work folder; its key."""
    store = store_for(out)
    seen = load_seen(store, set(committed_runs(store)) - {run_id})
    if not seen:
        return None
    key = f"_work/run={run_id}/seen.json"
    store.write_bytes(key, json.dumps(seen).encode("utf-8"))
    return key


def _run_name() -> str:
    from prefect.runtime import flow_run  # only valid inside a run

    params = flow_run.parameters
    count = len(params.get("sources") or []) + (1 if params.get("sources_file") else 0)
    return f"crawl-{count}-sources-{datetime.now(UTC):%Y-%m-%d}"


def _check_some_source_answered(reports: list[CrawlReport]) -> None:
    """Fail the crawl if no source's start URLs answered (a mistyped host, a dead site, a
    refused address): publishing an empty run would report success for a crawl that could
    not start. A source that answered but had nothing new is fine."""
    dead = [
        r
        for r in reports
        if r.stats.get("contentpipe/seeds/failed") and not r.stats.get("contentpipe/seeds/answered")
    ]
    if reports and len(dead) == len(reports):
        why = "; ".join(f"{r.source}: {r.stats.get('contentpipe/seed_error', '?')}" for r in dead)
        raise CrawlError(f"nothing was fetched: no source's start URLs answered ({why})")


@flow(name="crawl", flow_run_name=_run_name)
def crawl(
    sources: list[Source] | None = None,
    out: str = "./data",
    options: CrawlOptions = DEFAULT_CRAWL_OPTIONS,
    run_id: str | None = None,
    sources_file: str | None = None,
    runner: RunnerOptions = DEFAULT_RUNNER,
) -> RunReport:
    """Crawl sites, keep the raw pages as WARC, and publish clean, deduplicated records.

    Args:
        sources: Sites or feeds to crawl (kind, URLs, rules, limits, politeness).
        out: Where to publish: s3://bucket/prefix, or a directory on the worker.
        options: User-Agent, and the cleaning and deduplication settings.
        run_id: Leave empty for a new run; give a failed run's id to repair it.
        sources_file: A sources YAML file (e.g. deploy/sources.yaml), read in addition.
        runner: Where the shards run: threads on the worker, or a Dask cluster.
    """
    options = options or CrawlOptions()
    sources = list(sources or [])
    if sources_file:
        sources += load_sources(Path(sources_file))
    if not sources:
        raise ValueError("sources: at least one source is needed (or sources_file)")
    names = [s.name for s in sources]
    if len(set(names)) != len(names):
        raise ValueError("sources: names must be unique (they name the WARC files)")
    run_id = run_id or new_run_id()
    process_options = options.process
    lock = OutputLock(store_for(out), run_id, process_options.lock_ttl_seconds)
    with lock.held(process_options.lock_wait_seconds, say=get_run_logger().info):
        run_id, date = start_run(out, run_id)
        seen_key = load_seen_task(out, run_id)
        futures = [
            crawl_source.submit(s, out, run_id, date, seen_key, options.user_agent) for s in sources
        ]
        reports = [f.result() for f in futures]
        _check_some_source_answered(reports)
        lock.renew()
        fetched: dict[str, str] = {}
        counts: Counter[str] = Counter()
        for rep in reports:
            fetched.update(rep.fetched)
            counts.update(crawl_counts(rep.stats))
        seen_segment = save_fetched(store_for(out), run_id, fetched)
        extra = {
            "counts": dict(counts),
            "files": {"raw": [r.warc_key for r in reports], "index": [seen_segment]},
            "crawl": {
                "sources": [s.public() for s in sources],
                "stats": {r.source: r.stats for r in reports},
            },
        }
        return process(
            [r.warc_uri for r in reports],
            out,
            process_options,
            run_id,
            "crawl",
            extra,
            held_lock=lock,
            runner=runner,
        )
