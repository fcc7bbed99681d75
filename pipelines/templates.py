"""Per-site template learning: a line that recurs across pages of one site, once its variable
slots are masked (the page's title, names, dates, numbers), is that site's template.

Generic rules (`pipelines.clean`) know the *kinds* of SEO lines; a site's own furniture — its
tagline, its app plug, its "<title> was written by <name> for The Ledger" footer — is only
visible across pages. So each kept line gets a key, the hash of its masked text
(`line_keys`); a run counts on how many pages of each site each key occurs (`count_pages`,
kept in the output's index and summed over runs), and a key seen on enough of a site's pages
is removed from every page of that site (`TemplateModel.strip`), with the site and the page
count as its explanation.

Guards, so that the article is never mistaken for template:
- statistics are per site: a sentence quoted by many sites (syndication) never adds up;
- a page counts once per distinct title within a site, so the same article published twice on
  one site (URL variants, reposts) does not make its own sentences look recurrent;
- a key must be on at least `min_pages` pages and on `min_share` of the site's pages.
"""

from __future__ import annotations

import functools
import hashlib
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from itertools import islice

import numpy as np
import numpy.typing as npt

from pipelines.clean import Line, join_lines, normalize, normalized_line, text_hash, word_count
from pipelines.config import TemplateOptions
from pipelines.records import Document

__all__ = [
    "Cut",
    "PageCounter",
    "PageCounts",
    "TemplateModel",
    "content_lines",
    "count_page_columns",
    "count_pages",
    "line_keys",
    "mask",
    "site_keys",
]

SITE_PAGES = 0  # the key under which a site's page count is kept
DATA_LINE = 1  # the key of lines that are nothing but slots (a score, a price, a date)
# Words that stand for a date in a masked line (matched as whole words of the normalized line).
_MONTHS = frozenset(
    (
        "january", "february", "march", "april", "may", "june", "july", "august", "september",
        "october", "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug",
        "sep", "sept", "oct", "nov", "dec", "monday", "tuesday", "wednesday", "thursday",
        "friday", "saturday", "sunday", "mon", "tue", "wed", "thu", "fri", "sat", "sun", "am",
        "pm",
    )
)  # fmt: skip
_DIGIT = re.compile(r"\d")
# Two or more capitalised words in a row: a name, a title in title case, a place.
_CAP = r"[A-Z][\w'\u2019.-]*"
# The first capital at a word's start: `\b` written after it, so that the expression begins
# with a character class, which Python's `re` scans for in C (twice as fast as `\b` first).
_NAME = re.compile(rf"[A-Z](?<!\w[A-Z])[\w'\u2019.-]*(?:\s+(?:of|de|van|von|the|and|&)?\s*{_CAP})*")
_FIRST = re.compile(r"^\W*\w+")
_WORD = re.compile(r"\w+")
_SLOT_WORDS = frozenset({"qqtitle", "qqname", "qqdate", "qqnum"})
_WORDS_LEFT = re.compile(r"\b(?!qqtitle\b|qqname\b|qqdate\b|qqnum\b)\w+")


def mask(line: str, title: str | None = None) -> str:
    """The line's shape: normalized, with the page's title, names, dates and numbers as slots.

    >>> mask("Thank you for visiting our website wich cover about Rain in Oslo.", "Rain in Oslo")
    'thank you for visiting our website wich cover about qqtitle'
    >>> mask("You need 3 min read Post on November 20, 2024")
    'you need qqnum min read qqname on qqnum'
    >>> mask("Written by Jane Doe for The Harbor Ledger")
    'written by qqname for qqname'
    """
    if title:
        with_slot = _title_slot(line, title)
        if with_slot is not line:
            return _mask(with_slot)
    # The title does not occur in the line: its shape is the same on every page of the site, and
    # template lines are the same on every page, so it is worth remembering.
    return _mask_without_title(line)


@functools.lru_cache(maxsize=65_536)
def _mask_without_title(line: str) -> str:
    return _mask(line)


