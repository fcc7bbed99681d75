"""Extraction: contentpipe's change to trafilatura's fallback comparison keeps its output.

`pipelines.extract` skips readability where its text provably cannot be preferred. These tests
check the bound behind that proof against readability itself, and the output against unchanged
trafilatura on real pages (AEB) and the bundled demo pages.
"""

from __future__ import annotations

import copy
import gzip
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import trafilatura.core
import trafilatura.external
from lxml.etree import tostring
from lxml.html import Element, HtmlElement
from trafilatura import bare_extraction
from trafilatura.settings import Extractor
from trafilatura.utils import load_html, trim

from bench.quality.aeb import AEB
from pipelines import extract

DEMO_PAGES = Path(__file__).resolve().parent.parent / "deploy" / "demo" / "site"


def _aeb_pages(step: int) -> list[str]:
    files = sorted((AEB / "html").glob("*.html.gz"))[::step]
    if not files:
        pytest.fail(f"the AEB data set is missing at {AEB}")
    return [gzip.decompress(f.read_bytes()).decode("utf-8", "replace") for f in files]


def _demo_pages() -> list[str]:
    files = sorted(DEMO_PAGES.rglob("*.html"))
    assert files, f"no demo pages under {DEMO_PAGES}"
    return [f.read_text(encoding="utf-8") for f in files]


TRICKY = """<html><body><nav><a href="/">Home</a> <a href="/a">About</a></nav>
<div class="content">Loose text in a div that readability wraps in a paragraph.
<br>More loose text after a line break, long enough to count as a paragraph of its own.
<iframe src="https://www.youtube.com/embed/xyz"></iframe><iframe src="https://ads.example/x"></iframe>
<p>A paragraph with <a href="/x">a link</a> and a tail that moves.</p>tail text of the paragraph
<script>var a = "script text is never readable text";</script><style>p { color: red }</style>
</div><footer>Footer text, copyright and contact lines.</footer></body></html>"""


@pytest.mark.parametrize("source", ["aeb", "demo", "tricky"])
def test_readable_length_bound_holds_for_readability(source: str) -> None:
    pages = {"aeb": lambda: _aeb_pages(1), "demo": _demo_pages, "tricky": lambda: [TRICKY]}
    for html in pages[source]():
        tree = load_html(html)
        if tree is None:
            continue
        bound = extract._readable_length_bound(copy.deepcopy(tree))
        result = extract._TRAFILATURA_READABILITY(copy.deepcopy(tree))
        text = trim(tostring(result, method="text", encoding="utf-8").decode())
        assert len(text) <= bound, (len(text), bound, text[:200])


def _texts(pages: list[str]) -> list[str | None]:
    options = Extractor(output_format="python", precision=True, comments=False, tables=True)
    out: list[str | None] = []
    for html in pages:
        result = bare_extraction(load_html(html), options=options)
        out.append(None if result is None else result.text)
    return out


def test_skipping_readability_keeps_trafilaturas_output(monkeypatch: pytest.MonkeyPatch) -> None:
    assert trafilatura.core.compare_extraction is extract._compare_extraction
    pages = _aeb_pages(1) + _demo_pages() + [TRICKY]
    verdicts: Counter[bool] = Counter()
    cannot_win = extract._readability_cannot_win

    def counted(*args: Any) -> bool:
        verdict = cannot_win(*args)
        verdicts[verdict] += 1
        return verdict

    monkeypatch.setattr(extract, "_readability_cannot_win", counted)
    ours = _texts(pages)
    monkeypatch.setattr(trafilatura.core, "compare_extraction", extract._TRAFILATURA_COMPARE)
    monkeypatch.setattr(trafilatura.external, "try_readability", extract._TRAFILATURA_READABILITY)
    theirs = _texts(pages)
    assert ours == theirs
    # Both ways were taken, so the comparison tested something.
    assert verdicts[True] >= 10 and verdicts[False] >= 10, verdicts


