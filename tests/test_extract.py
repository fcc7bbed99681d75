"""Extraction: contentpipe's change to trafilatura's fallback comparison keeps its output.

`pipelines.extract` skips readability where its text provably cannot be preferred. These tests
check the bound behind that proof against readability itself, and the output against unchanged
trafilatura on real pages (AEB) and the bundled demo pages.
"""

from __future__ import annotations

import copy
import gzip
import importlib
import re
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
from pipelines import trafilatura_shortcuts as shortcuts
from pipelines.config import ExtractOptions
from pipelines.records import Document, Page, Reject

DEMO_PAGES = Path(__file__).resolve().parent.parent / "deploy" / "demo" / "site"
# The shortcuts' tests read trafilatura's code as it is on the releases they were proven on.
PROVEN = trafilatura.__version__ in shortcuts.PROVEN_ON


@pytest.fixture(autouse=True)
def installed() -> Any:
    """The shortcuts installed for each test (as `ExtractOptions(shortcuts=True)` does), and
    trafilatura as it was after it."""
    shortcuts.install()
    yield
    shortcuts.uninstall()


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
        bound = shortcuts._readable_length_bound(copy.deepcopy(tree))
        result = shortcuts._TRAFILATURA_READABILITY(copy.deepcopy(tree))
        text = trim(tostring(result, method="text", encoding="utf-8").decode())
        assert len(text) <= bound, (len(text), bound, text[:200])


def test_the_looser_readable_length_bound_is_never_below_the_exact_one() -> None:
    """`_readable_length_at_most` may decide by the looser bound first: it must be a bound."""
    # one-word text nodes and no spaces between tags: a word's separator is all the slack
    packed = "<html><body>" + "".join(f"<p>w{i}</p>" for i in range(50)) + "</body></html>"
    trees = [load_html(html) for html in _aeb_pages(1) + _demo_pages() + [TRICKY, packed]]
    gaps = []
    for tree in trees:
        if tree is None:
            continue
        loose, exact = shortcuts._LOOSE_READABLE_BOUND(tree), shortcuts._readable_length_bound(tree)
        assert loose >= exact, (loose, exact)
        gaps.append(loose - exact)
    assert min(gaps) < 10, min(gaps)  # close on some pages: it can decide there


def _texts(pages: list[str]) -> list[str | None]:
    options = Extractor(output_format="python", precision=True, comments=False, tables=True)
    out: list[str | None] = []
    for html in pages:
        result = bare_extraction(load_html(html), options=options)
        out.append(None if result is None else result.text)
    return out


def test_skipping_readability_keeps_trafilaturas_output(monkeypatch: pytest.MonkeyPatch) -> None:
    assert trafilatura.core._extract_and_compare is shortcuts._extract_and_compare
    pages = _aeb_pages(1) + _demo_pages() + [TRICKY]
    verdicts: Counter[tuple[str, bool]] = Counter()
    cannot_win = shortcuts._readability_cannot_win

    def counted(*args: Any) -> bool:
        verdict = cannot_win(*args)
        # on the page before the comparison, or on the page readability is about to read
        stage = "page" if shortcuts._EXTRACTING.comparing is None else "pruned"
        verdicts[stage, verdict] += 1
        return verdict

    monkeypatch.setattr(shortcuts, "_readability_cannot_win", counted)
    ours = _texts(pages)
    original = shortcuts._TRAFILATURA_EXTRACT_AND_COMPARE
    monkeypatch.setattr(trafilatura.core, "_extract_and_compare", original)
    monkeypatch.setattr(trafilatura.external, "try_readability", shortcuts._TRAFILATURA_READABILITY)
    theirs = _texts(pages)
    assert ours == theirs
    # Both ways were taken at both stages, so the comparison tested something.
    assert (
        min(verdicts[stage, verdict] for stage in ("page", "pruned") for verdict in (True, False))
        >= 10
    ), verdicts


