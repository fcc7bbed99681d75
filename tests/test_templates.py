"""Per-site template learning through real runs: a site's own furniture, with the title and
other slots changing on every page, is learned from its pages, carried across runs, and never
confused with the article — not with sentences quoted across sites, not with reposts."""

from __future__ import annotations

import html
import io
import json
import random
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from deploy.demo.sitegen import ARTICLES, Article
from pipelines.clean import Cleaner, Line, normalize, text_hash, word_count
from pipelines.config import ProcessOptions, TemplateOptions
from pipelines.dedup import signature
from pipelines.records import Document
from pipelines.run import ingest
from pipelines.storage import store_for
from pipelines.templates import TemplateModel, count_pages, line_keys, mask
from pipelines.urls import url_key
from tests.conftest import DEMO_SITE
from tests.helpers import rows

OPTS = ProcessOptions(workers=1, min_words=20)

# Site-specific lines no generic rule knows: only recurrence across pages reveals them.
FURNITURE = (
    "{title} is brought to you by the Quarry Gazette newsroom, read by {n},000 locals weekly.",
    "Got a tip about {title}? Our reporters answer every message within {n} hours.",
    "Quarry Gazette members get early access to stories like this one.",
)
QUOTE = (
    "We will not stop until every household in the valley has clean water, the minister said "
    "at the opening ceremony on the riverbank."
)


def page(site: str, article: Article, n: int, extra: tuple[str, ...] = ()) -> str:
    lines = [f.format(title=article.title, n=n + 3) for f in FURNITURE]
    body = [*article.paragraphs, *extra]
    paras = "".join(
        f"<p>{html.escape(p)}</p>" for p in [*body[:1], lines[0], *body[1:], *lines[1:]]
    )
    return (
        f"<!DOCTYPE html><html><head><title>{html.escape(article.title)}</title>"
        f'<link rel="canonical" href="https://{site}/{article.slug}-{n}">'
        f"</head><body><article><h1>{html.escape(article.title)}</h1>{paras}"
        "</article></body></html>"
    )


def write(root: Path, name: str, text: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / name).write_text(text)
    return root / name


def texts(out: str, run_id: str | None = None) -> dict[str, str]:
    return {r["canonical_url"]: r["text"] for r in rows(out, "records", run_id)}


def test_a_sites_templated_lines_are_learned_and_removed_and_the_article_kept(
    tmp_path: Path,
) -> None:
    src = tmp_path / "in"
    for n, article in enumerate(ARTICLES[:4]):
        write(src, f"{n}.html", page("quarry.example", article, n))
    out = str(tmp_path / "out")
    report = ingest([str(src)], out, OPTS)
    got = texts(out)
    assert len(got) == 4
    # Counts refreshed by the strip pass, which subtracts the dropped lines' words.
    for record in rows(out, "records"):
        assert record["word_count"] == word_count(record["text"])
        assert record["text_hash"] == text_hash(record["text"])
    for article in ARTICLES[:4]:
        (text,) = [t for url, t in got.items() if article.slug in url]
        assert "Quarry Gazette" not in text and "Got a tip" not in text
        for para in article.paragraphs:
            assert para in text
    assert report.counts["removed_by_rule.template"] == 12


def test_the_template_is_known_from_a_sites_first_page_in_the_next_run(tmp_path: Path) -> None:
    out = str(tmp_path / "out")
    for n, article in enumerate(ARTICLES[:3]):
        write(tmp_path / "run1", f"{n}.html", page("quarry.example", article, n))
    ingest([str(tmp_path / "run1")], out, OPTS)
    new = write(tmp_path / "run2", "new.html", page("quarry.example", ARTICLES[4], 9))
    second = ingest([str(new)], out, OPTS)
    (text,) = texts(out, second.run_id).values()
    assert "Quarry Gazette" not in text and "Got a tip" not in text
    assert all(para in text for para in ARTICLES[4].paragraphs)
    # The same page alone, with no history, keeps the lines: nothing recurs yet.
    alone = str(tmp_path / "alone")
    ingest([str(new)], alone, OPTS)
    (text,) = texts(alone).values()
    assert "Quarry Gazette" in text


