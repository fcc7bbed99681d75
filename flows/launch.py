"""The `contentpipe` console script's entry point, kept free of imports on purpose.

Worker processes start with `spawn`, which runs the launching script's imports again in every
worker. The script pip writes imports this module; had it imported `flows.cli` (typer, rich,
boto3, datasketch, Prefect), each worker would load all of that before its first page — ~1 s
per worker and per run, measured (bench/README.md) — instead of `pipelines.process` alone.
"""

from __future__ import annotations


def main() -> None:
    from flows.cli import app  # here, not at the top: see the module docstring

    app()