def test_an_empty_page_is_never_preferred_by_trafilatura() -> None:
    """What `_extract_and_compare` relies on: readability on the empty stand-in page yields no
    text, as `_try_readability` answers for it, and trafilatura then keeps its own text."""
    stand_in = Element(shortcuts._UNREAD)
    for result in (
        shortcuts._TRAFILATURA_READABILITY(stand_in),
        shortcuts._try_readability(stand_in),
    ):
        assert isinstance(result, HtmlElement)
        assert trim(tostring(result, method="text", encoding="utf-8").decode()) == ""
    # Any other page is readability's to read.
    assert trafilatura.external.try_readability is shortcuts._try_readability
    page = load_html(TRICKY)
    ours = shortcuts._try_readability(copy.deepcopy(page))
    theirs = shortcuts._TRAFILATURA_READABILITY(copy.deepcopy(page))
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
    assert digest[:8] == AUTHOR_XPATHS_READ or not PROVEN, digest


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
        may = shortcuts._may_name_an_author(tree)
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

    if not shortcuts._FAST_AUTHOR:
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
        assert shortcuts._fast_extract_author(tree) == expected, html[:300]
        found += expected is not None
    if source == "aeb":
        assert found >= 100
    if source == "tricky":
        assert found == len(pages)


# Guards of trafilatura's attribute expressions (`shortcuts.guard`): an expression is skipped only
# where it would select nothing.

_PARSER: Any = importlib.import_module("re._parser")  # to write a value each pattern matches
_TAGS = ["div", "p", "section", "span", "article", "main", "aside", "list", "item", "details"]


def _guards() -> list[Any]:
    found = [x for xs in shortcuts._GUARDED for x in xs if isinstance(x, shortcuts._AttributeGuard)]
    if PROVEN:
        assert len(found) >= 14, len(found)
    return found


def _sample(items: Any) -> str:
    """A string the parsed pattern `items` matches (the first alternative of each branch)."""
    out = []
    for op, arg in items:
        name = str(op)
        if name == "LITERAL":
            out.append(chr(arg))
        elif name == "IN":
            kind, value = arg[0]
            out.append(
                chr(value[0] if str(kind) == "RANGE" else value)
                if str(kind) in ("LITERAL", "RANGE")
                else " "
            )
        elif name in ("MAX_REPEAT", "MIN_REPEAT"):
            out.append(_sample(arg[2]) * max(arg[0], 0))
        elif name == "SUBPATTERN":
            out.append(_sample(arg[-1]))
        elif name == "BRANCH":
            out.append(_sample(arg[1][0]))
        elif name == "CATEGORY":
            out.append(" " if "SPACE" in str(arg) else "a")
        elif name == "ANY":
            out.append("x")
        elif name not in ("AT", "ASSERT_NOT"):
            raise AssertionError(f"no sample for {name}")
    return "".join(out)


def _passing_values(test: Any) -> list[tuple[str, str]]:
    """(attribute, value) pairs, each passing the attribute test `test`: for a pattern, one per
    alternative of its top-level branches, so that every alternative is exercised."""
    if test["present"]:
        return [(test["present"], "")]
    if test["equal"]:
        return [(test["equal_to"], test["equal"])]
    if test["contains"]:
        return [(test["contains_in"], f"x {test['contains']} y")]
    if test["folded"]:
        unfold = str.maketrans(test["after"], test["before"])  # what translate() folds
        return [(test["folded_in"], "x-" + test["folded"].translate(unfold))]
    if test["starts"]:
        return [(a.lstrip("@"), test["starts"] + " x") for a in test["starts_in"].split("|")]
    parsed = _PARSER.parse(test["pattern"])
    alternatives = [list(parsed)]
    if len(parsed) == 1 and str(parsed[0][0]) == "BRANCH":
        alternatives = [list(b) for b in parsed[0][1][1]]
    values = []
    for alternative in alternatives:
        value = _sample(alternative)
        flags = re.I if test["flags"] else 0
        value = value.swapcase() if flags else value  # only the flag lets it through
        assert re.search(test["pattern"], value, flags), (test["pattern"], value)
        values += [(a.lstrip("@"), value) for a in test["pattern_in"].split("|")]
    return values