def _mask(text: str) -> str:
    """The shape of a line whose title, if any, is already a slot: names become slots, then
    the normalized words (`clean.normalize`) that are dates or hold a digit, and a run of two
    or more slots becomes one (`qqnum` if it holds one: a date however it is written)."""
    first = _FIRST.match(text)
    head, rest = (text[: first.end()], text[first.end() :]) if first else ("", text)
    words = normalize(head + _NAME.sub(" qqname ", rest)).split()
    out: list[str] = []
    run = 0  # slots at the end of `out`
    for word in words:
        if word in _MONTHS:
            word = "qqdate"
        elif not word.isalpha() and _DIGIT.search(word):
            word = "qqnum"
        if word not in _SLOT_WORDS:
            run = 0
        elif run == 0:
            run = 1
        else:  # one more slot in a run: the run is one slot
            run += 1
            if word == "qqnum":
                out[-1] = "qqnum"
            continue
        out.append(word)
    return " ".join(out)


@functools.lru_cache(maxsize=1024)
def _title_words(title: str) -> tuple[list[str], str, bool, str]:
    """The title's words lower-cased, its first word case-folded (a line that `_title_re`
    matches holds it, case-folded), whether the words are ASCII (`_title_slot`) — only they
    make `_title_re`, whatever separates them — and the lower-cased words joined by spaces."""
    found = _WORD.findall(title)
    words = [w.lower() for w in found]
    first_folded = found[0].casefold() if found else ""
    return words, first_folded, "".join(found).isascii(), " ".join(words)


# The only characters that `re.I` matches with an ASCII letter or that lower-case into ASCII or
# into more than one character (capital I with dot, dotless i, long s, Kelvin sign;
# tests/test_templates.py checks all of Unicode): in a line without them, an ASCII title's
# words are found in the lower-cased line, at the same places.
_CASE_TRAPS = re.compile("[\u0130\u0131\u017f\u212a]")


def _title_slot(line: str, title: str) -> str:
    """`line` with each occurrence of the title's words, separated by anything but a word
    character and in any case, replaced by " qqtitle " (the line itself if there is none).

    It is `_title_re(title).sub(" qqtitle ", line)`, found without compiling an expression per
    title where the title's words are ASCII and the line has no `_CASE_TRAPS`: the first title
    word ends a word of the line, the middle ones are words of the line, the last one begins a
    word; one word may occur anywhere.
    """
    words, first_folded, ascii_words, joined = _title_words(title)
    if not words:
        return line
    traps = not line.isascii() and _CASE_TRAPS.search(line) is not None
    if not ascii_words or traps:
        # Case folding finds what `re.I` finds except where a trap character is involved.
        if first_folded not in line.casefold() and not (traps or _CASE_TRAPS.search(title)):
            return line  # spares compiling an expression for a line that cannot hold it
        title_re = _title_re(title)
        assert title_re is not None  # the title has words
        with_slot, n = title_re.subn(" qqtitle ", line)
        return with_slot if n else line
    low = line.lower()
    spans: list[tuple[int, int]] = []
    if len(words) == 1:
        word = words[0]
        at = low.find(word)
        while at >= 0:
            spans.append((at, at + len(word)))
            at = low.find(word, at + len(word))
    else:
        # An occurrence is a run of the line's words, so the title's words joined by spaces
        # occur in the line's words joined by spaces (`normalize`, equal for a line without
        # traps): most lines that hold the first word are rejected here, without the loop.
        if words[0] not in low or joined not in normalized_line(line):
            return line
        tokens = [m.span() for m in _WORD.finditer(low)]
        first, middle, last = words[0], words[1:-1], words[-1]
        done = 0  # where the last occurrence ended: occurrences do not overlap
        i = 0
        while i + len(words) <= len(tokens):
            start, end = tokens[i]
            begin = end - len(first)
            if (
                begin >= max(start, done)
                and low.endswith(first, begin, end)
                and all(low[s:e] == w for (s, e), w in zip(tokens[i + 1 :], middle, strict=False))
                and low.startswith(last, tokens[i + len(words) - 1][0])
            ):
                done = tokens[i + len(words) - 1][0] + len(last)
                spans.append((begin, done))
                i += len(words) - 1  # the last word's rest may begin the next occurrence
            else:
                i += 1
    if not spans:
        return line
    parts, at = [], 0
    for begin, end in spans:
        parts.append(line[at:begin])
        parts.append(" qqtitle ")
        at = end
    parts.append(line[at:])
    return "".join(parts)


