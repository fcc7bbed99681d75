"""Reading a run's output back, on either backend, the way a downstream consumer would."""

from __future__ import annotations

import io
import json
import random
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from pipelines.storage import store_for


def rows(out: str, kind: str, run_id: str | None = None) -> list[dict[str, Any]]:
    """All rows of `records`, `duplicates` or `rejects` of committed runs (or of one run)."""
    store = store_for(out)
    result: list[dict[str, Any]] = []
    for manifest_key in store.list_keys("runs/"):
        if "/_pending/" in manifest_key:
            continue
        manifest = json.loads(store.read_bytes(manifest_key))
        if run_id and manifest["run_id"] != run_id:
            continue
        for key in manifest["files"][kind]:
            result.extend(pq.read_table(io.BytesIO(store.read_bytes(key))).to_pylist())
    return result


def listing(out: str) -> list[str]:
    return store_for(out).list_keys("")


# Words of made-up article pages: random draws give pages that are all far apart for dedup.
_PROSE = """river council budget school harbour museum season market bridge railway doctor
garden festival library winter election theatre farmer village storm hospital studio journey
factory orchestra island mountain engineer painter harvest forest canal airport"""
WORDS = _PROSE.split()


def articles(folder: Path, n: int, seed: int = 0, paragraphs: int = 5) -> Path:
    """`n` distinct article pages (`a0000.html`, ...) of 60 words a paragraph in `folder`."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        body = "".join(
            "<p>" + " ".join(rng.choice(WORDS) for _ in range(60)) + ".</p>"
            for _ in range(paragraphs)
        )
        (folder / f"a{i:04d}.html").write_text(
            f"<html><head><title>Story {seed}-{i}</title></head><body><article>"
            f"<h1>Story {seed}-{i}</h1>{body}</article></body></html>",
            encoding="utf-8",
        )
    return folder
