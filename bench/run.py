"""contentpipe benchmark: `make bench` (figures go to bench/README.md by hand, from this output).

Measures in one run, on this machine, side by side:
  (a) the floor: a bare `trafilatura.extract` loop over the same pages, same worker count;
  (b) `contentpipe ingest` end to end into a local directory (Prefect flow, and --no-prefect);
  (c) the same into a moto S3 server over HTTP on 127.0.0.1;
  (d) MinHash signature throughput alone;
  (e) peak memory ingesting 20,000 and 200,000 short JSONL text documents, and the dedup
      index's bytes per indexed document (on disk, and in memory when a run loads it).
Fixed start-up cost (imports, Prefect) is measured on a one-page input and reported apart from
the per-page cost.

Pages are real article texts (the AEB ground truth in ../shared/data/aeb) recombined into unique
articles and wrapped in the demo's four publisher templates; 10 % are syndicated copies, so the
near-duplicate path is exercised without the run being mostly exact duplicates.

Usage: python bench/run.py [--pages 10000] [--small 20000] [--large 200000] [--workers 2]
                           [--pairs 5]
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing
import os
import random
import shutil
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from deploy.demo.sitegen import TEMPLATES, Article, render  # noqa: E402

AEB = ROOT.parent / "shared" / "data" / "aeb" / "ground-truth.json"
WORK = ROOT / "bench" / "out"
BIN = Path(sys.executable).parent


def paragraphs() -> list[str]:
    truth = json.loads(AEB.read_text(encoding="utf-8"))
    return [
        p.strip()
        for v in truth.values()
        for p in v["articleBody"].split("\n")
        if len(p.split()) >= 12
    ]


def make_pages(n: int, root: Path, seed: int = 1) -> None:
    """n unique HTML pages; every tenth a syndicated copy (other site, headline, last paragraph
    dropped) of an earlier page."""
    rng = random.Random(seed)
    pool = paragraphs()
    names = list(TEMPLATES)
    root.mkdir(parents=True, exist_ok=True)
    made: list[Article] = []
    for i in range(n):
        if i % 10 == 9 and made:
            src = made[rng.randrange(len(made))]
            art = Article(
                f"copy-{i}", f"Copy {i}: {src.title}", "Wire", src.published, src.paragraphs[:-1]
            )
        else:
            paras = tuple(rng.sample(pool, rng.randint(4, 9)))
            title = " ".join(paras[0].split()[:8]).rstrip(",.;:")
            art = Article(
                f"story-{i}",
                title,
                f"Author {i % 97}",
                f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}",
                paras,
            )
            made.append(art)
        related = [made[rng.randrange(len(made))].title for _ in range(3)]
        _url, html = render(names[i % len(names)], art, related)
        (root / f"{i:06d}.html").write_text(html, encoding="utf-8")


def make_jsonl(n: int, path: Path, seed: int = 2) -> None:
    """n short, different text documents (60-120 words) as JSON lines. Words are drawn from the
    AEB texts' vocabulary at their own frequencies, so documents read like word salad but share
    no more shingles than different articles do (windows of one text would all be duplicates)."""
    rng = random.Random(seed)
    words = " ".join(paragraphs()).split()
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            text = " ".join(rng.choices(words, k=rng.randint(60, 120)))
            fh.write(
                json.dumps(
                    {
                        "id": f"d{i}",
                        "url": f"https://short.example/{i}",
                        "text": f"Item {i}. {text}",
                    }
                )
                + "\n"
            )


def _extract_chunk(paths: list[str]) -> int:
    import trafilatura

    ok = 0
    for p in paths:
        if trafilatura.extract(Path(p).read_text(encoding="utf-8"), include_comments=False):
            ok += 1
    return ok


def bare_trafilatura(pages: Path, workers: int) -> float:
    files = sorted(str(p) for p in pages.iterdir())
    chunks = [files[i : i + 200] for i in range(0, len(files), 200)]
    start = time.perf_counter()
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        sum(pool.map(_extract_chunk, chunks))
    return time.perf_counter() - start


def timed(cmd: list[str], env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{done.stderr[-3000:]}")
    return time.perf_counter() - start


# `--shortcuts`: (b) and (c) with `extract.shortcuts` on (the opt-in speed-ups).
SHORTCUTS = "--shortcuts" in sys.argv


def ingest_cmd(sources: list[str], out: str, workers: int, prefect: bool) -> list[str]:
    return [
        str(BIN / "contentpipe"),
        "ingest",
        *sources,
        "--out",
        out,
        "--workers",
        str(workers),
        "--prefect" if prefect else "--no-prefect",
        *(["--shortcuts"] if SHORTCUTS else []),
    ]


def signature_rate(n: int, words: int = 600, plain: bool = False, batch: int = 0) -> float:
    """MinHash signatures per second on one core, for documents of exactly `words` words;
    `plain`: datasketch's own `update_batch` (sha1 per shingle) on the same shingles; `batch`:
    `minhash.signatures` over that many documents at a time, as the strip pass signs."""
    from datasketch import MinHash

    from pipelines.config import DedupOptions
    from pipelines.dedup import permutations, shingles, signature
    from pipelines.minhash import signatures

    pool = paragraphs()
    rng = random.Random(3)
    texts = []
    for _ in range(n):
        doc: list[str] = []
        while len(doc) < words:
            doc.extend(rng.choice(pool).split())
        texts.append(" ".join(doc[:words]))
    opts = DedupOptions()
    signature(texts[0], opts)  # one-time set-up (the character-class table) is start-up cost
    start = time.perf_counter()
    if batch:
        perms = permutations(opts.num_perm)
        for i in range(0, n, batch):
            signatures(texts[i : i + batch], opts.shingle_size, perms)
        return n / (time.perf_counter() - start)
    for text in texts:
        if plain:
            MinHash(num_perm=opts.num_perm).update_batch(
                [s.encode("utf-8") for s in shingles(text, opts.shingle_size)]
            )
        else:
            signature(text, opts)
    return n / (time.perf_counter() - start)


# Peak RSS is the process's own high-water mark, VmHWM: `getrusage`'s ru_maxrss of a process
# started by this one begins at this (larger) process's peak — Linux carries it over a fork and
# exec — and read 355 MB for every run whatever it did, until 2026-12-06 (bench/README.md).
PEAK = """
import json, sys, time
from pathlib import Path
from pipelines.config import ProcessOptions
from pipelines.run import ingest
t = time.perf_counter()
r = ingest(sys.argv[1:-2], sys.argv[-2], ProcessOptions(workers=int(sys.argv[-1])))
hwm = next(l for l in Path("/proc/self/status").read_text().splitlines() if l.startswith("VmHWM"))
print(json.dumps({"seconds": time.perf_counter() - t, "records": r.counts.get("records", 0),
                  "index_documents": r.counts.get("index_documents", 0),
                  "peak_rss_mb": int(hwm.split()[1]) / 1024}))
