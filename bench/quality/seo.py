"""SEO boilerplate dev set: real article texts (AEB ground truth) wrapped in boilerplate-heavy
site templates (`seo_templates.py`), run through the real pipeline (`pipelines.run.ingest`:
trafilatura → rules → per-site templates → dedup), scored against the injected lines.

Metrics, per template group (tuned / held out):
- leak rate: injected lines found in the published text, over all injected lines;
- leak-free pages: pages whose published text has no injected line;
- paragraph recall: article paragraphs found in the published text (a page that is not
  published at all loses all its paragraphs).
Plain trafilatura on the same pages is shown for comparison.

A short injected line (< 4 words) leaks if it is a line of the output; a longer one if its
words appear in that order anywhere in the output.

Usage: python bench/quality/seo.py [--per-site N] [--json]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.quality.seo_templates import HELD_OUT, TUNED, Block, SeoArticle, Template  # noqa: E402
from pipelines.clean import normalize as _normalize  # noqa: E402
from pipelines.config import ExtractOptions, ProcessOptions  # noqa: E402
from pipelines.extract import extract  # noqa: E402
from pipelines.records import Document, Page  # noqa: E402
from pipelines.run import ingest  # noqa: E402

AEB_TRUTH = ROOT.parent / "shared" / "data" / "aeb" / "ground-truth.json"
AUTHORS = ("Maria Lopez", "James Okafor", "Priya Raman", "Tom Becker", "Ana Silva", "Lee Chen")


def normalize(text: str) -> str:
    """Words only; soft hyphens (which the extractor may drop) do not split words."""
    return _normalize(text.replace("\u00ad", ""))


@dataclass
class DevPage:
    template: str
    url: str
    html: str
    blocks: list[Block]


def _title(url: str, body: str) -> str:
    slug = urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]
    words = [w for w in re.split(r"[-_.]+", slug) if w.isalpha() and w not in ("html", "htm")]
    if len(words) < 3:
        words = body.split()[:8]
    return " ".join(w.capitalize() for w in words[:12])


def articles() -> list[SeoArticle]:
    """AEB bodies with at least three paragraphs, as articles with a title from their URL."""
    truth = json.loads(AEB_TRUTH.read_text(encoding="utf-8"))
    rng = random.Random(11)
    out: list[SeoArticle] = []
    for n, (key, item) in enumerate(sorted(truth.items())):
        paras = tuple(p.strip() for p in item["articleBody"].split("\n") if p.strip())
        if len(paras) < 3:
            continue
        day = rng.randint(1, 28)
        out.append(
            SeoArticle(
                f"a{n}-{key[:8]}",
                _title(item.get("url") or "", paras[0]),
                rng.choice(AUTHORS),
                f"2025-{rng.randint(1, 12):02d}-{day:02d}",
                paras,
            )
        )
    return out


def build(per_site: int, templates: tuple[Template, ...] = (*TUNED, *HELD_OUT)) -> list[DevPage]:
    """`per_site` different articles on each template; every article is used once."""
    pool = articles()
    rng = random.Random(7)
    pages: list[DevPage] = []
    for t_index, template in enumerate(templates):
        chosen = pool[t_index * per_site : (t_index + 1) * per_site]
        if len(chosen) < per_site:
            raise SystemExit(f"not enough AEB articles for {per_site} pages per site")
        for article in chosen:
            others = [a.title for a in rng.sample(pool, 4) if a is not article][:3]
            others += ["More stories from our newsroom"] * (4 - len(others))
            url, page, blocks = template.render(article, rng, others)
            pages.append(DevPage(template.name, url, page, blocks))
    return pages


def _leaks(line: str, out_lines: set[str], out_text: str, article: str) -> bool:
    norm = normalize(line)
    if not norm:
        return False
    if len(norm.split()) < 4:
        return norm in out_lines
    # A repeated title can also be the start of the first paragraph: only copies beyond the
    # article's own count.
    return out_text.count(norm) > article.count(norm)


def _article(page: DevPage) -> str:
    return " | ".join(normalize(b.text) for b in page.blocks if not b.boilerplate)


def score(pages: list[DevPage], texts: dict[str, str]) -> dict[str, float]:
    injected = leaked = paras = kept = leak_free = 0
    for page in pages:
        text = texts.get(page.url, "")
        out_lines = {normalize(line) for line in text.split("\n")}
        out_text = normalize(text)
        article = _article(page)
        page_leaks = 0
        for block in page.blocks:
            if block.boilerplate:
                injected += 1
                page_leaks += _leaks(block.text, out_lines, out_text, article)
            else:
                paras += 1
                kept += normalize(block.text) in out_text
        leaked += page_leaks
        leak_free += page_leaks == 0
    return {
        "pages": len(pages),
        "injected_lines": injected,
        "leak_rate": leaked / injected if injected else 0.0,
        "leak_free_pages": leak_free / len(pages) if pages else 1.0,
        "paragraph_recall": kept / paras if paras else 1.0,
    }


def run_pipeline(pages: list[DevPage], options: ProcessOptions | None = None) -> dict[str, str]:
    """Published text per URL after a real `ingest` of the pages into a temporary output."""
    import pyarrow.parquet as pq

    options = options or ProcessOptions(workers=2)
    with tempfile.TemporaryDirectory(prefix="seo-dev-") as tmp:
        src = Path(tmp, "pages")
        src.mkdir()
        for n, page in enumerate(pages):
            (src / f"{n:04d}.html").write_text(page.html, encoding="utf-8")
        out = Path(tmp, "out")
        report = ingest([str(src)], str(out), options)
        texts: dict[str, str] = {}
        for key in report.files["records"]:
            table = pq.read_table(out / key)
            for row in table.select(["canonical_url", "text"]).to_pylist():
                texts[row["canonical_url"]] = row["text"]
        return texts


def run_trafilatura(pages: list[DevPage]) -> dict[str, str]:
    texts: dict[str, str] = {}
    for page in pages:
        doc = extract(Page(url=page.url, body=page.html, source=page.url), ExtractOptions(), "x")
        texts[page.url] = doc.text if isinstance(doc, Document) else ""
    return texts


def evaluate(per_site: int = 20) -> dict[str, dict[str, dict[str, float]]]:
    pages = build(per_site)
    ours, plain = run_pipeline(pages), run_trafilatura(pages)
    tuned = {t.name for t in TUNED}
    groups = {
        "tuned": [p for p in pages if p.template in tuned],
        "held_out": [p for p in pages if p.template not in tuned],
    }
    return {
        name: {"contentpipe": score(group, ours), "trafilatura": score(group, plain)}
        for name, group in groups.items()
    }


def leaks_by_line(per_site: int = 20) -> list[tuple[str, str]]:
    """(template, line) of every leaked line: what to look at when a figure drops."""
    pages = build(per_site)
    texts = run_pipeline(pages)
    found: list[tuple[str, str]] = []
    for page in pages:
        text = texts.get(page.url, "")
        out_lines = {normalize(line) for line in text.split("\n")}
        article = _article(page)
        for block in page.blocks:
            if block.boilerplate and _leaks(block.text, out_lines, normalize(text), article):
                found.append((page.template, block.text))
    return found


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--per-site", type=int, default=20, help="pages per template (default 20)")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--leaks", action="store_true", help="list every leaked line")
    args = ap.parse_args()
    if args.leaks:
        for template, line in leaks_by_line(args.per_site):
            print(f"{template}: {line}")
        return
    result = evaluate(args.per_site)
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(
        "| templates | extractor | pages | injected lines | leak rate | leak-free pages "
        "| paragraph recall |"
    )
    print("|---|---|---|---|---|---|---|")
    for group, by in result.items():
        for name, m in by.items():
            print(
                f"| {group} | {name} | {m['pages']:.0f} | {m['injected_lines']:.0f} | "
                f"{m['leak_rate']:.1%} | {m['leak_free_pages']:.1%} | "
                f"{m['paragraph_recall']:.1%} |"
            )


if __name__ == "__main__":
    main()
