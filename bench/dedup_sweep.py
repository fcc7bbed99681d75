"""How the dedup defaults were chosen: pair precision and recall over shingle sizes, thresholds
and permutation counts, through the real pipeline (templates → trafilatura → cleaner → MinHash
→ Deduplicator).

Positives: 100 real articles (AEB ground truth), each published on one site and syndicated on
another with a new headline and one edit: the last paragraph dropped, an editor's note added,
a closing paragraph added, 5 % of words changed, or all of these. Negatives that must never
merge: different articles; the user's five seeds (one event, five articles); 30 short briefs
sharing one heavy template. Scored as pair precision, recall and F1, and as the adjusted Rand
index of the clusters.

Usage: python bench/dedup_sweep.py
"""

from __future__ import annotations

import itertools
import json
import random
import sys
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from deploy.demo.sitegen import Article, render  # noqa: E402
from pipelines.clean import Cleaner  # noqa: E402
from pipelines.config import DedupOptions, ExtractOptions, TemplateOptions  # noqa: E402
from pipelines.dedup import Candidate, Deduplicator, shingles, signature  # noqa: E402
from pipelines.extract import extract  # noqa: E402
from pipelines.records import Document, Page  # noqa: E402
from pipelines.templates import TemplateModel, count_pages, line_keys  # noqa: E402

AEB = ROOT.parent / "shared" / "data" / "aeb" / "ground-truth.json"
SEEDS = ROOT.parent / "shared" / "seeds"
PAIRS = 100


def _clean(url: str, html: str, content_type: str = "text/html") -> Document:
    doc = extract(
        Page(url=url, body=html, source=url, content_type=content_type), ExtractOptions(), "sweep"
    )
    assert isinstance(doc, Document), doc
    return Cleaner().clean(doc)


def _edit(paras: tuple[str, ...], kind: str, rng: random.Random) -> tuple[str, ...]:
    out = list(paras)
    if kind in ("dropped_last", "all"):
        out = out[:-1]
    if kind in ("added", "all"):
        out.append(
            "This story has been updated with a statement from the company and additional "
            "reporting from our regional correspondents."
        )
    if kind in ("note", "all"):
        out = [
            "Editor's note: this article first appeared on a partner site and is republished "
            "with permission.",
            *out,
        ]
    if kind in ("words", "all"):
        changed = []
        for p in out:
            words = p.split()
            for i in range(len(words)):
                if rng.random() < 0.05:
                    words[i] = rng.choice(["reportedly", "new", "local", "major", "said"])
            changed.append(" ".join(words))
        out = changed
    return tuple(out)


def build() -> tuple[list[Document], set[frozenset[int]]]:
    rng = random.Random(5)
    truth = json.loads(AEB.read_text(encoding="utf-8"))
    bodies = [v["articleBody"] for v in truth.values()]
    long_bodies = [b for b in bodies if len(b.split("\n")) >= 4]
    bodies, spare = long_bodies[:PAIRS], long_bodies[PAIRS:]
    docs: list[Document] = []
    pairs: set[frozenset[int]] = set()
    kinds = ["dropped_last", "note", "words", "added", "all"]
    for i, body in enumerate(bodies):
        paras = tuple(p for p in body.split("\n") if p.strip())
        original = Article(f"a{i}", " ".join(paras[0].split()[:7]), "Staff", "2025-01-01", paras)
        copy = Article(
            f"c{i}",
            f"Syndicated: {original.title} (updated)",
            "Wire",
            "2025-01-02",
            _edit(paras, kinds[i % len(kinds)], rng),
        )
        sites = ["harbor-ledger", "valley-post", "metro-briefs", "northwind"]
        a = _clean(*render(sites[i % 4], original, ["Other story"]))
        b = _clean(*render(sites[(i + 1) % 4], copy, ["Another story"]))
        docs += [a, b]
        pairs.add(frozenset((len(docs) - 2, len(docs) - 1)))
    for seed in sorted(SEEDS.iterdir()):
        docs.append(_clean(seed.as_uri(), seed.read_text(encoding="utf-8"), "text/plain"))
    for j, body in enumerate(spare[:30]):  # short, different briefs on one heavy template
        brief = Article(
            f"brief{j}", f"Brief {j}", "Desk", "2025-02-01", (" ".join(body.split()[:60]),)
        )
        docs.append(_clean(*render("metro-briefs", brief, ["Latest one", "Latest two"])))
    # As in a run: what recurs across one site's pages is stripped before signatures.
    keys = [line_keys(d.text, d.title) for d in docs]
    model = TemplateModel.learn(
        [count_pages((d.domain, d.title, k) for d, k in zip(docs, keys, strict=True))],
        TemplateOptions(),
    )
    return [model.strip(d, k) for d, k in zip(docs, keys, strict=True)], pairs


