"""Extraction stage: `Page` → `Document` with main text and metadata, through trafilatura.

An adapter over trafilatura's public API: HTML goes through `bare_extraction` with its
defaults (tables on, comments extracted apart from the body), and the body is the text: with
comments off trafilatura also prunes every element named like a comment before it looks for the
body, which on WCXB-dev's forum pages removed the thread itself (bench/README.md). Plain text
is taken as it is, its first line as the title when it reads like one. Cleaning of the
boilerplate trafilatura keeps is the next stage's job (`pipelines.clean`).

In precision mode (`ExtractOptions.favor_precision`, off by default), a page is extracted in
trafilatura's default mode too, and that text is taken where precision mode keeps less than
`PRECISION_KEEP_SHARE` of its words (the document's `fallback` is `precision_thin`, counted per
run): precision mode returns nothing or a fragment on some ordinary article pages.

Speed-ups that reach into trafilatura's internals live in `pipelines.trafilatura_shortcuts`,
installed only where `ExtractOptions.shortcuts` asks for them and trafilatura is a release they
were proven on; anywhere else trafilatura runs unchanged (tests/test_extract.py proves both).

Many pages (`extract_all`, a worker's batch) go through the steps one at a time — every page
parsed, then every page's main text found, then (with the shortcuts) each metadata step over
every page — rather than one page through all of them: the same results, for less CPU.
"""

from __future__ import annotations

import re
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from types import ModuleType
from typing import Any
from urllib.parse import unquote

from trafilatura import bare_extraction

from pipelines.clean import word_count
from pipelines.config import ExtractOptions
from pipelines.records import Document, Page, Reject, document_id
from pipelines.urls import canonical_url, domain_of, url_key

__all__ = [
    "GROUP_CHARS",
    "PRECISION_KEEP_SHARE",
    "ExtractTimeout",
    "extract",
    "extract_all",
    "shortcuts_in_use",
    "time_limit",
    "time_limits",
]

# In precision mode, the default mode's text is taken where precision keeps less than this.
PRECISION_KEEP_SHARE = 0.5

_HTML_LANG = re.compile(
    r"""<html[^>]*?\slang\s*=\s*["']?([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]+)?""", re.I
)


class ExtractTimeout(BaseException):
    """A page took longer than the extraction time limit.

    A BaseException, like KeyboardInterrupt, so that the `except Exception` blocks inside
    trafilatura and htmldate cannot swallow it.
    """


