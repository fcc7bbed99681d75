"""Shortcuts through trafilatura's own steps, proven output-preserving on the trafilatura versions
in `PROVEN_ON` only, and installed by `pipelines.extract` only there (and only when
`ExtractOptions.shortcuts` asks for them): every trafilatura internal is looked up when this
module is imported, which the adapter does inside `install`'s try. Tested against trafilatura's
own code in tests/test_extract.py; measured in bench/README.md.

- trafilatura's fallback comparison runs readability on the whole page and prefers readability's
  text only when that is more than twice as long as its own (or its own is empty or lacks
  paragraphs). Readability returns only text the page has, so where the page's readable text is
  at most twice the extracted text it cannot win and is skipped, the page not even copied for it
  (`_extract_and_compare`, `_try_readability`).
- the author search, its costliest metadata step, runs only where some attribute could satisfy
  one of its expressions (`_may_name_an_author`), and then tests those expressions on the
  candidate elements only (`_fast_extract_author`).
- its pruning and body expressions that select elements by attribute values run only where some
  value in the tree could satisfy them (`_AttributeGuard`).
- the page is parsed once, and metadata is read by four steps of trafilatura's own
  `extract_metadata` — meta tags, fields, date, site name — without its categories, tags and
  license (`STAGES`), each a stage of `pipelines.extract.extract_all`.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import re
import threading
from collections.abc import Callable, Iterator
from typing import Any

import trafilatura
import trafilatura.core
import trafilatura.external
import trafilatura.xpaths
from htmldate import find_date
from lxml.etree import XPath
from lxml.html import Element
from trafilatura import bare_extraction
from trafilatura.external import compare_extraction as _TRAFILATURA_COMPARE
from trafilatura.external import try_readability as _TRAFILATURA_READABILITY
from trafilatura.htmlprocessing import prune_unwanted_nodes
from trafilatura.json_metadata import normalize_authors
from trafilatura.main_extractor import extract_content
from trafilatura.metadata import (
    META_URL,
    examine_meta,
    extract_meta_json,
    extract_sitename,
    extract_title,
    extract_url,
)
from trafilatura.settings import Document as Metadata
from trafilatura.settings import Extractor, set_date_params
from trafilatura.utils import load_html, trim
from trafilatura.xpaths import AUTHOR_DISCARD_XPATHS, AUTHOR_XPATHS, REGEXP_NS

from pipelines.config import ExtractOptions

__all__ = [
    "PROVEN_ON",
    "STEPS",
    "Metadata",
    "date_params",
    "guard",
    "install",
    "installed",
    "load",
    "main_text",
    "metadata",
    "uninstall",
]

# The trafilatura releases whose code these shortcuts were read from and tested against.
PROVEN_ON = ("2.3.1",)

# Text readability can return: every text node but the content of <script> and <style>, which it
# drops before it starts and which the HTML parser keeps as their only child (a <fencedframe>'s
# text is counted: a looser bound is still a bound). Plain strings: no element proxy per node.
_READABLE_TEXT = XPath("//*[not(self::script or self::style)]/text()", smart_strings=False)
_HAS_PARAGRAPH_TEXT = XPath("boolean(.//p//text())")
_FEWER_TABLES_THAN_PARAGRAPHS = XPath("count(.//table) <= count(.//p)")  # counted in C


def _readable_length_bound(raw_tree: Any) -> int:
    """An upper bound of `len(trim(text))` for any text readability makes from `raw_tree`.

    Readability moves, drops and wraps the page's text nodes but never splits one, and the only
    text it adds is "VIDEO" in a video iframe; so its trimmed text has at most the page's
    non-space characters plus one separator per word of each text node, plus 6 per iframe.
    """
    iframes = sum(1 for _ in raw_tree.iter("iframe"))
    return _word_chars_and_separators(_READABLE_TEXT(raw_tree)) + 6 * iframes


def _word_chars_and_separators(texts: list[str]) -> int:
    """Σ over `texts` of (non-space characters + words): joined by a space, no word spans two."""
    words = " ".join(texts).split()
    return len("".join(words)) + len(words)


def _readability_cannot_win(raw_tree: Any, body: Any, text: str, options: Extractor) -> bool:
    """True where trafilatura's `_prefer_readability` is False whatever readability returns.

    It prefers readability's text (length n) over its own (length m > 0) in precision and
    balanced modes only if n > 2m, or if n > 2 * min_extracted_size and its own extraction has no
    paragraph text or more tables than paragraphs. With paragraphs, few tables and a page whose
    readable text is at most 2m long, neither can happen.
    """
    return (
        options.focus != "recall"
        and bool(text)
        and bool(_HAS_PARAGRAPH_TEXT(body))
        and bool(_FEWER_TABLES_THAN_PARAGRAPHS(body))
        and _readable_length_at_most(raw_tree, 2 * len(text))
    )


# A looser bound of the same, counted by libxml2 without a Python string per text node: every
# character of the page's text, script and style included, plus one per text node (a node's
# non-space characters and words are at most its characters and one).
_LOOSE_READABLE_BOUND = XPath("string-length(string(/)) + count(//text()) + 6 * count(//iframe)")
# The looser bound builds the page's whole text: where the markup is much longer than the limit
# (a real page's scripts and menus), it rarely passes and the exact bound alone costs less.
_LOOSE_FIRST_UP_TO = 4  # page characters per character of the limit


class _Extracting(threading.local):
    """What `extract` is working on, on this thread: the page's length in characters and the
    extraction that `_extract_and_compare` is comparing with readability's, if any."""

    html_chars = 0
    comparing: tuple[Any, str, Extractor] | None = None


