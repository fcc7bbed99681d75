"""Typed options for a processing run, with every default in one place.

Pydantic models, so the Prefect UI renders a form for them and a bad value fails fast with a
message naming the field.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["DedupOptions", "ExtractOptions", "ProcessOptions", "TemplateOptions"]


class ExtractOptions(BaseModel):
    """How pages become text."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    timeout_seconds: float = Field(
        10.0,
        gt=0,
        title="Extraction time limit (s)",
        description="Per-page limit; a page that takes longer is rejected as extract_timeout.",
    )
    max_page_bytes: int = Field(
        20_000_000,
        gt=0,
        title="Largest page (bytes)",
        description="Pages larger than this are rejected as too_large before extraction "
        "(trafilatura's own limit: a page it extracts is not refused for its size).",
    )
    extensive_dates: bool = Field(
        False,
        title="Extensive date search",
        description="Let htmldate search the whole page text for a publication date when the "
        "markup has none. Measured: +1.3 ms per page, 2 more dates on the 181 AEB pages.",
    )
    favor_precision: bool = Field(
        False,
        title="Favor precision",
        description="trafilatura's favor_precision mode. Off by default: on the dev sets "
        "together it returned nothing or a fragment on ordinary article pages (WCXB-dev "
        "articles F1 0.914 on against 0.938 off, bench/README.md). When on, each page is also "
        "extracted in the default mode, taken where precision keeps less than half its words.",
    )
    shortcuts: bool = Field(
        False,
        title="trafilatura shortcuts",
        description="Opt-in: output-preserving speed-ups through trafilatura's internals "
        "(pipelines/trafilatura_shortcuts.py; ~22 % less extraction time on AEB's real pages), "
        "used only on the trafilatura releases they were proven on; elsewhere trafilatura runs "
        "as it is.",
    )


class DedupOptions(BaseModel):
    """Near-duplicate detection parameters; LSH bands and rows follow from the threshold.

    Defaults were chosen by measurement (`bench/dedup_sweep.py`, figures in bench/README.md):
    on 100 syndicated copies and hard negatives, with 3-word shingles after cleaning, 0.4 and 128
    permutations give pair precision 1.000 and recall 0.990 (the least similar copy scores 0.435,
    the most similar pair of different articles 0.123).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    threshold: float = Field(
        0.4,
        gt=0,
        lt=1,
        title="Near-duplicate threshold",
        description="Estimated Jaccard similarity of word shingles at or above which two "
        "documents are duplicates.",
    )
    num_perm: int = Field(128, ge=16, le=1024, title="MinHash permutations")
    shingle_size: int = Field(3, ge=1, le=16, title="Shingle size (words)")


class TemplateOptions(BaseModel):
    """Per-site template learning: what recurs across a site's pages is its template."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    enabled: bool = Field(
        True,
        title="Learn site templates",
        description="Remove lines that recur, slots masked, across pages of one site.",
    )
    min_pages: int = Field(
        3,
        ge=2,
        title="Template: minimum pages",
        description="A line is template once seen on this many distinct pages of its site.",
    )
    min_share: float = Field(
        0.05,
        ge=0,
        le=1,
        title="Template: minimum share of pages",
        description="…and on at least this share of the site's pages (all runs together).",
    )


class ProcessOptions(BaseModel):
    """Everything that decides what a run keeps."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    min_words: int = Field(
        50,
        ge=0,
        title="Minimum words",
        description="Documents with fewer words after cleaning are rejected as too_short.",
    )
    extract: ExtractOptions = Field(default_factory=ExtractOptions)
    dedup: DedupOptions = Field(default_factory=DedupOptions)
    templates: TemplateOptions = Field(default_factory=TemplateOptions)
    workers: int = Field(
        0,
        ge=0,
        le=64,
        title="Worker processes",
        description="Processes for extraction and signatures; 0 means one per CPU core.",
    )
    lock_wait_seconds: float = Field(
        3600,
        ge=0,
        title="Wait for the output lock (s)",
        description="Another run writing to the same output is waited for this long.",
    )
    lock_ttl_seconds: float = Field(
        60,
        ge=3,
        le=3600,
        title="Output lock lease (s)",
        description="The running holder renews its lock every third of this; a lock not "
        "renewed for this long was left by a dead run and is taken over.",
    )
    shard_mb: int = Field(
        64,
        ge=1,
        title="Input MB per shard",
        description="Input files are grouped into shards of about this size; one task per shard.",
    )
    shard_files: int = Field(
        1000,
        ge=1,
        title="Input files per shard",
        description="At most this many input files per shard (many small files split too).",
    )
    batch_pages: int = Field(
        50,
        ge=1,
        title="Pages per worker batch",
        description="Pages sent to a worker process at a time.",
    )
