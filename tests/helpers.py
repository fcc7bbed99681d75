"""Reading a run's output back, on either backend, the way a downstream consumer would."""

from __future__ import annotations

import io
import json
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