def test_a_sentence_quoted_across_sites_is_not_template(tmp_path: Path) -> None:
    src = tmp_path / "in"
    for n, article in enumerate(ARTICLES[:4]):
        write(src, f"{n}.html", page(f"site{n}.example", article, n, extra=(QUOTE,)))
    out = str(tmp_path / "out")
    ingest([str(src)], out, OPTS)
    got = texts(out)
    assert len(got) == 4 and all(QUOTE in text for text in got.values())


def test_reposts_of_one_article_on_one_site_do_not_make_it_template(tmp_path: Path) -> None:
    src = tmp_path / "in"
    article = ARTICLES[0]
    for n in range(4):  # the same article under four URLs of one site
        write(src, f"{n}.html", page("quarry.example", article, n))
    out = str(tmp_path / "out")
    report = ingest([str(src)], out, OPTS)
    (text,) = texts(out).values()
    assert all(para in text for para in article.paragraphs)
    assert report.counts.get("removed_by_rule.template", 0) == 0


def test_masking_makes_slots_equal_and_data_lines_never_template() -> None:
    a = mask("Got a tip about Rain in Oslo? We answer within 4 hours.", "Rain in Oslo")
    b = mask("Got a tip about Ferry fares frozen? We answer within 12 hours.", "Ferry fares frozen")
    assert a == b
    scores = [line_keys(f"2 – {n}, 14:30", None)[0] for n in range(5)]
    counts = count_pages([("s.example", f"match {i}", [k]) for i, k in enumerate(scores)])
    model = TemplateModel.learn([counts], TemplateOptions())
    assert not model.templates


def test_explain_names_the_template_and_its_page_count() -> None:
    titles = ["Rain in Oslo", "Ferry fares frozen", "Bridge reopens", "Museum hours"]
    rows_ = [
        ("q.example", t, line_keys(f"Got a tip about {t}? Write to us.\nBody of {i}.", t))
        for i, t in enumerate(titles)
    ]
    model = TemplateModel.learn([count_pages(rows_)], TemplateOptions())
    text = "Got a tip about Snow? Write to us.\nA fresh article body."
    lines = model.mark(Cleaner().explain(text, "Snow"), "q.example", "Snow")
    assert lines == [
        Line(
            "Got a tip about Snow? Write to us.",
            "template",
            "template of q.example, on 4 of 4 pages",
        ),
        Line("A fresh article body."),
    ]


def test_ingesting_the_same_pages_again_learns_nothing_new(tmp_path: Path) -> None:
    # Duplicates of the first run are not in the dedup index; they must not count twice.
    out = str(tmp_path / "out")
    first = ingest([str(DEMO_SITE)], out, OPTS)
    second = ingest([str(DEMO_SITE)], out, OPTS)
    assert second.counts.get("records", 0) == 0
    assert second.counts["duplicates"] == first.counts["candidates"]
    assert second.counts.get("rejected", 0) == first.counts.get("rejected", 0)
    assert second.counts.get("removed_by_rule.template", 0) == first.counts.get(
        "removed_by_rule.template", 0
    )


# `mask` as first written, with one regular expression per step (and one per title): the
# definition that template keys, kept in outputs' indexes, must keep (`test_mask_is_...`).
_REF_MONTH = re.compile(
    r"\b(january|february|march|april|may|june|july|august|september|october|november|december"
    r"|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec|monday|tuesday|wednesday|thursday"
    r"|friday|saturday|sunday|mon|tue|wed|thu|fri|sat|sun|am|pm)\b"
)
_REF_DIGITS = re.compile(r"\b\w*\d\w*\b")
_REF_NAME = re.compile(
    r"\b[A-Z][\w'\u2019.-]*(?:\s+(?:of|de|van|von|the|and|&)?\s*[A-Z][\w'\u2019.-]*)*"
)
_REF_SLOTS = re.compile(r"\b(qqtitle|qqname|qqdate|qqnum)(\s+(qqtitle|qqname|qqdate|qqnum))+\b")


