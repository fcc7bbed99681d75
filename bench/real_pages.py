"""Real pages: the floor and `contentpipe ingest` on AEB's 181 real HTML pages, one core.

    python bench/real_pages.py [--repeat 3]

`make bench` wraps real article texts in the demo's publisher templates, which are light (about
30 elements a page against about 740 on AEB's real pages), so trafilatura's cost per page there
is small and contentpipe's fixed per-page work (metadata, cleaning, keys, signatures, Parquet)
weighs more than it does on the web's pages. This measures the same ratio on real pages: a bare
`trafilatura.extract` loop against `ingest` with no worker processes, each in a fresh process,
after imports and a one-page warm-up, alternating. Not a test.
"""

from __future__ import annotations

import argparse
import gzip
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import ROOT, WORK, run_script

AEB = ROOT.parent / "shared" / "data" / "aeb" / "html"
OUT = WORK / "real-pages"

FLOOR = """
import json, sys, time
from pathlib import Path
import trafilatura
pages = [p.read_bytes() for p in sorted(Path(sys.argv[1]).iterdir())]
trafilatura.extract(pages[0], include_comments=False)
t = time.perf_counter()
found = sum(1 for page in pages if trafilatura.extract(page, include_comments=False))
print(json.dumps({"seconds": time.perf_counter() - t, "pages": len(pages), "extracted": found}))
"""

OURS = """
import json, shutil, sys, time
from pathlib import Path
from pipelines.config import ProcessOptions
from pipelines.run import ingest
src, out = Path(sys.argv[1]), Path(sys.argv[2])
shortcuts = sys.argv[3] == "1"
options = ProcessOptions.model_validate({"workers": 1, "extract": {"shortcuts": shortcuts}})
shutil.rmtree(out, ignore_errors=True)
ingest([str(sorted(src.iterdir())[0])], str(out) + "-warm", options)
t = time.perf_counter()
report = ingest([str(src)], str(out), options)
print(json.dumps({"seconds": time.perf_counter() - t, "records": report.counts.get("records", 0),
                  "pages": report.counts.get("pages", 0)}))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--shortcuts", action="store_true", help="opt in to extract.shortcuts")
    args = ap.parse_args()
    files = sorted(AEB.glob("*.html.gz"))
    if not files:
        raise SystemExit(f"the AEB pages are missing at {AEB}")
    pages = OUT / "pages"
    shutil.rmtree(OUT, ignore_errors=True)
    pages.mkdir(parents=True)
    for path in files:
        (pages / path.name.removesuffix(".gz")).write_bytes(gzip.decompress(path.read_bytes()))
    print(f"{len(files)} real pages, one core, in process, after imports")
    print("| floor: bare `trafilatura.extract` | `ingest`, no worker processes | ratio |")
    print("|---|---|---|")
    for _ in range(args.repeat):
        floor = run_script(FLOOR, str(pages))
        ours = run_script(OURS, str(pages), str(OUT / "out"), "1" if args.shortcuts else "0")
        n = floor["pages"]
        print(
            f"| {floor['seconds']:.1f} s ({floor['seconds'] / n * 1000:.1f} ms/page) "
            f"| {ours['seconds']:.1f} s ({ours['seconds'] / n * 1000:.1f} ms/page, "
            f"{ours['records']:.0f} records) | {ours['seconds'] / floor['seconds']:.2f}x |",
            flush=True,
        )


if __name__ == "__main__":
    main()
