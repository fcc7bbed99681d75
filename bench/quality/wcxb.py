"""Extraction quality on WCXB-dev (../shared/data/wcxb-dev: 1,497 real pages of 1,295 sites, seven
page types, hand-checked main text): contentpipe next to plain `trafilatura.extract` (its
defaults) on the same pages in the same run, per page type, and the pages where contentpipe
loses most.

Scoring is the benchmark's own (`evaluate.py` beside the data): word-level precision, recall and
F1 of bags of lower-cased `\\w+` tokens, each averaged over pages.

The set is split in two halves by a hash of each page's site (`half`): "tune" is what defaults
and rules may be chosen on, together with AEB and the SEO dev set; "held-out" is reported as the
figure and is never looked at page by page while tuning (`--losers` lists tune pages only unless
`--half held-out` is given).

Plain trafilatura runs in processes that never import `pipelines.extract` (whose shortcuts
patch trafilatura in place): the peer is the library as a user installs it.

Usage: python bench/quality/wcxb.py [--losers N] [--half tune|held-out|all] [--json]
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

WCXB = ROOT.parent / "shared" / "data" / "wcxb-dev"
TYPES = ("article", "forum", "product", "collection", "listing", "documentation", "service")
_TOKEN = re.compile(r"\w+")


@dataclass(frozen=True)
class Item:
    id: str
    url: str
    page_type: str
    domain: str
    truth: str

    @property
    def half(self) -> str:
        return half(self.domain)

    def html(self) -> str:
        data = gzip.decompress((WCXB / "html" / f"{self.id}.html.gz").read_bytes())
        return data.decode("utf-8", "replace")


def half(domain: str) -> str:
    """ "tune" or "held-out", by the site: all pages of a site are in the same half."""
    return "tune" if hashlib.sha1(domain.encode()).digest()[0] % 2 == 0 else "held-out"


def items() -> list[Item]:
    out = []
    for path in sorted((WCXB / "ground-truth").glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        truth = data.get("ground_truth") or {}
        kind = ((data.get("_internal") or {}).get("page_type") or {}).get("primary", "article")
        url = data.get("url") or ""
        domain = re.sub(r"^www\.", "", url.split("/")[2].lower()) if "://" in url else path.stem
        out.append(
            Item(
                path.stem,
                url,
                "collection" if kind == "category" else kind,
                domain,
                truth.get("main_content") or "",
            )
        )
    return out


def word_prf(predicted: str, reference: str) -> tuple[float, float, float]:
    """The benchmark's `word_f1`: precision, recall, F1 of lower-cased word bags."""
    pred = Counter(_TOKEN.findall(predicted.lower())) if predicted else Counter()
    ref = Counter(_TOKEN.findall(reference.lower())) if reference else Counter()
    if not ref:
        return (1.0, 1.0, 1.0) if not pred else (0.0, 0.0, 0.0)
    if not pred:
        return (0.0, 0.0, 0.0)
    overlap = sum((pred & ref).values())
    p, r = overlap / sum(pred.values()), overlap / sum(ref.values())
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


# --- the two extractors, each in processes of its own --------------------------------------


def _plain(job: tuple[str, str, str]) -> tuple[str, str]:
    import trafilatura

    key, url, html = job
    return key, trafilatura.extract(html, url=url or None) or ""


def _ours_init(options_json: str) -> None:
    global _OPTIONS
    from pipelines.config import ProcessOptions

    _OPTIONS = ProcessOptions.model_validate_json(options_json)


_OPTIONS: Any = None


def _ours(job: tuple[str, str, str]) -> tuple[str, str]:
    from pipelines.process import extract_and_clean
    from pipelines.records import Page, Reject

    key, url, html = job
    page = Page(url=url or f"file:///wcxb/{key}.html", body=html, source=key)
    (doc,) = extract_and_clean([page], _OPTIONS, "wcxb")
    return key, "" if isinstance(doc, Reject) else doc.text


def _run(
    fn: Callable[[tuple[str, str, str]], tuple[str, str]],
    jobs: list[tuple[str, str, str]],
    workers: int,
    initializer: Callable[..., None] | None = None,
    initargs: tuple[Any, ...] = (),
) -> dict[str, str]:
    with ProcessPoolExecutor(
        workers, mp_context=get_context("spawn"), initializer=initializer, initargs=initargs
    ) as pool:
        return dict(pool.map(fn, jobs, chunksize=8))


def extract_texts(
    chosen: list[Item], options: Any = None, workers: int = 2
) -> dict[str, dict[str, str]]:
    """Text per page id for "trafilatura" (plain, defaults) and "contentpipe" (`options`, the
    defaults if None)."""
    from pipelines.config import ProcessOptions

    options = options or ProcessOptions()
    jobs = [(item.id, item.url, item.html()) for item in chosen]
    return {
        "trafilatura": _plain_texts(jobs, workers),
        "contentpipe": _run(_ours, jobs, workers, _ours_init, (options.model_dump_json(),)),
    }