def _reference_mask(line: str, title: str | None) -> str:

    text = line
    words = re.findall(r"\w+", title or "")
    if words:
        title_re = re.compile(r"\W+".join(re.escape(w) for w in words), re.I)
        text = title_re.sub(" qqtitle ", text)
    first = re.match(r"^\W*\w+", text)
    head, rest = (text[: first.end()], text[first.end() :]) if first else ("", text)
    text = " ".join(re.findall(r"\w+", (head + _REF_NAME.sub(" qqname ", rest)).lower()))
    text = _REF_DIGITS.sub("qqnum", _REF_MONTH.sub("qqdate", text))
    return _REF_SLOTS.sub(lambda m: "qqnum" if "qqnum" in m.group(0) else m.group(1), text)


def test_mask_is_the_regular_expression_definition_on_random_lines() -> None:
    """Titles and lines of words that overlap in every way: inside words, across case,
    repeated, in runs; non-ASCII letters whose case rules differ (taken by the expressions)."""
    rng = random.Random(7)
    vocab = ["Rain", "in", "Oslo", "rain", "OSLO", "Oslo's", "—", ",", "x_y", "a", "ba", "b"]
    vocab += ["Drain", "inn", "May", "3", "4th", "2024", "qqnum", "Jane", "of", "Doe", "_"]
    vocab += ["aB", "_Cd", "9Ef", "O'Neil", "x.Y"]  # capitals inside words: not names
    unicode_vocab = [*vocab, "Straße", "ſun", "İstanbul", "KELVIN", "ﬁre", "Ǆ", "٣", "Ōsaka"]
    unicode_vocab += ["éGh", "’Oslo", "٣Doe", "—Jane"]
    # ASCII title words that only `re.I` finds in the trap characters' words, and those words
    unicode_vocab += ["sun", "is", "kin", "İs", "\u212ain", "ıs", "Ħ", "é"]
    for n in range(6_000):
        words = vocab if n % 2 else unicode_vocab
        title = " ".join(rng.choices(words, k=rng.randint(1, 3)))
        line = "".join(rng.choice([" ", "", "-", ". "]) + w for w in rng.choices(words, k=9))
        assert mask(line, title) == _reference_mask(line, title), (line, title)
        assert mask(line, None) == _reference_mask(line, None), line


def test_the_case_traps_are_all_the_characters_that_break_lower_casing() -> None:
    """`templates._CASE_TRAPS`: every non-ASCII character that `re.I` matches with an ASCII word
    character, or whose lower case holds ASCII or is not one character."""
    from pipelines import templates

    ascii_word = re.compile("[a-z0-9_]", re.I)
    traps = set()
    for code in range(0x80, 0x110000):
        char = chr(code)
        lower = char.lower()
        if ascii_word.fullmatch(char) or len(lower) != 1 or lower.isascii():
            traps.add(char)
    assert traps == {c for c in map(chr, range(0x80, 0x110000)) if templates._CASE_TRAPS.match(c)}