def test_an_empty_page_is_never_preferred_by_trafilatura() -> None:
    """What `_compare_extraction` relies on: readability on the empty stand-in page yields no
    text, as `_try_readability` answers for it, and trafilatura then keeps its own text."""
    stand_in = Element(extract._UNREAD)
    for result in (extract._TRAFILATURA_READABILITY(stand_in), extract._try_readability(stand_in)):
        assert isinstance(result, HtmlElement)
        assert trim(tostring(result, method="text", encoding="utf-8").decode()) == ""
    # Any other page is readability's to read.
    assert trafilatura.external.try_readability is extract._try_readability
    page = load_html(TRICKY)
    ours = extract._try_readability(copy.deepcopy(page))
    theirs = extract._TRAFILATURA_READABILITY(copy.deepcopy(page))
    assert tostring(ours) == tostring(theirs) != b"<div/>"


# trafilatura 2.3.1's author expressions and those of what its author search discards, which
# `_AUTHOR_HINT` and `_fast_extract_author` were derived from: a new version that changes them must
# be read again before the shortcuts may apply to it.
AUTHOR_XPATHS_READ = "bd5f2806"


def test_author_expressions_are_the_ones_the_hint_was_derived_from() -> None:
    import hashlib

    from trafilatura.xpaths import AUTHOR_DISCARD_XPATHS, AUTHOR_XPATHS

    paths = [x.path for x in [*AUTHOR_XPATHS, *AUTHOR_DISCARD_XPATHS]]
    digest = hashlib.sha256("\n".join(paths).encode()).hexdigest()
    assert digest[:8] == AUTHOR_XPATHS_READ or not extract._TRAFILATURA_READ, digest


BYLINES = [
    '<span class="posted-by">By Jane Doe</span>',
    '<div class="Byline">By Jane Doe</div>',
    '<p itemprop="author">Jane Doe</p>',
    '<a rel="author" href="/jane">Jane Doe</a>',
    "<author>Jane Doe</author>",
    '<div data-component="Byline">Jane Doe</div>',
]


@pytest.mark.parametrize("source", ["aeb", "demo", "bylines"])
def test_author_search_is_skipped_only_where_it_finds_nothing(source: str) -> None:
    from trafilatura.metadata import extract_author

    pages = {
        "aeb": lambda: _aeb_pages(1),
        "demo": _demo_pages,
        "bylines": lambda: [
            f"<html><body>{b}<p>Text of the story.</p></body></html>" for b in BYLINES
        ],
    }[source]()
    verdicts: Counter[bool] = Counter()
    for html in pages:
        tree = load_html(html)
        may = extract._may_name_an_author(tree)
        verdicts[may] += 1
        author = extract_author(tree)
        assert may or author is None, author
        if source == "bylines":
            assert may and author == "Jane Doe", html
    if source == "aeb":
        assert verdicts[True] >= 100 and verdicts[False] >= 10, verdicts


TRICKY_BYLINES = [
    # a date inside the byline: pruned from the text read, its tail kept
    '<p class="byline">By <time>May 1</time>Jane Doe and <figure>x</figure>John Roe</p>',
    # a byline inside a comments section: discarded, the next one counts
    '<div class="comments"><span class="author">Troll McTroll</span></div>'
    '<span class="author">Jane Doe</span>',
    # too long for an author, then a valid one in a later expression
    f'<div class="author">{"word " * 40}</div><div data-component="Byline">Jane Doe</div>',
    # an element selected through a child <rel>
    "<span><rel>me</rel>Jane Doe</span>",
    '<div class="sidebar"><a rel="author">Side Bar</a></div><a rel="author">Jane Doe</a>',
    '<span class="author"><span class="print">Print</span> Jane Doe</span>',
]


@pytest.mark.parametrize("source", ["aeb", "demo", "tricky"])
def test_fast_author_search_equals_trafilaturas(source: str) -> None:
    from trafilatura.metadata import extract_author

    if not extract._FAST_AUTHOR:
        pytest.skip("another trafilatura: its own author search runs")
    pages = {
        "aeb": lambda: _aeb_pages(1),
        "demo": _demo_pages,
        "tricky": lambda: [
            f"<html><body>{b}<p>Text of the story.</p></body></html>"
            for b in [*TRICKY_BYLINES, *BYLINES]
        ],
    }[source]()
    found = 0
    for html in pages:
        tree = load_html(html)
        expected = extract_author(tree)
        assert extract._fast_extract_author(tree) == expected, html[:300]
        found += expected is not None
    if source == "aeb":
        assert found >= 100
    if source == "tricky":
        assert found == len(pages)
