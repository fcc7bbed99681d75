"""The storage contract on both backends (local directory, S3 over HTTP), and its errors."""

from __future__ import annotations

from pathlib import Path

import pytest

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
