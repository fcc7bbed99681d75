"""A run's output contract on both backends: incremental dedup across runs, manifest last,
crash safety and convergence of reruns."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

import pipelines.run
from deploy.demo.sitegen import ARTICLES, Article, render
from flows.ingest import summary_rows
from pipelines.config import DedupOptions, ProcessOptions
from pipelines.run import committed_runs, ingest
from pipelines.storage import store_for
from tests.conftest import DEMO_SITE
from tests.helpers import listing, rows

OPTS = ProcessOptions(workers=1)


def _second_batch(tmp_path: Path) -> Path:
    """Overlapping new input: two pages already published, one new syndicated copy of a
    published article, one new article."""
    d = tmp_path / "batch2"
    d.mkdir()
    for name in ("valley-post-library-late-fees.html", "metro-briefs-bakery-award.html"):
        shutil.copy(DEMO_SITE / name, d / name)
    wind = next(a for a in ARTICLES if a.slug == "harbor-wind-farm")
    copy = Article(
        "wind-copy",
        "Turbines Approved Off the Harbor",
        "Wire Staff",
        "2026-01-22",
        wind.paragraphs[:-1],
    )
    (d / "dailywire-wind-copy.html").write_text(render("northwind", copy, [])[1])
    new = Article(
        "ferry-fares",
        "Ferry Fares Frozen for Another Year",
        "Lena Moor",
        "2026-07-01",
        (
            "The island ferry company will keep fares at their current level until next summer, its "
            "board announced after residents complained that crossings had become unaffordable.",
            "Season tickets for islanders will fall slightly, funded by a surcharge on cars brought "
            "over by visitors during the peak weeks of July and August.",
            "The company also plans to add an early sailing on weekdays so that nurses and teachers "
            "who commute to the mainland can arrive before their shifts begin.",
        ),
    )
    (d / "valley-post-ferry-fares.html").write_text(render("valley-post", new, [])[1])
    return d


def test_second_run_publishes_nothing_the_first_published(
    out: str, seeds: Path, tmp_path: Path
) -> None:
    first = ingest([str(seeds), str(DEMO_SITE)], out, OPTS)
    assert first.counts["records"] == 14
    first_ids = {r["id"] for r in rows(out, "records")}

    second = ingest([str(_second_batch(tmp_path))], out, OPTS)
    new_records = rows(out, "records", second.run_id)
    assert not {r["id"] for r in new_records} & first_ids
    assert [Path(r["source"]).name for r in new_records] == ["valley-post-ferry-fares.html"]
    dups = {Path(d["url"]).name: d for d in rows(out, "duplicates", second.run_id)}
    assert set(dups) == {
        "valley-post-library-late-fees.html",
        "metro-briefs-bakery-award.html",
        "dailywire-wind-copy.html",
    }
    for dup in dups.values():
        assert dup["duplicate_of"] in first_ids
        assert dup["duplicate_of_run"] == first.run_id
    assert dups["dailywire-wind-copy.html"]["method"] == "near"
    assert dups["valley-post-library-late-fees.html"]["method"] == "url"
    assert second.counts["index_documents"] == 14
    assert committed_runs(store_for(out)) == sorted([first.run_id, second.run_id])


def test_manifest_lists_files_counts_config_versions(out: str, seeds: Path) -> None:
    report = ingest([str(seeds)], out, OPTS)
    store = store_for(out)
    manifest = json.loads(store.read_bytes(f"runs/{report.run_id}.json"))
    assert manifest["counts"]["records"] == 5
    assert manifest["options"]["dedup"]["threshold"] == 0.4
    assert {"trafilatura", "datasketch", "python"} <= set(manifest["versions"])
    date = manifest["date"]
    assert manifest["files"]["records"] == [
        f"records/date={date}/run={report.run_id}/part-00000.parquet"
    ]
    for keys in manifest["files"].values():
        for key in keys:
            assert store.exists(key)
    # Where the run's time went: each publish phase within publish's own wall time.
    timings = manifest["timings_s"]
    assert timings == report.timings
    phases = ["index", "templates", "strip", "dedup", "write"]
    assert set(timings) == {"shards", "shard_longest", *phases, "publish"}
    assert 0 < timings["shard_longest"] <= timings["shards"]
    assert all(timings[phase] >= 0 for phase in phases)
    assert sum(timings[phase] for phase in phases) <= timings["publish"]
    # Nothing temporary is left behind.
    assert not [k for k in listing(out) if k.startswith(("_work/", "runs/_pending/"))]


class Crash(RuntimeError):
    pass


def test_crash_before_manifest_then_rerun_equals_clean_run(
    out: str, seeds: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sources = [str(seeds), str(DEMO_SITE)]
    original = pipelines.run._write_manifest

    def crash(*args: Any) -> None:
        raise Crash("injected failure after the data files, before the manifest")

    monkeypatch.setattr(pipelines.run, "_write_manifest", crash)
    with pytest.raises(Crash):
        ingest(sources, out, OPTS, run_id="run-a")
    store = store_for(out)
    assert committed_runs(store) == []  # invisible: no manifest
    assert any(k.startswith("records/") for k in listing(out))  # data files were written

    monkeypatch.setattr(pipelines.run, "_write_manifest", original)
    ingest(sources, out, OPTS, run_id="run-a")
    ingest(sources, out, OPTS, run_id="run-a")  # rerunning a finished run converges too

    clean = str(tmp_path / "clean")
    ingest(sources, clean, OPTS, run_id="run-a")

    def snapshot(where: str) -> dict[str, Any]:
        def strip(r: dict[str, Any]) -> dict[str, Any]:
            return {k: v for k, v in r.items() if k != "fetched_at"}

        return {
            kind: sorted(map(str, map(strip, rows(where, kind))))
            for kind in ("records", "duplicates", "rejects")
        }

    assert snapshot(out) == snapshot(clean)
    assert listing(out) == listing(clean)


def _index_rows(out: str, run_id: str) -> list[dict[str, Any]]:
    data = store_for(out).read_bytes(f"index/v2/run={run_id}.parquet")
    return sorted(pq.read_table(io.BytesIO(data)).to_pylist(), key=lambda r: r["id"])


def test_index_of_an_older_version_is_rebuilt_from_the_records(
    out: str, seeds: Path, tmp_path: Path
) -> None:
    first = ingest([str(seeds), str(DEMO_SITE)], out, OPTS)
    store = store_for(out)
    original = _index_rows(out, first.run_id)
    # What contentpipe before index v2 left: a v1 segment (crc32 shingle hashes), no v2.
    segment = store.read_bytes(f"index/v2/run={first.run_id}.parquet")
    store.write_bytes(f"index/v1/run={first.run_id}.parquet", segment)
    store.delete([f"index/v2/run={first.run_id}.parquet"])

    batch = str(_second_batch(tmp_path))
    second = ingest([batch], out, OPTS)
    assert second.counts["index_segments_rebuilt"] == 1
    assert {"metric": "index segments of older runs rebuilt", "count": 1} in summary_rows(
        second.counts
    )
    assert second.counts["index_documents"] == 14
    assert _index_rows(out, first.run_id) == original
    dups = {Path(d["url"]).name: d["method"] for d in rows(out, "duplicates", second.run_id)}
    assert dups["dailywire-wind-copy.html"] == "near"
    assert len(dups) == 3
    third = ingest([batch], out, OPTS)
    assert "index_segments_rebuilt" not in third.counts


def test_other_dedup_settings_are_refused_before_any_work(out: str, seeds: Path) -> None:
    ingest([str(seeds)], out, OPTS)
    before = listing(out)
    other = OPTS.model_copy(update={"dedup": DedupOptions(shingle_size=5)})
    with pytest.raises(ValueError, match=r"shingle_size=3 \(run .*shingle_size=5: use the same"):
        ingest([str(DEMO_SITE)], out, other)
    assert listing(out) == before  # no pending run, no work files


def test_an_index_built_with_other_dedup_settings_is_refused(out: str, seeds: Path) -> None:
    """Each index segment is checked too: here a manifest that no longer says what its
    segment was built with."""
    first = ingest([str(seeds)], out, OPTS)
    store = store_for(out)
    manifest = json.loads(store.read_bytes(f"runs/{first.run_id}.json"))
    manifest["options"]["dedup"]["shingle_size"] = 5
    store.write_bytes(f"runs/{first.run_id}.json", json.dumps(manifest).encode())
    other = OPTS.model_copy(update={"dedup": DedupOptions(shingle_size=5)})
    with pytest.raises(ValueError, match=r"index/v2/run=.*shingle_size=3.*shingle_size=5"):
        ingest([str(DEMO_SITE)], out, other)


def test_worker_processes_import_no_storage_dedup_or_orchestration_library() -> None:
    # Each worker process imports `pipelines.process` on start: what it pulls in is paid per
    # worker and per run (datasketch alone brings scipy, 0.4 s).
    code = (
        "import sys, pipelines.process\n"
        "print(','.join(m for m in ('datasketch', 'scipy', 'boto3', 'warcio', 'prefect', 'scrapy') "
        "if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ""


def test_a_worker_prepared_to_strip_has_imported_what_its_first_strip_job_would() -> None:
    # While publish learns the templates, each idle worker runs `prepare_strip`: pyarrow, and
    # what it imports on first use (~0.1 s a worker), then no longer delay the first strip job.
    modules = ("pyarrow", "pyarrow.compute", "numpy.ma")
    code = (
        "import sys, pipelines.process as p\n"
        f"print(','.join(m for m in {modules!r} if m in sys.modules))\n"
        "p.prepare_strip()\n"
        f"print(','.join(m for m in {modules!r} if m in sys.modules))\n"
        "print(p.minhash._char_classes.cache_info().currsize)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split("\n")[:3] == ["", ",".join(modules), "1"]


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="threads listed by /proc")
def test_the_fork_server_imports_the_worker_modules_without_starting_a_thread() -> None:
    # Workers are forked from a server that has imported these modules (`pipelines.workers`):
    # a thread running there at a fork (pyarrow's allocator starts one on import) could hold a
    # lock that nothing in the forked worker would ever release.
    from pipelines.workers import WORKER_MODULES, _context

    _context()  # sets what the server inherits (OPENBLAS_NUM_THREADS)
    code = f"import os, {', '.join(WORKER_MODULES)}\nprint(len(os.listdir('/proc/self/task')))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "1"


def test_warming_a_pool_that_has_shut_down_reports_nothing() -> None:
    # A command that fails at once (a bad --out) ends while the warm-up thread that
    # `flows.launch` started is still submitting to the pool: that is no error of its own.
    import threading

    from pipelines import workers

    caught: list[BaseException | None] = []
    previous = threading.excepthook
    threading.excepthook = lambda args: caught.append(args.exc_value)
    try:
        workers._pool(3).shutdown()  # as the command's exit does, before the thread submits
        workers.warm_up(3)
        for thread in threading.enumerate():
            if thread.name == "contentpipe-warm-up":
                thread.join(timeout=30)
    finally:
        threading.excepthook = previous
        workers._shutdown()
    assert caught == []