def test_mask_is_the_regular_expression_definition_on_real_text() -> None:
    """Every line of the demo site, the seeds and AEB's articles, with the page's title, with
    another page's, and with a piece of the line itself as the title (cut mid-word too)."""
    from tests.conftest import SEEDS

    texts = [p.read_text(encoding="utf-8") for p in sorted(DEMO_SITE.glob("*.html"))]
    texts += [p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*"))]
    aeb = SEEDS.parent / "data" / "aeb" / "ground-truth.json"
    if aeb.exists():
        texts += [str(v.get("articleBody", "")) for v in json.loads(aeb.read_text()).values()]
    rng = random.Random(11)
    lines = [ln for text in texts for ln in text.splitlines() if ln.strip()]
    assert len(lines) > 1_000
    for i, line in enumerate(lines):
        cut = sorted(rng.sample(range(len(line) + 1), 2)) if len(line) > 1 else [0, len(line)]
        piece = line[cut[0] : cut[1]]
        for title in (None, lines[i - 1], piece, piece.upper(), piece.swapcase()):
            assert mask(line, title) == _reference_mask(line, title), (line, title)


@pytest.mark.parametrize("templates", [True, False], ids=["templates", "no-templates"])
def test_the_index_holds_signatures_of_the_published_text(
    templates: bool, seeds: Path, tmp_path: Path
) -> None:
    """With templates on, documents are signed once their template lines are stripped (the
    strip pass), those of pages no template touched too; off, while they are processed."""
    src = tmp_path / "in"
    for n, article in enumerate(ARTICLES[:4]):
        write(src, f"{n}.html", page("quarry.example", article, n))
    options = OPTS.model_copy(update={"templates": TemplateOptions(enabled=templates)})
    out = str(tmp_path / "out")
    report = ingest([str(src), str(seeds)], out, options)
    published = {r["id"]: r["text"] for r in rows(out, "records", report.run_id)}
    segment = store_for(out).read_bytes(f"index/v2/run={report.run_id}.parquet")
    index = pq.read_table(io.BytesIO(segment)).to_pylist()
    assert sorted(r["id"] for r in index) == sorted(published) and len(published) == 9
    for row in index:
        assert row["signature"] == signature(published[row["id"]], options.dedup).tobytes()
    assert report.counts.get("removed_by_rule.template", 0) == (12 if templates else 0)


def _quarry_spool(tmp_path: Path) -> tuple[Path, TemplateModel, Any]:
    """A spool of six pages of one site in three row groups, and the site's template model."""
    from pipelines import dedup
    from pipelines.parquet import SPOOL_SCHEMA, RowWriter, row_groups
    from pipelines.process import Batch, process_batch
    from pipelines.readers import read_input

    src = tmp_path / "in"
    for n, article in enumerate(ARTICLES[:6]):
        write(src, f"{n}.html", page("quarry.example", article, n))
    pages = [p for f in sorted(src.iterdir()) for p in read_input(str(f))]
    perms = dedup.permutations(OPTS.dedup.num_perm)
    processed = process_batch(Batch(pages, OPTS, "run", perms))
    assert len(processed.docs) == 6 and all(sig == b"" for _, _, sig, _ in processed.docs)
    spool = tmp_path / "spool.parquet"
    with RowWriter(spool, SPOOL_SCHEMA, batch_rows=2) as writer:
        for doc, key, sig, keys in processed.docs:
            assert key == url_key(doc.canonical_url)
            writer.write(doc, url_key=key, signature=sig, line_keys=keys)
    assert row_groups(spool) == 3
    model = TemplateModel.learn(
        [count_pages((d.domain, d.title, k) for d, _, _, k in processed.docs)], TemplateOptions()
    )
    assert model.templates
    return spool, model, perms


def _stripped(paths: list[Path]) -> list[tuple[Document, bytes]]:
    from pipelines.parquet import read_rows

    out = []
    for path in paths:
        sigs = pq.read_table(path, columns=["signature"]).column("signature").to_pylist()
        out.extend(zip(read_rows(path, Document), sigs, strict=True))
    return out


def test_stripping_a_spool_by_row_groups_equals_stripping_it_whole(tmp_path: Path) -> None:
    """Publish strips and signs a spool one row group per job, on several workers; the parts,
    in order, must hold what one pass over the whole spool writes."""
    from pipelines.process import strip_templates

    spool, model, perms = _quarry_spool(tmp_path)

    whole, parts = Counter[str](), Counter[str]()
    strip_templates(spool, [0, 1, 2], tmp_path / "whole.parquet", model, OPTS, perms, whole)
    paths = [tmp_path / f"part-{g}.parquet" for g in range(3)]
    for g, path in enumerate(paths):
        strip_templates(spool, [g], path, model, OPTS, perms, parts)
    assert whole == parts and whole["removed_by_rule.template"] == 18
    expected = _stripped([tmp_path / "whole.parquet"])
    assert _stripped(paths) == expected and len(expected) == 6
    for doc, sig in expected:
        assert "Quarry Gazette" not in doc.text
        assert sig == signature(doc.text, OPTS.dedup).tobytes()


def test_a_document_the_strip_pass_cannot_sign_is_a_reject_and_the_rest_are_signed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The strip pass signs a row group at once; if that fails, each document alone, and only
    the one that cannot be signed becomes a reject (counted), not the failure of the run."""
    from pipelines import minhash
    from pipelines.process import strip_templates

    spool, model, perms = _quarry_spool(tmp_path)
    counts = Counter[str]()
    strip_templates(spool, [0, 1, 2], tmp_path / "good.parquet", model, OPTS, perms, counts)
    expected = _stripped([tmp_path / "good.parquet"])
    bad = expected[3][0]
    sign = minhash.signature

    def failing(text: str, *args: Any) -> Any:
        if text == bad.text:
            raise MemoryError("a text too long to sign")
        return sign(text, *args)

    monkeypatch.setattr(minhash, "signatures", lambda texts, *a: [failing(t, *a) for t in texts])
    monkeypatch.setattr(minhash, "signature", failing)
    failed = Counter[str]()
    rejects = strip_templates(
        spool, [0, 1, 2], tmp_path / "bad.parquet", model, OPTS, perms, failed
    )
    assert [(r.url, r.stage, r.reason) for r in rejects] == [(bad.url, "process", "internal_error")]
    assert "MemoryError" in str(rejects[0].detail)
    assert (
        failed["rejected.internal_error"] == 1 and failed["candidates"] == counts["candidates"] - 1
    )
    assert _stripped([tmp_path / "bad.parquet"]) == [e for e in expected if e[0].url != bad.url]


def test_a_batch_spooled_by_a_worker_holds_what_processing_it_makes(tmp_path: Path) -> None:
    """A worker hands a batch over as spool rows and counts (`spool_batch`): read back, they
    must be `process_batch`'s documents, keys and line keys, and its rejects and counts."""
    from pipelines import dedup
    from pipelines.parquet import SpoolWriter, read_rows
    from pipelines.process import Batch, process_batch, spool_batch
    from pipelines.readers import read_input
    from pipelines.records import Document

    src = tmp_path / "in"
    for n, article in enumerate(ARTICLES):
        write(src, f"q{n}.html", page("quarry.example", article, n))
    write(src, "empty.html", "<html><body></body></html>")
    pages = [p for f in sorted(src.iterdir()) for p in read_input(str(f))]
    batch = Batch(pages, OPTS, "run", dedup.permutations(OPTS.dedup.num_perm))
    processed, spooled = process_batch(batch), spool_batch(batch)
    spool = tmp_path / "spool.parquet"
    with SpoolWriter(spool) as writer:
        writer.write_rows(spooled.rows)
    extra = pq.read_table(spool, columns=["url_key", "signature", "line_keys"]).to_pylist()
    found = [
        (doc, row["url_key"], row["signature"], row["line_keys"])
        for doc, row in zip(read_rows(spool, Document), extra, strict=True)
    ]
    assert found == processed.docs and spooled.docs == len(found) == len(ARTICLES)
    assert spooled.rejects == processed.rejects and len(spooled.rejects) == 1
    counts = Counter[str]()
    for doc, *_ in processed.docs:
        counts["boilerplate_lines_removed"] += doc.boilerplate_lines_removed
        for rule, n in doc.removed_by_rule.items():
            counts[f"removed_by_rule.{rule}"] += n
    assert spooled.counts == counts and counts["boilerplate_lines_removed"] > 0


def test_the_strip_pass_writes_each_document_as_stripping_it_alone_makes_it(
    tmp_path: Path,
) -> None:
    """The strip pass works on a row group's columns; each row it writes must be what
    `TemplateModel.strip` makes of that row's document — its line keys those of the lines
    left, its signature that of its text, a signature it had kept if nothing was cut — and a
    document that stripping leaves too short the reject `min_words` makes of it."""
    from pipelines import dedup
    from pipelines.filters import min_words
    from pipelines.parquet import SPOOL_SCHEMA, RowWriter, read_rows
    from pipelines.process import Batch, process_batch, strip_templates
    from pipelines.readers import read_input
    from pipelines.records import Document, Reject

    src = tmp_path / "in"
    for n, article in enumerate(ARTICLES):
        write(src, f"q{n}.html", page("quarry.example", article, n))
    for n, article in enumerate(ARTICLES[:2]):  # a site with too few pages for templates
        write(src, f"r{n}.html", page("other.example", article, n))
    pages = [p for f in sorted(src.iterdir()) for p in read_input(str(f))]
    perms = dedup.permutations(OPTS.dedup.num_perm)
    docs = process_batch(Batch(pages, OPTS, "run", perms)).docs
    assert len(docs) == 8
    model = TemplateModel.learn(
        [count_pages((d.domain, d.title, k) for d, _, _, k in docs)], TemplateOptions()
    )
    assert set(model.templates) == {"quarry.example"}
    # One document of each site arrives signed (a made-up signature: kept only if not cut).
    made_up = bytes(range(256)) * 2
    spooled = [
        (doc, key, made_up if n in (0, 6) else sig, keys)
        for n, (doc, key, sig, keys) in enumerate(docs)
    ]
    spool = tmp_path / "spool.parquet"
    with RowWriter(spool, SPOOL_SCHEMA, batch_rows=3) as writer:
        for doc, key, sig, keys in spooled:
            writer.write(doc, url_key=key, signature=sig, line_keys=keys)
    # A minimum that some stripped documents fall under (all were above OPTS.min_words).
    stripped_words = sorted(model.strip(d, k).word_count for d, _, _, k in spooled[:6])
    options = OPTS.model_copy(update={"min_words": stripped_words[2]})

    expected_rows, expected_rejects = [], []
    for doc, key, sig, keys in spooled:
        stripped = model.strip(doc, keys)
        if stripped is not doc:
            kept = min_words(stripped, options.min_words)
            if isinstance(kept, Reject):
                expected_rejects.append(kept)
                continue
            keys = [k for k in keys if k not in model.templates[doc.domain]]
            sig = b""
        sig = sig or signature(stripped.text, OPTS.dedup).tobytes()
        expected_rows.append((stripped, key, sig, keys))
    assert 0 < len(expected_rejects) < 6

    counts = Counter[str]()
    out = tmp_path / "stripped.parquet"
    rejects = strip_templates(spool, [0, 1, 2], out, model, options, perms, counts)
    extra = pq.read_table(out, columns=["url_key", "signature", "line_keys"]).to_pylist()
    found = [
        (doc, row["url_key"], row["signature"], row["line_keys"])
        for doc, row in zip(read_rows(out, Document), extra, strict=True)
    ]
    assert found == expected_rows
    assert rejects == expected_rejects
    assert counts["rejected.too_short"] == len(rejects) == -counts["candidates"]
    assert counts["removed_by_rule.template"] == 6 * 3
    assert any(sig == made_up for _, _, sig, _ in found)  # the other site's, not cut


def test_page_counts_are_their_definition_on_random_pages() -> None:
    """`count_pages` (a `PageCounter` fed in batches of columns) counts, per site, the distinct
    pages each key is on, every page under `SITE_PAGES`, never `DATA_LINE`; pages without a
    site and repeats of a site's title (in any case or punctuation) count nothing. Random pages,
    over several batches."""
    from pipelines.templates import DATA_LINE, SITE_PAGES

    rng = random.Random(3)
    titles = ["Rain in Oslo", "rain, in OSLO!", "Snow", None, ""]
    rows_ = [
        (
            rng.choice(["a.example", "b.example", ""]),
            rng.choice(titles) if rng.random() < 0.3 else f"title {rng.randrange(3000)}",
            [
                rng.choice([DATA_LINE, SITE_PAGES, 2, 3, 2**64 - 1, rng.randrange(2, 50)])
                for _ in range(rng.randrange(0, 8))
            ],
        )
        for _ in range(5000)
    ]
    expected: dict[str, Counter[int]] = {}
    seen: set[tuple[str, str]] = set()
    for site, title, keys in rows_:
        if not site:
            continue
        if title:
            if (site, normalize(title)) in seen:
                continue
            seen.add((site, normalize(title)))
        expected.setdefault(site, Counter()).update({SITE_PAGES, *keys} - {DATA_LINE})
    assert count_pages(rows_) == expected
    assert count_pages([]) == {}


def test_saved_pages_without_a_url_learn_their_sites_template_in_a_run(tmp_path: Path) -> None:
    """Pages saved as files have file: URLs and no domain: the site they name stands for it."""
    src = tmp_path / "in"
    for n, article in enumerate(ARTICLES[:4]):
        html = page("quarry.example", article, n).replace(
            f'<link rel="canonical" href="https://quarry.example/{article.slug}-{n}">',
            '<meta property="og:site_name" content="Quarry Gazette">',
        )
        assert "canonical" not in html
        write(src, f"{n}.html", html)
    out = str(tmp_path / "out")
    ingest([str(src)], out, OPTS)
    records = rows(out, "records")
    assert len(records) == 4
    for record in records:
        assert record["domain"] == "" and record["site"] == "name:quarry gazette"
        assert "Quarry Gazette members" not in record["text"]
        assert dict(record["removed_by_rule"])["template"] == 3


def test_a_line_that_is_another_pages_title_goes_whatever_heads_its_list(tmp_path: Path) -> None:
    """A list of the site's other pages under a heading no rule knows (here in Finnish), each
    title on too few pages to recur as template."""
    src = tmp_path / "in"
    chosen = ARTICLES[:5]
    for n, article in enumerate(chosen):
        others = [chosen[(n + 1) % 5].title, chosen[(n + 2) % 5].title]
        listing = "<h3>Uusimmat</h3><ul>" + "".join(f"<li>{html.escape(t)}</li>" for t in others)
        body = page("quarry.example", article, n).replace("</article>", listing + "</ul></article>")
        write(src, f"{n}.html", body)
    out = str(tmp_path / "out")
    report = ingest([str(src)], out, OPTS)
    assert report.counts["removed_by_rule.other_title"] == 5 * 2
    records = rows(out, "records")
    assert len(records) == 5
    for record in records:
        lines = set(record["text"].split("\n"))
        assert not lines & {a.title for a in chosen}, record["text"]
        assert dict(record["removed_by_rule"])["other_title"] == 2
        article = next(a for a in chosen if a.title == record["title"])
        assert all(p in record["text"] for p in article.paragraphs)


def test_a_page_that_is_a_list_of_the_sites_pages_keeps_it() -> None:
    model = TemplateModel(OPTS.templates)
    titles = [f"Story number {n} about the harbor" for n in range(6)]
    model.add_titles(("q.example", t) for t in titles)
    front = "\n".join(titles[1:])
    assert (
        model.cut("q.example", front, line_keys(front, "Front page"), "front", "Front page") is None
    )
    text = "A long first paragraph of the story, with many more words than any title has.\n" * 3
    text += titles[2]
    cut = model.cut("q.example", text, line_keys(text, titles[0]), "a", titles[0])
    assert cut is not None and cut.other_titles == 1 and titles[2] not in cut.text
    # Its own title is not another page's.
    own = model.cut("q.example", titles[0], line_keys(titles[0], titles[0]), "b", titles[0])
    assert own is None