_EXTRACTING = _Extracting()


def _readable_length_at_most(raw_tree: Any, limit: int) -> bool:
    """Whether `_readable_length_bound(raw_tree) <= limit`, deciding by the looser bound first
    where that is likely to pass; exact: the looser bound is never below the exact one."""
    if _EXTRACTING.html_chars <= _LOOSE_FIRST_UP_TO * limit and (
        _LOOSE_READABLE_BOUND(raw_tree) <= limit
    ):
        return True
    return _readable_length_bound(raw_tree) <= limit


# The tag of the empty stand-in page that `_extract_and_compare` gives readability where it
# cannot win: `_try_readability` answers for it without running readability.
_UNREAD = "contentpipe-unread"


def _extract_and_compare(
    cleaned_tree: Any, cleaned_tree_backup: Any, tree: Any, options: Extractor
) -> tuple[Any, str]:
    """trafilatura's `_extract_and_compare` — its main extractor, then `compare_extraction`
    with readability on a copy of the raw page — where readability cannot win, with an empty
    stand-in page instead of the copy (an empty result is never preferred); the justext rescue
    runs as before."""
    body, text = extract_content(cleaned_tree, options)
    if options.fast:
        return body, text
    cannot_win = _readability_cannot_win(tree, body, text, options)
    raw_tree = Element(_UNREAD) if cannot_win else copy.copy(tree)
    _EXTRACTING.comparing = (body, text, options)
    try:
        return _TRAFILATURA_COMPARE(cleaned_tree_backup, raw_tree, body, text, options)
    finally:
        _EXTRACTING.comparing = None


def _try_readability(htmlinput: Any) -> Any:
    """trafilatura's `try_readability`, except where readability cannot win, for which it
    returns what readability makes of an empty page — an element without text (tested) — at
    once: on the empty stand-in page, and on the page it is given where that page's readable
    text is short enough. In precision mode trafilatura prunes the page before readability
    reads it, so the bound holds on 77 of the 104 AEB pages it did not hold on before."""
    if htmlinput.tag == _UNREAD:
        return Element("div")
    extraction = _EXTRACTING.comparing
    if (
        extraction is not None
        and extraction[2].focus == "precision"  # else the page is the one bounded before
        and _readability_cannot_win(htmlinput, *extraction)
    ):
        return Element("div")
    return _TRAFILATURA_READABILITY(htmlinput)


