"""One writer per output: a lease at `<out>/locks/output.json`, renewed by a heartbeat.

Two runs on one output (two deployments, a schedule overlapping a manual run) would each dedup
against an index that lacks the other's documents and publish duplicates. The lock serialises
them: it is taken with a conditional write (S3 `If-None-Match: *`, or an advisory file lock
locally), so exactly one racer wins.

The lock is a short lease (60 s by default), renewed by a heartbeat thread every third of it
while the run holds the lock. A run that dies (kill -9, a lost machine) stops renewing, so the
next run waits at most one lease and takes the lock over with a conditional write against the
version it read (`If-Match`), so two waiters cannot both take it. A holder on this machine
whose process is gone is known dead at once, without waiting for its lease. The lock names its
holder (run id, host, pid) so that a waiting run can say whom it waits for and until when.

S3 may apply a write and still answer with an error (a 500 after the commit, a reset): the
retried conditional write then fails its precondition against our own write. Every write
carries this holder's token and a generation number, so after an error or a refusal the lock
is read back, and a body that is ours at the generation we wrote counts as written.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from pipelines.storage import StorageError, Store

__all__ = [
    "LOCK_KEY",
    "LockHeld",
    "LockTimeout",
    "OutputLock",
    "confirm_holder",
    "describe_holder",
    "holder_dead",
    "unlock",
]

LOCK_KEY = "locks/output.json"
log = logging.getLogger(__name__)


class LockTimeout(RuntimeError):
    """The output stayed locked by another run for too long, or this run lost its lock."""


class LockHeld(RuntimeError):
    """`unlock` refused: the lock's holder is alive."""


def _now() -> datetime:
    return datetime.now(UTC)


def _read_proc(path: str) -> str:
    try:
        with open(path, encoding="ascii") as fh:
            return fh.read().strip()
    except OSError:
        return ""


def _start_ticks(pid: int) -> str:
    """When process `pid` started (clock ticks since boot), or "" if there is no such process;
    with the pid it names one process even after the pid is reused."""
    stat = _read_proc(f"/proc/{pid}/stat")
    # Field 22 counted after the command name, which is in parentheses and may hold spaces.
    fields = stat.rpartition(")")[2].split()
    return fields[19] if len(fields) > 19 else ""


def _machine() -> str:
    """This kernel and pid namespace: processes with the same value see each other's pids."""
    with contextlib.suppress(OSError):
        return f"{_read_proc('/proc/sys/kernel/random/boot_id')}/{os.readlink('/proc/self/ns/pid')}"
    return ""


def holder_dead(info: dict[str, Any]) -> bool:
    """True if the lock's holder provably no longer runs: same machine and pid namespace, and
    its process is gone (or is another process that reused the pid). False if it runs or if
    it cannot be told from here (another machine): then only its lease's expiry tells."""
    machine = info.get("machine")
    if not machine or machine != _machine() or not isinstance(info.get("pid"), int):
        return False
    return _start_ticks(info["pid"]) != info.get("started")


def _expired(info: dict[str, Any]) -> bool:
    try:
        return datetime.fromisoformat(str(info["expires_at"])) < _now()
    except (KeyError, ValueError):
        return True  # a lock we cannot read the expiry of is nobody's


