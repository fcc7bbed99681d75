"""The storage contract on both backends (local directory, S3 over HTTP), and its errors."""

from __future__ import annotations

import gzip
from collections import Counter
from pathlib import Path

import pytest

import pipelines.storage
from pipelines.readers import read_input, read_inputs
from pipelines.records import Page, Reject
from pipelines.storage import StorageError, expand_sources, open_input, store_for


def test_round_trip_list_delete(out: str, tmp_path: Path) -> None:
    store = store_for(out)
    store.check_writable()
    store.write_bytes("a/b/one.json", b"1")
    local = tmp_path / "file.bin"
    local.write_bytes(b"x" * 1000)
    store.put_file("a/two.bin", local)
    store.write_bytes("ab/three.json", b"3")
    assert store.read_bytes("a/b/one.json") == b"1"
    assert store.exists("a/two.bin") and not store.exists("a/missing")
    assert store.list_keys("a/") == ["a/b/one.json", "a/two.bin"]
    back = tmp_path / "back.bin"
    store.get_file("a/two.bin", back)
    assert back.read_bytes() == b"x" * 1000
    store.write_bytes("a/b/one.json", b"overwritten")
    assert store.read_bytes("a/b/one.json") == b"overwritten"
    store.delete(["a/b/one.json", "a/two.bin", "a/never-existed"])
    assert store.list_keys("a/") == []
    assert store.list_keys("ab/") == ["ab/three.json"]


def test_expand_sources_on_s3_prefix_and_glob(bucket: str) -> None:
    store = store_for(f"s3://{bucket}")
    for key in ("in/a.html", "in/b.txt", "in/sub/c.html", "inside/d.html"):
        store.write_bytes(key, b"<p>x</p>")
    found, missing = expand_sources(
        [f"s3://{bucket}/in", f"s3://{bucket}/in/*.txt", f"s3://{bucket}/nothing-here/"]
    )
    assert found == [
        f"s3://{bucket}/in/a.html",
        f"s3://{bucket}/in/b.txt",
        f"s3://{bucket}/in/sub/c.html",
    ]
    assert [m[0] for m in missing] == [f"s3://{bucket}/nothing-here/"]
    with open_input(f"s3://{bucket}/in/a.html") as fh:
        assert fh.read() == b"<p>x</p>"


