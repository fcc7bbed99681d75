"""Temporary files a run owns, and the ones a killed run left behind.

Every temporary directory of a run lives in one directory of its process,
`<tmp>/contentpipe-<pid>-<random>`, removed when the process exits. A process killed with
kill -9 cannot remove it: the next run on this machine does (`sweep`), for every such directory
whose process is gone. The worker pool's fork server keeps its socket in a `pymp-*` directory
of `multiprocessing`; it is made inside the process's own directory (`adopt_multiprocessing`),
so that it is swept with it instead of piling up in /tmp (unless that would make the socket's
path too long for a Unix socket: then multiprocessing keeps its own place).
"""

from __future__ import annotations

import logging
import multiprocessing.util
import os
import re
import shutil
import tempfile
import threading
from pathlib import Path

__all__ = ["adopt_multiprocessing", "alive", "process_dir", "sweep"]

log = logging.getLogger(__name__)
_PREFIX = "contentpipe-"
_OWNED = re.compile(rf"^{_PREFIX}(\d+)-")
_lock = threading.Lock()
_dir: Path | None = None


def process_dir() -> Path:
    """This process's temporary directory (created on first use, removed at exit)."""
    global _dir
    with _lock:
        if _dir is None or not _dir.is_dir():
            _dir = Path(tempfile.mkdtemp(prefix=f"{_PREFIX}{os.getpid()}-"))
            # Removed at exit after multiprocessing has removed its own directory inside it
            # (its finalizer has priority -100; lower runs later).
            multiprocessing.util.Finalize(
                None, shutil.rmtree, args=(str(_dir),), kwargs={"ignore_errors": True},
                exitpriority=-200,
            )  # fmt: skip
        return _dir


def adopt_multiprocessing() -> None:
    """Have `multiprocessing` put its `pymp-*` directory inside `process_dir()`: called before
    the first pool starts (later calls change nothing: the directory is chosen once)."""
    directory = str(process_dir())
    # The fork server's socket goes in there: a Unix socket's path has at most 107 bytes.
    if len(directory) + len("/pymp-12345678/listener-12345678") > 100:
        return
    with _lock:
        saved = tempfile.tempdir
        tempfile.tempdir = directory
        try:
            multiprocessing.util.get_temp_dir()
        finally:
            tempfile.tempdir = saved


def alive(pid: int) -> bool:
    """Whether process `pid` runs: it exists (another user's counts) and is not a zombie,
    killed but not yet reaped by its parent."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            return fh.read().rpartition(")")[2].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def sweep(root: str | None = None) -> list[str]:
    """Remove the temporary directories of contentpipe processes that no longer run (on this
    machine); returns what was removed. Directories of live processes are left alone."""
    base = Path(root or tempfile.gettempdir())
    removed: list[str] = []
    try:
        entries = list(base.iterdir())
    except OSError:
        return removed
    for entry in entries:
        match = _OWNED.match(entry.name)
        if match is None or int(match.group(1)) == os.getpid() or alive(int(match.group(1))):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(str(entry))
    if removed:
        log.info("removed %d temporary directories left by killed runs", len(removed))
    return removed