"""


ONE_CORE = """
import json, sys, time
from pathlib import Path
import trafilatura
pages = sorted(Path(sys.argv[1]).iterdir())
html = [p.read_text(encoding="utf-8") for p in pages]
trafilatura.extract(html[0], include_comments=False)  # imports and first-call set-up
t = time.perf_counter()
for h in html:
    trafilatura.extract(h, include_comments=False)
bare = time.perf_counter() - t
# Imported after the bare loop: pipelines.extract changes trafilatura's fallback comparison
# (same output, less work), and the floor is trafilatura as it comes.
from pipelines.config import ProcessOptions
from pipelines.run import ingest
ingest([str(pages[0])], sys.argv[2] + "-warm", ProcessOptions(workers=1))
t = time.perf_counter()
ingest([sys.argv[1]], sys.argv[2], ProcessOptions(workers=1))
ours = time.perf_counter() - t
print(json.dumps({"pages": len(pages), "bare_s": bare, "ours_s": ours}))
"""


def run_script(script: str, *args: str) -> dict[str, float]:
    """Run a measuring script in a fresh Python process; its last output line is JSON."""
    done = subprocess.run(
        [sys.executable, "-c", script, *args], capture_output=True, text=True, cwd=ROOT
    )
    if done.returncode != 0:
        raise SystemExit(done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def one_core(pages: Path, n: int) -> dict[str, float]:
    """Per-page cost on one core, in one process, after imports: the bare extractor's loop and
    `ingest` with no worker processes, over the same first `n` pages — without the start-up,
    the worker processes and the parent's share of the two cores."""
    subset = WORK / f"pages-{n}"
    subset.mkdir()
    for path in sorted(pages.iterdir())[:n]:
        shutil.copy(path, subset / path.name)
    return run_script(ONE_CORE, str(subset), str(WORK / "one-core"))


