"""The `ingest` flow: pages that already exist (files, globs, JSONL, WARC, s3:// prefixes) →
clean, deduplicated records in the output. Tasks wrap `pipelines.run`'s three steps and pass
URIs and small reports; remove the decorators and the same code runs as plain functions.
"""

from __future__ import annotations

import re
from contextlib import nullcontext
from datetime import UTC, datetime
from typing import Any, Literal

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.client.schemas.objects import State, TaskRun
from prefect.tasks import Task
from pydantic import BaseModel, Field

from flows.summary import summary_markdown, summary_rows
from pipelines.config import ProcessOptions
from pipelines.lock import OutputLock
from pipelines.parquet import preload
from pipelines.run import (
    Plan,
    RunReport,
    ShardReport,
    new_run_id,
    plan,
    process_shard,
    publish,
)
from pipelines.storage import StorageError, store_for

__all__ = ["IngestParams", "ingest", "summary_markdown", "summary_rows"]


def _io_error(task: Task[Any, Any], task_run: TaskRun, state: State[Any]) -> bool:
    """Retry only on I/O failures; extraction and dedup are deterministic, so retrying them
    would fail the same way."""
    try:
        state.result()
    except (StorageError, OSError):
        return True
    except Exception:
        return False
    return False


@task(name="plan", retries=2, retry_delay_seconds=[2, 10], retry_condition_fn=_io_error)
def plan_task(sources: list[str], out: str, options: ProcessOptions, run_id: str | None) -> Plan:
    return plan(sources, out, options, run_id)


@task(
    name="process-shard",
    retries=2,
    retry_delay_seconds=[2, 10],
    retry_condition_fn=_io_error,
    task_run_name="shard-{index}",
)
def process_shard_task(
    index: int, inputs: list[str], out: str, run_id: str, options: ProcessOptions
) -> ShardReport:
    return process_shard(index, inputs, out, run_id, options)


@task(name="publish", retries=2, retry_delay_seconds=[2, 10], retry_condition_fn=_io_error)
def publish_task(
    run: Plan,
    reports: list[ShardReport],
    out: str,
    options: ProcessOptions,
    sources: list[str],
    extra: dict[str, Any] | None = None,
) -> RunReport:
    return publish(run, reports, out, options, sources, extra)


class RunnerOptions(BaseModel):
    """Where shards run: threads on this machine, or an existing Dask cluster."""

    kind: Literal["threads", "dask"] = Field(
        "threads",
        title="Task runner",
        description="threads: shards on this machine; dask: shards on a Dask cluster.",
    )
    dask_address: str | None = Field(
        None,
        title="Dask scheduler address",
        description="tcp://host:8786 of an existing cluster; empty starts a temporary local one.",
    )
    dask_workers: int = Field(2, ge=1, title="Workers of a temporary local Dask cluster")

    def task_runner(self) -> Any:
        from prefect_dask.task_runners import DaskTaskRunner

        if self.dask_address:
            return DaskTaskRunner(address=self.dask_address)
        return DaskTaskRunner(
            cluster_kwargs={
                "n_workers": self.dask_workers,
                "processes": True,
                "threads_per_worker": 1,
            }
        )


def _submit_shards(
    shards: list[list[str]], out: str, run_id: str, options: ProcessOptions
) -> list[ShardReport]:
    futures = [
        process_shard_task.submit(i, shard, out, run_id, options) for i, shard in enumerate(shards)
    ]
    preload()  # what publishing uses, imported while the shards run (`pipelines.run.ingest`)
    return [future.result() for future in futures]


@flow(name="process-shards")
def process_shards(
    shards: list[list[str]], out: str, run_id: str, options: ProcessOptions
) -> list[ShardReport]:
    """The shards of one run, as a subflow so that it can run on its own task runner (Dask)."""
    return _submit_shards(shards, out, run_id, options)


DEFAULT_OPTIONS = ProcessOptions()
DEFAULT_RUNNER = RunnerOptions()


class IngestParams(BaseModel):
    """What an ingest run reads and where it writes (the Prefect UI renders this as a form)."""

    sources: list[str] = Field(
        ...,
        min_length=1,
        title="Sources",
        description="Files, directories, globs or s3:// prefixes of .html, .txt, .md, .jsonl(.gz) "
        "or .warc(.gz) inputs.",
    )
    out: str = Field(
        "./data", title="Output", description="s3://bucket/prefix or a local directory."
    )


def _artifact_prefix(default: str) -> str:
    from prefect.runtime import deployment

    name = deployment.name or default
    return re.sub(r"[^a-z0-9-]+", "-", str(name).lower()).strip("-") or default


def _run_name() -> str:
    from prefect.runtime import flow_run

    params = flow_run.parameters
    return f"ingest-{len(params.get('sources', []))}-sources-{datetime.now(UTC):%Y-%m-%d}"


@flow(name="ingest", flow_run_name=_run_name, log_prints=False)
def ingest(
    sources: list[str],
    out: str = "./data",
    options: ProcessOptions = DEFAULT_OPTIONS,
    run_id: str | None = None,
    runner: RunnerOptions = DEFAULT_RUNNER,
) -> RunReport:
    """Ingest existing pages into a clean, deduplicated corpus.

    Args:
        sources: Files, directories, globs or s3:// prefixes of .html, .txt, .md, .jsonl(.gz)
            or .warc(.gz) inputs, one per item.
        out: Where to publish: s3://bucket/prefix, or a directory on the worker.
        options: Cleaning, quality and deduplication settings (defaults were measured).
        run_id: Leave empty for a new run; give a failed run's id to repair it.
        runner: Where the shards run: threads on the worker, or a Dask cluster.
    """
    params = IngestParams(sources=sources, out=out)
    return process(params.sources, params.out, options, run_id, "ingest", runner=runner)


def process(
    sources: list[str],
    out: str,
    options: ProcessOptions,
    run_id: str | None,
    artifact_prefix: str,
    extra: dict[str, Any] | None = None,
    held_lock: OutputLock | None = None,
    runner: RunnerOptions | None = None,
) -> RunReport:
    """The processing path both flows share: plan, shards in parallel, publish, artifacts.

    Called inside a flow run; `extra` adds counts and files (e.g. a crawl's) to the manifest.
    The output lock is taken here unless the caller passes the lock it holds.
    """
    run_id = run_id or new_run_id()
    own = held_lock is None
    lock = held_lock or OutputLock(store_for(out), run_id, options.lock_ttl_seconds)
    say = get_run_logger().info
    with lock.held(options.lock_wait_seconds, say=say) if own else nullcontext(lock):
        run = plan_task(sources, out, options, run_id)
        runner = runner or RunnerOptions()
        if runner.kind == "dask":
            reports = process_shards.with_options(task_runner=runner.task_runner())(
                run.shards, out, run.run_id, options
            )
        else:
            reports = _submit_shards(run.shards, out, run.run_id, options)
        lock.renew()
        report = publish_task(run, reports, out, options, sources, extra)
    # Stable per deployment (or per flow when run directly), so the UI shows the history.
    prefix = _artifact_prefix(artifact_prefix)
    create_table_artifact(
        table=summary_rows(report.counts),
        key=f"{prefix}-counts",
        description=f"Counts of run {report.run_id} into {report.out}",
    )
    create_markdown_artifact(
        summary_markdown(report),
        key=f"{prefix}-summary",
        description=f"Run {report.run_id}",
    )
    return report


if __name__ == "__main__":
    import sys

    if len(sys.argv) < 3:
        sys.exit("usage: python -m flows.ingest SOURCE... OUT")
    print(ingest(sys.argv[1:-1], sys.argv[-1]).counts)