def _expire(signum: int, frame: object) -> None:
    raise ExtractTimeout


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise `ExtractTimeout` if the block runs longer than `seconds`.

    Uses SIGALRM, so the limit applies only on a process's main thread — where contentpipe's
    worker processes run extraction. Elsewhere (inline runs in a thread) the block is unlimited.
    Inside `time_limits`, the handler is already in place: only the timer is set.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    installed = signal.getsignal(signal.SIGALRM) is _expire
    previous = None if installed else signal.signal(signal.SIGALRM, _expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        if not installed:
            signal.signal(signal.SIGALRM, previous)


@contextmanager
def time_limits() -> Iterator[None]:
    """Keep `time_limit`'s handler in place for a block of many extractions (a worker's batch):
    swapping it in and out for every page cost two thirds of a page's limit (~9 of 13 µs)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous, ready = signal.signal(signal.SIGALRM, _expire), _ALARM.ready
    _ALARM.ready = True
    try:
        yield
    finally:
        _ALARM.ready = ready
        signal.signal(signal.SIGALRM, previous)


class _Alarm(threading.local):
    ready = False  # whether `time_limits` has put the alarm handler in place (main thread)


_ALARM = _Alarm()


# --- the shortcuts, where asked for and proven --------------------------------------------

_SHORTCUTS = "pipelines.trafilatura_shortcuts"


def _shortcuts(wanted: bool) -> ModuleType | None:
    """The shortcuts module, installed, if `wanted` and it installs on this trafilatura; else
    None, with trafilatura as it was (uninstalled if an earlier call installed it)."""
    if not wanted:
        loaded = sys.modules.get(_SHORTCUTS)
        if loaded is not None and loaded.installed():
            loaded.uninstall()
        return None
    try:
        import pipelines.trafilatura_shortcuts as module
    except Exception:  # another trafilatura's internals: it runs as it is
        return None
    return module if module.install() else None


def shortcuts_in_use(options: ExtractOptions) -> bool:
    """Whether extraction with `options` runs through the shortcuts on this trafilatura."""
    return _shortcuts(options.shortcuts) is not None


def _looks_like_title(line: str) -> bool:
    words = line.split()
    return 0 < len(words) <= 20 and not line.rstrip().endswith((".", ",", ";", ":"))


def _split_title(text: str) -> tuple[str | None, str]:
    lines = text.strip().splitlines()
    if len(lines) > 1 and _looks_like_title(lines[0]):
        return lines[0].strip(), "\n".join(lines[1:])
    return None, text


def _document(page: Page, run_id: str, count_words: bool, **fields: object) -> Document:
    canonical = canonical_url(str(fields.pop("url", None) or page.url))
    text = str(fields.pop("text"))
    return Document(
        id=document_id(url_key(canonical)),
        url=page.url,
        canonical_url=canonical,
        domain=domain_of(canonical),
        text=text,
        word_count=word_count(text) if count_words else 0,
        text_hash="",
        fetched_at=page.fetched_at,
        run_id=run_id,
        source=page.source,
        source_id=page.source_id,
        boilerplate_lines_removed=0,
        **fields,  # type: ignore[arg-type]
    )


def _canonical_from_metadata(meta_url: str | None, page: Page) -> str:
    """A page's own canonical link (or og:url) wins over where we read it from (a file, a
    mirror): it is how syndicated copies point at the original. Not its <base href>, which
    trafilatura also reads as the page's URL where it has neither: that is the address other
    links are relative to, the same for many pages (`_site` takes its host)."""
    if meta_url and meta_url.startswith(("http://", "https://")):
        base = _BASE_HREF.search(page.body[:65_536])
        if base is None or base.group(1) != meta_url:
            return meta_url
    return page.url


def extract(
    page: Page, options: ExtractOptions, run_id: str, *, count_words: bool = True
) -> Document | Reject:
    """Extract one page; a failure is a `Reject` with a reason, never an exception.

    `count_words=False` leaves `word_count` at 0, for a caller that cleans the document next
    (`Cleaner.clean` counts the words it keeps): counting them twice costs 0.1 ms a page.
    """
    return extract_all([page], options, run_id, count_words=count_words)[0]


# Pages whose HTML, together, is at most this many characters go through `extract_all`'s stages
# together: their parsed trees are in memory at once (a tree takes several times its HTML).
GROUP_CHARS = 4_000_000


def extract_all(
    pages: Sequence[Page], options: ExtractOptions, run_id: str, *, count_words: bool = True
) -> list[Document | Reject]:
    """`extract` of every page, in order, one stage at a time: each page of a group parsed,
    then each page's main text found, then each page's metadata read, and only then the next
    group (pages of at most `GROUP_CHARS` characters of HTML in all).

    The same results as one page after another, for less work: a stage run over many pages in
    a row keeps its code and data in the processor's caches, which the next stage would evict
    (bench/README.md). The time limit is still per page: a page's stages share
    `options.timeout_seconds` between them.
    """
    out: list[Document | Reject] = []
    group: list[_Extraction] = []
    chars = 0
    for page in pages:
        if group and chars + len(page.body) > GROUP_CHARS:
            out.extend(_extract_group(group, options, run_id, count_words))
            group, chars = [], 0
        group.append(_Extraction(page))
        chars += len(page.body)
    out.extend(_extract_group(group, options, run_id, count_words))
    return out


@dataclass(slots=True)
class _Extraction:
    """One page on its way through `extract_all`'s stages; `outcome` is set once it is done."""

    page: Page
    tree: Any = None  # the parsed page, with the shortcuts
    result: Any = None  # trafilatura's Document: the text, and the metadata without shortcuts
    meta: Any = None  # the metadata read by the shortcuts' steps
    fallback: str | None = None
    seconds: float = 0.0  # spent on it so far, against the page's time limit
    outcome: Document | Reject | None = None


