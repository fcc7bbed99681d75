"""contentpipe's framework-free library: records, stages and storage.

Nothing in this package imports Scrapy or Prefect; `flows/` orchestrates it and `spiders/` feeds it.
"""

import os
import platform
import sys

__version__ = "0.1.0"

# Arrow's buffers (`pipelines.parquet`) from its jemalloc pool rather than its default, mimalloc,
# unless the standard variable already chooses. Arrow reads it once, when pyarrow loads: so it is
# set here, before any module of this package imports pyarrow, and worker processes inherit it.
# With transparent huge pages on `madvise` (these machines' setting), mimalloc hands freed
# buffers back and takes fresh 2 MB pages that the kernel zeroes on first touch — a third of the
# parent's CPU while shards spool; with jemalloc publish took 1.46 → 1.27 s (bench/README.md).
# Only where pyarrow's wheels have jemalloc (Linux on x86-64; not aarch64, macOS or Windows).
if sys.platform == "linux" and platform.machine() == "x86_64":
    os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "jemalloc")
