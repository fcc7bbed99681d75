"""The ingest flow end to end under Prefect's real test server, writing to the moto S3 server."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey, FlowRunFilter
from prefect.testing.utilities import prefect_test_harness

from flows.ingest import ingest
from pipelines.config import ProcessOptions
from tests.conftest import DEMO_SITE
from tests.helpers import rows


@pytest.fixture(scope="module")
def prefect_server() -> Iterator[None]:
    # A fresh database migrates for ~20 s on these machines; the default wait is 30 s.
    with prefect_test_harness(server_startup_timeout=180):
        yield


def _artifact_table(flow_run_id: object) -> dict[str, int]:
    with get_client(sync_client=True) as client:
        found = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["ingest-counts"])),
            flow_run_filter=FlowRunFilter(id={"any_": [flow_run_id]}),
        )
    assert len(found) == 1
    data = found[0].data
    table = json.loads(data) if isinstance(data, str) else data
    return {row["metric"]: row["count"] for row in table}


def test_ingest_flow_to_s3_twice(
    prefect_server: None, bucket: str, seeds: Path, tmp_path: Path
) -> None:
    out = f"s3://{bucket}/corpus"
    state = ingest([str(seeds), str(DEMO_SITE)], out, ProcessOptions(workers=2), return_state=True)
    first = state.result()
    assert first.counts["records"] == 14
    assert first.counts["duplicates.near"] == 3 and first.counts["duplicates.url"] == 1
    assert first.manifest == f"s3://{bucket}/corpus/runs/{first.run_id}.json"
    table = _artifact_table(state.state_details.flow_run_id)
    assert table["records written"] == 14
    assert table["duplicates: near"] == 3
    assert table["pages read"] == 18

    again = tmp_path / "again"
    again.mkdir()
    for name in ("harbor-ledger-river-bridge-reopens.html", "northwind-wind-copy.html"):
        shutil.copy(DEMO_SITE / name, again / name)
    second = ingest([str(again)], out, ProcessOptions(workers=1))
    assert second.counts.get("records", 0) == 0
    dups = rows(out, "duplicates", second.run_id)
    first_ids = {r["id"] for r in rows(out, "records", first.run_id)}
    assert len(dups) == 2
    assert all(
        d["duplicate_of"] in first_ids and d["duplicate_of_run"] == first.run_id for d in dups
    )


def test_flow_rejects_bad_parameters_naming_the_field(prefect_server: None) -> None:
    with pytest.raises(Exception, match="sources"):
        ingest([], "./nowhere")


def test_crawl_flow_to_s3_is_incremental(prefect_server: None, bucket: str) -> None:
    from deploy.demo.server import DemoSite
    from flows.crawl import crawl
    from pipelines.sources import Politeness, Source
    from pipelines.storage import store_for

    site = DemoSite()
    base = site.start()
    try:
        sources = [
            Source(
                name="demo",
                kind="sitemap",
                urls=[f"{base}/robots.txt"],
                allow_private=True,
                politeness=Politeness(delay_seconds=0, autothrottle=False),
            )
        ]
        out = f"s3://{bucket}/corpus"
        first = crawl(sources, out)
        assert first.counts["crawl.pages_written"] == 13
        assert first.counts["records"] == 9 and first.counts["duplicates"] == 4
        store = store_for(out)
        manifest = json.loads(store.read_bytes(f"runs/{first.run_id}.json"))
        raw = manifest["files"]["raw"]
        assert raw == [f"raw/date={manifest['date']}/run={first.run_id}/demo.warc.gz"]
        assert store.exists(raw[0])
        assert manifest["crawl"]["stats"]["demo"]["item_scraped_count"] == 13

        page_hits = site.hits("/valley-post-library-late-fees.html")
        second = crawl(sources, out)
        assert site.hits("/valley-post-library-late-fees.html") == page_hits  # not fetched again
        assert site.hits("/sitemap_index.xml") == 2  # sitemaps are re-read every run
        assert second.counts.get("crawl.pages_written", 0) == 0
        assert second.counts["crawl.skipped.seen"] == 13
        assert second.counts.get("records", 0) == 0
    finally:
        site.stop()


def test_crawl_flow_refuses_bad_parameters(prefect_server: None) -> None:
    from flows.crawl import crawl

    with pytest.raises(Exception, match="sources"):
        crawl([], "./nowhere")


def test_dask_cluster_of_two_workers_gives_the_single_machine_output(
    prefect_server: None, seeds: Path, tmp_path: Path
) -> None:
    from flows.ingest import RunnerOptions

    sources = [str(p) for p in sorted(DEMO_SITE.iterdir())] + [str(seeds)]
    # Two files per shard: nine shards spread over both Dask workers.
    opts = ProcessOptions(workers=1, shard_files=2, batch_pages=3)
    threads = ingest(sources, str(tmp_path / "threads"), opts, run_id="same-run")
    dask = ingest(
        sources,
        str(tmp_path / "dask"),
        opts,
        run_id="same-run",
        runner=RunnerOptions(kind="dask", dask_workers=2),
    )

    def content(out: str) -> dict[str, list[str]]:
        return {
            kind: sorted(
                json.dumps(
                    {k: v for k, v in r.items() if k != "fetched_at"}, sort_keys=True, default=str
                )
                for r in rows(out, kind)
            )
            for kind in ("records", "duplicates", "rejects")
        }

    assert threads.counts == dask.counts and threads.counts["inputs"] == 18
    manifest = json.loads((tmp_path / "dask" / "runs" / "same-run.json").read_text())
    assert len(manifest["files"]["records"]) > 4  # records from many shards
    assert content(str(tmp_path / "threads")) == content(str(tmp_path / "dask"))