@functools.lru_cache(maxsize=1024)
def _title_re(title: str) -> re.Pattern[str] | None:
    words = re.findall(r"\w+", title)
    return re.compile(r"\W+".join(re.escape(w) for w in words), re.I) if words else None


def _key(masked: str) -> int:
    if not _WORDS_LEFT.search(masked):
        return DATA_LINE  # "qqnum", "qqname qqnum": data, never template
    digest = hashlib.blake2b(masked.encode("utf-8"), digest_size=8).digest()
    return max(int.from_bytes(digest, "little"), 2)


_TITLE_MIN_WORDS = 4  # shorter titles are labels ("Contact", "Our team") as often as not


def title_key(text: str) -> int:
    """The key of a title, or of a line, as it reads (`clean.normalize`d): a line with the
    same key as another page's title reads as that title."""
    digest = hashlib.blake2b(b"title\0" + normalized_line(text).encode(), digest_size=8)
    return int.from_bytes(digest.digest(), "little")


def site_keys(sites: list[str], domains: list[str]) -> list[str]:
    """`Document.site_key` of spool columns: each row's `site`, else its `domain`."""
    return [site or domain for site, domain in zip(sites, domains, strict=True)]


def content_lines(text: str) -> list[str]:
    """The non-empty lines of a text, the unit that keys are computed for."""
    return [line for line in text.split("\n") if line.strip()]


def line_keys(text: str, title: str | None) -> list[int]:
    """One key per non-empty line of `text` (a cleaned document's text), in order."""
    return [_key(mask(line, title)) for line in content_lines(text)]


@dataclass
class PageCounts:
    """Per site, on how many distinct pages each key occurs, as columns: one row per (site,
    key); `SITE_PAGES` rows count the pages. Columns, not dictionaries: a run's counts have a
    row for nearly every line it read."""

    sites: list[str]  # site names; `site` holds positions in this list
    site: npt.NDArray[np.int32]
    key: npt.NDArray[np.uint64]
    pages: npt.NDArray[np.int64]

    def as_dict(self) -> dict[str, Counter[int]]:
        out: dict[str, Counter[int]] = defaultdict(Counter)
        for site, key, n in zip(
            self.site.tolist(), self.key.tolist(), self.pages.tolist(), strict=True
        ):
            out[self.sites[site]][key] = n
        return dict(out)