def ari(n: int, truth: set[frozenset[int]], found: set[frozenset[int]]) -> float:
    """Adjusted Rand index of the clusterings that two sets of duplicate pairs induce."""

    def labels(pairs: set[frozenset[int]]) -> list[int]:
        parent = list(range(n))

        def root(i: int) -> int:
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        for pair in pairs:
            a, b = sorted(pair)
            parent[root(b)] = root(a)
        return [root(i) for i in range(n)]

    def pairs_in(counts: Counter[Any]) -> float:
        return sum(c * (c - 1) / 2 for c in counts.values())

    t, f = labels(truth), labels(found)
    index = pairs_in(Counter(zip(t, f, strict=True)))
    a, b = pairs_in(Counter(t)), pairs_in(Counter(f))
    expected = a * b / (n * (n - 1) / 2)
    top = (a + b) / 2
    return 1.0 if top == expected else (index - expected) / (top - expected)


def quality(
    docs: list[Document], truth: set[frozenset[int]], opts: DedupOptions
) -> dict[str, float]:
    """Pair precision, recall, F1 and ARI of the deduplicator on the dev set."""
    found = _found(docs, opts)
    tp = len(found & truth)
    precision = tp / len(found) if found else 1.0
    recall = tp / len(truth)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "ari": ari(len(docs), truth, found),
        "false_merges": len(found - truth),
    }


def _found(docs: list[Document], opts: DedupOptions) -> set[frozenset[int]]:
    cands = [
        Candidate(i, d.id, d.url, d.id, d.text_hash, None, d.word_count, signature(d.text, opts))
        for i, d in enumerate(docs)
    ]
    found: set[frozenset[int]] = set()
    by_id = {d.id: i for i, d in enumerate(docs)}
    for decision in Deduplicator(opts).decide(cands):
        if decision.duplicate_of is not None:
            found.add(frozenset((decision.key, by_id[decision.duplicate_of.id])))
    return found


def margins(docs: list[Document], truth: set[frozenset[int]], size: int) -> tuple[float, float]:
    """Exact Jaccard of shingle sets: the least similar duplicate pair and the most similar
    non-duplicate pair. A threshold between the two separates them."""
    sets = [set(shingles(d.text, size)) for d in docs]
    low, high = 1.0, 0.0
    for i, j in itertools.combinations(range(len(docs)), 2):
        sim = len(sets[i] & sets[j]) / max(1, len(sets[i] | sets[j]))
        if frozenset((i, j)) in truth:
            low = min(low, sim)
        else:
            high = max(high, sim)
    return low, high


def main() -> None:
    docs, truth = build()
    print(
        f"{len(docs)} documents, {len(truth)} duplicate pairs, "
        f"{len(docs) * (len(docs) - 1) // 2 - len(truth)} non-duplicate pairs\n"
    )
    print("| shingle | least similar duplicate pair | most similar different pair |")
    print("|---|---|---|")
    for size in (3, 5, 7):
        low, high = margins(docs, truth, size)
        print(f"| {size} | {low:.3f} | {high:.3f} |")
    print()
    print("| shingle | num_perm | threshold | precision | recall | F1 | ARI | false merges |")
    print("|---|---|---|---|---|---|---|---|")
    for shingle, perm, threshold in itertools.product(
        (3, 5, 7), (64, 128, 256), (0.3, 0.4, 0.5, 0.6, 0.7, 0.8)
    ):
        opts = DedupOptions(threshold=threshold, num_perm=perm, shingle_size=shingle)
        q = quality(docs, truth, opts)
        print(
            f"| {shingle} | {perm} | {threshold} | {q['precision']:.3f} | {q['recall']:.3f} | "
            f"{q['f1']:.3f} | {q['ari']:.3f} | {q['false_merges']:.0f} |"
        )
    q = quality(docs, truth, DedupOptions())
    print(
        f"\ndefaults ({DedupOptions().shingle_size}-word shingles, threshold "
        f"{DedupOptions().threshold}, {DedupOptions().num_perm} permutations): precision "
        f"{q['precision']:.3f}, recall {q['recall']:.3f}, F1 {q['f1']:.3f}, ARI {q['ari']:.3f}"
    )


if __name__ == "__main__":
    main()