def test_every_attribute_test_of_a_guard_lets_its_expression_through() -> None:
    """For each attribute test of each guarded expression, and each alternative of a pattern:
    elements passing that test alone are selected by the guard exactly as by the expression."""
    tried = selected = 0
    for guarded in _guards():
        predicates = shortcuts._predicates(
            guarded.path.strip().removeprefix("(").removesuffix(")[1]")
        )
        assert predicates is not None
        tests = next(
            ts
            for p in predicates
            if all(
                ts := [
                    shortcuts._ATTRIBUTE_TEST.fullmatch(t)
                    for t in shortcuts._top_level(p, shortcuts._OR)
                ]
            )
        )
        for test in tests:
            assert test is not None
            values = _passing_values(test)
            assert values, test.group()
            for attribute, value in values:
                hits = 0
                for tag in _TAGS:
                    element = Element(tag, {attribute: value})
                    element.text = "Some text."
                    body = Element("body")
                    body.append(element)
                    page = Element("html")
                    page.append(body)
                    expected = guarded.expression(page)
                    assert guarded(page) == expected, (guarded.path[:60], attribute, value, tag)
                    hits += bool(expected)
                tried += 1
                selected += hits > 0
                # Every alternative was exercised: the expression itself selected it somewhere.
                assert hits, (guarded.path[:80], test.group(), attribute, value)
    assert tried >= 150, tried


def test_guards_skip_pages_without_the_attributes_they_test() -> None:
    page = load_html("<html><body><div><p>Text of the story.</p></div></body></html>")
    assert all(not g.may_select(page) for g in _guards())
    kept = load_html('<html><body><div class="sidebar-x"><p>Text.</p></div></body></html>')
    assert any(g.may_select(kept) for g in _guards())


def test_guards_select_what_trafilaturas_expressions_select_on_real_pages() -> None:
    verdicts: Counter[bool] = Counter()
    for html in _aeb_pages(2) + _demo_pages() + [TRICKY]:
        tree = load_html(html)
        if tree is None:
            continue
        for guarded in _guards():
            may = guarded.may_select(tree)
            verdicts[may] += 1
            assert guarded(tree) == guarded.expression(tree), guarded.path[:80]
            assert may or not guarded.expression(tree)
    assert verdicts[True] >= 100 and verdicts[False] >= 100, verdicts


def test_guarded_extraction_equals_trafilaturas() -> None:
    """trafilatura's whole extraction, guards on and off, on pages in every state it prunes."""
    if not PROVEN:
        pytest.skip("another trafilatura: its expressions run unguarded")
    pages = _aeb_pages(2) + _demo_pages() + [TRICKY]
    ours = _texts(pages)
    guarded = [list(expressions) for expressions in shortcuts._GUARDED]
    try:
        for expressions in shortcuts._GUARDED:
            expressions[:] = [
                x.expression if isinstance(x, shortcuts._AttributeGuard) else x for x in expressions
            ]
        assert not _guards_in_place()
        theirs = _texts(pages)
    finally:
        for expressions, before in zip(shortcuts._GUARDED, guarded, strict=True):
            expressions[:] = before
    assert _guards_in_place()
    assert ours == theirs


def _guards_in_place() -> bool:
    return any(isinstance(x, shortcuts._AttributeGuard) for xs in shortcuts._GUARDED for x in xs)


