"""Reading many small input objects from S3: one at a time against fetched ahead.

    python bench/s3_inputs.py [--objects 2000] [--latency-ms 20]

A moto S3 server runs in its own process on 127.0.0.1; `--latency-ms` adds a delay to every
request it answers (a stand-in for a real endpoint's round trip; 0 keeps loopback's). The same
objects are read with `read_input` one after another, as shards did, and with `read_inputs`
(`storage.open_inputs`), alternating, twice.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import boto3

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from run import make_pages  # noqa: E402

from pipelines.readers import read_input, read_inputs  # noqa: E402

# Runs in the server's process: every request waits `latency` seconds before it is answered.
SERVER = """
import logging, sys, time
logging.getLogger("werkzeug").setLevel(logging.ERROR)
from moto.server import ThreadedMotoServer
from werkzeug.serving import WSGIRequestHandler
latency = float(sys.argv[2])
handle = WSGIRequestHandler.handle_one_request
def slow(self):
    time.sleep(latency)
    return handle(self)
WSGIRequestHandler.handle_one_request = slow
server = ThreadedMotoServer(ip_address="127.0.0.1", port=int(sys.argv[1]), verbose=False)
server.start()
sys.stdin.read()
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--objects", type=int, default=2000)
    ap.add_argument("--latency-ms", type=float, default=20)
    args = ap.parse_args()
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(port), str(args.latency_ms / 1000)],
        stdin=subprocess.PIPE,
    )
    try:
        endpoint = f"http://127.0.0.1:{port}"
        os.environ.update(
            AWS_ENDPOINT_URL=endpoint,
            AWS_ACCESS_KEY_ID="bench",
            AWS_SECRET_ACCESS_KEY="bench",
            AWS_DEFAULT_REGION="us-east-1",
        )
        client = boto3.client("s3")
        for _ in range(50):
            try:
                client.create_bucket(Bucket="inputs")
                break
            except Exception:
                time.sleep(0.2)
        pages = ROOT / "bench" / "out" / f"s3-pages-{args.objects}"
        if not pages.is_dir():
            make_pages(args.objects, pages)
        files = sorted(pages.iterdir())
        for path in files:
            client.upload_file(str(path), "inputs", f"pages/{path.name}")
        uris = [f"s3://inputs/pages/{path.name}" for path in files]
        print(f"{len(uris)} objects, +{args.latency_ms:g} ms per request")
        print("| one at a time | fetched ahead (8) |\n|---|---|")
        for _ in range(2):
            start = time.perf_counter()
            one = sum(1 for uri in uris for _ in read_input(uri))
            seq = time.perf_counter() - start
            start = time.perf_counter()
            ahead = sum(1 for _ in read_inputs(uris, Counter()))
            par = time.perf_counter() - start
            assert one == ahead == len(uris)
            print(f"| {seq:.1f} s | {par:.1f} s ({seq / par:.1f} x faster) |", flush=True)
    finally:
        server.communicate(b"")


if __name__ == "__main__":
    main()