class PageCounter:
    """Counts, per site, on how many distinct pages each key occurs (`count_pages`), fed a
    batch of pages at a time as columns: each page's keys are a slice of one array."""

    def __init__(self) -> None:
        self._codes: dict[str, int] = {}
        self._titles: set[tuple[int, str]] = set()
        self._sites: list[npt.NDArray[np.int32]] = []
        self._keys: list[npt.NDArray[np.uint64]] = []

    def add(
        self,
        sites: list[str],
        titles: list[str | None],
        offsets: npt.NDArray[np.int64],
        keys: npt.NDArray[np.uint64],
    ) -> None:
        """Page i has site `sites[i]`, title `titles[i]` and keys `keys[offsets[i]:offsets[i+1]]`.
        Pages without a site, and a title seen before on the same site, count nothing."""
        counted = np.zeros(len(sites), dtype=bool)
        codes = np.zeros(len(sites), dtype=np.int32)
        for i, (site, title) in enumerate(zip(sites, titles, strict=True)):
            if not site:
                continue
            code = self._codes.setdefault(site, len(self._codes))
            if title:
                norm = (code, normalize(title))
                if norm in self._titles:
                    continue
                self._titles.add(norm)
            counted[i], codes[i] = True, code
        pages = np.flatnonzero(counted)
        if not len(pages):
            return
        lengths = np.diff(offsets)
        page_of_key = np.repeat(np.arange(len(sites)), lengths)
        chosen = counted[page_of_key] & (keys != DATA_LINE)
        page = np.concatenate([page_of_key[chosen], pages])  # with a SITE_PAGES key each
        key = np.concatenate([keys[chosen], np.full(len(pages), SITE_PAGES, dtype=np.uint64)])
        order = np.lexsort((key, page))
        page, key = page[order], key[order]
        distinct = np.ones(len(key), dtype=bool)  # a key once per page
        distinct[1:] = (page[1:] != page[:-1]) | (key[1:] != key[:-1])
        self._sites.append(codes[page[distinct]])
        self._keys.append(key[distinct])

    def add_rows(self, rows: Iterable[tuple[str, str | None, list[int]]]) -> None:
        """`add` for (site, title, keys) rows, a batch at a time."""
        it = iter(rows)
        while batch := list(islice(it, 2000)):
            lengths = [len(keys) for _, _, keys in batch]
            self.add(
                [site for site, _, _ in batch],
                [title for _, title, _ in batch],
                np.concatenate([[0], np.cumsum(lengths, dtype=np.int64)]).astype(np.int64),
                np.fromiter((k for _, _, keys in batch for k in keys), np.uint64, sum(lengths)),
            )

    def counts(self) -> PageCounts:
        site_col = np.concatenate(self._sites) if self._sites else np.empty(0, np.int32)
        key_col = np.concatenate(self._keys) if self._keys else np.empty(0, np.uint64)
        order = np.lexsort((key_col, site_col))
        site_col, key_col = site_col[order], key_col[order]
        new = np.ones(len(key_col), dtype=bool)
        new[1:] = (site_col[1:] != site_col[:-1]) | (key_col[1:] != key_col[:-1])
        starts = np.flatnonzero(new)
        pages = np.diff(np.append(starts, len(key_col))).astype(np.int64)
        return PageCounts(list(self._codes), site_col[starts], key_col[starts], pages)


def count_page_columns(rows: Iterable[tuple[str, str | None, list[int]]]) -> PageCounts:
    """`count_pages`, as columns."""
    counter = PageCounter()
    counter.add_rows(rows)
    return counter.counts()


def count_pages(rows: Iterable[tuple[str, str | None, list[int]]]) -> dict[str, Counter[int]]:
    """Per site, on how many distinct pages each key occurs; `SITE_PAGES` counts the pages.

    `rows` are (site, title, keys) per document. A title seen before on the same site adds
    nothing: reposts of one article must not make its own sentences look like template.
    """
    return count_page_columns(rows).as_dict()


@dataclass(frozen=True)
class Cut:
    """What is left of a page once its site's template lines are cut (`TemplateModel.cut`)."""

    text: str
    lines: int  # lines cut: template lines and other pages' titles
    words: int  # the words they held
    keys: list[int]  # the line keys of the lines left
    other_titles: int = 0  # of `lines`, those that are another page's title

    def rules(self, removed_by_rule: Mapping[str, int]) -> dict[str, int]:
        """A document's `removed_by_rule` with these lines added under "template" and
        "other_title"."""
        removed = dict(removed_by_rule)
        for rule, n in (
            ("template", self.lines - self.other_titles),
            ("other_title", self.other_titles),
        ):
            if n:
                removed[rule] = removed.get(rule, 0) + n
        return dict(sorted(removed.items()))


