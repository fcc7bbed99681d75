"""Object storage: `s3://bucket/prefix` through boto3, or a local directory, with one interface.

The only module that imports boto3, and only once S3 is used. Endpoint, region and credentials
come from the standard AWS environment and config files (`AWS_ENDPOINT_URL`, `AWS_PROFILE`,
`~/.aws/config`, ...), so MinIO, R2 and Ceph work as they are. Writes are atomic on both
backends: a key either holds a whole object or does not exist.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import fnmatch
import functools
import glob
import hashlib
import os
import random
import re
import shutil
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Protocol, TypeVar

from pipelines.redact import redact

if TYPE_CHECKING:
    from botocore.exceptions import BotoCoreError, ClientError
    from mypy_boto3_s3.client import S3Client

__all__ = [
    "LocalStore",
    "S3Store",
    "StorageError",
    "Store",
    "expand_sources",
    "open_input",
    "open_inputs",
    "store_for",
]

_SPOOL_BYTES = 64 * 1024 * 1024
# S3 inputs up to this size are downloaded ahead of their turn (`open_inputs`); larger ones when
# their turn comes, so that fetching ahead never holds several large objects at once.
_AHEAD_BYTES = 4 * 1024 * 1024


T = TypeVar("T")


class StorageError(RuntimeError):
    """A storage problem a user can act on; the message names the location and the cause.

    `transient` is True when the cause was a fault that can pass (a 5xx, a reset, a timeout) and
    our retries ran out: a task may try the whole step again.
    """

    def __init__(self, message: str, transient: bool = False) -> None:
        super().__init__(redact(message))  # an endpoint URL may hold keys
        self.transient = transient


class Store(Protocol):
    """A place for the output: keys are `/`-separated paths relative to the store's root."""

    @property
    def uri(self) -> str: ...

    def url(self, key: str) -> str: ...
    def check_writable(self) -> None: ...
    def read_bytes(self, key: str) -> bytes: ...
    def write_bytes(self, key: str, data: bytes) -> None: ...
    def put_file(self, key: str, path: Path) -> None: ...
    def get_file(self, key: str, path: Path) -> None: ...
    def exists(self, key: str) -> bool: ...
    def list_keys(self, prefix: str) -> list[str]: ...
    def delete(self, keys: list[str]) -> None: ...
    def read_versioned(self, key: str) -> tuple[bytes, str] | None: ...
    def write_conditional(self, key: str, data: bytes, expect: str | None) -> bool: ...


