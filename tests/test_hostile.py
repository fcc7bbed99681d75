"""contentpipe under an unlucky operator and a hostile input: runs killed with kill -9, S3 that
fails requests (tests/faults.py), inputs that lie about their encoding or size, URLs that point
inside the network or carry credentials, and inputs that are broken in every other way. Each
must end in a clean reject, a clear error or a run that converges — never a stall, a crash of
the whole run, a lost page or a secret written down."""

from __future__ import annotations

import json
import logging
import os
import random
import signal
import subprocess
import sys
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
from tests.helpers import rows

CLI = [sys.executable, "-m", "flows.cli"]
_WORDS = [
    "river",
    "council",
    "budget",
    "school",
    "harbour",
    "museum",
    "season",
    "market",
    "bridge",
    "railway",
    "doctor",
    "garden",
    "festival",
    "library",
    "winter",
    "election",
    "theatre",
    "farmer",
    "village",
    "storm",
    "hospital",
    "studio",
    "journey",
    "factory",
    "orchestra",
    "island",
    "mountain",
    "engineer",
    "painter",
    "harvest",
    "forest",
    "canal",
    "airport",
]


def _articles(folder: Path, n: int, seed: int = 0) -> Path:
    """`n` distinct article pages of ~300 words each."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        paragraphs = "".join(
            "<p>" + " ".join(rng.choice(_WORDS) for _ in range(60)) + ".</p>" for _ in range(5)
        )
        (folder / f"a{i:04d}.html").write_text(
            f"<html><head><title>Story {i}</title></head><body><article><h1>Story {i}</h1>"
            f"{paragraphs}</article></body></html>",
            encoding="utf-8",
        )
    return folder


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
