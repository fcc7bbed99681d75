"""One writer per output: a lock object at `<out>/locks/output.json`.

Two runs on one output (two deployments, a schedule overlapping a manual run) would each dedup
against an index that lacks the other's documents and publish duplicates. The lock serialises
them: it is taken with a conditional write (S3 `If-None-Match: *`, or an advisory file lock
locally), so exactly one racer wins. A lock whose holder died is recovered once it expires: the
holder renews it at each step, and a waiter replaces an expired lock with a conditional write
against the version it read (`If-Match`), so two waiters cannot both take it over.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from pipelines.storage import Store

__all__ = ["LOCK_KEY", "LockTimeout", "OutputLock"]

LOCK_KEY = "locks/output.json"


class LockTimeout(RuntimeError):
    """The output stayed locked by another run for longer than we were willing to wait."""


def _now() -> datetime:
    return datetime.now(UTC)


class OutputLock:
    """The lock of one output for one holder (a run id).

    >>> import tempfile, pathlib
    >>> from pipelines.storage import LocalStore
    >>> store = LocalStore(pathlib.Path(tempfile.mkdtemp()))
    >>> a, b = OutputLock(store, "run-a"), OutputLock(store, "run-b")
    >>> a.try_acquire(), b.try_acquire()
    (True, False)
    >>> a.release(); b.try_acquire()
    True
    """

    def __init__(self, store: Store, holder: str, ttl_seconds: float = 900) -> None:
        self.store = store
        self.holder = holder
        self.ttl = timedelta(seconds=ttl_seconds)
        self._version: str | None = None

    def _body(self) -> bytes:
        now = _now()
        return json.dumps(
            {
                "holder": self.holder,
                "acquired_at": now.isoformat(),
                "expires_at": (now + self.ttl).isoformat(),
            }
        ).encode("utf-8")

    def _remember(self) -> None:
        current = self.store.read_versioned(LOCK_KEY)
        self._version = current[1] if current else None

    def try_acquire(self) -> bool:
        """Take the lock if it is free, ours, or expired; never blocks."""
        current = self.store.read_versioned(LOCK_KEY)
        if current is None:
            won = self.store.write_conditional(LOCK_KEY, self._body(), None)
        else:
            data, version = current
            info = json.loads(data)
            expired = datetime.fromisoformat(info["expires_at"]) < _now()
            if info.get("holder") != self.holder and not expired:
                return False
            won = self.store.write_conditional(LOCK_KEY, self._body(), version)
        if won:
            self._remember()
        return won

    def holder_info(self) -> dict[str, str] | None:
        current = self.store.read_versioned(LOCK_KEY)
        return json.loads(current[0]) if current else None

    def renew(self) -> None:
        """Push the expiry forward; call between steps of a long run."""
        if self._version is None or not self.store.write_conditional(
            LOCK_KEY, self._body(), self._version
        ):
            raise LockTimeout(
                f"lost the output lock of {self.store.uri}: another run took it "
                "over (this run took longer than the lock's time to live)"
            )
        self._remember()

    def release(self) -> None:
        current = self.store.read_versioned(LOCK_KEY)
        if current and current[1] == self._version:
            self.store.delete([LOCK_KEY])
        self._version = None

    @contextmanager
    def held(self, wait_seconds: float = 3600, poll_seconds: float = 2.0) -> Iterator[OutputLock]:
        """Wait for the lock (up to `wait_seconds`), hold it for the block, release it."""
        self.store.check_writable()
        deadline = time.monotonic() + wait_seconds
        while not self.try_acquire():
            if time.monotonic() >= deadline:
                info = self.holder_info() or {}
                raise LockTimeout(
                    f"{self.store.uri} is locked by run {info.get('holder', '?')} since "
                    f"{info.get('acquired_at', '?')} (expires {info.get('expires_at', '?')}); "
                    f"waited {wait_seconds:g} s"
                )
            time.sleep(poll_seconds)
        try:
            yield self
        finally:
            self.release()