def _umask() -> int:
    """The process's umask, read without changing it (`os.umask` sets it to read it, which
    would race with other threads creating files)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    return 0o022


# Files are written to a temporary name (mkstemp: mode 0600) and renamed into place; they get
# the mode an ordinary file would, so that other users and services can read the corpus.
_FILE_MODE = 0o666 & ~_umask()


@dataclass
class LocalStore:
    """A local directory; writes go to a temporary file first and are renamed into place."""

    root: Path

    @property
    def uri(self) -> str:
        return str(self.root)

    def url(self, key: str) -> str:
        return str(self.root / key)

    def check_writable(self) -> None:
        if self.root.exists() and not self.root.is_dir():
            raise StorageError(f"cannot write to {self.root}: it is a file, not a directory")
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=self.root, prefix=".probe-"):
                pass
        except OSError as exc:
            raise StorageError(f"cannot write to {self.root}: {exc.strerror or exc}") from exc

    def read_bytes(self, key: str) -> bytes:
        return (self.root / key).read_bytes()

    def write_bytes(self, key: str, data: bytes) -> None:
        target = self.root / key
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, _FILE_MODE)
        os.replace(tmp, target)

    def put_file(self, key: str, path: Path) -> None:
        target = self.root / key
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
        os.close(fd)
        shutil.copyfile(path, tmp)
        os.chmod(tmp, _FILE_MODE)
        os.replace(tmp, target)

    def get_file(self, key: str, path: Path) -> None:
        shutil.copyfile(self.root / key, path)

    def exists(self, key: str) -> bool:
        return (self.root / key).is_file()

    def list_keys(self, prefix: str) -> list[str]:
        base = self.root / prefix
        if not base.exists():
            return []
        found = [base] if base.is_file() else [p for p in base.rglob("*") if p.is_file()]
        keys = (p.relative_to(self.root).as_posix() for p in found)
        return sorted(k for k in keys if not Path(k).name.startswith("."))

    def delete(self, keys: list[str]) -> None:
        for key in keys:
            path = self.root / key
            path.unlink(missing_ok=True)
            # Folders are implicit on S3; here, prune the ones a delete leaves empty.
            for parent in path.parents:
                if parent == self.root or not parent.is_relative_to(self.root):
                    break
                try:
                    parent.rmdir()
                except OSError:
                    break

    def read_versioned(self, key: str) -> tuple[bytes, str] | None:
        """The object and a version tag for `write_conditional`, or None if it is absent."""
        try:
            data = (self.root / key).read_bytes()
        except FileNotFoundError:
            return None
        return data, hashlib.sha1(data).hexdigest()

    def write_conditional(self, key: str, data: bytes, expect: str | None) -> bool:
        """Write only if the key is absent (`expect` None) or still at version `expect`.

        Atomic between processes of this machine: an advisory lock on a side file serialises
        the check and the write.
        """
        target = self.root / key
        target.parent.mkdir(parents=True, exist_ok=True)
        with (target.parent / f".{target.name}.guard").open("a") as guard:
            fcntl.flock(guard, fcntl.LOCK_EX)
            current = self.read_versioned(key)
            if (current is None) != (expect is None) or (current and current[1] != expect):
                return False
            self.write_bytes(key, data)
            return True


def _s3_client() -> S3Client:
    # Clients are thread-safe and costly to build; one per distinct AWS environment.
    env = tuple(os.environ.get(name) for name in _AWS_ENV)
    return _cached_client(env)


_AWS_ENV = (
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_S3",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
)


# boto3 and botocore are imported where S3 is used (0.3 s): a run on local files never loads them.
def _boto_errors() -> tuple[type[ClientError], type[BotoCoreError], type[Exception]]:
    from boto3.exceptions import Boto3Error
    from botocore.exceptions import BotoCoreError, ClientError

    # Boto3Error: the transfer manager's S3UploadFailedError and RetriesExceededError, which
    # would otherwise escape as tracebacks.
    return ClientError, BotoCoreError, Boto3Error


# Faults that pass: botocore retries them (8 attempts) and so do we, above it, a few more times
# with a growing pause, so that a burst of errors (a gateway restarting, SlowDown for a few
# seconds) costs a run a pause and not its work. Everything else (access denied, no such
# bucket, an unreachable endpoint, which botocore has already retried) fails at once.
_TRANSIENT_CODES = frozenset(
    {
        "InternalError",
        "ServiceUnavailable",
        "SlowDown",
        "RequestTimeout",
        "Throttling",
        "ThrottlingException",
        "OperationAborted",
        "RequestTimeTooSkewed",
    }
)
RETRY_ATTEMPTS = int(os.environ.get("CONTENTPIPE_S3_ATTEMPTS", "5"))
RETRY_PAUSE_S = float(os.environ.get("CONTENTPIPE_S3_RETRY_PAUSE", "0.5"))


def _transient(exc: BaseException | None) -> bool:
    """Whether an S3 error is a fault that may pass if the same call is made again."""
    from botocore.exceptions import (
        ClientError,
        ConnectionClosedError,
        ConnectTimeoutError,
        EndpointConnectionError,
        IncompleteReadError,
        ReadTimeoutError,
        ResponseStreamingError,
    )

    if exc is None:
        return False
    if isinstance(exc, ClientError):
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        code = exc.response.get("Error", {}).get("Code", "")
        return status >= 500 or code in _TRANSIENT_CODES
    if isinstance(exc, EndpointConnectionError):
        return False
    if isinstance(
        exc,
        ConnectionClosedError
        | ConnectTimeoutError
        | ReadTimeoutError
        | ResponseStreamingError
        | IncompleteReadError,
    ):
        return True
    if isinstance(exc, ConnectionError | TimeoutError):
        return True
    last = getattr(exc, "last_exception", None)  # boto3's RetriesExceededError
    if last is not None:
        return _transient(last)
    # S3UploadFailedError is raised while handling the ClientError that caused it.
    return type(exc).__name__ == "S3UploadFailedError" and _transient(exc.__context__)


def _retrying(what: str, call: Callable[[], T]) -> T:
    """`call()`, made again on transient S3 faults; any S3 error left is a `StorageError`."""
    errors = (*_boto_errors(), ConnectionError, TimeoutError)
    for attempt in range(1, RETRY_ATTEMPTS + 1):
        try:
            return call()
        except errors as exc:
            transient = _transient(exc)
            if not transient or attempt == RETRY_ATTEMPTS:
                tries = f" (after {attempt} attempts)" if attempt > 1 else ""
                raise StorageError(f"{what}: {_describe(exc)}{tries}", transient) from exc
            time.sleep(RETRY_PAUSE_S * 2 ** (attempt - 1) * random.uniform(0.5, 1.5))
    raise AssertionError("unreachable")


def _client_error() -> type[ClientError]:
    return _boto_errors()[0]


@functools.lru_cache(maxsize=8)
def _cached_client(env: tuple[str | None, ...]) -> S3Client:
    import boto3
    from botocore.config import Config

    del env  # only the cache key: boto3 reads the environment itself
    config = Config(
        retries={"mode": "standard", "max_attempts": 8},
        # Non-AWS gateways (older MinIO, Ceph) reject botocore's default CRC checksums.
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
        connect_timeout=10,
        read_timeout=60,
        # Shards running side by side each fetch inputs 8 ahead (`open_inputs`) on this client.
        max_pool_connections=32,
    )
    return boto3.session.Session().client("s3", config=config)


def _describe(exc: Exception) -> str:
    from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError

    cause = exc.__context__  # the transfer manager's S3UploadFailedError wraps a ClientError
    if type(exc).__name__ == "S3UploadFailedError" and isinstance(cause, ClientError):
        exc = cause
    if isinstance(exc, NoCredentialsError):
        return "no AWS credentials found (set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or a profile)"
    if isinstance(exc, EndpointConnectionError):
        return f"endpoint unreachable ({exc.kwargs.get('endpoint_url', 'unknown endpoint')})"
    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        code = err.get("Code", "")
        if code in ("NoSuchBucket", "404"):
            return "bucket does not exist"
        if code in ("InvalidAccessKeyId", "SignatureDoesNotMatch", "403", "AccessDenied"):
            return f"access denied ({code}): check the credentials"
        return f"{code}: {err.get('Message', exc)}"
    return str(exc)


@dataclass
class S3Store:
    """`s3://bucket/prefix` on any S3-compatible endpoint."""

    bucket: str
    prefix: str = ""

    def __post_init__(self) -> None:
        self.prefix = self.prefix.strip("/")
        self._client = _s3_client()

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}".rstrip("/")

    def url(self, key: str) -> str:
        return f"s3://{self.bucket}/{self._key(key)}"

    def _key(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def check_writable(self) -> None:
        _retrying(
            f"cannot use s3://{self.bucket}", lambda: self._client.head_bucket(Bucket=self.bucket)
        )

    def read_bytes(self, key: str) -> bytes:
        # The body is read inside the retried call: a reset halfway through is retried too.
        return _retrying(
            f"cannot read {self.url(key)}",
            lambda: self._client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"].read(),
        )

    def write_bytes(self, key: str, data: bytes) -> None:
        _retrying(
            f"cannot write {self.url(key)}",
            lambda: self._client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data),
        )

    def put_file(self, key: str, path: Path) -> None:
        # upload_file switches to multipart for large files; S3 makes the object visible only
        # once the upload completes, so a reader never sees half a file.
        _retrying(
            f"cannot write {self.url(key)}",
            lambda: self._client.upload_file(str(path), self.bucket, self._key(key)),
        )

    def get_file(self, key: str, path: Path) -> None:
        _retrying(
            f"cannot read {self.url(key)}",
            lambda: self._client.download_file(self.bucket, self._key(key), str(path)),
        )

    def download_to(self, key: str, fh: IO[bytes]) -> None:
        """The object into a seekable file, rewound and written again on each attempt."""

        def call() -> None:
            fh.seek(0)
            fh.truncate()
            self._client.download_fileobj(self.bucket, self._key(key), fh)

        _retrying(f"cannot read {self.url(key)}", call)
        fh.seek(0)

    def exists(self, key: str) -> bool:
        def call() -> bool:
            try:
                self._client.head_object(Bucket=self.bucket, Key=self._key(key))
            except _client_error() as exc:
                if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                    return False
                raise
            return True

        return _retrying(f"cannot read {self.url(key)}", call)

    def list_keys(self, prefix: str) -> list[str]:
        strip = len(self.prefix) + 1 if self.prefix else 0

        def call() -> list[str]:
            keys: list[str] = []
            pages = self._client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=self._key(prefix)
            )
            for page in pages:
                keys.extend(obj["Key"][strip:] for obj in page.get("Contents", []))
            return keys

        return sorted(_retrying(f"cannot list {self.url(prefix)}", call))

    def delete(self, keys: list[str]) -> None:
        for start in range(0, len(keys), 1000):
            chunk = keys[start : start + 1000]
            objects: list[dict[str, str]] = [{"Key": self._key(k)} for k in chunk]

            def call(objects: list[dict[str, str]] = objects) -> None:
                response = self._client.delete_objects(
                    Bucket=self.bucket,
                    Delete={"Objects": objects, "Quiet": True},  # type: ignore[typeddict-item]
                )
                # A batch delete answers 200 and lists the keys it failed to delete.
                for failed in response.get("Errors", [])[:1]:
                    code = failed.get("Code", "")
                    status = 500 if code in _TRANSIENT_CODES else 400
                    error: Any = {"Error": failed, "ResponseMetadata": {"HTTPStatusCode": status}}
                    raise _client_error()(error, "DeleteObjects")

            _retrying(f"cannot delete from {self.uri}", call)

    def read_versioned(self, key: str) -> tuple[bytes, str] | None:
        """The object and its ETag, or None if it is absent."""

        def call() -> tuple[bytes, str] | None:
            try:
                obj = self._client.get_object(Bucket=self.bucket, Key=self._key(key))
            except _client_error() as exc:
                if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey"):
                    return None
                raise
            return obj["Body"].read(), obj["ETag"]

        return _retrying(f"cannot read {self.url(key)}", call)

    def write_conditional(self, key: str, data: bytes, expect: str | None) -> bool:
        """S3 conditional writes (If-None-Match: *, If-Match: etag): exactly one racer wins.

        A retried write whose first attempt S3 applied answers "precondition failed": the
        caller tells that case apart by reading the object back (see `lock.OutputLock`).
        """
        extra: dict[str, str] = {"IfNoneMatch": "*"} if expect is None else {"IfMatch": expect}

        def call() -> bool:
            try:
                self._client.put_object(
                    Bucket=self.bucket,
                    Key=self._key(key),
                    Body=data,
                    **extra,  # type: ignore[arg-type]
                )
            except _client_error() as exc:
                code = exc.response.get("Error", {}).get("Code")
                if code in ("PreconditionFailed", "412", "ConditionalRequestConflict", "NoSuchKey"):
                    return False
                raise
            return True

        return _retrying(f"cannot write {self.url(key)}", call)


def _split_s3(uri: str) -> tuple[str, str]:
    rest = uri[len("s3://") :]
    bucket, _, key = rest.partition("/")
    if not bucket:
        raise StorageError(f"malformed S3 URI {uri!r}: expected s3://bucket/prefix")
    return bucket, key


def store_for(uri: str) -> Store:
    """The store for an output location: `s3://bucket/prefix` or a local directory."""
    if uri.startswith("s3://"):
        return S3Store(*_split_s3(uri))
    if "://" in uri:
        raise StorageError(f"unsupported output location {uri!r}: use s3://bucket/prefix or a path")
    return LocalStore(Path(uri).expanduser().resolve())


Broken = list[tuple[str, str, str]]  # (path, reason, detail)


def expand_sources(patterns: list[str]) -> tuple[list[str], list[tuple[str, str, str]]]:
    """Expand files, directories, globs and `s3://` prefixes or globs into input URIs.

    Returns the sorted input URIs and what could not be read, each as `(path, reason, detail)`:
    patterns that matched nothing (`not_found`), links to nothing (`dangling_link`) and links
    that loop (`symlink_loop`). Symlinked directories are not entered (so a link loop cannot
    make a walk endless), as `Path.rglob` does; `**` is matched against that same walk.
    """
    found: list[str] = []
    bad: list[tuple[str, str, str]] = []
    for pattern in patterns:
        try:
            broken: Broken = []
            if pattern.startswith("s3://"):
                matches = _expand_s3(pattern)
            else:
                matches, broken = _expand_local(pattern)
                bad.extend(broken)
        except StorageError as exc:
            bad.append((pattern, "not_found", str(exc)))
            continue
        if matches:
            found.extend(matches)
        elif not broken:
            bad.append((pattern, "not_found", f"no input matches {pattern!r}"))
    # Two patterns may reach the same broken link: reported once.
    first = {where: n for n, (where, _, _) in reversed(list(enumerate(bad)))}
    return sorted(set(found)), [item for n, item in enumerate(bad) if first[item[0]] == n]


def _broken_link(path: str) -> tuple[str, str, str] | None:
    """A symlink that leads nowhere or in a circle, as a reason; None for anything else."""
    if not os.path.islink(path):
        return None
    try:
        os.stat(path)
    except FileNotFoundError:
        return path, "dangling_link", f"{path}: a symbolic link to nothing ({os.readlink(path)})"
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return path, "symlink_loop", f"{path}: a loop of symbolic links"
        return path, "unreadable", f"{path}: {exc.strerror or exc}"
    return None


def _glob_regex(pattern: str) -> re.Pattern[str]:
    """A glob pattern as a regex over `/`-separated paths: `**/` is any number of folders."""
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:[^/]+/)*")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        elif pattern[i] == "[" and (end := pattern.find("]", i + 2)) != -1:
            body = pattern[i + 1 : end]
            out.append("[" + ("^" + body[1:] if body.startswith("!") else body) + "]")
            i = end + 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out) + r"\Z")


def _expand_local(pattern: str) -> tuple[list[str], Broken]:
    path = Path(pattern).expanduser()
    if path.is_dir():
        files, broken = _walk(str(path))
        return [f for f, _ in files], broken
    if not any(ch in pattern for ch in "*?["):
        if path.is_file():
            return [str(path.resolve())], []
        bad = _broken_link(str(path))
        return [], [bad] if bad else []
    parts = path.parts
    first = next(n for n, part in enumerate(parts) if any(ch in part for ch in "*?["))
    base = Path(*parts[:first]) if first else Path(".")
    if "**" not in pattern:  # one level per part: glob cannot loop
        chosen, broken = [], []
        for name in glob.glob(str(path)):
            if Path(name).is_file() and not Path(name).name.startswith("."):
                chosen.append(str(Path(name).resolve()))
            elif (bad := _broken_link(name)) is not None:
                broken.append(bad)
        return chosen, broken
    if not base.is_dir():
        return [], []
    # `**` follows the directory walk, which does not enter symlinked directories: a link
    # loop (`a/up -> ..`) cannot make it endless, as it does `glob.glob(recursive=True)`.
    rule = _glob_regex("/".join(parts[first:]))
    files, broken = _walk(str(base))
    chosen = [f for f, rel in files if rule.match(rel)]
    return chosen, [b for b in broken if rule.match(os.path.relpath(b[0], base))]


def _walk(root: str) -> tuple[list[tuple[str, str]], Broken]:
    """The files under a directory, resolved and without hidden names, as
    `Path(root).rglob("*")` finds them (symlinked directories are not entered, unreadable ones
    are passed over): one `scandir` per directory and one `realpath` per directory and per
    symlink, not a `resolve` per file (10,000 files: 0.6 s → 0.1 s). Each file comes with its
    path relative to `root` (for `**` patterns); links to nothing and link loops come apart,
    as reasons."""
    found: list[tuple[str, str]] = []
    broken: Broken = []
    pending = [root]
    while pending:
        top = pending.pop()
        try:
            with os.scandir(top) as it:
                entries = list(it)
        except PermissionError:
            continue
        real = os.path.realpath(top)
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                pending.append(entry.path)
                continue
            if entry.name.startswith("."):
                continue
            if entry.is_symlink():
                bad = _broken_link(entry.path)
                if bad is not None:
                    broken.append(bad)
                    continue
                if not entry.is_file():
                    continue
                file = os.path.realpath(entry.path)
            elif entry.is_file(follow_symlinks=False):
                file = os.path.join(real, entry.name)
            else:
                continue
            found.append((file, os.path.relpath(entry.path, root)))
    return found, broken


def _expand_s3(pattern: str) -> list[str]:
    bucket, key = _split_s3(pattern)
    wild = next((i for i, ch in enumerate(key) if ch in "*?["), None)
    prefix = key if wild is None else key[:wild]
    store = S3Store(bucket)
    keys = store.list_keys(prefix)
    if wild is not None:
        keys = [k for k in keys if fnmatch.fnmatchcase(k, key)]
    elif keys and keys != [key]:
        # A prefix names a folder only at a `/` boundary: `a/b` must not match `a/bc`.
        folder = prefix.rstrip("/") + "/"
        keys = [k for k in keys if k == key or k.startswith(folder)]
    return [f"s3://{bucket}/{k}" for k in keys if not k.endswith("/")]


@contextmanager
def open_input(uri: str) -> Iterator[IO[bytes]]:
    """Open an input file (local path or `s3://` URI) for binary reading.

    S3 objects are spooled to memory or a temporary file, so readers get a seekable file.
    """
    if not uri.startswith("s3://"):
        with open(uri, "rb") as fh:
            yield fh
        return
    bucket, key = _split_s3(uri)
    store = S3Store(bucket)
    with tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES) as spool:
        store.download_to(key, spool)
        yield spool


def open_inputs(
    uris: Iterable[str], ahead: int = 8
) -> Iterator[tuple[str, AbstractContextManager[IO[bytes]]]]:
    """`(uri, open_input(uri))` for each input, in order, with the S3 objects among them
    downloading `ahead` at a time on threads before their turn: one request per object, whose
    latencies would otherwise add up one object after another. An object larger than 4 MB, or
    whose early download failed, is opened the ordinary way when its turn comes (with the
    transfer manager's retries and, if that fails too, its error)."""
    with ThreadPoolExecutor(max_workers=ahead, thread_name_prefix="fetch") as pool:
        window: deque[tuple[str, Future[IO[bytes] | None] | None]] = deque()
        pending = iter(uris)

        def fill() -> None:
            while len(window) < ahead and (uri := next(pending, None)) is not None:
                early = pool.submit(_download_small, uri) if uri.startswith("s3://") else None
                window.append((uri, early))

        try:
            fill()
            while window:
                uri, early = window.popleft()
                fill()
                yield uri, _opened(uri, early)
        finally:  # the caller stopped early: drop what was fetched for nothing
            for _, early in window:
                if early is not None and not early.cancel():
                    spool = early.result()
                    if spool is not None:
                        spool.close()


@contextmanager
def _opened(uri: str, early: Future[IO[bytes] | None] | None) -> Iterator[IO[bytes]]:
    spool = early.result() if early is not None else None
    if spool is None:
        with open_input(uri) as fh:
            yield fh
        return
    with spool:
        yield spool


def _download_small(uri: str) -> IO[bytes] | None:
    """The object spooled to memory, or None if it is large or could not be read now."""
    bucket, key = _split_s3(uri)
    # Handed to the caller, who closes it (`_opened`).
    spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES)  # noqa: SIM115
    try:
        response = _s3_client().get_object(Bucket=bucket, Key=key)
        with contextlib.closing(response["Body"]) as body:
            if response["ContentLength"] > _AHEAD_BYTES:
                spool.close()
                return None
            for chunk in body.iter_chunks(1 << 20):
                spool.write(chunk)
    except (*_boto_errors(), OSError):
        spool.close()
        return None  # opened the ordinary way later, which reports the error
    spool.seek(0)
    return spool
