"""Bad inputs: each becomes a reject with a reason naming the input, and the run completes."""

from __future__ import annotations

import gzip
import io
import json
import random
from pathlib import Path

import duckdb
import pytest
from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from pipelines.config import ProcessOptions
from pipelines.readers import read_in_worker, read_input
from pipelines.readers.files import read_file
from pipelines.records import Page, Reject
from pipelines.run import InputError, ingest


def article(topic: str) -> str:
    """A distinct article per topic (random words seeded by the topic), so dedup keeps each."""
    rng = random.Random(topic)
    return " ".join(
        f"{topic}{rng.randrange(5000)}" if i % 7 == 0 else f"w{rng.randrange(5000)}"
        for i in range(300)
    )


def _warc(path: Path) -> None:
    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=True)

        def write(record: ArcWarcRecord) -> None:
            writer.write_record(record)
            record.raw_stream.close()  # warcio buffers payloads in a temp file it never closes

        write(writer.create_warcinfo_record("x.warc.gz", {"software": "test"}))
        for url, ctype, body in (
            (
                "https://a.example/article",
                "text/html; charset=utf-8",
                f"<html><body><article><h1>Harbor</h1><p>{article('warc')}</p></article></body></html>",
            ),
            ("https://a.example/logo.png", "image/png", "\x89PNG fake"),
        ):
            headers = StatusAndHeaders("200 OK", [("Content-Type", ctype)], protocol="HTTP/1.1")
            write(
                writer.create_warc_record(
                    url,
                    "response",
                    payload=io.BytesIO(body.encode("latin-1", "replace")),
                    http_headers=headers,
                )
            )
        write(
            writer.create_warc_record(
                "https://a.example/article",
                "request",
                payload=io.BytesIO(b""),
                http_headers=StatusAndHeaders("GET /article HTTP/1.1", [], is_http_request=True),
            )
        )