def _extract_group(
    group: list[_Extraction], options: ExtractOptions, run_id: str, count_words: bool
) -> list[Document | Reject]:
    for stage in _stages(_shortcuts(options.shortcuts)):
        for job in group:
            if job.outcome is None:
                _run_stage(stage, job, options, run_id, count_words)
    out: list[Document | Reject] = []
    for job in group:
        if job.outcome is None:
            job.outcome = _finish(job, run_id, count_words)
        job.tree = job.result = None  # the group's trees go before the next group's come
        out.append(job.outcome)
    return out


def _reject(job: _Extraction, run_id: str, reason: str, detail: str) -> Reject:
    page = job.page
    return Reject(page.url, page.source, page.source_id, "extract", reason, detail, run_id)


_Stage = Callable[[_Extraction, ExtractOptions, str, bool], None]


def _run_stage(
    stage: _Stage,
    job: _Extraction,
    options: ExtractOptions,
    run_id: str,
    count_words: bool,
) -> None:
    """One stage on one page, within what is left of the page's time limit; a failure becomes
    the page's reject."""
    url, limit = job.page.url, options.timeout_seconds
    started = time.perf_counter()
    try:
        if job.seconds >= limit:
            raise ExtractTimeout
        if _ALARM.ready:  # only the timer to set: `time_limit` costs 4 µs more
            signal.setitimer(signal.ITIMER_REAL, limit - job.seconds)
            try:
                stage(job, options, run_id, count_words)
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
        else:
            with time_limit(limit - job.seconds):
                stage(job, options, run_id, count_words)
    except ExtractTimeout:
        job.outcome = _reject(
            job, run_id, "extract_timeout", f"{url}: extraction took longer than {limit:g} s"
        )
    except (ValueError, TypeError, AttributeError, RecursionError) as exc:
        # trafilatura and lxml raise these on pathological markup.
        job.outcome = _reject(job, run_id, "extract_error", f"{url}: {type(exc).__name__}: {exc}")
    except Exception as exc:  # one page's bug must not sink its batch: record it instead
        job.outcome = _reject(job, run_id, "internal_error", f"{url}: {type(exc).__name__}: {exc}")
    finally:
        job.seconds += time.perf_counter() - started


def _check(job: _Extraction, options: ExtractOptions, run_id: str, count_words: bool) -> None:
    """The page limit; a plain-text page is a document as it is."""
    page = job.page
    size = len(page.body.encode("utf-8", "surrogatepass"))
    if size > options.max_page_bytes:
        job.outcome = _reject(
            job,
            run_id,
            "too_large",
            f"{page.url}: {size:,} bytes, over the {options.max_page_bytes:,}-byte page limit",
        )
    elif not page.is_html:
        title, text = (page.title, page.body) if page.title else _split_title(page.body)
        job.outcome = _document(
            page,
            run_id,
            count_words,
            text=text,
            title=title,
            author=None,
            published=page.published,
            language=None,
            sitename=None,
            site=_folder(page),
        )


def _bare(page: Page, options: ExtractOptions, precision: bool) -> Any:
    """trafilatura's `bare_extraction` of the page, with its metadata: its public API only."""
    return bare_extraction(
        page.body,
        url=page.url,
        favor_precision=precision,
        include_comments=True,
        include_tables=True,
        with_metadata=True,
        date_extraction_params={
            "original_date": True,
            "extensive_search": options.extensive_dates,
        },
    )


def _main_text(job: _Extraction, options: ExtractOptions, run_id: str, count_words: bool) -> None:
    """The page's text and metadata in one call of trafilatura's (no shortcuts)."""
    job.result = _choose(
        job, options, run_id, lambda precision: _bare(job.page, options, precision)
    )


def _choose(
    job: _Extraction, options: ExtractOptions, run_id: str, extract: Callable[[bool], Any]
) -> Any:
    """`extract` in the configured mode; in precision mode, the default mode's result where
    precision keeps less than `PRECISION_KEEP_SHARE` of its words (`fallback`). A page with
    no text either way is rejected `no_content`."""
    result = extract(options.favor_precision)
    if options.favor_precision:
        default = extract(False)
        if _words(default) and _words(result) < PRECISION_KEEP_SHARE * _words(default):
            result, job.fallback = default, "precision_thin"
    if not _words(result):
        job.outcome = _reject(job, run_id, "no_content", f"{job.page.url}: no main text found")
    return result