# trafilatura's own, before `install` (for `uninstall`, and the tests that compare with it).
_TRAFILATURA_EXTRACT_AND_COMPARE = trafilatura.core._extract_and_compare


# What trafilatura's author expressions (`trafilatura.xpaths.AUTHOR_XPATHS`) test, and a
# substring that each of their tests requires: where no attribute holds one and there is no
# <author> or <rel> element, none of them can match and the search is skipped.
_AUTHOR_ATTRIBUTES = XPath(
    "//@class|//@id|//@itemprop|//@rel|//@data-testid|//@data-component|//author|//rel",
    smart_strings=False,
)
_AUTHOR_HINT = re.compile(
    r"uthor|[Bb]yl|BBL|username|screenname|writer|channel-name|zuozhe|bianji|xiaobian"
    r"|submitted-by|posted-by|journalist-name"
)


def _may_name_an_author(tree: Any) -> bool:
    """False only where trafilatura's `extract_author` provably finds nothing (tested)."""
    found = _AUTHOR_ATTRIBUTES(tree)
    return any(not isinstance(value, str) for value in found) or bool(
        _AUTHOR_HINT.search("\n".join(found))
    )


def _outside_quotes(text: str) -> Iterator[tuple[int, str, int]]:
    """(position, character, depth of brackets and parentheses before it) for each character
    of an XPath expression that is not inside a quoted string."""
    depth, quote = 0, ""
    for i, ch in enumerate(text):
        if quote:
            quote = "" if ch == quote else quote
            continue
        if ch in "'\"":
            quote = ch
            continue
        yield i, ch, depth
        depth += (ch in "[(") - (ch in "])")


def _top_level(text: str, separator: re.Pattern[str]) -> list[str]:
    """`text` split at the matches of `separator` outside quotes, brackets and parentheses."""
    parts, start = [], 0
    for i, _, depth in _outside_quotes(text):
        if depth == 0 and i >= start and (found := separator.match(text, i)):
            parts.append(text[start:i])
            start = found.end()
    parts.append(text[start:])
    return parts


_UNION = re.compile(r"\|")
_OR = re.compile(r"\s+or\s+")


def _self_test(expression: XPath) -> XPath | None:
    """`expression`, a union of `//…` or `.//…` steps that test an element by its own tag,
    attributes and children, as a test of the context element itself (`self::…`): true for an
    element exactly where the original selects it. None for any other shape."""
    tests = []
    for branch in (b.strip() for b in _top_level(expression.path, _UNION)):
        step = branch.removeprefix(".//") if branch.startswith(".//") else branch.removeprefix("//")
        head = step.split("[", 1)[0]
        if step == branch or not head or "/" in head or "//" in step.replace("'//", ""):
            return None
        tests.append("self::" + step)
    return XPath("|".join(tests), namespaces={"re": REGEXP_NS})


_AUTHOR_TESTS = [t for t in map(_self_test, AUTHOR_XPATHS) if t is not None]
_AUTHOR_DISCARD_TESTS = [t for t in map(_self_test, AUTHOR_DISCARD_XPATHS) if t is not None]
_HINT_ATTRIBUTES = ("class", "id", "itemprop", "rel", "data-testid", "data-component")


def _author_candidates(tree: Any) -> list[Any]:
    """The elements that can satisfy one of trafilatura's author expressions (an attribute with
    a hint, an <author>, a parent of a <rel>), in document order."""
    rel_parents = {rel.getparent() for rel in tree.iter("rel")}
    found = []
    for element in tree.iter():
        if element.tag == "author" or element in rel_parents:
            found.append(element)
            continue
        values = [v for name in _HINT_ATTRIBUTES if (v := element.get(name))]
        if values and _AUTHOR_HINT.search("\n".join(values)):
            found.append(element)
    return found