def describe_holder(info: dict[str, Any]) -> str:
    """`run X (host h, pid p), lease expires at T (in N s)` for messages and logs."""
    where = ", ".join(f"{k} {info[k]}" for k in ("host", "pid") if info.get(k) not in (None, ""))
    text = f"run {info.get('holder', '?')}" + (f" ({where})" if where else "")
    try:
        expires = datetime.fromisoformat(str(info["expires_at"]))
    except (KeyError, ValueError):
        return f"{text}, no readable expiry"
    left = (expires - _now()).total_seconds()
    when = f"in {left:.0f} s" if left >= 0 else f"{-left:.0f} s ago"
    return f"{text}, lease expires at {expires.isoformat(timespec='seconds')} ({when})"


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

    def __init__(self, store: Store, holder: str, ttl_seconds: float = 60) -> None:
        self.store = store
        self.holder = holder
        self.ttl = timedelta(seconds=ttl_seconds)
        self.token = uuid.uuid4().hex
        self._generation = 0
        self._version: str | None = None
        self._acquired_at = ""
        self._guard = threading.Lock()  # the heartbeat and the run's own renew() take turns
        self._lost: str | None = None
        self._stop = threading.Event()
        self._beat: threading.Thread | None = None

    # -- the lock's body -------------------------------------------------------------------

    def _body(self, generation: int) -> bytes:
        now = _now()
        return json.dumps(
            {
                "holder": self.holder,
                "token": self.token,
                "generation": generation,
                "host": socket.gethostname(),
                "pid": os.getpid(),
                "started": _start_ticks(os.getpid()),
                "machine": _machine(),
                "acquired_at": self._acquired_at or now.isoformat(),
                "renewed_at": now.isoformat(),
                "expires_at": (now + self.ttl).isoformat(),
                "ttl_s": self.ttl.total_seconds(),
            }
        ).encode("utf-8")

    def _read(self) -> tuple[dict[str, Any], str] | None:
        current = self.store.read_versioned(LOCK_KEY)
        if current is None:
            return None
        try:
            info = json.loads(current[0])
        except ValueError:
            info = {}
        return (info if isinstance(info, dict) else {}), current[1]

    def _write(self, expect: str | None) -> bool:
        """One conditional write of the next generation; True if the lock now holds it."""
        generation = self._generation + 1
        body = self._body(generation)
        try:
            won = self.store.write_conditional(LOCK_KEY, body, expect)
        except StorageError:
            won = False
            error = True
        else:
            error = False
        if not won:
            # Refused or failed: S3 may have applied it anyway (see the module's docstring).
            current = self._read()
            mine = current is not None and (
                current[0].get("token") == self.token and current[0].get("generation") == generation
            )
            if not mine:
                if error:
                    raise StorageError(f"cannot write the lock of {self.store.uri}", True)
                return False
        current = self._read()
        if current is None or current[0].get("token") != self.token:
            return False
        self._generation = generation
        self._version = current[1]
        return True

    # -- taking, renewing, releasing -------------------------------------------------------

    def try_acquire(self) -> bool:
        """Take the lock if it is free, ours, expired or left by a dead process; never blocks."""
        with self._guard:
            current = self._read()
            if current is None:
                self._acquired_at = _now().isoformat()
                return self._write(None)
            info, version = current
            if info.get("token") != self.token:
                if not (_expired(info) or holder_dead(info)):
                    return False
                self._acquired_at = _now().isoformat()
            self._lost = None
            return self._write(version)

    def holder_info(self) -> dict[str, Any] | None:
        current = self._read()
        return current[0] if current else None

    def renew(self) -> None:
        """Push the lease forward, and fail if the lock was lost; call between a run's steps
        and right before it commits (the heartbeat renews it in between)."""
        with self._guard:
            if self._lost is None and (self._version is None or not self._write(self._version)):
                self._lost = "another run took it over"
            if self._lost is not None:
                raise LockTimeout(
                    f"lost the output lock of {self.store.uri}: {self._lost} "
                    f"(its lease is {self.ttl.total_seconds():g} s)"
                )

    def _heartbeat(self) -> None:
        every = self.ttl.total_seconds() / 3
        deadline = time.monotonic() + self.ttl.total_seconds()
        while not self._stop.wait(every):
            with self._guard:
                if self._lost is not None or self._version is None:
                    return
                try:
                    if not self._write(self._version):
                        self._lost = "another run took it over"
                        log.error("lost the output lock of %s: %s", self.store.uri, self._lost)
                        return
                    deadline = time.monotonic() + self.ttl.total_seconds()
                except StorageError as exc:
                    # Keep trying while the lease lasts; after it, another run may take over.
                    if time.monotonic() >= deadline:
                        self._lost = f"its lease ran out while storage failed ({exc})"
                        log.error("lost the output lock of %s: %s", self.store.uri, self._lost)
                        return
                    log.warning("could not renew the output lock (will retry): %s", exc)

    def release(self) -> None:
        """Stop the heartbeat and delete the lock if it is still ours. A release that storage
        refuses is logged, not raised: the lease then ends by itself within its time to live."""
        self._stop.set()
        if self._beat is not None:
            self._beat.join()
            self._beat = None
        with self._guard:
            try:
                current = self._read()
                if current and current[0].get("token") == self.token:
                    self.store.delete([LOCK_KEY])
            except StorageError as exc:
                log.warning(
                    "could not release the output lock (it expires within %g s): %s",
                    self.ttl.total_seconds(),
                    exc,
                )
            self._version = None

    @contextmanager
    def held(
        self,
        wait_seconds: float = 3600,
        poll_seconds: float = 2.0,
        say: Callable[[str], None] | None = None,
    ) -> Iterator[OutputLock]:
        """Wait for the lock (up to `wait_seconds`), hold it for the block with a heartbeat,
        release it. `say` receives what the wait is about (default: this module's logger)."""
        say = say or log.info
        self.store.check_writable()
        deadline = time.monotonic() + wait_seconds
        seen: tuple[Any, ...] | None = None
        while True:
            before = self.holder_info()
            if self.try_acquire():
                break
            info = self.holder_info() or before or {}
            if time.monotonic() >= deadline:
                raise LockTimeout(
                    f"{self.store.uri} is locked by {describe_holder(info)} since "
                    f"{info.get('acquired_at', '?')}; waited {wait_seconds:g} s"
                )
            if (info.get("token"), info.get("acquired_at")) != seen:
                seen = (info.get("token"), info.get("acquired_at"))
                say(f"waiting for the output lock of {self.store.uri}: {describe_holder(info)}")
            time.sleep(poll_seconds)
        if (
            before is not None
            and before.get("token") != self.token
            and (_expired(before) or holder_dead(before))
        ):
            why = "its process is gone" if holder_dead(before) else "its lease expired"
            who = describe_holder(before)
            say(f"took over the output lock of {self.store.uri} from {who}: {why}")
        self._stop.clear()
        self._beat = threading.Thread(target=self._heartbeat, name="lock-heartbeat", daemon=True)
        self._beat.start()
        try:
            yield self
        finally:
            self.release()


