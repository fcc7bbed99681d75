"""The crawler's seen-URL store in the output: `<out>/index/crawl/v1/run=<run_id>.json.gz`, one
segment per run mapping url key → time of fetch. Only committed runs' segments count, so a crawl
that crashed before its manifest is fetched again next time.
"""

from __future__ import annotations

import gzip
import json

from pipelines.storage import Store

__all__ = ["SEEN_PREFIX", "load_seen", "save_fetched"]

SEEN_PREFIX = "index/crawl/v1"


def load_seen(store: Store, committed: set[str]) -> dict[str, str]:
    """url key → latest fetch time, over the segments of committed runs."""
    seen: dict[str, str] = {}
    for key in store.list_keys(f"{SEEN_PREFIX}/"):
        run = key.rsplit("run=", 1)[-1].removesuffix(".json.gz")
        if run not in committed:
            continue
        for url, when in json.loads(gzip.decompress(store.read_bytes(key))).items():
            if when > seen.get(url, ""):
                seen[url] = when
    return seen


def save_fetched(store: Store, run_id: str, fetched: dict[str, str]) -> str:
    """Write this run's segment (before its manifest); returns its key."""
    key = f"{SEEN_PREFIX}/run={run_id}.json.gz"
    store.write_bytes(key, gzip.compress(json.dumps(fetched, sort_keys=True).encode("utf-8")))
    return key