def _fast_extract_author(tree: Any) -> str | None:
    """trafilatura's `extract_author` — first text of 3 to 119 characters of an element its
    author expressions select, in their order, on the page less its discarded sections (comments,
    sidebars, dates, figures…) — tested equal on AEB's pages. It tests only the candidate
    elements, and prunes only the element it reads, instead of a pruned copy of the whole page
    scanned by three expressions (~1 ms instead of ~11 on a real page)."""
    candidates = _author_candidates(tree)
    for test in _AUTHOR_TESTS:
        for element in candidates:
            if not test(element) or any(
                discard(node)
                for node in (element, *element.iterancestors())
                for discard in _AUTHOR_DISCARD_TESTS
            ):
                continue
            pruned = prune_unwanted_nodes(copy.deepcopy(element), AUTHOR_DISCARD_XPATHS)
            content = trim(" ".join(pruned.itertext()))
            if content and 2 < len(content) < 120:
                return normalize_authors(None, content)
    return None


# Every expression rewritten, on the trafilatura whose expressions were read (test_extract).
_FAST_AUTHOR = len(_AUTHOR_TESTS) == len(AUTHOR_XPATHS) and len(_AUTHOR_DISCARD_TESTS) == len(
    AUTHOR_DISCARD_XPATHS
)


# trafilatura's pruning and body expressions select elements by their class, id, style and a
# few other attributes, mostly through EXSLT regular expressions, which lxml answers by calling
# into Python for every element: ~0.9 ms of a 4.5 ms bench page, ~40 % of a real page's time.
# Where an expression can select only elements with an attribute value in which one of its
# strings or patterns occurs, and no value in the tree has one, it selects nothing and is not
# evaluated (`_AttributeGuard`). One attribute test of an expression's predicates, in its words:
_ATTRIBUTE_TEST = re.compile(
    r"""\s*(?:
      @(?P<present>[\w-]+)
    | @(?P<equal_to>[\w-]+)\s*=\s*'(?P<equal>[^']+)'
    | contains\(\s*@(?P<contains_in>[\w-]+)\s*,\s*'(?P<contains>[^']+)'\s*\)
    | contains\(\s*translate\(\s*@(?P<folded_in>[\w-]+)\s*,
        \s*'(?P<before>[^']*)'\s*,\s*'(?P<after>[^']*)'\s*\)\s*,\s*'(?P<folded>[^']+)'\s*\)
    | starts-with\(\s*(?P<starts_in>@[\w-]+(?:\|@[\w-]+)*)\s*,\s*'(?P<starts>[^']+)'\s*\)
    | re:test\(\s*(?P<pattern_in>@[\w-]+(?:\|@[\w-]+)*)\s*,\s*'(?P<pattern>[^']+)'
        \s*(?:,\s*'(?P<flags>i?)'\s*)?\)
    )\s*""",
    re.X,
)


def _predicates(step: str) -> list[str] | None:
    """The predicates of `.//*[…][…]…`, or None for a step of any other shape."""
    if not step.startswith(".//*["):
        return None
    predicates, start = [], 0
    for i, ch, depth in _outside_quotes(step[4:]):
        if depth == 0 and ch in "[(":
            start = i + 1
        elif depth == 1 and ch in "])":
            predicates.append(step[4 + start : 4 + i])
        elif depth == 0 and not ch.isspace():
            return None
    return predicates


# What joining values by newlines cannot make a pattern miss: no anchors at the string's ends,
# and negative lookarounds only of word characters, which a newline never is.
_STRING_ENDS = re.compile(r"\\[AZ]")
_NEGATIVE_LOOKAROUND = re.compile(r"\(\?<?!([^)]*)\)")


