"""The `contentpipe` command line: `ingest`, `crawl`, `demo`, `extract`, `stats`, `unlock`.

`ingest` runs the Prefect flow (Prefect's ephemeral API unless PREFECT_API_URL points at a
server); `extract` and `stats` need no Prefect at all and start fast.
"""

from __future__ import annotations

import json
import logging
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from pipelines import progress
from pipelines.clean import Cleaner
from pipelines.config import DedupOptions, ExtractOptions, ProcessOptions
from pipelines.lock import LockHeld, unlock
from pipelines.readers import read_input
from pipelines.records import Page, Reject
from pipelines.redact import credentials_to_environment, redact
from pipelines.run import InputError, RunReport, clean_pages, committed_runs
from pipelines.storage import StorageError, expand_sources, store_for

if TYPE_CHECKING:
    from flows.server import TemporaryAPI

app = typer.Typer(
    help="contentpipe: scrape → clean → deduplicate → publish web articles.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(stderr=True, soft_wrap=True)
# Option defaults come from the models, so that the CLI, the flow and the library agree.
_DEDUP = DedupOptions().model_dump()
_PROCESS = ProcessOptions().model_dump()


@app.callback()
def _main() -> None:
    """What the library logs (a wait for another run's lock, a lock taken over) goes to stderr;
    inside a Prefect flow run it goes to the run's log instead (see `flows/`)."""
    logger = logging.getLogger("pipelines")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("contentpipe: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)


def _fail(message: str) -> typer.Exit:
    console.print(f"[bold red]error:[/] {redact(message)}", highlight=False)
    return typer.Exit(code=2)


@app.command()
def ingest(
    sources: Annotated[
        list[str], typer.Argument(help="Files, directories, globs or s3:// prefixes.")
    ],
    out: Annotated[
        str, typer.Option("--out", "-o", help="s3://bucket/prefix or a local directory.")
    ] = "./data",
    run_id: Annotated[
        str | None, typer.Option(help="Rerun (repair) this run id instead of a new one.")
    ] = None,
    min_words: Annotated[
        int, typer.Option(help="Reject documents shorter than this after cleaning.")
    ] = _PROCESS["min_words"],
    threshold: Annotated[
        float, typer.Option(help="Near-duplicate Jaccard threshold (0..1).")
    ] = _DEDUP["threshold"],
    num_perm: Annotated[int, typer.Option(help="MinHash permutations.")] = _DEDUP["num_perm"],
    shingle_size: Annotated[int, typer.Option(help="Words per shingle.")] = _DEDUP["shingle_size"],
    workers: Annotated[int, typer.Option(help="Worker processes; 0 = one per core.")] = 0,
    shortcuts: Annotated[
        bool,
        typer.Option(
            help="Opt in to the speed-ups through trafilatura's internals (the same output; "
            "used only on the trafilatura release they were proven on)."
        ),
    ] = False,
    prefect: Annotated[
        bool, typer.Option(help="Run as a Prefect flow (--no-prefect: plain run).")
    ] = True,
) -> None:
    """Ingest pages that already exist into a clean, deduplicated corpus."""
    try:
        options = ProcessOptions(
            min_words=min_words,
            workers=workers,
            dedup=DedupOptions(threshold=threshold, num_perm=num_perm, shingle_size=shingle_size),
            extract=ExtractOptions(shortcuts=shortcuts),
        )
        store_for(out).check_writable()
    except ValidationError as exc:
        err = exc.errors()[0]
        raise _fail(f"--{'-'.join(str(p) for p in err['loc'][-1:])}: {err['msg']}") from None
    except StorageError as exc:
        raise _fail(str(exc)) from None
    # Local inputs are checked before Prefect starts (~10 s): a mistyped path is one line at
    # once. (S3 prefixes are listed once, by the run: a large one takes a while to list.)
    if sources and not any(s.startswith("s3://") for s in sources):
        found, missing = expand_sources(sources)
        if not found:
            raise _fail("nothing to ingest: " + "; ".join(d for _, _, d in missing))
    api = _temporary_api() if prefect else None

    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TextColumn("[cyan]{task.completed:,} pages"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        job = bar.add_task("ingesting", total=None)
        progress.listen(lambda what, n: bar.advance(job, n) if what == "pages" else None)
        try:
            if prefect:
                from flows.ingest import ingest as ingest_flow

                with _flow_runs_on(api):
                    report = ingest_flow(sources, out, options, run_id)
            else:
                from pipelines.run import ingest as ingest_plain

                report = ingest_plain(sources, out, options, run_id)
        except (StorageError, InputError, ValueError) as exc:
            raise _fail(str(exc)) from None
        finally:
            progress.listen(None)
    _print_summary(report)


@app.command()
def crawl(
    out: Annotated[
        str, typer.Option("--out", "-o", help="s3://bucket/prefix or a local directory.")
    ] = "./data",
    sources: Annotated[
        Path | None, typer.Option("--sources", help="A sources YAML file (deploy/sources.yaml).")
    ] = None,
    url: Annotated[
        list[str] | None, typer.Option("--url", help="Start page; links followed.")
    ] = None,
    sitemap: Annotated[
        list[str] | None,
        typer.Option("--sitemap", help="Sitemap, sitemap index or robots.txt URL."),
    ] = None,
    feed: Annotated[
        list[str] | None, typer.Option("--feed", help="RSS/Atom feed, or a page announcing one.")
    ] = None,
    max_pages: Annotated[int, typer.Option(help="Most pages per source (URL options).")] = 1000,
    max_depth: Annotated[int, typer.Option(help="Link depth for --url.")] = 2,
    allow_private: Annotated[
        bool, typer.Option(help="Allow loopback/private addresses (local test sites only).")
    ] = False,
    run_id: Annotated[str | None, typer.Option(help="Rerun (repair) this run id.")] = None,
    user_agent: Annotated[
        str | None, typer.Option(help="User-Agent (default names contentpipe and a contact URL).")
    ] = None,
) -> None:
    """Crawl sites (politely, incrementally), keep raw pages as WARC, publish clean records."""
    from pipelines.sources import Source, SourceError, load_sources

    try:
        chosen = load_sources(sources) if sources else []
        for kind, urls in (("urls", url), ("sitemap", sitemap), ("feed", feed)):
            for n, u in enumerate(urls or []):
                chosen.append(
                    Source(
                        name=f"{kind}-{n}",
                        kind=kind,
                        urls=[u],
                        max_pages=max_pages,
                        max_depth=max_depth,
                        allow_private=allow_private,
                    )
                )
        if not chosen:
            raise _fail("give --sources FILE, or at least one --url, --sitemap or --feed")
        # Literal credentials in URLs stay in this process's environment (the crawl's
        # subprocesses inherit it); the flow run's stored parameters name them only.
        chosen = [
            s.model_copy(
                update={
                    "urls": [
                        credentials_to_environment(u, f"CONTENTPIPE_LOGIN_{n}") for u in s.urls
                    ]
                }
            )
            for n, s in enumerate(chosen)
        ]
        store_for(out).check_writable()
    except (SourceError, StorageError) as exc:
        raise _fail(str(exc)) from None
    except ValidationError as exc:
        err = exc.errors()[0]
        raise _fail(f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}") from None
    api = _temporary_api()
    from flows.crawl import crawl as crawl_flow  # slow import

    with console.status("crawling"):
        try:
            from flows.crawl import CrawlOptions

            with _flow_runs_on(api):
                report = crawl_flow(chosen, out, CrawlOptions(user_agent=user_agent), run_id)
        except typer.Exit:  # a RuntimeError too: already reported
            raise
        except (StorageError, InputError, ValueError, RuntimeError) as exc:
            raise _fail(str(exc)) from None
    _print_summary(report)


@app.command()
def demo(
    out: Annotated[str, typer.Option("--out", "-o", help="Where to write.")] = "./data",
    seeds: Annotated[
        Path | None, typer.Option(help="Also ingest these plain-text articles.")
    ] = None,
) -> None:
    """Start the bundled demo site on 127.0.0.1, crawl it, ingest the seeds, stop the site."""
    import importlib.util

    server_py = Path(__file__).resolve().parents[1] / "deploy" / "demo" / "server.py"
    spec = importlib.util.spec_from_file_location("demo_server", server_py)
    if spec is None or spec.loader is None:
        raise _fail(f"the demo site is missing ({server_py})")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    site = module.DemoSite()
    base = site.start()
    console.print(f"demo site running on {base}")
    try:
        # The sitemap is found through robots.txt, as on a real site.
        crawl(
            out=out,
            sources=None,
            url=None,
            sitemap=[f"{base}/robots.txt"],
            feed=None,
            max_pages=1000,
            max_depth=2,
            allow_private=True,
            run_id=None,
            user_agent=None,
        )
    finally:
        site.stop()
    if seeds and seeds.is_dir():
        ingest(
            [str(seeds)],
            out=out,
            run_id=None,
            min_words=_PROCESS["min_words"],
            threshold=_DEDUP["threshold"],
            num_perm=_DEDUP["num_perm"],
            shingle_size=_DEDUP["shingle_size"],
            workers=0,
            prefect=True,
        )


def _temporary_api() -> TemporaryAPI | None:
    """Start Prefect's temporary API server now, unless Prefect is configured otherwise: its
    start then overlaps the import of Prefect and the flows (`flows.server`)."""
    from flows.server import start_temporary_api

    api = start_temporary_api()
    if api is not None and not api.announced:
        api.announced = True
        console.print(
            f"Starting temporary server on {api.url} for this command "
            "(PREFECT_API_URL selects a Prefect server of your own)"
        )
    return api


@contextmanager
def _flow_runs_on(api: TemporaryAPI | None) -> Iterator[None]:
    """Flow runs on the command's temporary API, once it answers, without flow-run heartbeats:
    they let a lasting server notice crashed runs, and this one stops with the command, while
    stopping their thread ends every flow run up to a second late (it sleeps in 1 s steps).
    Anywhere else (`api` None), Prefect's settings as they are."""
    if api is None:
        yield
        return
    try:
        api.wait()
    except RuntimeError as exc:
        raise _fail(str(exc)) from None
    from prefect.settings import temporary_settings

    with temporary_settings(updates={"flows.heartbeat_frequency": None}):
        yield


def _print_summary(report: RunReport) -> None:
    from flows.summary import summary_rows, timings_line

    table = Table(title=f"run {report.run_id}", show_header=False)
    table.add_column("metric")
    table.add_column("count", justify="right")
    for row in summary_rows(report.counts):
        table.add_row(row["metric"], f"{row['count']:,}")
    out = Console(soft_wrap=True)
    out.print(table)
    if report.timings:
        out.print(f"time:     {timings_line(report.timings)}", highlight=False)
    out.print(f"output:   {report.out}")
    out.print(f"manifest: {report.manifest}")
    glob = f"{report.out}/records/*/*/*.parquet"
    out.print(
        'read it:  duckdb -c "SELECT domain, title, word_count FROM '
        f"read_parquet('{glob}', hive_partitioning=true) LIMIT 10\"",
        highlight=False,
    )


@app.command()
def extract(
    paths: Annotated[
        list[str],
        typer.Argument(help="Input files (any ingest format); '-' reads one page from stdin."),
    ],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per document.")] = False,
    explain: Annotated[
        bool,
        typer.Option(help="Show every removed line and the rule or site template that removed it."),
    ] = False,
    templates: Annotated[
        str | None,
        typer.Option(
            help="An output (directory or s3://) whose learned site templates apply too; "
            "without it, templates are learned from the given pages alone."
        ),
    ] = None,
) -> None:
    """Pages → cleaned text and metadata, without writing any output (for debugging rules).

    Lines that recur across the given pages of one site (slots such as the title masked) are
    that site's template and are removed as in a run.
    """
    pages: list[Page] = []
    for page_or_reject in _pages(paths):
        if isinstance(page_or_reject, Reject):
            console.print(f"[yellow]rejected[/] {page_or_reject.reason}: {page_or_reject.detail}")
        else:
            pages.append(page_or_reject)
    try:
        if templates is not None and not committed_runs(store_for(templates)):
            raise _fail(f"{templates}: no committed contentpipe run to take templates from")
        results, model = clean_pages(pages, ProcessOptions(), templates)
    except (StorageError, ValueError) as exc:
        raise _fail(str(exc)) from exc
    cleaner = Cleaner()
    for page, (raw, doc) in zip(pages, results, strict=True):
        if isinstance(raw, Reject) or isinstance(doc, Reject):
            reject = raw if isinstance(raw, Reject) else doc
            assert isinstance(reject, Reject)
            console.print(f"[yellow]rejected[/] {reject.reason}: {reject.detail}")
            continue
        lines = model.mark(cleaner.judge(raw)[0], raw.site_key, raw.title)
        if as_json:
            record: dict[str, Any] = {
                "source": page.source,
                "url": doc.url,
                "canonical_url": doc.canonical_url,
                "title": doc.title,
                "author": doc.author,
                "published": doc.published,
                "language": doc.language,
                "sitename": doc.sitename,
                "word_count": doc.word_count,
                "boilerplate_lines_removed": doc.boilerplate_lines_removed,
                "removed_by_rule": doc.removed_by_rule,
                "fallback": doc.fallback,
                "site": doc.site_key,
                "text": doc.text,
            }
            if explain:
                record["removed"] = [
                    {"line": ln.text, "rule": ln.rule, "note": ln.note}
                    for ln in lines
                    if ln.rule and ln.text
                ]
            sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
            continue
        out = Console()
        out.rule(f"{page.source}")
        out.print(f"[bold]{doc.title or '(no title)'}[/]  {doc.author or ''} {doc.published or ''}")
        if explain and doc.fallback:
            out.print(escape(f"[fallback: {doc.fallback}]"), highlight=False)
        if explain:
            for line in lines:
                if line.rule and line.text:
                    why = f"{line.rule}: {line.note}" if line.note else line.rule
                    tag = escape(f"[{why}]")
                    out.print(f"[red]- {tag}[/] {escape(line.text)}", highlight=False)
                elif line.text:
                    out.print(f"  {escape(line.text)}", highlight=False)
        else:
            out.print(doc.text, highlight=False)


def _pages(paths: list[str]) -> Any:
    for path in paths:
        if path == "-":
            data = sys.stdin.buffer.read()
            html = b"<html" in data[:2048].lower() or b"<!doctype" in data[:2048].lower()
            yield Page(
                url="stdin:",
                body=data.decode("utf-8", "replace"),
                source="-",
                content_type="text/html" if html else "text/plain",
            )
            continue
        if not Path(path).exists() and not path.startswith("s3://"):
            raise _fail(f"{path}: no such file")
        yield from read_input(path)


@app.command()
def stats(
    uri: Annotated[
        str, typer.Argument(help="The output location: s3://bucket/prefix or a directory.")
    ] = "./data",
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the manifests' counts and timings as JSON.")
    ] = False,
) -> None:
    """Runs published to an output (only runs with a manifest), their counts and duplicates."""
    if "://" not in uri and not Path(uri).expanduser().is_dir():
        # A mistyped path would otherwise read as an output with no runs.
        raise _fail(f"{uri}: no such directory")
    try:
        store = store_for(uri)
        runs = committed_runs(store)
        manifests = [json.loads(store.read_bytes(f"runs/{r}.json")) for r in runs]
    except (StorageError, OSError) as exc:
        raise _fail(str(exc)) from None
    if as_json:
        # Manifests of runs from before `timings_s` existed have none: {}.
        rows = [
            {"run_id": m["run_id"], "counts": m["counts"], "timings_s": m.get("timings_s", {})}
            for m in manifests
        ]
        sys.stdout.write(json.dumps(rows) + "\n")
        return
    table = Table(title=f"{store.uri}: {len(runs)} published run(s)")
    for col in ("run", "date", "pages", "records", "rejected", "dup url", "dup exact", "dup near"):
        text = col in ("run", "date")
        table.add_column(col, justify="left" if text else "right", no_wrap=True)
    total: Counter[str] = Counter()
    for m in manifests:
        c = m["counts"]
        total.update(c)
        table.add_row(
            m["run_id"],
            m["date"],
            *(
                str(c.get(k, 0))
                for k in (
                    "pages",
                    "records",
                    "rejected",
                    "duplicates.url",
                    "duplicates.exact",
                    "duplicates.near",
                )
            ),
        )
    table.add_row(
        "total",
        "",
        *(
            str(total.get(k, 0))
            for k in (
                "pages",
                "records",
                "rejected",
                "duplicates.url",
                "duplicates.exact",
                "duplicates.near",
            )
        ),
    )
    # Piped or redirected, a console has no width: 80 columns would cut numbers to "1…".
    Console(width=None if sys.stdout.isatty() else 250).print(table)


@app.command("unlock")
def unlock_output(
    out: Annotated[
        str, typer.Argument(help="The output location: s3://bucket/prefix or a directory.")
    ],
) -> None:
    """Remove an output's lock left by a dead run (refused while its holder is alive).

    Runs take over a dead run's lock by themselves once its lease (60 s) ends, and at once if
    the dead run was on this machine; this is for an operator who wants to see and clear it.
    """
    try:
        message = unlock(store_for(out))
    except LockHeld as exc:
        console.print(f"[bold red]refused:[/] {escape(str(exc))}", highlight=False)
        raise typer.Exit(code=1) from None
    except StorageError as exc:
        raise _fail(str(exc)) from None
    console.print(escape(message), highlight=False)


if __name__ == "__main__":
    app()
