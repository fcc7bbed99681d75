"""The output lock on both backends, and two concurrent runs on one output."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pipelines.config import ProcessOptions
from pipelines.lock import LOCK_KEY, LockTimeout, OutputLock
from pipelines.run import ingest
from pipelines.storage import store_for
from tests.conftest import DEMO_SITE
from tests.helpers import rows


def test_one_holder_at_a_time_then_release(out: str) -> None:
    store = store_for(out)
    a, b = OutputLock(store, "run-a"), OutputLock(store, "run-b")
    assert a.try_acquire() and not b.try_acquire()
    assert a.try_acquire()  # re-entrant for its own holder
    a.renew()
    with pytest.raises(LockTimeout, match="locked by run run-a"), b.held(0.3, poll_seconds=0.1):
        pass
    a.release()
    with b.held(wait_seconds=1):
        assert json.loads(store.read_bytes(LOCK_KEY))["holder"] == "run-b"
    assert not store.exists(LOCK_KEY)


def test_stale_lock_is_taken_over_by_exactly_one_waiter(out: str) -> None:
    store = store_for(out)
    past = datetime.now(UTC) - timedelta(hours=2)
    store.write_bytes(
        LOCK_KEY,
        json.dumps(
            {
                "holder": "dead-run",
                "acquired_at": past.isoformat(),
                "expires_at": (past + timedelta(minutes=15)).isoformat(),
            }
        ).encode(),
    )
    version = store.read_versioned(LOCK_KEY)
    assert version is not None
    # Two waiters that both saw the same stale version race to replace it: one wins.
    results = [
        store.write_conditional(LOCK_KEY, b'{"holder": "x"}', version[1]),
        store.write_conditional(LOCK_KEY, b'{"holder": "y"}', version[1]),
    ]
    assert results == [True, False]
    # Through the lock itself: an expired lock is recovered.
    store.write_bytes(
        LOCK_KEY,
        json.dumps(
            {
                "holder": "dead-run",
                "acquired_at": past.isoformat(),
                "expires_at": (past + timedelta(minutes=15)).isoformat(),
            }
        ).encode(),
    )
    assert OutputLock(store, "run-new").try_acquire()
    assert not OutputLock(store, "run-other").try_acquire()


def test_a_holder_that_lost_its_lock_stops(out: str) -> None:
    store = store_for(out)
    a = OutputLock(store, "run-a", ttl_seconds=0.01)
    assert a.try_acquire()
    time.sleep(0.05)  # a's lock expires unrenewed: a waiter takes it over
    assert OutputLock(store, "run-b").try_acquire()
    with pytest.raises(LockTimeout, match="lost the output lock"):
        a.renew()


def test_two_concurrent_runs_on_one_output_publish_no_duplicates(tmp_path: Path) -> None:
    out = str(tmp_path / "out")
    opts = ProcessOptions(workers=1, lock_wait_seconds=120)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            ingest([str(DEMO_SITE)], out, opts)
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not errors
    records = rows(out, "records")
    assert len(records) == 9 and len({r["id"] for r in records}) == 9
    assert len({r["run_id"] for r in records}) == 1  # the other run found only duplicates
