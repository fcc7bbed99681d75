"""SEO boilerplate dev set: real article texts (AEB ground truth) wrapped in boilerplate-heavy
sites, run through the real pipeline, scored against the injected lines.

Two kinds of sites:
- hand-written templates (`seo_templates.py`): "tuned" ones, which the rules were written from,
  and "held_out" ones, written after them;
- generated sites (`seo_families.py`): many phrasings of each kind of line in seven languages,
  random markup and positions, split by phrasing into "generated-tuned" and
  "generated-never-tuned" — the never-tuned half is the figure reported.

Each group goes through `ingest` (pages with their URLs: `pipelines.run.ingest`, trafilatura →
rules → per-site templates → dedup) and through `contentpipe extract` of the same pages saved
as files without their canonical link (`pipelines.run.clean_pages`: the site is the one each
page names).

Metrics, per group:
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

from bench.quality import seo_families  # noqa: E402
from bench.quality.seo_templates import HELD_OUT, TUNED, Block, SeoArticle, Template  # noqa: E402
from pipelines.clean import normalize as _normalize  # noqa: E402
from pipelines.config import ExtractOptions, ProcessOptions  # noqa: E402
from pipelines.extract import extract  # noqa: E402
from pipelines.records import Document, Page  # noqa: E402
from pipelines.run import clean_pages, ingest  # noqa: E402

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


def build_generated(half: str, sites: int, per_site: int) -> list[DevPage]:
    """`sites` generated sites of one half (`seo_families.site`), `per_site` different
    articles on each; a page's "latest" and "read also" lines name other articles of its
    site."""
    pool = articles()
    if sites * per_site > len(pool):
        raise SystemExit(f"not enough AEB articles for {sites} sites of {per_site} pages")
    rng = random.Random(f"generated-{half}-{per_site}")
    pages: list[DevPage] = []
    for n in range(sites):
        # Hosts numbered apart for each draw, so that no two groups share a URL.
        site = seo_families.site(1000 * per_site + n, half, rng)
        chosen = pool[n * per_site : (n + 1) * per_site]
        for article in chosen:
            others = [a.title for a in chosen if a is not article]
            rng.shuffle(others)
            url, page, blocks = site.render(article, rng, others)
            pages.append(DevPage(f"{site.host}", url, page, blocks))
    return pages


_CANONICAL = re.compile(r'<link rel="canonical"[^>]*>\n?')


def run_extract(pages: list[DevPage], options: ProcessOptions | None = None) -> dict[str, str]:
    """Text per URL that `contentpipe extract` makes of the pages saved as files without
    their canonical link (`clean_pages`, as the command runs it)."""
    saved = [
        Page(
            url=f"file:///saved/{n:04d}.html",
            body=_CANONICAL.sub("", page.html),
            source=f"/saved/{n:04d}.html",
        )
        for n, page in enumerate(pages)
    ]
    results, _ = clean_pages(saved, options or ProcessOptions())
    return {
        page.url: doc.text if isinstance(doc, Document) else ""
        for page, (_, doc) in zip(pages, results, strict=True)
    }


def evaluate(
    per_site: int = 20, generated_sites: int = 28, generated_per_site: int = 5
) -> dict[str, dict[str, dict[str, float]]]:
    """Per group, the scores of contentpipe through `ingest`, of `contentpipe extract` of the
    saved pages, and of plain trafilatura."""
    tuned = {t.name for t in TUNED}
    written = build(per_site)
    groups = {
        "tuned": [p for p in written if p.template in tuned],
        "held_out": [p for p in written if p.template not in tuned],
        "generated-tuned": build_generated("tuned", generated_sites, generated_per_site),
        "generated-never-tuned": build_generated(
            "never-tuned", generated_sites, generated_per_site
        ),
        # Two pages a site, fewer than a template needs: what the rules alone remove.
        "generated-tuned, rules only": build_generated("tuned", 2 * generated_sites, 2),
        "generated-never-tuned, rules only": build_generated("never-tuned", 2 * generated_sites, 2),
    }
    # One run per set of pages that share no article (dedup would drop the copies).
    ours, saved, plain = {}, {}, {}
    for name, pages in groups.items():
        if name in ("tuned", "held_out"):
            continue  # `written` holds both
        ours.update(run_pipeline(pages))
        saved.update(run_extract(pages))
        plain.update(run_trafilatura(pages))
    ours.update(run_pipeline(written))
    saved.update(run_extract(written))
    plain.update(run_trafilatura(written))
    return {
        name: {
            "contentpipe": score(group, ours),
            "contentpipe extract": score(group, saved),
            "trafilatura": score(group, plain),
        }
        for name, group in groups.items()
    }


def leaks_by_line(group: str = "tuned", per_site: int = 20) -> list[tuple[str, str, str]]:
    """(site, line, how: "ingest" or "extract") of every leaked line of a group that rules may
    be written from ("tuned", "held_out" or "generated-tuned"): what to look at when a
    figure drops. The never-tuned half is not listed: it stays unread."""
    if group == "generated-tuned":
        pages = build_generated("tuned", 28, 5)
    else:
        tuned = {t.name for t in TUNED}
        pages = [p for p in build(per_site) if (p.template in tuned) == (group == "tuned")]
    found: list[tuple[str, str, str]] = []
    for how, texts in (("ingest", run_pipeline(pages)), ("extract", run_extract(pages))):
        for page in pages:
            text = texts.get(page.url, "")
            out_lines = {normalize(line) for line in text.split("\n")}
            article = _article(page)
            for block in page.blocks:
                if block.boilerplate and _leaks(block.text, out_lines, normalize(text), article):
                    found.append((page.template, block.text, how))
    return found


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--per-site", type=int, default=20, help="pages per template (default 20)")
    ap.add_argument("--json", action="store_true")
    ap.add_argument(
        "--leaks",
        choices=("tuned", "held_out", "generated-tuned"),
        help="list every leaked line of this group",
    )
    args = ap.parse_args()
    if args.leaks:
        for template, line, how in leaks_by_line(args.leaks, args.per_site):
            print(f"{how} {template}: {line}")
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