def _plain_texts(jobs: list[tuple[str, str, str]], workers: int) -> dict[str, str]:
    """Plain trafilatura's texts; kept in a file named by `PLAIN_CACHE` (unset: computed in
    every run) — for the tuning loop only: the figures are always made fresh."""
    cache = os.environ.get("PLAIN_CACHE")
    if cache and Path(cache).is_file():
        found: dict[str, str] = json.loads(Path(cache).read_text())
        if all(key in found for key, _, _ in jobs):
            return found
    texts = _run(_plain, jobs, workers)
    if cache:
        Path(cache).write_text(json.dumps(texts))
    return texts


# --- scores ------------------------------------------------------------------------------


def summarize(rows: Iterable[tuple[float, float, float]]) -> dict[str, float]:
    rows = list(rows)
    n = len(rows) or 1
    return {
        "pages": len(rows),
        "precision": sum(r[0] for r in rows) / n,
        "recall": sum(r[1] for r in rows) / n,
        "f1": sum(r[2] for r in rows) / n,
    }


def evaluate(
    chosen: list[Item] | None = None, options: Any = None, workers: int = 2
) -> dict[str, Any]:
    """Per half ("tune", "held-out", "all") and page type ("all" and each type): each
    extractor's mean precision, recall and F1; plus per-page F1 of both (`pages`)."""
    chosen = items() if chosen is None else chosen
    texts = extract_texts(chosen, options, workers)
    pages: dict[str, dict[str, Any]] = {}
    groups: dict[tuple[str, str], list[str]] = defaultdict(list)
    for item in chosen:
        pages[item.id] = {
            "type": item.page_type,
            "half": item.half,
            "url": item.url,
            **{name: word_prf(found[item.id], item.truth) for name, found in texts.items()},
            "words": {name: len(found[item.id].split()) for name, found in texts.items()},
        }
        for h in (item.half, "all"):
            for t in (item.page_type, "all"):
                groups[(h, t)].append(item.id)
    table: dict[str, dict[str, dict[str, dict[str, float]]]] = defaultdict(dict)
    for (h, t), ids in sorted(groups.items()):
        table[h][t] = {name: summarize(pages[i][name] for i in ids) for name in texts}
    return {"table": table, "pages": pages}


def losses(result: dict[str, Any], half_: str = "tune", n: int = 20) -> list[tuple[str, Any]]:
    """The pages where contentpipe's F1 is furthest below plain trafilatura's."""
    found = [(key, page) for key, page in result["pages"].items() if half_ in ("all", page["half"])]
    found.sort(key=lambda kv: kv[1]["contentpipe"][2] - kv[1]["trafilatura"][2])
    return [kv for kv in found[:n] if kv[1]["contentpipe"][2] < kv[1]["trafilatura"][2]]


def collapses(result: dict[str, Any], kind: str = "article") -> list[str]:
    """Pages of `kind` where contentpipe's F1 is < 0.5 while trafilatura's is ≥ 0.8."""
    return [
        key
        for key, page in result["pages"].items()
        if page["type"] == kind and page["contentpipe"][2] < 0.5 <= 0.8 <= page["trafilatura"][2]
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--losers", type=int, default=15, help="list this many worst pages")
    ap.add_argument("--half", default="tune", choices=("tune", "held-out", "all"))
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--save", help="write per-page results to this JSON file")
    args = ap.parse_args()
    result = evaluate(workers=args.workers)
    if args.save:
        Path(args.save).write_text(json.dumps(result, indent=1))
    if args.json:
        print(json.dumps(result["table"], indent=2))
        return
    print(
        "| half | page type | pages | trafilatura F1 | contentpipe F1 | Δ | P (ours) | R (ours) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for h in ("held-out", "tune", "all"):
        for t in ("all", *TYPES):
            row = result["table"][h].get(t)
            if not row:
                continue
            plain, ours = row["trafilatura"], row["contentpipe"]
            print(
                f"| {h} | {t} | {ours['pages']} | {plain['f1']:.3f} | {ours['f1']:.3f} | "
                f"{ours['f1'] - plain['f1']:+.3f} | {ours['precision']:.3f} | "
                f"{ours['recall']:.3f} |"
            )
    print(
        f"\narticle pages with contentpipe F1 < 0.5 where trafilatura's ≥ 0.8: "
        f"{len(collapses(result))}"
    )
    print(f"\nWorst {args.losers} pages ({args.half}): id type F1 ours / trafilatura, words")
    for key, page in losses(result, args.half, args.losers):
        print(
            f"  {key} {page['type']:<13} {page['contentpipe'][2]:.3f} / "
            f"{page['trafilatura'][2]:.3f}  {page['words']['contentpipe']} / "
            f"{page['words']['trafilatura']} words  {page['url']}"
        )


if __name__ == "__main__":
    main()