def _joinable(pattern: str) -> bool:
    return not _STRING_ENDS.search(pattern) and all(
        re.fullmatch(r"[\w|]+", body) for body in _NEGATIVE_LOOKAROUND.findall(pattern)
    )


class _AttributeGuard:
    """A trafilatura expression (`.//*[…]`, or `(.//*[…])[1]`, with a predicate that is a
    disjunction of attribute tests), evaluated only where the tree has a value of a tested
    attribute in which one of the tests' strings or patterns occurs.

    Sound by construction: an element it selects passes one of those tests, so its value holds
    that string or matches that pattern (`re:test` is Python's `re.search`); the guard tests all
    values of all tested attributes, joined by newlines, with `^` and `$` matching at line ends
    — only looser. Built by `guard`, which returns None for any other shape; tested against the bare
    expression (tests/test_extract.py).

    Where it lets the expression through, it evaluates the expression with a test of the tested
    attributes' presence before the guarded predicate (`selecting`): lxml answers that test
    itself, and the elements that fail it, which the guarded predicate cannot select, no longer
    cost a call into Python for each `re:test`.
    """

    __slots__ = (
        "_folded",
        "_patterns",
        "_present",
        "_strings",
        "_values",
        "expression",
        "path",
        "selecting",
    )

    def __init__(
        self,
        expression: XPath,
        tests: list[re.Match[str]],
        step: tuple[list[str], int, bool] | None = None,
    ) -> None:
        """`step`: the expression's predicates, which of them `tests` are, and whether it is
        `(…)[1]` — to build `selecting` from (`_selecting`); without it, the expression."""
        self.expression = expression
        self.path = expression.path
        present: set[str] = set()
        tested: set[str] = set()
        strings: list[str] = []  # searched in "\n" + the values joined by "\n" + "\n"
        folded: list[str] = []  # searched in the same, lower-cased
        patterns: list[str] = []
        for test in tests:
            if test["present"]:
                present.add(test["present"])
            elif test["equal"]:
                tested.add(test["equal_to"])
                strings.append(f"\n{test['equal']}\n")
            elif test["contains"]:
                tested.add(test["contains_in"])
                strings.append(test["contains"])
            elif test["folded"]:
                tested.add(test["folded_in"])
                folded.append(test["folded"].lower())
            elif test["starts"]:
                tested.update(a.lstrip("@") for a in test["starts_in"].split("|"))
                strings.append("\n" + test["starts"])
            else:
                tested.update(a.lstrip("@") for a in test["pattern_in"].split("|"))
                pattern = test["pattern"]
                patterns.append(f"(?i:{pattern})" if test["flags"] else pattern)
        self._present = (
            XPath("boolean(" + "|".join(f".//@{a}" for a in sorted(present)) + ")")
            if present
            else None
        )
        # One expression per attribute: a union of them costs a sort into document order.
        self._values = [XPath(f".//@{a}", smart_strings=False) for a in sorted(tested)]
        self.selecting = _selecting(*step, present | tested) if step else expression
        self._strings = strings
        self._folded = folded
        self._patterns = re.compile("|".join(patterns), re.M) if patterns else None

    def may_select(self, tree: Any) -> bool:
        if self._present is not None and self._present(tree):
            return True
        values = [value for values in self._values for value in values(tree)]
        if not values:
            return False
        text = "\n" + "\n".join(values) + "\n"
        if any(s in text for s in self._strings):
            return True
        if self._folded and any(s in text.lower() for s in self._folded):
            return True
        return self._patterns is not None and self._patterns.search(text) is not None

    def __call__(self, tree: Any) -> Any:
        return self.selecting(tree) if self.may_select(tree) else []