def test_guard_refuses_what_it_cannot_prove() -> None:
    from lxml.etree import XPath

    ns = {"re": "http://exslt.org/regular-expressions"}
    refused = [
        ".//header",  # no attribute test
        ".//*[self::div][contains(@class, 'a') and @id]",  # a conjunction
        ".//*[re:test(@class, 'x*')]",  # passes an empty value
        ".//*[re:test(@class, 'a(?!\\s)')]",  # a newline could end the lookahead's match
        ".//*[re:test(@class, '\\Aa')]",  # the start of one value only
        ".//*[contains(@class, 'a')]|.//main",  # a union
        ".//*[contains(translate(@class, 'a', 'B'), 'b')]",  # translate() that is no folding
        ".//*[contains(@class, 'a')]/p",  # a second step
    ]
    for path in refused:
        assert shortcuts.guard(XPath(path, namespaces=ns)) is None, path
    accepted = ".//*[self::div][not(.//h1)][contains(@class, 'a') or re:test(@id, '^b(?!ary)')]"
    assert shortcuts.guard(XPath(accepted, namespaces=ns)) is not None


def test_every_guarded_call_of_whole_extractions_equals_the_bare_expression(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each call trafilatura makes during extraction — on whole pages, subtrees and the copies it
    prunes — selects what the bare expression selects there, in the same order."""
    if not PROVEN:
        pytest.skip("another trafilatura: its expressions run unguarded")
    guarded_call = shortcuts._AttributeGuard.__call__
    calls: Counter[str] = Counter()

    def checked(self: Any, tree: Any) -> Any:
        found = guarded_call(self, tree)
        assert list(found) == list(self.expression(tree)), self.path[:80]
        calls["selected" if len(found) else "empty"] += 1
        return found

    monkeypatch.setattr(shortcuts._AttributeGuard, "__call__", checked)
    _texts(_aeb_pages(2) + _demo_pages() + [TRICKY])
    assert calls["selected"] >= 200 and calls["empty"] >= 1000, calls


def test_presence_test_before_the_guarded_predicate_keeps_positions() -> None:
    """`.//*[…][1]` picks each element's first child passing the predicates: the inserted
    presence test must not change which child that is (an earlier child without the attribute
    must not count, nor one with it that fails the predicate)."""
    from lxml.etree import XPath

    ns = {"re": "http://exslt.org/regular-expressions"}
    page = load_html(
        "<html><body><div><p>plain</p><p class='other'>o</p><p class='x-a'>1</p>"
        "<p class='x-b'>2</p></div><section><p id='x-c'>3</p><p>4</p></section></body></html>"
    )
    for path in (
        ".//*[self::p][re:test(@class, '^x-') or contains(@id, 'x-')][1]",
        "(.//*[self::p][re:test(@class, '^x-') or contains(@id, 'x-')])[1]",
        ".//*[re:test(@class, '^x-') or contains(@id, 'x-')][not(self::div)][1]",
    ):
        bare = XPath(path, namespaces=ns)
        guarded = shortcuts.guard(bare)
        assert guarded is not None, path
        assert "[@class or @id]" in guarded.selecting.path, guarded.selecting.path
        assert guarded(page) == bare(page) != [], path
    assert [e.text for e in guarded(page)] == ["1", "3"]  # the last path's


# --- A batch goes through the stages one at a time (`extract_all`, `process_batch`) ----------


def _mixed_pages() -> list[Page]:
    """Pages of every outcome: real and demo articles, plain text, no article, too large."""
    html = [*_aeb_pages(9), *_demo_pages()[:12]]
    pages = [Page(url=f"https://site{i % 3}.example/a/{i}", body=b, source=f"p{i}.html")
             for i, b in enumerate(html)]  # fmt: skip
    pages.insert(3, Page(url="https://t.example/t", body="Title line\nA plain text body.",
                         source="t.txt", content_type="text/plain"))  # fmt: skip
    pages.insert(7, Page(url="https://e.example/e", body="<html><body></body></html>",
                         source="e.html"))  # fmt: skip
    pages.insert(9, Page(url="https://big.example/b", body="<p>x</p>" * 500_000, source="b.html"))
    return pages


@pytest.mark.parametrize("with_shortcuts", [True, False])
def test_extracting_a_batch_by_stages_equals_one_page_at_a_time(
    monkeypatch: pytest.MonkeyPatch, with_shortcuts: bool
) -> None:
    """Same results, in the same order, whatever the groups the batch is cut into."""
    options = ExtractOptions(max_page_bytes=3_000_000, shortcuts=with_shortcuts)
    pages = _mixed_pages()
    one_by_one = [extract.extract(page, options, "r") for page in pages]
    reasons = Counter(r.reason for r in one_by_one if isinstance(r, Reject))
    assert reasons == {"no_content": 1, "too_large": 1}, reasons
    assert extract.extract_all(pages, options, "r") == one_by_one
    groups: list[tuple[int, int]] = []
    original = extract._extract_group

    def spy(group: list[Any], *args: Any) -> list[Document | Reject]:
        groups.append((len(group), sum(len(job.page.body) for job in group)))
        return original(group, *args)

    monkeypatch.setattr(extract, "GROUP_CHARS", 300_000)
    monkeypatch.setattr(extract, "_extract_group", spy)
    assert extract.extract_all(pages, options, "r") == one_by_one
    # Cut into groups of at most GROUP_CHARS characters, a page bigger than that alone.
    assert len(groups) > 3 and sum(n for n, _ in groups) == len(pages)
    assert all(size <= 300_000 or n == 1 for n, size in groups), groups


def test_a_pages_stages_share_its_time_limit() -> None:
    """A page that has used up its time limit in earlier stages is rejected before the next."""
    page = Page(url="https://slow.example/a", body="<p>text</p>", source="a.html")
    job = extract._Extraction(page, seconds=2.0)
    ran: list[str] = []
    extract._run_stage(
        lambda *args: ran.append("ran"), job, ExtractOptions(timeout_seconds=2), "r", True
    )
    assert not ran
    assert isinstance(job.outcome, Reject) and job.outcome.reason == "extract_timeout"
    assert "slow.example" in job.outcome.detail


def test_one_pages_failure_in_a_stage_leaves_the_rest_of_its_batch(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from pipelines import process
    from pipelines.clean import Cleaner
    from pipelines.config import ProcessOptions
    from pipelines.dedup import permutations

    pages = [p for p in _mixed_pages() if p.is_html and len(p.body) < 3_000_000][:8]

    def failing_stage(job: Any, *args: Any) -> None:
        if job.page.url == pages[2].url:
            raise RuntimeError("a bug in a stage")

    stages = extract._stages
    monkeypatch.setattr(
        extract, "_stages", lambda module: (*stages(module)[:3], failing_stage, *stages(module)[3:])
    )
    clean = Cleaner.clean

    def failing_clean(self: Any, doc: Document) -> Document:
        if doc.url == pages[5].url:
            raise KeyError("cleaning bug")
        return clean(self, doc)

    monkeypatch.setattr(Cleaner, "clean", failing_clean)
    options = ProcessOptions.model_validate({"extract": {"shortcuts": True}})
    out = process.process_batch(
        process.Batch(pages, options, "r", permutations(options.dedup.num_perm))
    )
    failed = {(r.url, r.stage, r.reason) for r in out.rejects}
    assert (pages[2].url, "extract", "internal_error") in failed
    assert (pages[5].url, "process", "internal_error") in failed
    assert len(out.docs) + len(out.rejects) == len(pages)
    assert [d.url for d, *_ in out.docs] == [
        p.url for p in pages if p.url not in {r.url for r in out.rejects}
    ]


def test_a_document_that_cannot_be_signed_is_a_reject_and_the_batch_goes_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With templates off, a batch is signed all at once; if that fails, each document is
    signed alone and only the one that fails becomes a reject."""
    from pipelines import minhash, process
    from pipelines.config import ProcessOptions, TemplateOptions
    from pipelines.dedup import permutations

    pages = [p for p in _mixed_pages() if p.is_html and len(p.body) < 3_000_000][:8]
    options = ProcessOptions(templates=TemplateOptions(enabled=False))
    batch = process.Batch(pages, options, "r", permutations(options.dedup.num_perm))
    expected = process.process_batch(batch)
    assert len(expected.docs) >= 3 and all(sig for _, _, sig, _ in expected.docs)
    bad = expected.docs[1][0].text
    sign = minhash.signature

    def failing(text: str, *args: Any) -> Any:
        if text == bad:
            raise MemoryError("a text too long to sign")
        return sign(text, *args)

    monkeypatch.setattr(minhash, "signatures", lambda *a: failing(bad))
    monkeypatch.setattr(minhash, "signature", failing)
    out = process.process_batch(batch)
    assert [(r.url, r.stage, r.reason) for r in out.rejects[len(expected.rejects) :]] == [
        (expected.docs[1][0].url, "process", "internal_error")
    ]
    assert [(d.url, sig) for d, _, sig, _ in out.docs] == [
        (d.url, sig) for i, (d, _, sig, _) in enumerate(expected.docs) if i != 1
    ]


# --- The adapter: trafilatura's public API, the shortcuts only where proven -----------------


def test_with_and_without_the_shortcuts_every_field_is_the_same() -> None:
    """The shortcuts are output-preserving: every field of every document, real pages and the
    demo's, in both modes (precision mode's fallback included)."""
    pages = [
        Page(url=f"https://site{i % 5}.example/a/{i}", body=html, source=f"p{i}.html")
        for i, html in enumerate([*_aeb_pages(4), *_demo_pages()[:6]])
    ]
    for precision in (False, True):
        fast = ExtractOptions(shortcuts=True, favor_precision=precision, timeout_seconds=60)
        plain = fast.model_copy(update={"shortcuts": False})
        with_shortcuts = extract.extract_all(pages, fast, "r")
        assert extract.shortcuts_in_use(fast) == PROVEN
        without = extract.extract_all(pages, plain, "r")
        assert not extract.shortcuts_in_use(plain)
        assert trafilatura.core._extract_and_compare is shortcuts._TRAFILATURA_EXTRACT_AND_COMPARE
        assert with_shortcuts == without
        assert sum(isinstance(d, Document) for d in without) >= len(pages) - 2


_OTHER_RELEASE = """
import sys
import trafilatura, trafilatura.core, trafilatura.xpaths
original = trafilatura.core._extract_and_compare
trafilatura.__version__ = "2.2.0"
if sys.argv[1] == "missing-internal":  # as on 2.2, whose xpaths module has no REGEXP_NS
    del trafilatura.xpaths.REGEXP_NS
from pipelines.config import ExtractOptions
from pipelines.extract import extract, shortcuts_in_use
from pipelines.records import Page
options = ExtractOptions(shortcuts=True)
html = "<html><body><article>" + "<p>A sentence of the article, long enough to keep.</p>" * 9
doc = extract(Page(url="https://x.example/a", body=html + "</article></body></html>",
                   source="x"), options, "r")
assert doc.word_count > 50, doc
assert not shortcuts_in_use(options)
assert trafilatura.core._extract_and_compare is original
print("plain")
"""


@pytest.mark.parametrize("case", ["other-version", "missing-internal"])
def test_another_trafilatura_release_imports_and_runs_unpatched(case: str) -> None:
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    done = subprocess.run(
        [sys.executable, "-c", _OTHER_RELEASE, case],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0 and done.stdout.strip() == "plain", done.stderr[-2000:]


# WCXB-dev pages where trafilatura's precision mode returns nothing or a fragment (0, 0, 4, 44
# words against 1,573 to 3,050 by default), and one page over 5 MB.
_THIN_IN_PRECISION = ("4833", "4708", "0304", "4584")
_LARGE = "0588"


def _wcxb_page(key: str) -> Page:
    from bench.quality.wcxb import WCXB

    meta = WCXB / "ground-truth" / f"{key}.json"
    if not meta.is_file():
        pytest.fail(f"the WCXB-dev data set is missing at {WCXB}")
    import json

    url = json.loads(meta.read_text(encoding="utf-8"))["url"]
    html = gzip.decompress((WCXB / "html" / f"{key}.html.gz").read_bytes())
    return Page(url=url, body=html.decode("utf-8", "replace"), source=key)


@pytest.mark.parametrize("with_shortcuts", [True, False])
def test_precision_mode_takes_the_default_extraction_where_it_keeps_little(
    with_shortcuts: bool,
) -> None:
    options = ExtractOptions(favor_precision=True, shortcuts=with_shortcuts, timeout_seconds=60)
    for key in _THIN_IN_PRECISION:
        page = _wcxb_page(key)
        precise = bare_extraction(page.body, url=page.url, favor_precision=True)
        doc = extract.extract(page, options, "r")
        assert isinstance(doc, Document), doc
        assert doc.fallback == "precision_thin", key
        thin = len((precise.text or "").split()) if precise is not None else 0
        assert doc.word_count > 1000 > 2 * thin, (key, doc.word_count, thin)


def test_a_page_trafilatura_extracts_is_never_rejected_for_content_or_size() -> None:
    pages = [_wcxb_page(key) for key in (*_THIN_IN_PRECISION, _LARGE)]
    for options in (ExtractOptions(timeout_seconds=60), ExtractOptions(favor_precision=True)):
        for page in pages:
            assert trafilatura.extract(page.body, url=page.url), page.source
            doc = extract.extract(page, options.model_copy(update={"timeout_seconds": 60}), "r")
            assert isinstance(doc, Document), doc
            assert doc.word_count > 400, (page.source, doc.word_count)


# --- Site identity without a URL ---------------------------------------------------------

_SAVED = """<html><head>{head}<title>Rain in Oslo</title></head><body><article><h1>Rain</h1>
<p>It rained all day in the city, and the harbour closed early for the boats.</p>
<p>Forecasters expect more of the same tomorrow, with wind from the west.</p>
</article></body></html>"""


@pytest.mark.parametrize(
    ("head", "site"),
    [
        ('<link rel="canonical" href="https://www.ledger.example/rain">', ""),
        ('<meta property="og:url" content="https://ledger.example/rain">', ""),
        ('<base href="https://www.ledger.example/news/">', "ledger.example"),
        ('<meta property="og:site_name" content="The  Harbor Ledger">', "name:the harbor ledger"),
        (
            '<script type="application/ld+json">{"@context": "https://schema.org", '
            '"@type": "NewsArticle", "publisher": '
            '{"@type": "Organization", "name": "Harbor Ledger"}}</script>',
            "name:harbor ledger",
        ),
        ("", "dir:/saved/ledger"),
    ],
)
def test_a_saved_page_is_of_the_site_it_names(head: str, site: str) -> None:
    page = Page(
        url="file:///saved/ledger/rain.html", body=_SAVED.format(head=head), source="rain.html"
    )
    for with_shortcuts in (True, False):
        doc = extract.extract(page, ExtractOptions(shortcuts=with_shortcuts), "r")
        assert isinstance(doc, Document), doc
        assert doc.site == site
        assert doc.site_key == (site or "ledger.example")
        if "<base" in head:  # the folder's address, not this page's: many pages share it
            assert doc.canonical_url == page.url


def test_a_run_counts_the_pages_a_fallback_rule_decided(tmp_path: Path) -> None:
    from pipelines.config import ProcessOptions
    from pipelines.run import ingest

    page = _wcxb_page(_THIN_IN_PRECISION[0])
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "thin.html").write_text(page.body, encoding="utf-8")
    options = ProcessOptions.model_validate({"workers": 1, "extract": {"favor_precision": True}})
    report = ingest([str(tmp_path / "in")], str(tmp_path / "out"), options)
    assert report.counts["fallback.precision_thin"] == 1
    assert report.counts["records"] == 1