@pytest.fixture
def bad_inputs(tmp_path: Path) -> Path:
    d = tmp_path / "inputs"
    d.mkdir()
    (d / "good.html").write_text(
        f"<html><body><article><p>{article('good')}</p></article></body></html>"
    )
    (d / "empty.html").write_bytes(b"")
    (d / "binary.html").write_bytes(bytes(range(256)) * 8)
    (d / "latin.txt").write_bytes("Caf\xe9 au lait ".encode("latin-1") * 40)
    noise = random.Random(0)
    (d / "noise.txt").write_bytes(bytes(noise.randrange(128, 256) for _ in range(2000)))
    whole = gzip.compress(
        b"\n".join(
            json.dumps({"url": f"https://j.example/{i}", "text": article(f"line{i}")}).encode()
            for i in range(50)
        )
    )
    (d / "truncated.jsonl.gz").write_bytes(whole[: len(whole) // 2])
    (d / "mixed.jsonl").write_text(
        "\n".join(
            [
                json.dumps({"id": "ok-1", "url": "https://j.example/ok", "text": article("mixed")}),
                "{not json",
                json.dumps({"id": "no-url", "text": article("nourl")}),
                json.dumps(["a", "list"]),
            ]
        )
    )
    _warc(d / "crawl.warc.gz")
    (d / "nav-only.html").write_text("<html><body><nav><a href='/'>Home</a></nav></body></html>")
    (d / "huge.html").write_text("<html><body><p>" + "word " * 4_200_000 + "</p></body></html>")
    (d / "notes.docx").write_bytes(b"PK\x03\x04 not really")
    return d


@pytest.mark.parametrize("workers", [1, 2])
def test_each_bad_input_is_a_reject_with_reason(
    bad_inputs: Path, tmp_path: Path, workers: int
) -> None:
    # With 2 workers, the worker processes read the HTML and text files themselves.
    out = tmp_path / "out"
    report = ingest(
        [str(bad_inputs), str(tmp_path / "missing-dir")], str(out), ProcessOptions(workers=workers)
    )
    assert report.counts["inputs"] == len(list(bad_inputs.iterdir()))
    rows = duckdb.sql(
        f"SELECT source, source_id, reason, detail FROM read_parquet('{out}/rejects/*/*/*.parquet')"
    ).fetchall()
    by_reason: dict[str, list[tuple[str, str]]] = {}
    for source, _sid, reason, detail in rows:
        by_reason.setdefault(reason, []).append((Path(source).name, detail))
    names = {reason: sorted(n for n, _ in items) for reason, items in by_reason.items()}
    assert names["empty"] == ["empty.html"]
    assert names["binary"] == ["binary.html"]
    # Undeclared Latin-1 is detected; bytes that are text in no encoding are rejected.
    assert names["bad_encoding"] == ["noise.txt"]
    assert "latin.txt" not in {n for items in names.values() for n in items}
    assert names["bad_compression"] == ["truncated.jsonl.gz"]
    assert names["malformed_json"] == ["mixed.jsonl", "mixed.jsonl"]
    assert names["missing_field"] == ["mixed.jsonl"]
    assert names["not_html"] == ["crawl.warc.gz"]
    # trafilatura's fallback finds the nav link; the quality filter rejects the leftover.
    assert "nav-only.html" in names.get("no_content", []) + names.get("too_short", [])
    assert names["too_large"] == ["huge.html"]
    assert names["unknown_format"] == ["notes.docx"]
    assert names["not_found"] == ["missing-dir"]
    # Each detail names the input it is about.
    for source, _sid, _reason, detail in rows:
        assert Path(source).name in detail or source in detail
    # The rest of the run completed: the good pages are records.
    records = duckdb.sql(
        f"SELECT source, source_id FROM read_parquet('{out}/records/*/*/*.parquet')"
    ).fetchall()
    sources = sorted(Path(s).name for s, _ in records)
    assert "good.html" in sources and "crawl.warc.gz" in sources and "mixed.jsonl" in sources
    # Lines of the truncated gzip before the damage were kept.
    assert sources.count("truncated.jsonl.gz") > 0
    assert ("mixed.jsonl", "ok-1") in {(Path(s).name, i) for s, i in records}
    assert report.counts["warc_request_records_skipped"] == 1
    assert report.counts["warc_warcinfo_records_skipped"] == 1


def test_nothing_to_ingest_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no input matches"):
        ingest([str(tmp_path / "nope")], str(tmp_path / "out"))


def test_jsonl_carries_ids_titles_and_dates(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text(
        json.dumps(
            {
                "id": "x1",
                "url": "https://e.example/a",
                "title": "T",
                "published": "2024-01-02",
                "html": "<p>hi</p>",
            }
        )
        + "\n"
    )
    pages = list(read_input(str(path)))
    assert pages == [
        Page(
            url="https://e.example/a",
            body="<p>hi</p>",
            source=str(path),
            content_type="text/html",
            source_id="x1",
            title="T",
            published="2024-01-02",
        )
    ]


def test_unreadable_file_is_a_reject(tmp_path: Path) -> None:
    path = tmp_path / "folder.html"  # tests run as root, who reads any file: use a folder
    path.mkdir()
    items = list(read_input(str(path)))
    assert len(items) == 1 and isinstance(items[0], Reject)
    assert items[0].reason == "unreadable" and str(path) in items[0].detail
    assert list(read_file(str(path))) == items  # as a worker process reads it


def test_workers_read_single_page_files_as_the_readers_do(bad_inputs: Path) -> None:
    """`read_file` (in worker processes) gives the pages and rejects `read_input` gives, for
    the files `read_in_worker` sends them; containers and compressed files stay with it."""
    sent = sorted(p for p in bad_inputs.iterdir() if read_in_worker(str(p)))
    names = {p.name for p in sent}
    assert names == {"good.html", "empty.html", "binary.html", "latin.txt", "noise.txt",
                     "nav-only.html", "huge.html"}  # fmt: skip
    for path in sent:
        assert list(read_file(str(path))) == list(read_input(str(path))), path.name
    assert not read_in_worker("s3://bucket/page.html")
    assert not read_in_worker(str(bad_inputs / "page.html.gz"))


def test_extraction_time_limit_rejects_the_page_not_the_run() -> None:
    from pipelines.config import ExtractOptions
    from pipelines.extract import extract

    # A big nested page takes trafilatura far longer than a millisecond.
    body = "<html><body>" + "<div><p>deep text block with words</p>" * 3000 + "</div>" * 3000
    page = Page(url="https://slow.example/a", body=body + "</body></html>", source="slow.html")
    result = extract(page, ExtractOptions(timeout_seconds=0.001), "r")
    assert isinstance(result, Reject)
    assert result.reason == "extract_timeout" and "slow.example" in result.detail
    # The limit leaves no alarm behind: the next page extracts normally.
    ok = extract(
        Page(
            url="https://ok.example/b",
            body=f"<html><body><article><p>{article('ok')}</p></article></body></html>",
            source="ok.html",
        ),
        ExtractOptions(),
        "r",
    )
    assert not isinstance(ok, Reject)


def test_time_limits_keep_the_handler_for_a_batch_then_restore_it() -> None:
    """A worker's batch installs the alarm handler once (`time_limits`); each page's limit still
    fires, leaves the handler in place for the next page, and the caller's handler is back
    after the batch."""
    import signal

    from pipelines.config import ExtractOptions
    from pipelines.extract import extract, time_limits

    body = "<html><body>" + "<div><p>deep text block with words</p>" * 3000 + "</div>" * 3000
    slow = Page(url="https://slow.example/a", body=body + "</body></html>", source="slow.html")
    fine = Page(
        url="https://ok.example/b",
        body=f"<html><body><article><p>{article('ok')}</p></article></body></html>",
        source="ok.html",
    )
    before = signal.getsignal(signal.SIGALRM)
    with time_limits():
        inside = signal.getsignal(signal.SIGALRM)
        assert inside is not before
        for _ in range(2):
            late = extract(slow, ExtractOptions(timeout_seconds=0.001), "r")
            assert isinstance(late, Reject) and late.reason == "extract_timeout"
            assert signal.getsignal(signal.SIGALRM) is inside
            assert not isinstance(extract(fine, ExtractOptions(), "r"), Reject)
        assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)  # no alarm left armed
    assert signal.getsignal(signal.SIGALRM) is before