def guard(expression: XPath) -> _AttributeGuard | None:
    """`expression` behind an `_AttributeGuard`, or None if its shape is not one it can guard:
    a single `.//*[…]…` step (or that step in `(…)[1]`) with a predicate made only of
    attribute tests joined by `or`, none of which an absent attribute or an empty value passes,
    and none that joined values could make miss."""
    path = expression.path.strip()
    first = path.startswith("(") and path.endswith(")[1]")
    if first:
        path = path[1:-4].strip()
    predicates = _predicates(path)
    if predicates is None or len(_top_level(expression.path, _UNION)) != 1:
        return None
    for n, predicate in enumerate(predicates):
        tests = [_ATTRIBUTE_TEST.fullmatch(t) for t in _top_level(predicate, _OR)]
        if all(test is not None and _guardable(test) for test in tests):
            found = [t for t in tests if t is not None]
            try:
                return _AttributeGuard(expression, found, (predicates, n, first))
            except re.error:  # patterns that cannot be joined into one (global flags)
                return None
    return None


def _selecting(predicates: list[str], n: int, first: bool, names: set[str]) -> XPath:
    """`.//*[…]…` (in `(…)[1]` if `first`) with a test that the element has one of the attributes
    `names` — those predicate `n` tests — inserted before that predicate. The same elements:
    each of its tests needs its attribute (`_guardable`), so an element it selects passes the
    inserted test too, and the predicates after see the same elements, positions included."""
    has = "[" + " or ".join(f"@{name}" for name in sorted(names)) + "]"
    step = ".//*" + "".join((has if i == n else "") + f"[{p}]" for i, p in enumerate(predicates))
    return XPath(f"({step})[1]" if first else step, namespaces={"re": REGEXP_NS})


def _guardable(test: re.Match[str]) -> bool:
    if test["folded"]:
        # translate() that lower-cases some ASCII letters: lower-casing all of them is looser.
        before, after, folded = test["before"], test["after"], test["folded"]
        return before.isascii() and after == before.lower() and folded.isascii()
    if test["pattern"]:
        try:
            return not re.search(test["pattern"], "") and _joinable(test["pattern"])
        except re.error:
            return False
    return True


# The expressions trafilatura's extraction evaluates on every page (`prune_unwanted_nodes`, the
# body search), each replaced by its guard where it has one, in place: trafilatura's modules
# all hold these list objects.
_GUARDED = tuple(
    getattr(trafilatura.xpaths, name)
    for name in (
        "BODY_XPATH",
        "COMMENTS_DISCARD_XPATH",
        "DISCARD_IMAGE_ELEMENTS",
        "OVERALL_DISCARD_XPATH",
        "PRECISION_DISCARD_XPATH",
        "RAW_TREE_PRUNE_XPATH",
        "REMOVE_COMMENTS_AND_LISTS_XPATH",
        "REMOVE_COMMENTS_XPATH",
        "TEASER_DISCARD_XPATH",
    )
)
# The lists as trafilatura made them (`uninstall`).
_UNGUARDED = tuple(list(expressions) for expressions in _GUARDED)


def metadata(tree: Any, url: str, date_params: dict[str, Any]) -> Metadata:
    """The fields of trafilatura's `extract_metadata` that a record keeps — title, author, URL,
    date, site name — found the same way, in the same order, in the lxml tree of trafilatura's
    `load_html` (None if it could not parse the page); without its categories, tags and
    license, which cost as much again (bench/README.md)."""
    metadata = Metadata()
    if tree is not None:
        for step in _METADATA_STEPS:
            metadata = step(metadata, tree, url, date_params)
    return metadata


# `_metadata`'s steps, each a stage of its own in `extract_all`.
def _meta_tags(metadata: Metadata, tree: Any, url: str, date_params: dict[str, Any]) -> Metadata:
    metadata = examine_meta(tree)
    if metadata.author and " " not in metadata.author:
        metadata.author = None
    with contextlib.suppress(Exception):  # trafilatura's own guard: its JSON-LD parser's bugs
        metadata = extract_meta_json(tree, metadata)
    return metadata