@dataclass
class TemplateModel:
    """Templates per site: key → pages it was seen on, for the keys that pass the thresholds."""

    options: TemplateOptions
    templates: dict[str, dict[int, int]] = field(default_factory=dict)
    pages: dict[str, int] = field(default_factory=dict)
    # Per site, the titles of this run's pages: their line key (as `line_keys` gives a line
    # that reads as the title) → their `title_key`s. A line of a page that is another page's
    # title is a link to it (a latest, related or trending list), whatever heads the list.
    titles: dict[str, dict[int, set[int]]] = field(default_factory=dict)

    def add_titles(self, pages: Iterable[tuple[str, str | None]]) -> None:
        """Remember the titles of (site, title) pages of at least `_TITLE_MIN_WORDS` words."""
        for site, title in pages:
            if title and title.count(" ") + 1 >= _TITLE_MIN_WORDS:
                by_key = self.titles.setdefault(site, {})
                by_key.setdefault(_key(mask(title)), set()).add(title_key(title))

    def _other_titles(
        self, site: str, lines: list[str], keys: list[int], title: str | None
    ) -> set[int]:
        """Positions of the lines that are the title of another page of the site."""
        titled = self.titles.get(site)
        if not titled:
            return set()
        own = title_key(title) if title else None
        found = set()
        for i, k in enumerate(keys):
            if k in titled and (exact := title_key(lines[i])) in titled[k] and exact != own:
                found.add(i)
        return found

    @classmethod
    def learn(
        cls, counts: Iterable[Mapping[str, Mapping[int, int]]], options: TemplateOptions
    ) -> TemplateModel:
        """Sum per-run counts (earlier runs' and this run's) and keep the recurrent keys."""
        total: dict[str, Counter[int]] = defaultdict(Counter)
        for run_counts in counts:
            for site, site_counts in run_counts.items():
                total[site].update(site_counts)
        model = cls(options)
        for site, site_counts in total.items():
            pages = site_counts[SITE_PAGES]
            need = max(options.min_pages, math.ceil(options.min_share * pages))
            found = {k: n for k, n in site_counts.items() if k != SITE_PAGES and n >= need}
            model.pages[site] = pages
            if found:
                model.templates[site] = found
        return model

    def mark(self, lines: list[Line], site: str, title: str | None) -> list[Line]:
        """`lines` (a cleaner's verdicts) with kept lines of the site's template, and the
        titles of its other pages, marked."""
        found = self.templates.get(site, {})
        if not found and site not in self.titles:
            return lines
        out: list[Line] = []
        for line in lines:
            key = _key(mask(line.text, title)) if line.kept and line.text.strip() else None
            n = found.get(key) if key is not None else None
            if (
                key is not None
                and n is None
                and self._other_titles(site, [line.text], [key], title)
            ):
                out.append(Line(line.text, "other_title", f"the title of another page of {site}"))
            elif n is None:
                out.append(line)
            else:
                note = f"template of {site}, on {n} of {self.pages[site]} pages"
                out.append(Line(line.text, "template", note))
        return out

    def cut(
        self, site: str, text: str, keys: list[int], where: str, title: str | None = None
    ) -> Cut | None:
        """`text` (a page of `site`, titled `title`) without its template lines and the
        titles of the site's other pages, or None if it has none; `keys` are its
        `line_keys`, `where` names the page in an error."""
        found = self.templates.get(site, {})
        titled = self.titles.get(site, {})
        if not any(k in found or k in titled for k in keys):
            return None
        lines = content_lines(text)
        if len(lines) != len(keys):
            raise ValueError(f"{where}: {len(keys)} line keys for {len(lines)} lines")
        template = {i for i, k in enumerate(keys) if k in found}
        others = self._other_titles(site, lines, keys, title) - template
        if others and 2 * sum(word_count(lines[i]) for i in others) > sum(map(word_count, lines)):
            others = set()  # a list of the site's pages is the page itself (a section front)
        drop = template | others
        if not drop:
            return None
        kept_lines: list[str] = []
        dropped_words = 0
        n = 0  # index among the non-empty lines, which the keys are aligned with
        for line in text.split("\n"):
            if line.strip():
                n += 1
                if n - 1 in drop:
                    dropped_words += word_count(line)
                    continue
            kept_lines.append(line)
        left = [k for i, k in enumerate(keys) if i not in drop]
        return Cut(join_lines(kept_lines), len(drop), dropped_words, left, len(others))

    def strip(self, doc: Document, keys: list[int]) -> Document:
        """`doc` without its template lines (`keys` are its `line_keys`); counts refreshed."""
        cut = self.cut(doc.site_key, doc.text, keys, doc.url, doc.title)
        if cut is None:
            return doc
        return replace(
            doc,
            text=cut.text,
            # No word spans two lines: the text's words less those of the lines dropped.
            word_count=doc.word_count - cut.words,
            text_hash=text_hash(cut.text),
            boilerplate_lines_removed=doc.boilerplate_lines_removed + cut.lines,
            removed_by_rule=cut.rules(doc.removed_by_rule),
        )

    def template_count(self) -> int:
        return sum(len(v) for v in self.templates.values())
