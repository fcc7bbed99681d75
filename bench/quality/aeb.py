"""Extraction quality on the AEB set (../shared/data/aeb: 181 real pages, hand-labelled bodies):
contentpipe (trafilatura + our cleaner) next to plain trafilatura, same run.

Scoring follows the benchmark's definition: per page, true and false positives and false
negatives over multisets of word 4-shingles (`\\w+` tokens) of predicted vs true body,
normalised per page; precision and recall are averaged over pages, F1 is computed from the two
averages.

Usage: python bench/quality/aeb.py [--json]
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import statistics
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from pipelines.config import ExtractOptions, ProcessOptions  # noqa: E402
from pipelines.extract import extract  # noqa: E402
from pipelines.process import extract_and_clean  # noqa: E402
from pipelines.records import Document, Page  # noqa: E402

AEB = ROOT.parent / "shared" / "data" / "aeb"
_TOKEN = re.compile(r"\w+")


def shingle_counts(text: str, n: int = 4) -> Counter[tuple[str, ...]]:
    tokens = _TOKEN.findall(text or "")
    grams = [tuple(tokens[i : i + n]) for i in range(max(1, len(tokens) - n + 1))]
    return Counter(g for g in grams if g)


def page_score(true: str, pred: str) -> tuple[float, float, float]:
    """(tp, fp, fn) over 4-shingle multisets, normalised to sum to 1."""
    t, p = shingle_counts(true), shingle_counts(pred)
    tp = sum((t & p).values())
    fp = sum((p - t).values())
    fn = sum((t - p).values())
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def summarize(scores: list[tuple[float, float, float]]) -> dict[str, float]:
    def precision(tp: float, fp: float, fn: float) -> float:
        return 1.0 if fp == fn == 0 else tp / (tp + fp)

    def recall(tp: float, fp: float, fn: float) -> float:
        return 1.0 if fp == fn == 0 else tp / (tp + fn)

    p = statistics.mean(precision(*s) for s in scores if s[0] + s[1] > 0)
    r = statistics.mean(recall(*s) for s in scores if s[0] + s[2] > 0)
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r)}


def evaluate(options: ProcessOptions | None = None) -> dict[str, dict[str, float]]:
    """F1, precision and recall of plain trafilatura (its defaults, and contentpipe's extraction
    options) and of contentpipe (those options + cleaning: `extract_and_clean`, as a run) on
    every AEB page."""
    truth = json.loads((AEB / "ground-truth.json").read_text(encoding="utf-8"))
    options = options or ProcessOptions()
    ours_options = options.model_copy(
        update={"extract": options.extract.model_copy(update={"timeout_seconds": 60})}
    )
    default_options = ExtractOptions(timeout_seconds=60, favor_precision=False)
    scores: dict[str, list[tuple[float, float, float]]] = {
        "trafilatura": [],
        "trafilatura (contentpipe's options)": [],
        "contentpipe": [],
    }
    for key, item in sorted(truth.items()):
        html = gzip.decompress((AEB / "html" / f"{key}.html.gz").read_bytes()).decode(
            "utf-8", "replace"
        )
        page = Page(url=item.get("url") or f"https://aeb.example/{key}", body=html, source=key)
        body = item["articleBody"]
        plain = extract(page, default_options, "aeb")
        scores["trafilatura"].append(page_score(body, _text(plain)))
        raw = extract(page, ours_options.extract, "aeb")
        scores["trafilatura (contentpipe's options)"].append(page_score(body, _text(raw)))
        (cleaned,) = extract_and_clean([page], ours_options, "aeb")
        scores["contentpipe"].append(page_score(body, _text(cleaned)))
    return {name: summarize(s) for name, s in scores.items()}


def _text(result: object) -> str:
    return result.text if isinstance(result, Document) else ""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    result = evaluate()
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print("| extractor | F1 | precision | recall |\n|---|---|---|---|")
    for name, m in result.items():
        print(f"| {name} | {m['f1']:.3f} | {m['precision']:.3f} | {m['recall']:.3f} |")


if __name__ == "__main__":
    main()