def test_a_local_directory_expands_as_rglob_finds_its_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`expand_sources` on a directory walks it with `scandir`; what it finds is what
    `Path.rglob("*")` finds: nested and hidden directories entered, hidden files and symlinked
    directories not, symlinked files resolved to their targets, no FIFOs; a broken link is
    reported, not passed over."""
    import os

    root, outside = tmp_path / "in", tmp_path / "outside"
    for folder in (root / "a" / "b", root / ".hidden-dir", outside / "d"):
        folder.mkdir(parents=True)
    for file in ("top.html", "a/one.html", "a/b/two.txt", ".hidden.html", ".hidden-dir/x.html"):
        (root / file).write_text("<p>x</p>")
    (outside / "target.html").write_text("<p>t</p>")
    (outside / "d" / "in-linked-dir.html").write_text("<p>d</p>")
    (root / "link.html").symlink_to(outside / "target.html")
    (root / "a" / "linked-dir").symlink_to(outside / "d")
    (root / "broken.html").symlink_to(tmp_path / "nowhere.html")
    os.mkfifo(root / "a" / "pipe.html")
    expected = sorted(
        str(p.resolve()) for p in root.rglob("*") if p.is_file() and not p.name.startswith(".")
    )
    found, missing = expand_sources([str(root)])
    assert found == expected
    assert [(Path(w).name, r) for w, r, _ in missing] == [("broken.html", "dangling_link")]
    assert str((outside / "target.html").resolve()) in found
    assert str((root / ".hidden-dir" / "x.html").resolve()) in found
    assert len(found) == 5
    # The same directory through a symlink and a relative path resolves to the same files.
    (tmp_path / "alias").symlink_to(root)
    monkeypatch.chdir(tmp_path)
    assert expand_sources(["alias"])[0] == expected


def test_missing_bucket_is_a_clear_error(aws_env: str) -> None:
    with pytest.raises(StorageError, match=r"s3://no-such-bucket-here.*bucket does not exist"):
        store_for("s3://no-such-bucket-here/x").check_writable()


def test_no_credentials_is_a_clear_error(aws_env: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    with pytest.raises(StorageError, match="no AWS credentials"):
        store_for("s3://any-bucket/x").check_writable()


def test_wrong_credentials_is_a_clear_error(
    aws_env: str, s3_with_auth: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_with_auth)
    with pytest.raises(StorageError, match=r"access denied .*check the credentials"):
        store_for("s3://any-bucket/x").check_writable()


def test_unreachable_endpoint_is_a_clear_error(
    aws_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # discard port: nothing listens
    with pytest.raises(StorageError, match="endpoint unreachable"):
        store_for("s3://any-bucket/x").check_writable()


def test_bad_output_uri() -> None:
    with pytest.raises(StorageError, match="unsupported output location"):
        store_for("ftp://host/x")
    with pytest.raises(StorageError, match="malformed S3 URI"):
        store_for("s3:///prefix")


def _read(items: list[Page | Reject]) -> list[tuple[str, ...]]:
    return [
        (item.source, item.url, item.body)
        if isinstance(item, Page)
        else (item.source, item.reason, item.detail)
        for item in items
    ]


def test_inputs_fetched_ahead_read_as_one_at_a_time(
    bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A mix: small S3 objects (downloaded ahead), objects over the size limit (opened in turn),
    # one that vanished after listing, a corrupt gzip, a local file; order and rejects must be
    # those of reading each input in turn.
    monkeypatch.setattr(pipelines.storage, "_AHEAD_BYTES", 400)
    store = store_for(f"s3://{bucket}")
    uris: list[str] = []
    for i in range(20):
        pad = "x" * (1000 if i % 5 == 0 else 10)
        body = f"<html><body><article><p>Page {i} says hello {pad}.</p></article></body></html>"
        store.write_bytes(f"in/p{i:02d}.html", body.encode())
        uris.append(f"s3://{bucket}/in/p{i:02d}.html")
    store.write_bytes("in/bad.txt.gz", b"\x1f\x8b\x08\x00 not really gzip")
    # Compressed inputs from S3 arrive in a read-write spool: gzip must still read them.
    lines = b'{"url": "https://a.example/j", "text": "A compressed JSON line of text."}\n'
    store.write_bytes("in/lines.jsonl.gz", gzip.compress(lines))
    uris.append(f"s3://{bucket}/in/lines.jsonl.gz")
    uris.insert(7, f"s3://{bucket}/in/bad.txt.gz")
    uris.insert(3, f"s3://{bucket}/in/vanished.html")
    local = tmp_path / "local.txt"
    local.write_text("A local page\nwith two lines of text.", encoding="utf-8")
    uris.insert(11, str(local))

    stats: Counter[str] = Counter()
    ahead = list(read_inputs(uris, stats))
    one_by_one = [item for uri in uris for item in read_input(uri)]
    assert _read(ahead) == _read(one_by_one)
    assert stats["inputs"] == len(uris)
    reasons = [item.reason for item in ahead if isinstance(item, Reject)]
    assert reasons == ["unreadable", "bad_compression"]
    assert sum(isinstance(item, Page) for item in ahead) == 22
    assert ahead[-1].url == "https://a.example/j"


def test_stopping_early_drops_what_was_fetched_ahead(bucket: str) -> None:
    store = store_for(f"s3://{bucket}")
    for i in range(30):
        store.write_bytes(f"in/p{i:02d}.txt", f"Page {i}\nSome text.".encode())
    pages = read_inputs([f"s3://{bucket}/in/p{i:02d}.txt" for i in range(30)], Counter())
    first = [next(pages), next(pages)]
    pages.close()  # the generator's cleanup must neither hang nor raise
    assert [p.source for p in first] == [f"s3://{bucket}/in/p0{i}.txt" for i in (0, 1)]
