"""contentpipe under an unlucky operator and a hostile input: runs killed with kill -9, S3 that
fails requests (tests/faults.py), inputs that lie about their encoding or size, URLs that point
inside the network or carry credentials, and inputs that are broken in every other way. Each
must end in a clean reject, a clear error or a run that converges — never a stall, a crash of
the whole run, a lost page or a secret written down."""

from __future__ import annotations

import itertools
import json
import logging
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pipelines.config import ProcessOptions
from pipelines.lock import LOCK_KEY, OutputLock
from pipelines.run import ingest
from pipelines.storage import store_for
from tests.conftest import DEMO_SITE, ROOT
from tests.faults import fault_proxy
from tests.helpers import articles, rows

CLI = [sys.executable, "-m", "flows.cli"]
_articles = articles


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


# -- locks -----------------------------------------------------------------------------------


def test_a_run_after_a_kill_9_proceeds_at_once_and_says_why(tmp_path: Path) -> None:
    src = _articles(tmp_path / "src", 400)
    out = tmp_path / "out"
    cmd = [*CLI, "ingest", str(src), "--out", str(out), "--no-prefect", "--workers", "1"]
    victim = subprocess.Popen(cmd, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not (out / LOCK_KEY).exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert (out / LOCK_KEY).exists(), "the run never took the lock"
    time.sleep(0.5)
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    left = json.loads((out / LOCK_KEY).read_text())
    assert left["pid"] == victim.pid and left["ttl_s"] == 60

    # The operator can see and clear it...
    shown = subprocess.run(
        [*CLI, "unlock", str(out)], env=_env(), capture_output=True, text=True, timeout=60
    )
    assert shown.returncode == 0, shown.stderr
    assert f"pid {victim.pid}" in shown.stderr and not (out / LOCK_KEY).exists()
    # ...and a run does not need them to: put the dead run's lock back, and a new run takes it
    # over at once (the holder's process is gone), saying so, without waiting for its lease.
    (out / LOCK_KEY).write_text(json.dumps(left))
    start = time.monotonic()
    done = subprocess.run(cmd, env=_env(), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "took over the output lock" in done.stderr and "its process is gone" in done.stderr
    assert time.monotonic() - start < 60
    records = rows(str(out), "records")
    assert len(records) == 400 and len({r["id"] for r in records}) == 400
    assert not (out / LOCK_KEY).exists()


def test_a_lease_held_elsewhere_is_waited_for_with_its_holder_named_then_taken_over(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    out = tmp_path / "out"
    now = datetime.now(UTC)
    # A holder on another machine: only its lease can tell that it died.
    (out / "locks").mkdir(parents=True)
    (out / LOCK_KEY).write_text(
        json.dumps(
            {
                "holder": "run-elsewhere",
                "token": "t",
                "host": "worker-7",
                "pid": 4242,
                "machine": "another-kernel",
                "acquired_at": now.isoformat(),
                "expires_at": (now + timedelta(seconds=3)).isoformat(),
            }
        )
    )
    start = time.monotonic()
    with caplog.at_level(logging.INFO, logger="pipelines.lock"):
        ingest([str(DEMO_SITE)], str(out), ProcessOptions(workers=1, lock_wait_seconds=60))
    waited = time.monotonic() - start
    assert 2 <= waited < 60
    text = caplog.text
    assert (
        "waiting for the output lock" in text
        and "run run-elsewhere (host worker-7, pid 4242)" in text
    )
    assert "lease expires at" in text and "its lease expired" in text
    assert len(rows(str(out), "records")) == 9


def test_unlock_refuses_a_live_holder(out: str) -> None:
    store = store_for(out)
    live = OutputLock(store, "run-live")
    with live.held(wait_seconds=5):
        done = subprocess.run(
            [*CLI, "unlock", out], env=_env(), capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 1
        assert "refused" in done.stderr and "run run-live" in done.stderr
        assert json.loads(store.read_bytes(LOCK_KEY))["holder"] == "run-live"
    assert not store.exists(LOCK_KEY)
    done = subprocess.run(
        [*CLI, "unlock", out], env=_env(), capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0 and "is not locked" in done.stderr


def test_the_heartbeat_keeps_a_long_run_s_short_lease(tmp_path: Path) -> None:
    store = store_for(str(tmp_path / "out"))
    lock = OutputLock(store, "run-long", ttl_seconds=0.6)
    with lock.held(wait_seconds=1):
        first = json.loads(store.read_bytes(LOCK_KEY))
        time.sleep(1.5)  # longer than the lease: only the heartbeat keeps it
        assert not OutputLock(store, "run-other").try_acquire()
        later = json.loads(store.read_bytes(LOCK_KEY))
        assert later["generation"] > first["generation"]
        lock.renew()


# -- S3 faults ------------------------------------------------------------------------------


def test_lock_renewals_survive_writes_that_s3_applied_but_answered_with_an_error(
    aws_env: str, bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every request to the lock succeeds on S3 and half of them still answer 500: a retried
    # conditional write then fails its precondition against its own first attempt.
    with fault_proxy(aws_env, 0.5, seed=3, modes=("applied",), only="locks/") as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
        store = store_for(f"s3://{bucket}/corpus")
        lock = OutputLock(store, "run-a")
        with lock.held(wait_seconds=30):
            for _ in range(8):
                lock.renew()
        assert proxy.faults["applied"] >= 5
        assert not store.exists(LOCK_KEY)


@pytest.mark.parametrize("rate", [0.2])
def test_runs_complete_with_a_share_of_s3_requests_failing(
    aws_env: str, bucket: str, monkeypatch: pytest.MonkeyPatch, rate: float
) -> None:
    out = f"s3://{bucket}/corpus"
    with fault_proxy(aws_env, rate, seed=11) as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
        opts = ProcessOptions(workers=1)
        first = ingest([str(DEMO_SITE)], out, opts)
        second = ingest([str(DEMO_SITE)], out, opts)
        assert sum(proxy.faults.values()) >= 10
    monkeypatch.setenv("AWS_ENDPOINT_URL", aws_env)
    records = rows(out, "records")
    assert first.counts["records"] == 9 and second.counts.get("records", 0) == 0
    assert len(records) == 9 and len({r["id"] for r in records}) == 9
    assert not store_for(out).exists(LOCK_KEY)


# -- encodings ------------------------------------------------------------------------------

_RU = "Москва - столица России, крупнейший по численности населения город страны. " * 12
_JA = "東京は日本の首都であり、世界有数の大都市です。多くの人々が暮らし、働いています。" * 12
_ZH = "北京是中华人民共和国的首都，也是全国的政治和文化中心，有着悠久的历史。" * 12


def _page(text: str, head: str = "") -> str:
    return (
        f"<html><head>{head}<title>Story</title></head><body><article><h1>Story</h1>"
        + "".join(f"<p>{text}</p>" for _ in range(3))
        + "</article></body></html>"
    )


def _warc_with(path: Path, pages: list[tuple[str, bytes, str]]) -> Path:
    """A WARC of HTML responses `(url, body, Content-Type)`."""
    import io

    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=path.name.endswith(".gz"))
        for url, body, ctype in pages:
            headers = StatusAndHeaders("200 OK", [("Content-Type", ctype)], protocol="HTTP/1.1")
            record = writer.create_warc_record(
                url, "response", payload=io.BytesIO(body), http_headers=headers
            )
            writer.write_record(record)
            record.raw_stream.close()  # warcio buffers payloads in a temp file it never closes
    return path


def _texts(out: Path) -> dict[str, str]:
    return {r["url"]: r["text"] for r in rows(str(out), "records")}


def test_a_charset_given_only_in_the_http_header_is_used(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    _warc_with(
        src / "crawl.warc.gz",
        [
            (
                "https://ru.example/a",
                _page(_RU).encode("windows-1251"),
                "text/html; charset=windows-1251",
            ),
            ("https://ja.example/a", _page(_JA).encode("shift_jis"), "text/html;charset=Shift_JIS"),
            ("https://zh.example/a", _page(_ZH).encode("gbk"), 'text/html; charset="GBK"'),
        ],
    )
    report = ingest([str(src)], str(tmp_path / "out"), ProcessOptions(workers=1))
    texts = _texts(tmp_path / "out")
    assert report.counts["records"] == 3, report.counts
    assert "столица России" in texts["https://ru.example/a"]
    assert "世界有数の大都市" in texts["https://ja.example/a"]
    assert "政治和文化中心" in texts["https://zh.example/a"]


def test_undeclared_legacy_encodings_and_utf16_are_decoded(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "ru.html").write_bytes(_page(_RU).encode("windows-1251"))  # no charset anywhere
    (src / "ja.html").write_bytes(_page(_JA).encode("euc_jp"))
    kazan = "Казань - город в России, столица Татарстана, порт на левом берегу Волги. " * 12
    (src / "bom16.html").write_bytes(_page(kazan).encode("utf-16"))
    (src / "le16.html").write_bytes(_page(_ZH).encode("utf-16-le"))  # no BOM
    (src / "noise.html").write_bytes(
        bytes(random.Random(1).randrange(128, 256) for _ in range(3000))
    )
    out = tmp_path / "out"
    ingest([str(src)], str(out), ProcessOptions(workers=1))
    by_file = {Path(r["source"]).name: r["text"] for r in rows(str(out), "records")}
    assert "столица России" in by_file["ru.html"]
    assert "世界有数の大都市" in by_file["ja.html"]
    assert "столица Татарстана" in by_file["bom16.html"]
    assert "政治和文化中心" in by_file["le16.html"]
    rejects = {Path(r["source"]).name: r for r in rows(str(out), "rejects")}
    assert rejects["noise.html"]["reason"] == "bad_encoding"
    assert (
        "tried utf-8" in rejects["noise.html"]["detail"]
        and "detection" in rejects["noise.html"]["detail"]
    )


# -- bounded reading ------------------------------------------------------------------------


def _peak_mb_reading(path: Path) -> tuple[float, list[str]]:
    """Peak RSS (MB) of a fresh process that reads `path` as a run does, and its reject reasons."""
    code = (
        "import json, re, sys\n"
        "from pipelines.readers import read_input\n"
        "reasons = [getattr(r, 'reason', 'page') for r in read_input(sys.argv[1])]\n"
        # VmHWM: this process's own peak (ru_maxrss carries the forking parent's over exec).
        "hwm = re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1)\n"
        "print(json.dumps([int(hwm) / 1024, reasons]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(path)],
        env=_env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    peak, reasons = json.loads(done.stdout)
    return float(peak), list(reasons)


def _gzip_stream(path: Path, parts: list[bytes | tuple[bytes, int]]) -> Path:
    """A gzip file of `parts`: bytes as they are, `(chunk, n)` as `chunk` n times."""
    import gzip

    with gzip.open(path, "wb", compresslevel=6) as gz:
        for part in parts:
            if isinstance(part, tuple):
                for _ in range(part[1]):
                    gz.write(part[0])
            else:
                gz.write(part)
    return path


def test_decompression_bombs_cost_the_page_limit_not_their_size(tmp_path: Path) -> None:
    mb = b"a" * (1 << 20)
    html = _gzip_stream(tmp_path / "bomb.html.gz", [b"<html><body><p>", (mb, 400)])
    jsonl = _gzip_stream(
        tmp_path / "bomb.jsonl.gz",
        [b'{"url": "https://x.example/big", "text": "', (mb, 400), b'"}\n',
         json.dumps({"url": "https://x.example/ok", "text": "fine " * 80}).encode() + b"\n"],
    )  # fmt: skip
    assert html.stat().st_size < 2_000_000
    peak, reasons = _peak_mb_reading(html)
    assert reasons == ["too_large"] and peak < 250, peak
    peak, reasons = _peak_mb_reading(jsonl)
    assert reasons == ["too_large", "page"] and peak < 250, peak
    warc = _warc_with(
        tmp_path / "bomb.warc.gz", [("https://x.example/w", b"<html>" + mb * 100, "text/html")]
    )
    peak, reasons = _peak_mb_reading(warc)
    assert reasons == ["too_large"] and peak < 250, peak


# -- SSRF -----------------------------------------------------------------------------------

# The first and last address of every range of the IANA special-purpose registries that is
# not globally reachable, and the IPv6 forms that embed a private IPv4 address.
_NOT_PUBLIC = [
    "0.0.0.0", "0.255.255.255", "10.0.0.0", "10.255.255.255", "100.64.0.0", "100.127.255.255",
    "127.0.0.1", "127.255.255.255", "169.254.0.0", "169.254.255.255", "172.16.0.0",
    "172.31.255.255", "192.0.0.0", "192.0.0.255", "192.0.2.0", "192.0.2.255", "192.88.99.1",
    "192.168.0.0", "192.168.255.255", "198.18.0.0", "198.19.255.255", "198.51.100.0",
    "198.51.100.255", "203.0.113.0", "203.0.113.255", "224.0.0.1", "239.255.255.255",
    "240.0.0.0", "255.255.255.255", "100.100.100.200", "169.254.169.254",
    "[::]", "[::1]", "[::ffff:10.0.0.1]", "[::ffff:127.0.0.1]", "[::10.0.0.1]",
    "[64:ff9b::a00:1]", "[64:ff9b::7f00:1]", "[64:ff9b:1::808:808]", "[100::1]",
    "[2001::1]", "[2001:0:4136:e378:8000:63bf:f5ff:fffe]", "[2001:2::1]", "[2001:db8::1]",
    "[2001:10::1]", "[2002:a00:1::]", "[2002:7f00:1::]", "[2002:a9fe:a9fe::]",
    "[fc00::1]", "[fdff:ffff::1]", "[fe80::1]", "[febf::1]", "[ff02::1]", "[fd00:ec2::254]",
]  # fmt: skip
_PUBLIC = [
    "8.8.8.8",
    "93.184.215.14",
    "[2606:4700::1111]",
    "[2002:808:808::1]",
    "[64:ff9b::808:808]",
]


@pytest.mark.parametrize("host", _NOT_PUBLIC)
def test_every_non_public_range_is_refused(host: str) -> None:
    from spiders.middlewares import blocked_reason

    assert blocked_reason(f"http://{host}/latest/") is not None


@pytest.mark.parametrize("host", _PUBLIC)
def test_public_addresses_pass(host: str) -> None:
    from spiders.middlewares import blocked_reason

    assert blocked_reason(f"http://{host}/") is None


def test_a_redirect_to_a_metadata_address_is_refused_on_its_hop(tmp_path: Path) -> None:
    """A real crawl of a local site (private addresses allowed, as for any local test site)
    whose pages redirect to cloud metadata addresses: the hops are refused before any
    connection, and the rest of the site is crawled."""
    from deploy.demo.server import DemoSite, Route
    from tests.test_crawl import run_crawl, source

    site = DemoSite(pages=None)
    site.start()
    try:
        targets = ["http://100.100.100.200/latest/meta-data/", "http://169.254.169.254/",
                   "http://[fd00:ec2::254]/", "http://[::ffff:169.254.169.254]/"]  # fmt: skip
        links = ""
        for n, target in enumerate(targets):
            site.add(f"/r{n}", Route(status=302, headers={"Location": target}))
            links += f'<a href="/r{n}">r{n}</a>'
        site.add("/ok.html", Route(body=_page("fine words " * 60).encode()))
        site.add(
            "/", Route(body=f'<html><body>{links}<a href="/ok.html">ok</a></body></html>'.encode())
        )
        # The targets' hosts are allowed domains, so that only the guard stands in the way
        # (as for a site whose own name resolves to such an address).
        hosts = [
            "127.0.0.1",
            "100.100.100.200",
            "169.254.169.254",
            "fd00:ec2::254",
            "::ffff:169.254.169.254",
        ]
        crawl = source("urls", [f"{site.base}/"], max_depth=1, allowed_domains=hosts)
        stats, urls = run_crawl(crawl, tmp_path)
    finally:
        site.stop()
    assert stats["contentpipe/blocked/ssrf"] == len(targets)
    assert all(site.hits(f"/r{n}") == 1 for n in range(len(targets)))
    assert f"{site.base}/ok.html" in urls


# -- politeness -----------------------------------------------------------------------------


def test_crawl_delay_is_a_floor_between_requests(tmp_path: Path) -> None:
    from deploy.demo.server import DemoSite, Route
    from pipelines.sources import Politeness
    from tests.test_crawl import run_crawl, source

    site = DemoSite(pages=None)
    site.start()
    try:
        site.add(
            "/robots.txt", Route(body=b"User-agent: *\nCrawl-delay: 1\n", content_type="text/plain")
        )
        links = "".join(f'<a href="/p{n}.html">p</a>' for n in range(5))
        site.add("/", Route(body=f"<html><body>{links}</body></html>".encode()))
        for n in range(5):
            site.add(f"/p{n}.html", Route(body=_page(f"page{n} " * 80).encode()))
        # Scrapy's own politeness at its fastest, AutoThrottle on: only Crawl-delay holds it.
        fast = Politeness(delay_seconds=0, autothrottle=True, concurrency=8, timeout_seconds=10)
        run_crawl(source("urls", [f"{site.base}/"], max_depth=1, politeness=fast), tmp_path)
    finally:
        site.stop()
    times = [t for t, path in site.log if path != "/robots.txt"]
    assert len(times) == 6
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert min(gaps) >= 0.95, gaps


# -- secrets --------------------------------------------------------------------------------


def _every_byte_under(folder: Path) -> bytes:
    """All bytes of the files under `folder`, gzip members and Parquet tables unpacked."""
    import gzip

    import pyarrow.parquet as pq

    chunks = []
    for path in folder.rglob("*"):
        if not path.is_file():
            continue
        data = path.read_bytes()
        if path.suffix == ".gz":
            data = gzip.decompress(data)
        elif path.suffix == ".parquet":
            data = json.dumps(pq.read_table(path).to_pylist(), default=str).encode()
        chunks.append(data)
    return b"\n".join(chunks)


@pytest.mark.parametrize("given", ["literal", "environment"])
def test_credentials_in_a_crawl_url_are_used_and_never_written_down(
    tmp_path: Path, given: str
) -> None:
    import base64

    from deploy.demo.server import DemoSite, Route

    user, password = "ann", "Pw-0f-the-crawl"
    auth = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
    site = DemoSite(pages=None)
    site.start()
    try:
        links = "".join(f'<a href="/p{n}.html">p</a>' for n in range(3))
        site.add("/", Route(body=f"<html><body>{links}</body></html>".encode(), auth=auth))
        for n in range(3):
            site.add(f"/p{n}.html", Route(body=_page(f"story{n} " * 80).encode(), auth=auth))
        host = site.base.removeprefix("http://")
        env = {**_env(), "PREFECT_HOME": str(tmp_path / "prefect-home"), "COLUMNS": "200"}
        if given == "literal":
            url = f"http://{user}:{password}@{host}/"
        else:  # named only: the flow run's parameters hold no secret at all
            url = f"http://${{SITE_USER}}:${{SITE_PASS}}@{host}/"
            env |= {"SITE_USER": user, "SITE_PASS": password}
        out = tmp_path / "out"
        cmd = [
            *CLI,
            "crawl",
            "--url",
            url,
            "--allow-private",
            "--max-depth",
            "1",
            "--out",
            str(out),
        ]
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    finally:
        site.stop()
    assert done.returncode == 0, done.stderr[-3000:]
    hits = [site.routes[f"/p{n}.html"].hits for n in range(3)]
    assert hits == [1, 1, 1], (site.log, done.stderr[-3000:])  # fetched with the login
    assert len(rows(str(out), "records")) == 3
    secret = password.encode()
    assert secret not in done.stdout.encode() + done.stderr.encode()
    assert secret not in _every_byte_under(out)
    # Prefect's database (the flow run's parameters, task runs, logs, artifacts).
    database = _every_byte_under(tmp_path / "prefect-home")
    assert host.encode() in database  # the run's data is there...
    assert secret not in database  # ...its secret is not
    manifest = json.loads(next((out / "runs").glob("*.json")).read_text())
    assert f"http://{host}/" in json.dumps(manifest)


def test_credentials_in_an_endpoint_url_stay_out_of_errors(tmp_path: Path) -> None:
    env = {**_env(), "AWS_ENDPOINT_URL": "http://key:Sekr3t-key@127.0.0.1:9/", "AWS_ACCESS_KEY_ID": "k",
           "AWS_SECRET_ACCESS_KEY": "s", "AWS_DEFAULT_REGION": "us-east-1"}  # fmt: skip
    cmd = [*CLI, "ingest", str(DEMO_SITE), "--out", "s3://bucket/x", "--no-prefect"]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode != 0
    assert "Sekr3t" not in done.stdout + done.stderr and "127.0.0.1:9" in done.stderr


def test_credentials_in_page_urls_are_stripped_from_records_and_rejects(tmp_path: Path) -> None:
    src = tmp_path / "pages.jsonl"
    src.write_text(
        json.dumps({"url": "https://bob:Leak3d@news.example/a", "text": "story " * 80}) + "\n"
        + json.dumps({"url": "https://bob:Leak3d@news.example/b", "html": 5}) + "\n"
    )  # fmt: skip
    out = tmp_path / "out"
    ingest([str(src)], str(out), ProcessOptions(workers=1))
    assert [r["url"] for r in rows(str(out), "records")] == ["https://news.example/a"]
    assert [r["reason"] for r in rows(str(out), "rejects")] == ["bad_field"]
    assert b"Leak3d" not in _every_byte_under(out)


# -- every input accounted for ----------------------------------------------------------------


def test_broken_inputs_are_rejects_with_reasons_never_a_crash_or_a_silent_skip(
    tmp_path: Path,
) -> None:
    import io

    src = _articles(tmp_path / "src", 2)
    (src / "loop-a.html").symlink_to(src / "loop-b.html")
    (src / "loop-b.html").symlink_to(src / "loop-a.html")
    (src / "dangling.html").symlink_to(tmp_path / "gone.html")
    (src / "sub").mkdir()
    (src / "sub" / "up").symlink_to(src)  # a directory loop, reached through **
    (src / "garbage.warc").write_bytes(b"this is not a warc file at all\n" * 100)
    whole = _warc_with(
        tmp_path / "whole.warc",
        [
            (f"https://w.example/{n}", _page(f"warc{n} " * 80).encode(), "text/html")
            for n in range(2)
        ],
    ).read_bytes()
    (src / "cut.warc").write_bytes(whole[:-500])  # the second record is cut short
    (src / "types.jsonl").write_text(
        "\n".join(
            json.dumps(obj)
            for obj in (
                {"url": 12345, "text": "story " * 60},
                {"url": "https://j.example/a", "html": ["<p>", "x"]},
                {"url": "https://j.example/b", "text": "fine story " * 40, "title": {"a": 1}},
            )
        )
    )
    del io
    out = tmp_path / "out"
    report = ingest([str(src / "**" / "*")], str(out), ProcessOptions(workers=1))
    rejects = rows(str(out), "rejects")
    by_name: dict[str, list[str]] = {}
    for r in rejects:
        by_name.setdefault(Path(r["source"]).name, []).append(r["reason"])
    assert sorted(by_name["loop-a.html"] + by_name["loop-b.html"]) == ["symlink_loop"] * 2
    assert by_name["dangling.html"] == ["dangling_link"]
    assert by_name["garbage.warc"] == ["bad_warc"]
    assert by_name["cut.warc"] == ["truncated"]
    assert by_name["types.jsonl"] == ["bad_field"] * 3
    texts = {Path(r["source"]).name for r in rows(str(out), "records")}
    assert texts == {"a0000.html", "a0001.html", "cut.warc"}  # cut.warc's first record is whole
    assert (
        report.counts["rejected.symlink_loop"] == 2 and report.counts["rejected.dangling_link"] == 1
    )


def test_a_crawl_whose_sources_are_all_bad_fails_with_the_reason(tmp_path: Path) -> None:
    env = {**_env(), "PREFECT_HOME": str(tmp_path / "prefect-home")}
    # A host name no URL can have: refused before Prefect starts.
    bad = subprocess.run([*CLI, "crawl", "--url", "http://exa mple.com/", "--out", str(tmp_path / "o")],
                         env=env, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert bad.returncode == 2 and "invalid host name" in bad.stderr
    assert "Traceback" not in bad.stderr
    # A well-formed URL where nothing answers (a closed port): the crawl fetched nothing.
    dead = subprocess.run(
        [*CLI, "crawl", "--url", "http://127.0.0.1:9/", "--allow-private", "--out", str(tmp_path / "o")],
        env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert dead.returncode != 0
    assert "nothing was fetched" in dead.stderr and "127.0.0.1:9" in dead.stderr
    assert not list((tmp_path / "o" / "runs").glob("*.json"))  # nothing committed
    assert not (tmp_path / "o" / LOCK_KEY).exists()


def test_temporary_directories_of_a_killed_run_are_removed_by_the_next(tmp_path: Path) -> None:
    # A short TMPDIR, as on most machines: a Unix socket's path must fit in 107 bytes.
    scratch = Path(tempfile.mkdtemp(prefix="cp-", dir="/tmp"))
    src = _articles(tmp_path / "src", 300)
    out = tmp_path / "out"
    env = {**_env(), "TMPDIR": str(scratch)}
    cmd = [*CLI, "ingest", str(src), "--out", str(out), "--no-prefect", "--workers", "2"]
    victim = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not list(scratch.glob("contentpipe-*/pymp-*")) and time.monotonic() < deadline:
        assert victim.poll() is None, "the run ended before it could be killed"
        time.sleep(0.05)
    time.sleep(0.3)
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    # Its workers notice that it is gone and exit (they are the fork server's children).
    deadline = time.monotonic() + 20
    while _workers_of(scratch) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _workers_of(scratch)
    left = sorted(p.name for p in scratch.iterdir())
    assert any(name.startswith(f"contentpipe-{victim.pid}-") for name in left), left
    assert not any(name.startswith("pymp-") for name in left), left  # inside its own dir
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert sorted(p.name for p in scratch.iterdir()) == []


def _workers_of(scratch: Path) -> list[int]:
    """Live processes of multiprocessing (fork server, workers, resource tracker) started with
    TMPDIR=`scratch`: the killed run's."""
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                cmdline = (proc / "cmdline").read_bytes()
                environ = (proc / "environ").read_bytes().split(b"\0")
                state = (proc / "stat").read_text().rpartition(")")[2].split()[0]
            except (OSError, IndexError):
                continue
            ours = f"TMPDIR={scratch}".encode() in environ
            if ours and b"multiprocessing" in cmdline and state != "Z":
                found.append(int(proc.name))
    return found


def test_a_failed_upload_is_a_storage_error_not_a_transfer_traceback(
    aws_env: str, tmp_path: Path
) -> None:
    from pipelines.storage import StorageError

    big = tmp_path / "big.bin"
    big.write_bytes(b"x" * 9_000_000)  # multipart: boto3's transfer manager
    with pytest.raises(StorageError, match=r"cannot write s3://no-such-bucket-x1/k.*bucket"):
        store_for("s3://no-such-bucket-x1").put_file("k", big)


# -- rough edges ------------------------------------------------------------------------------


def test_output_files_honour_the_umask_and_stats_prints_whole_numbers_into_a_pipe(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    cmd = [*CLI, "ingest", str(DEMO_SITE), "--out", str(out), "--no-prefect", "--workers", "1"]
    done = subprocess.run(
        cmd, env=_env(), capture_output=True, text=True, timeout=300, preexec_fn=lambda: os.umask(0o027)
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    modes = {oct(p.stat().st_mode & 0o777) for p in out.rglob("*.parquet")} | {
        oct(p.stat().st_mode & 0o777) for p in (out / "runs").glob("*.json")
    }
    assert modes == {oct(0o640)}, modes  # what the umask leaves of 0666, not mkstemp's 0600
    stats = subprocess.run(
        [*CLI, "stats", str(out)], env=_env(), capture_output=True, text=True, timeout=120
    )
    run_id = next((out / "runs").glob("*.json")).stem
    assert run_id in stats.stdout and "…" not in stats.stdout


def test_a_mistyped_input_is_one_line_before_prefect_starts(tmp_path: Path) -> None:
    env = {**_env(), "PREFECT_HOME": str(tmp_path / "prefect-home")}
    start = time.monotonic()
    done = subprocess.run(
        [*CLI, "ingest", str(tmp_path / "nonexist"), "--out", str(tmp_path / "out")],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0, done.stderr  # one line
    assert "nothing to ingest" in done.stderr and "nonexist" in done.stderr
    assert "Starting temporary server" not in done.stdout + done.stderr
    assert time.monotonic() - start < 15
