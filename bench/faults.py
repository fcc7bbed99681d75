"""The S3 fault campaign: runs into S3 behind a proxy that fails a share of the requests.

    python bench/faults.py [--rates 0.05 0.2 0.5] [--runs 3] [--pages 40] [--prefect]

A moto S3 server runs on 127.0.0.1 behind `tests/faults.py`'s proxy, which fails `rate` of all
requests the ways S3 does (500 before the request is applied, 503 SlowDown, 500 *after* it was
applied, connection resets). For each rate, `--runs` runs of `contentpipe ingest` (each with its
own new pages, `--no-prefect` unless `--prefect`) publish into one output; afterwards the output
is read without faults and checked:

- runs completed, and for the others whether they failed with a one-line error (no traceback);
- records lost: pages of completed runs that are not in the committed output (must be 0);
- records duplicated: ids that appear more than once (must be 0);
- the lock: released after every run (no `locks/output.json` left).
"""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import boto3
from moto.server import ThreadedMotoServer

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipelines.lock import LOCK_KEY  # noqa: E402
from pipelines.storage import store_for  # noqa: E402
from tests.faults import fault_proxy  # noqa: E402
from tests.helpers import articles, rows  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rates", type=float, nargs="+", default=[0.05, 0.2, 0.5])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--pages", type=int, default=40)
    ap.add_argument("--prefect", action="store_true", help="run each ingest as a Prefect flow")
    args = ap.parse_args()

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's request log
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    upstream = f"http://{host}:{port}"
    creds = {
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    os.environ.update(creds, AWS_ENDPOINT_URL=upstream)
    boto3.client("s3", endpoint_url=upstream).create_bucket(Bucket="faults")
    work = Path(tempfile.mkdtemp(prefix="faults-"))
    print(
        f"{'rate':>5} {'run':>4} {'result':<10} {'seconds':>8} {'faults':>7} {'one line':>9}  error"
    )
    summary = []
    for rate in args.rates:
        out = f"s3://faults/rate-{rate:g}"
        completed, expected, one_line = 0, 0, True
        with fault_proxy(upstream, rate, seed=int(rate * 1000)) as proxy:
            for run in range(args.runs):
                seed = run + int(rate * 1e4)
                batch = articles(work / f"r{rate:g}-{run}", args.pages, seed, paragraphs=4)
                cmd = [sys.executable, "-m", "flows.cli", "ingest", str(batch), "--out", out]
                cmd += ["--workers", "1"] + ([] if args.prefect else ["--no-prefect"])
                env = {
                    **os.environ,
                    "AWS_ENDPOINT_URL": proxy.url,
                    "PYTHONPATH": str(ROOT),
                    "PREFECT_HOME": str(work / "prefect-home"),
                }
                before = sum(proxy.faults.values())
                start = time.perf_counter()
                done = subprocess.run(cmd, env=env, capture_output=True, text=True)
                seconds = time.perf_counter() - start
                ok = done.returncode == 0
                errors = [line for line in done.stderr.splitlines() if "error:" in line.lower()]
                clean = ok or ("Traceback" not in done.stderr and len(errors) == 1)
                one_line &= clean
                if ok:
                    completed += 1
                    expected += args.pages
                shown = "" if ok else (errors[-1] if errors else done.stderr.strip()[-200:])
                print(
                    f"{rate:>5.0%} {run:>4} {'completed' if ok else 'failed':<10} "
                    f"{seconds:>8.1f} {sum(proxy.faults.values()) - before:>7} "
                    f"{'yes' if clean else 'NO':>9}  {shown[:120]}",
                    flush=True,
                )
        records = rows(out, "records")
        ids = [r["id"] for r in records]
        lost = expected - len(set(ids))
        duplicated = len(ids) - len(set(ids))
        locked = store_for(out).exists(LOCK_KEY)
        summary.append((rate, completed, lost, duplicated, locked, one_line))
    print()
    print(f"{'rate':>5} {'completed':>10} {'lost':>5} {'duplicated':>11} {'lock left':>10} "
          f"{'failures one-line':>18}")  # fmt: skip
    for rate, completed, lost, duplicated, locked, one_line in summary:
        print(
            f"{rate:>5.0%} {completed:>6}/{args.runs:<3} {lost:>5} {duplicated:>11} "
            f"{'yes' if locked else 'no':>10} {'yes' if one_line else 'NO':>18}"
        )
    server.stop()


if __name__ == "__main__":
    main()