def peak(sources: list[str], out: str, workers: int) -> dict[str, float]:
    return run_script(PEAK, *sources, out, str(workers))


def dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--pages", type=int, default=10_000)
    ap.add_argument("--small", type=int, default=20_000)
    ap.add_argument("--large", type=int, default=200_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument(
        "--shortcuts", action="store_true", help="(b), (c): opt in to extract.shortcuts"
    )
    ap.add_argument(
        "--pairs", type=int, default=5, help="(a) and (b) --no-prefect, run alternately N times"
    )
    args = ap.parse_args()
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    pages, one = WORK / "pages", WORK / "one"
    print(f"generating {args.pages:,} pages ...", flush=True)
    make_pages(args.pages, pages)
    one.mkdir()
    shutil.copy(next(iter(sorted(pages.iterdir()))), one / "page.html")
    results: dict[str, float] = {}
    n, w = args.pages, args.workers

    print("(a) bare trafilatura ...", flush=True)
    results["a_trafilatura_s"] = bare_trafilatura(pages, w)

    print("(b) contentpipe ingest, local ...", flush=True)
    # Warm the Prefect database once so that no figure includes its first migration.
    timed(ingest_cmd([str(one)], str(WORK / "warm"), w, True))
    results["startup_prefect_s"] = timed(ingest_cmd([str(one)], str(WORK / "o1"), w, True))
    results["startup_plain_s"] = timed(ingest_cmd([str(one)], str(WORK / "o2"), w, False))
    results["b_local_prefect_s"] = timed(ingest_cmd([str(pages)], str(WORK / "local"), w, True))
    results["b_local_plain_s"] = timed(ingest_cmd([str(pages)], str(WORK / "local2"), w, False))
    # One run swings ±10 % on these shared cores: more pairs of the floor and the plain run,
    # each pair back to back, show the ratio's spread.
    for i in range(1, args.pairs):
        results[f"b_pair{i}_floor_s"] = bare_trafilatura(pages, w)
        results[f"b_pair{i}_plain_s"] = timed(
            ingest_cmd([str(pages)], str(WORK / f"local-pair{i}"), w, False)
        )
    # Where that run's wall time went, from its manifest (`timings_s`).
    (manifest,) = (WORK / "local2" / "runs").glob("*.json")
    phases = json.loads(manifest.read_text())["timings_s"]
    results.update({f"b_phase_{k}_s": v for k, v in phases.items()})

    print("(b) one core, in process ...", flush=True)
    core = one_core(pages, min(n, 2_000))
    results["b1_pages"] = core["pages"]
    results["b1_bare_ms"] = core["bare_s"] / core["pages"] * 1000
    results["b1_ours_ms"] = core["ours_s"] / core["pages"] * 1000

    print("(c) contentpipe ingest, moto S3 ...", flush=True)
    import boto3
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one access-log line per request
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL": f"http://{host}:{port}",
        "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "x",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    boto3.client(
        "s3",
        endpoint_url=env["AWS_ENDPOINT_URL"],
        aws_access_key_id="x",
        aws_secret_access_key="x",
        region_name="us-east-1",
    ).create_bucket(Bucket="bench")
    results["c_s3_prefect_s"] = timed(ingest_cmd([str(pages)], "s3://bench/corpus", w, True), env)
    server.stop()

    print("(d) signatures ...", flush=True)
    results["d_signatures_per_s"] = signature_rate(20_000)
    results["d_signatures_batched_per_s"] = signature_rate(20_000, batch=2_000)
    results["d_plain_datasketch_per_s"] = signature_rate(2_000, plain=True)

    print("(e) memory on short JSONL documents ...", flush=True)
    for label, count in (("small", args.small), ("large", args.large)):
        path = WORK / f"short-{count}.jsonl"
        make_jsonl(count, path)
        out = WORK / f"mem-{count}"
        r = peak([str(path)], str(out), w)
        results[f"e_{label}_docs"] = count
        results[f"e_{label}_seconds"] = r["seconds"]
        results[f"e_{label}_peak_rss_mb"] = r["peak_rss_mb"]
        results[f"e_{label}_index_bytes_per_doc"] = dir_bytes(out / "index") / max(1, r["records"])
        # A one-page run against that index: its extra peak memory is the loaded index.
        again = peak([str(one)], str(out), 1)
        baseline = peak([str(one)], str(WORK / f"empty-{count}"), 1)
        results[f"e_{label}_index_mem_bytes_per_doc"] = (
            (again["peak_rss_mb"] - baseline["peak_rss_mb"]) * 1024 * 1024 / max(1, r["records"])
        )

    base = results["a_trafilatura_s"]
    print("\n| measurement | value |\n|---|---|")
    print(f"| pages | {n:,} (workers: {w}) |")
    print(f"| (a) bare trafilatura.extract | {base:.1f} s, {n / base:.0f} pages/s |")
    for key, label in (
        ("b_local_prefect_s", "(b) ingest → local dir, Prefect flow"),
        ("b_local_plain_s", "(b) ingest → local dir, --no-prefect"),
        ("c_s3_prefect_s", "(c) ingest → moto S3, Prefect flow"),
    ):
        t = results[key]
        fixed = results["startup_prefect_s" if "prefect" in key else "startup_plain_s"]
        per_page = (t - fixed) / n * 1000
        print(
            f"| {label} | {t:.1f} s = {t / base:.2f}x (a); {per_page:.2f} ms/page "
            f"after {fixed:.1f} s fixed start-up |"
        )
    ratios = [results["b_local_plain_s"] / base] + [
        results[f"b_pair{i}_plain_s"] / results[f"b_pair{i}_floor_s"] for i in range(1, args.pairs)
    ]
    if len(ratios) > 1:
        median = sorted(ratios)[len(ratios) // 2]
        print(
            f"| (b) --no-prefect ÷ (a), {len(ratios)} pairs (the first as above) | "
            f"{' / '.join(f'{r:.2f}x' for r in ratios)}; median {median:.2f}x |"
        )
    # Imported here: the floor's spawned workers re-import this module, and must not pay for it.
    from pipelines.run import PUBLISH_PHASES

    shards = results["b_local_plain_s"] - results["b_phase_publish_s"]
    steps = ", ".join(f"{k} {results[f'b_phase_{k}_s']:.2f}" for k in PUBLISH_PHASES)
    print(
        f"| (b) --no-prefect, where the time went (manifest) | start-up and shards "
        f"{shards:.1f} s; publish {results['b_phase_publish_s']:.1f} s ({steps}) |"
    )
    print(
        f"| (b) one core, in process, first {results['b1_pages']:,.0f} pages | bare "
        f"{results['b1_bare_ms']:.2f} ms/page, contentpipe {results['b1_ours_ms']:.2f} ms/page "
        f"= {results['b1_ours_ms'] / results['b1_bare_ms']:.2f}x |"
    )
    print(
        f"| fixed start-up, Prefect ephemeral / plain | {results['startup_prefect_s']:.1f} s / "
        f"{results['startup_plain_s']:.1f} s |"
    )
    print(
        f"| (d) MinHash signatures (1 core, 600-word documents) | "
        f"{results['d_signatures_per_s']:,.0f} docs/s one at a time, "
        f"{results['d_signatures_batched_per_s']:,.0f} docs/s 2,000 at a time; "
        f"datasketch's plain update_batch "
        f"{results['d_plain_datasketch_per_s']:,.0f} docs/s |"
    )
    for label in ("small", "large"):
        print(
            f"| (e) {results[f'e_{label}_docs']:,.0f} short JSONL docs | "
            f"{results[f'e_{label}_seconds']:.1f} s, peak RSS "
            f"{results[f'e_{label}_peak_rss_mb']:.0f} MB; index "
            f"{results[f'e_{label}_index_bytes_per_doc']:.0f} B/doc on disk, "
            f"{results[f'e_{label}_index_mem_bytes_per_doc']:.0f} B/doc in memory |"
        )
    growth = (
        (results["e_large_peak_rss_mb"] - results["e_small_peak_rss_mb"])
        * 1024
        * 1024
        / (results["e_large_docs"] - results["e_small_docs"])
    )
    results["e_run_peak_growth_bytes_per_doc"] = growth
    print(f"| (e) one run's peak RSS growth per document, small → large | {growth:.0f} B/doc |")
    (WORK / "results.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