def _words(result: Any) -> int:
    """Words of an extraction's body (0 for none)."""
    text = getattr(result, "text", None) if result is not None else None
    return word_count(text) if text and text.strip() else 0


# --- the same steps through the shortcuts -------------------------------------------------


def _parse(module: ModuleType) -> _Stage:
    def stage(job: _Extraction, options: ExtractOptions, run_id: str, count_words: bool) -> None:
        # One parse for the text and the metadata: the extractor works on its own copy.
        job.tree = module.load(job.page.body)

    return stage


def _fast_main_text(module: ModuleType) -> _Stage:
    def stage(job: _Extraction, options: ExtractOptions, run_id: str, count_words: bool) -> None:
        source = job.page.body if job.tree is None else job.tree
        job.result = _choose(
            job,
            options,
            run_id,
            lambda precision: module.main_text(
                source, job.page.url, options, precision, len(job.page.body)
            ),
        )

    return stage


def _metadata_stage(module: ModuleType, step: Callable[..., Any]) -> _Stage:
    def stage(job: _Extraction, options: ExtractOptions, run_id: str, count_words: bool) -> None:
        job.meta = job.meta or module.Metadata()
        if job.tree is not None:
            job.meta = step(job.meta, job.tree, job.page.url, module.date_params(options))

    return stage


def _stages(module: ModuleType | None) -> tuple[_Stage, ...]:
    """A page's stages in order; `extract_all` runs each over a group of pages before the
    next."""
    if module is None:
        return (_check, _main_text)
    return _fast_stages(module)


_FAST_STAGES: dict[str, tuple[_Stage, ...]] = {}


def _fast_stages(module: ModuleType) -> tuple[_Stage, ...]:
    if module.__name__ not in _FAST_STAGES:
        _FAST_STAGES[module.__name__] = (
            _check,
            _parse(module),
            _fast_main_text(module),
            *(_metadata_stage(module, step) for step in module.STEPS),
        )
    return _FAST_STAGES[module.__name__]


def _finish(job: _Extraction, run_id: str, count_words: bool) -> Document:
    page, result = job.page, job.result
    meta = job.meta if job.meta is not None else result  # the shortcuts' steps, or trafilatura's
    lang = _HTML_LANG.search(page.body[:4096])
    url = _canonical_from_metadata(meta.url, page)  # once: `_site` reads it too
    return _document(
        page,
        run_id,
        count_words,
        url=url,
        text=result.text,
        title=page.title or meta.title,
        author=meta.author,
        published=page.published or meta.date,
        language=(lang.group(1).lower() if lang else result.language or meta.language),
        sitename=meta.sitename,
        fallback=job.fallback,
        site=_site(page, meta, url),
    )


_BASE_HREF = re.compile(r"""<base\s[^>]*?href\s*=\s*["']?(https?://[^"'\s>]+)""", re.I)


def _site(page: Page, meta: Any, url: str) -> str:
    """Where the page's canonical URL has no host (a saved file, a page from stdin): the site
    it tells of itself — its <base href>'s host, its declared name (og:site_name, JSON-LD
    publisher: trafilatura's site name) — else the folder it was saved in; "" where the URL
    tells (`Document.site`). A canonical link or og:url is already the URL."""
    if domain_of(canonical_url(url)):
        return ""
    base = _BASE_HREF.search(page.body[:65_536])
    if base and (host := domain_of(canonical_url(base.group(1)))):
        return host
    if meta.sitename and meta.sitename.strip():
        return "name:" + " ".join(meta.sitename.lower().split())
    return _folder(page)


def _folder(page: Page) -> str:
    """`dir:<folder>` of a page read from a local file (its URL is the file's); "" else."""
    if not page.url.startswith("file:///"):
        return ""
    return "dir:" + unquote(page.url.removeprefix("file://")).rsplit("/", 1)[0]