def unlock(store: Store) -> str:
    """Remove the lock of an output whose holder is dead or whose lease expired; `LockHeld` if
    its holder is alive (its heartbeat keeps its lease fresh). Returns what was done."""
    current = store.read_versioned(LOCK_KEY)
    if current is None:
        return f"{store.uri} is not locked"
    try:
        info = json.loads(current[0])
    except ValueError:
        info = {}
    info = info if isinstance(info, dict) else {}
    if not (_expired(info) or holder_dead(info)):
        raise LockHeld(
            f"{store.uri} is locked by {describe_holder(info)}; the holder renews its lease, "
            "so it is alive: stop that run, or wait for its lease to end if it is dead"
        )
    again = store.read_versioned(LOCK_KEY)
    if again is not None and again[1] == current[1]:
        store.delete([LOCK_KEY])
    return f"removed the lock of {store.uri} held by {describe_holder(info)}"


def confirm_holder(store: Store, run_id: str) -> None:
    """Raise `LockTimeout` unless run `run_id` holds the output's lock with a live lease:
    checked right before a run commits (its manifest), so that a run whose lock was taken
    over never publishes beside the run that took it."""
    current = store.read_versioned(LOCK_KEY)
    info = json.loads(current[0]) if current else {}
    if not isinstance(info, dict) or info.get("holder") != run_id or _expired(info):
        held = describe_holder(info) if info else "nobody"
        raise LockTimeout(
            f"run {run_id} no longer holds the output lock of {store.uri} (held by {held}); "
            "nothing of it was committed: rerun it with the same run id"
        )
