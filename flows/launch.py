"""The `contentpipe` console script's entry point, kept free of imports on purpose.

Worker processes (forked from a fork server, or spawned) run the launching script's imports
again. The script pip writes imports this module; had it imported `flows.cli` (typer, rich,
boto3, datasketch, Prefect), each worker would load all of that before its first page — ~1 s
per worker and per run, measured (bench/README.md) — instead of `pipelines.process` alone.

`ingest` starts its worker processes here, before the command line's own imports (~1 s): the
workers import what they need on the other core meanwhile instead of after it. A command that
runs a Prefect flow starts Prefect's temporary API server here too (`flows.server`, ~6 s to
start), for the same reason.
"""

from __future__ import annotations

import sys


def main() -> None:
    if runs_a_flow(sys.argv[1:]):
        from flows.server import start_temporary_api  # standard library only

        start_temporary_api()
    workers = early_workers(sys.argv[1:])
    if workers > 1:
        from pipelines.workers import warm_up  # standard library only

        warm_up(workers)
    from flows.cli import app  # here, not at the top: see the module docstring

    app()


def runs_a_flow(args: list[str]) -> bool:
    """Whether the command line `args` runs a Prefect flow: `crawl`, `demo`, and `ingest`
    unless `--no-prefect` (never for `--help`, which must answer at once)."""
    if _asks_for_help(args):
        return False
    return args[0] in ("crawl", "demo") or (args[0] == "ingest" and "--no-prefect" not in args)


def early_workers(args: list[str]) -> int:
    """How many worker processes the command line `args` will use, if it is an `ingest` run
    whose pool can start now (`pipelines.workers`, the pool its shards then use); 0 if not.

    Only `--workers N` or `--workers=N` is read (default 0: one per core). Anything unusual —
    `--help`, a count that is not a number — is left for the command line to report.
    """
    if _asks_for_help(args) or args[0] != "ingest":
        return 0
    value = "0"
    for i, arg in enumerate(args):
        if arg == "--workers" and i + 1 < len(args):
            value = args[i + 1]
        elif arg.startswith("--workers="):
            value = arg.partition("=")[2]
    try:
        requested = int(value)
    except ValueError:
        return 0
    if requested < 0:
        return 0
    from pipelines.workers import resolve_workers  # standard library only

    return resolve_workers(requested)


def _asks_for_help(args: list[str]) -> bool:
    return not args or "--help" in args or "-h" in args
