"""A fault-injecting HTTP proxy for S3 on 127.0.0.1: boto3 talks to it as its endpoint, it
forwards to a real S3 server (moto) and fails a share of the requests the ways S3 and the
networks in front of it do.

Faults, chosen at random for `rate` of the requests (seeded):
- `error`: a 500 InternalError before the request reaches S3 (nothing applied);
- `slowdown`: a 503 SlowDown before it reaches S3;
- `applied`: the request reaches S3 and is applied, then the client gets a 500 — the ambiguous
  case (a retried conditional write then fails its precondition against its own first try);
- `reset`: the connection is closed without an answer, half of the time after S3 applied it.

Used by tests/test_hostile.py and bench/faults.py.
"""

from __future__ import annotations

import http.client
import random
import socket
import struct
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

__all__ = ["FaultProxy", "fault_proxy"]

_HOP = {"connection", "keep-alive", "transfer-encoding", "expect", "proxy-connection"}
MODES = ("error", "slowdown", "applied", "reset")


class FaultProxy:
    def __init__(
        self,
        upstream: str,
        rate: float,
        seed: int = 0,
        modes: tuple[str, ...] = MODES,
        only: str | None = None,
    ) -> None:
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.rate = rate
        self.modes = modes
        self.only = only  # fail only requests whose path contains this
        self.random = random.Random(seed)
        self.faults: Counter[str] = Counter()
        self.requests = 0
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def _handle(self) -> None:
                proxy._serve(self)

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> FaultProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _pick(self, path: str) -> str | None:
        with self._lock:
            self.requests += 1
            if self.only is not None and self.only not in path:
                return None
            if self.random.random() >= self.rate:
                return None
            mode = self.random.choice(self.modes)
            self.faults[mode] += 1
            return mode

    def _forward(
        self, h: BaseHTTPRequestHandler, body: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        conn = http.client.HTTPConnection(*self.upstream, timeout=60)
        try:
            headers = {k: v for k, v in h.headers.items() if k.lower() not in _HOP}
            conn.request(h.command, h.path, body=body or None, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            out = [(k, v) for k, v in resp.getheaders() if k.lower() not in _HOP]
            return resp.status, out, data
        finally:
            conn.close()

    def _serve(self, h: BaseHTTPRequestHandler) -> None:
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        mode = self._pick(h.path)
        if mode in ("error", "slowdown"):
            self._error(h, *((500, "InternalError") if mode == "error" else (503, "SlowDown")))
            return
        if mode == "reset":
            if self.random.random() < 0.5:
                self._forward(h, body)
            # SO_LINGER 0: the close sends a TCP reset, as a dropped connection does.
            h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            h.close_connection = True
            h.connection.close()
            return
        status, headers, data = self._forward(h, body)
        if mode == "applied":
            self._error(h, 500, "InternalError")
            return
        h.send_response(status)
        for key, value in headers:
            if key.lower() != "content-length":
                h.send_header(key, value)
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        if h.command != "HEAD":
            h.wfile.write(data)

    @staticmethod
    def _error(h: BaseHTTPRequestHandler, status: int, code: str) -> None:
        data = (
            f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code>'
            f"<Message>injected fault</Message></Error>"
        ).encode()
        h.send_response(status)
        h.send_header("Content-Type", "application/xml")
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        if h.command != "HEAD":
            h.wfile.write(data)


@contextmanager
def fault_proxy(
    upstream: str, rate: float, seed: int = 0, **kwargs: object
) -> Iterator[FaultProxy]:
    proxy = FaultProxy(upstream, rate, seed, **kwargs).start()  # type: ignore[arg-type]
    try:
        yield proxy
    finally:
        proxy.stop()