def _meta_fields(metadata: Metadata, tree: Any, url: str, date_params: dict[str, Any]) -> Metadata:
    if not metadata.title:
        metadata.title = extract_title(tree)
    if not metadata.author and _may_name_an_author(tree):
        metadata.author = _fast_extract_author(tree)
    if not metadata.url:
        metadata.url = extract_url(tree, url)
    return metadata


def _meta_date(metadata: Metadata, tree: Any, url: str, date_params: dict[str, Any]) -> Metadata:
    metadata.date = find_date(tree, **{**date_params, "url": metadata.url})
    return metadata


def _meta_site(metadata: Metadata, tree: Any, url: str, date_params: dict[str, Any]) -> Metadata:
    if not metadata.sitename:
        metadata.sitename = extract_sitename(tree)
    if metadata.sitename:
        metadata.sitename = metadata.sitename.lstrip("@")
        if (
            metadata.sitename
            and "." not in metadata.sitename
            and not metadata.sitename[0].isupper()
        ):
            metadata.sitename = metadata.sitename.title()
    elif metadata.url:
        found = META_URL.match(metadata.url)
        if found:
            metadata.sitename = found[1]
    metadata.clean_and_trim()
    return metadata


_METADATA_STEPS = (_meta_tags, _meta_fields, _meta_date, _meta_site)

# --- what the adapter calls ----------------------------------------------------------------


def install() -> bool:
    """Put the shortcuts in place in trafilatura (idempotent); False, changing nothing, where a
    check of what they were proven on fails."""
    if trafilatura.__version__ not in PROVEN_ON or not _FAST_AUTHOR:
        return False
    if installed():  # the adapter asks for every group of pages
        return True
    trafilatura.core._extract_and_compare = _extract_and_compare
    trafilatura.external.try_readability = _try_readability
    for expressions in _GUARDED:
        expressions[:] = [
            x if isinstance(x, _AttributeGuard) else guard(x) or x for x in expressions
        ]
    return True


def uninstall() -> None:
    """trafilatura as it was before `install`."""
    trafilatura.core._extract_and_compare = _TRAFILATURA_EXTRACT_AND_COMPARE
    trafilatura.external.try_readability = _TRAFILATURA_READABILITY
    for expressions, before in zip(_GUARDED, _UNGUARDED, strict=True):
        expressions[:] = before


def installed() -> bool:
    return trafilatura.core._extract_and_compare is _extract_and_compare


@functools.lru_cache(maxsize=8)
def _extractor(options: ExtractOptions, precision: bool) -> Extractor:
    # Building an Extractor reads trafilatura's config each time: once per options, then a
    # copy per page with the page's URL. What `pipelines.extract._bare` asks for, less the
    # metadata, which the steps below read.
    return Extractor(
        output_format="python",
        precision=precision,
        comments=True,
        tables=True,
        with_metadata=False,
        date_params=set_date_params(options.extensive_dates),
    )


def load(html: str) -> Any:
    """The page's lxml tree, parsed once for the main text and the metadata steps (None if
    trafilatura cannot parse it)."""
    return load_html(html, _extractor(_DEFAULT, False).max_file_size)


_DEFAULT = ExtractOptions()


def main_text(
    source: Any, url: str, options: ExtractOptions, precision: bool, html_chars: int
) -> Any:
    """`bare_extraction` of the page's tree (or its HTML, of `html_chars` characters) as
    `pipelines.extract._bare` makes it, without the metadata."""
    extractor = copy.copy(_extractor(options, precision))
    extractor.url = url
    extractor.source = url.encode("utf-8", "replace").decode("utf-8")
    _EXTRACTING.html_chars = html_chars
    return bare_extraction(source, options=extractor)


def date_params(options: ExtractOptions) -> dict[str, Any]:
    return _extractor(options, False).date_params


# `_metadata`'s steps, each a stage of its own in `pipelines.extract.extract_all`.
STEPS: tuple[Callable[[Metadata, Any, str, dict[str, Any]], Metadata], ...] = _METADATA_STEPS
