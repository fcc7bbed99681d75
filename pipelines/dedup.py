"""Deduplication: canonical URL, exact normalized-text hash, and MinHash near-duplicates.

Signatures are datasketch `MinHash` values (its `affine32` permutations, drawn as datasketch
draws them: `permutations`) over word shingles, with `shingle_hash` as the hash function —
computed for all of a text's shingles at once with numpy (`pipelines.minhash`). datasketch is
their definition, checked bit for bit in tests/test_dedup.py; nothing here imports it at run
time, since its import (scipy) alone took longer than a thousand pages' signatures. Candidate
pairs come from LSH band buckets kept as sorted numpy arrays — the bucket stage of datatrove's
MinHash design — rather than datasketch's dict-backed `MinHashLSH`, which costs ~3 KB per
document in memory and persists only by pickling; a band costs 8 bytes per document here (a
32-bit hash and its row), computed from the signatures the index persists. Bands and rows
favour recall (`bands_for`): the signature comparison, not the banding, decides. A run's
candidates and decisions are columns (`CandidateColumns`, `Decisions`), not an object per
document.

Decisions are deterministic: candidates are visited in keep-rule order (already published, then
earliest published date, then longest text, then smallest id) and each is compared with what was
kept before it, so the kept set does not depend on batch or worker count.

>>> opts = DedupOptions(threshold=0.5)
>>> a = signature("the quick brown fox jumps over the lazy dog " * 5, opts)
>>> float(similarity(a, a))
1.0
"""

from __future__ import annotations

import functools
import hashlib
import os
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Protocol

import numpy as np
import numpy.typing as npt

from pipelines import minhash
from pipelines.config import DedupOptions
from pipelines.minhash import (
    SIGNATURE_SCHEME,
    Permutations,
    Signature,
    shingle_hash,
    shingle_hashes,
    shingles,
)

__all__ = [
    "Candidate",
    "CandidateColumns",
    "Decision",
    "Decisions",
    "Deduplicator",
    "IndexColumns",
    "IndexEntry",
    "Keys",
    "SignatureFile",
    "Strings",
    "band_hashes",
    "bands_for",
    "index_scheme",
    "keep_order",
    "key64",
    "permutations",
    "shingle_hash",
    "shingle_hashes",
    "shingles",
    "signature",
    "similarity",
]

CANDIDATE_RECALL = 0.9


@functools.lru_cache(maxsize=8)
def permutations(num_perm: int) -> Permutations:
    """datasketch's default ("affine32") permutations for seed 1: h -> a*fmix32(h) + b mod 2^32.

    Drawn the way `datasketch.MinHash(num_perm, seed=1)` draws them (`_init_permutations`):
    numpy's legacy `RandomState`, whose streams numpy keeps unchanged across versions. Not by
    importing datasketch: its package imports scipy, 0.8-1.5 s at the start of every run, on
    the path to the first batch, for 2 x num_perm numbers. tests/test_dedup.py checks them
    against datasketch's own, and every signature against datasketch's `MinHash`.
    """
    gen = np.random.RandomState(1)
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return a.reshape(1, -1), b.reshape(1, -1)


def index_scheme(options: DedupOptions) -> str:
    """What makes two signatures comparable: the hash scheme, permutations and shingle size.
    Index segments record it; a run refuses an index built under another."""
    return f"{SIGNATURE_SCHEME};num_perm={options.num_perm};shingle_size={options.shingle_size}"


def signature(text: str, options: DedupOptions) -> Signature:
    """MinHash signature of a text's shingles (`num_perm` uint32 values).

    Bit for bit what datasketch computes —
    `MinHash(num_perm, seed=1, hashfunc=shingle_hash).update_batch(shingles(text, size))` —
    with datasketch's per-shingle Python loop replaced by `minhash.signature` (tests/test_dedup.py
    checks the equality; bench/README.md the speed).
    """
    return minhash.signature(text, options.shingle_size, permutations(options.num_perm))


def similarity(a: Signature, b: Signature) -> float:
    """Estimated Jaccard similarity of the shingle sets behind two signatures."""
    return float(np.count_nonzero(a == b)) / len(a)


@functools.lru_cache(maxsize=32)
def bands_for(threshold: float, num_perm: int) -> tuple[int, int]:
    """(bands, rows): the most selective banding (most rows per band) under which a pair exactly
    at `threshold` still becomes a candidate with probability ≥ `CANDIDATE_RECALL`; pairs above
    it more surely. The signature comparison then decides, so a false candidate costs one
    comparison while a missed one is a missed duplicate.

    datasketch's optimiser weighs the two equally and leaves a pair at 0.43 with threshold 0.4
    a candidate only 67 % of the time (b=32, r=4); this rule gives b=42, r=3: 97 %.

    >>> bands_for(0.4, 128)
    (42, 3)
    """
    for rows in range(num_perm, 0, -1):
        bands = num_perm // rows
        if 1 - (1 - threshold**rows) ** bands >= CANDIDATE_RECALL:
            return bands, rows
    return num_perm, 1


def _band(signatures: npt.NDArray[np.uint32], band: int, rows: int) -> npt.NDArray[np.uint32]:
    """One 32-bit hash per signature of band `band`: a polynomial mix of the band's rows, folded
    to 32 bits. Bucket tables are per band, so no band index needs mixing in; a 32-bit collision
    only adds a candidate, which the signature comparison then rejects."""
    acc = np.zeros(len(signatures), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for r in range(rows):
            column = signatures[:, band * rows + r].astype(np.uint64)
            acc = acc * np.uint64(0x100000001B3) + column + np.uint64(r + 1)
    return ((acc ^ (acc >> np.uint64(32))) & np.uint64(0xFFFFFFFF)).astype(np.uint32)


def band_hashes(
    signatures: npt.NDArray[np.uint32], options: DedupOptions
) -> npt.NDArray[np.uint32]:
    """One 32-bit hash per band per signature: shape (n, bands)."""
    bands, rows = bands_for(options.threshold, options.num_perm)
    signatures = np.atleast_2d(signatures)
    out = np.empty((len(signatures), bands), dtype=np.uint32)
    for b in range(bands):
        out[:, b] = _band(signatures, b, rows)
    return out


def key64(text: str) -> int:
    """A 64-bit hash of a key (URL key, text hash): the index keeps these, not the strings."""
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "little")


class Strings(Protocol):
    """A column of strings read one value at a time (a list, or an Arrow-backed column)."""

    def __len__(self) -> int: ...

    def __getitem__(self, i: int, /) -> str: ...


@dataclass
class IndexColumns:
    """Earlier runs' published documents as aligned columns; `run_of_row` indexes `runs`."""

    ids: Strings
    urls: Strings
    runs: list[str]
    run_of_row: npt.NDArray[np.int32]
    url_keys: npt.NDArray[np.uint64]  # key64 of each url_key
    text_hashes: npt.NDArray[np.uint64]  # key64 of each text_hash
    signatures: npt.NDArray[np.uint32]  # (n, num_perm)


class Keys:
    """Sorted 64-bit key hashes (`key64`) → the first row that has each."""

    def __init__(self, hashes: npt.NDArray[np.uint64]) -> None:
        self.order = np.argsort(hashes, kind="stable").astype(np.int32)
        self.sorted = hashes[self.order]

    def find(self, key: str) -> int | None:
        return self.find_hash(np.uint64(key64(key)))

    def find_hash(self, value: np.uint64) -> int | None:
        """Like `find`, for a key already hashed with `key64`."""
        pos = int(np.searchsorted(self.sorted, value, side="left"))
        if pos < len(self.sorted) and self.sorted[pos] == value:
            return int(self.order[pos])
        return None

    def find_hashes(self, values: npt.NDArray[np.uint64]) -> npt.NDArray[np.int64]:
        """`find_hash` of each of `values` at once, -1 where a value is not found."""
        if not len(self.sorted):
            return np.full(len(values), -1, dtype=np.int64)
        pos = np.minimum(np.searchsorted(self.sorted, values, side="left"), len(self.sorted) - 1)
        found = self.sorted[pos] == values
        return np.where(found, self.order[pos], -1).astype(np.int64)

    def __contains__(self, key: str) -> bool:
        return self.find(key) is not None


@dataclass(frozen=True, slots=True)
class IndexEntry:
    """A document published by an earlier run, as the index remembers it."""

    id: str
    url: str
    run_id: str


@dataclass(slots=True)
class Candidate:
    """What deduplication needs to know of a new document (the text itself is not needed)."""

    key: int  # caller's handle, e.g. the row's position in the spool
    id: str
    url: str
    url_key: str
    text_hash: str
    published: str | None
    word_count: int
    signature: Signature


@dataclass(frozen=True, slots=True)
class Decision:
    """`duplicate_of` is None for a kept document."""

    key: int
    method: str | None = None
    duplicate_of: IndexEntry | None = None
    similarity: float = 1.0


@dataclass
class _Index:
    """Earlier runs' documents: sorted key hashes for URL and text, sorted band arrays for LSH,
    signatures (memory-mapped by the caller, so only the rows LSH proposes are read); ids and
    URLs stay columnar until a duplicate needs its `IndexEntry`. About 0.8 KB per document
    resident at 128 permutations (bench/README.md)."""

    cols: IndexColumns | None = None
    by_url: Keys | None = None
    by_hash: Keys | None = None
    band_order: list[npt.NDArray[np.int32]] = field(default_factory=list)
    band_sorted: list[npt.NDArray[np.uint32]] = field(default_factory=list)

    def __len__(self) -> int:
        return 0 if self.cols is None else len(self.cols.run_of_row)

    def entry(self, row: int) -> IndexEntry:
        assert self.cols is not None
        cols = self.cols
        return IndexEntry(cols.ids[row], cols.urls[row], cols.runs[int(cols.run_of_row[row])])


class SignatureRows(Protocol):
    """Signatures looked up by row: an (n, num_perm) array, or a `SignatureFile`. `take` gives
    the rows at some row numbers, as a (len(rows), num_perm) array."""

    def __getitem__(self, row: int, /) -> Signature: ...

    def take(self, rows: list[int], axis: int) -> Signature: ...


class SignatureFile:
    """Signatures stored one after another in a file. A file of at most `in_memory` bytes is
    read whole when opened; a larger one a row at a time with `pread`: unlike a memory map,
    rows read do not stay in the process's resident memory."""

    def __init__(self, path: str, num_perm: int, in_memory: int = 32 << 20) -> None:
        self.path, self.width = path, num_perm * 4
        self._fd: int | None = None
        self._rows: Signature | None = None
        if os.path.getsize(path) <= in_memory:
            rows = np.fromfile(path, dtype=np.uint32)
            self._rows = rows.reshape(len(rows) * 4 // self.width, num_perm)

    def __getitem__(self, row: int) -> Signature:
        if self._rows is not None:
            if not 0 <= row < len(self._rows):
                raise IndexError(f"{self.path}: no signature row {row}")
            found: Signature = self._rows[row]
            return found
        if self._fd is None:
            self._fd = os.open(self.path, os.O_RDONLY)
        data = os.pread(self._fd, self.width, row * self.width)
        if len(data) != self.width:
            raise IndexError(f"{self.path}: no signature row {row}")
        return np.frombuffer(data, dtype=np.uint32)

    def take(self, rows: list[int], axis: int = 0) -> Signature:
        """The signatures at `rows`, one row each (as `numpy.ndarray.take` along axis 0)."""
        assert axis == 0
        if self._rows is not None:
            return self._rows.take(rows, axis=0)
        found = [self[row] for row in rows]
        return np.stack(found) if found else np.empty((0, self.width // 4), dtype=np.uint32)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


@dataclass
class CandidateColumns:
    """A run's candidates as aligned columns; a row number is the candidate's key. About 0.3 KB
    per candidate resident (bands, key hashes, ids and URLs as Arrow strings) when signatures
    are a `SignatureFile`."""

    ids: Strings
    urls: Strings
    url_keys: npt.NDArray[np.uint64]  # key64 of each url_key
    text_hashes: npt.NDArray[np.uint64]  # key64 of each text_hash
    order: npt.NDArray[np.int64]  # rows in keep order (`keep_order`)
    bands: npt.NDArray[np.uint32]  # (n, bands), as `band_hashes` computes them
    signatures: SignatureRows

    def __len__(self) -> int:
        return len(self.order)


def keep_order(
    published: npt.NDArray[np.bytes_],
    word_counts: npt.NDArray[np.int64],
    ids: npt.NDArray[np.bytes_],
) -> npt.NDArray[np.int64]:
    """Rows in keep-rule order: earliest published first (b"" = undated, last), then longest
    text, then smallest id. Strings as UTF-8 bytes sort as Python sorts the strings."""
    undated = published == b""
    return np.lexsort((ids, -word_counts, published, undated)).astype(np.int64)


_KEPT, _URL, _EXACT, _NEAR = 0, 1, 2, 3
_METHODS = (None, "url", "exact", "near")


@dataclass
class Decisions:
    """Every candidate's decision as columns; `decisions[row]` is one `Decision`."""

    methods: npt.NDArray[np.int8]  # _KEPT, _URL, _EXACT or _NEAR
    targets: npt.NDArray[np.int64]  # the kept document: an index row, or a candidate row
    in_index: npt.NDArray[np.bool_]  # whether the target is an index row
    similarities: npt.NDArray[np.float32]
    index: _Index
    candidates: CandidateColumns
    run_id: str

    def __len__(self) -> int:
        return len(self.methods)

    @property
    def kept(self) -> npt.NDArray[np.bool_]:
        kept: npt.NDArray[np.bool_] = self.methods == _KEPT
        return kept

    def __getitem__(self, row: int) -> Decision:
        method = int(self.methods[row])
        if method == _KEPT:
            return Decision(row)
        target = int(self.targets[row])
        if self.in_index[row]:
            entry = self.index.entry(target)
        else:
            c = self.candidates
            entry = IndexEntry(c.ids[target], c.urls[target], self.run_id)
        return Decision(row, _METHODS[method], entry, float(self.similarities[row]))


class Deduplicator:
    """Decides which candidates of a run are duplicates of earlier runs or of each other.

    >>> opts = DedupOptions()
    >>> d = Deduplicator(opts)
    >>> sig = signature("a b c d e f g h", opts)
    >>> c1 = Candidate(0, "id1", "http://a/1", "a/1", "h1", None, 8, sig)
    >>> c2 = Candidate(1, "id2", "http://b/1", "b/1", "h1", None, 8, sig)
    >>> [(x.key, x.method) for x in d.decide([c2, c1])]
    [(0, None), (1, 'exact')]
    """

    def __init__(self, options: DedupOptions, run_id: str = "") -> None:
        self.options = options
        self.run_id = run_id
        self.index = _Index()

    def load_index(
        self, cols: IndexColumns, bands: list[npt.NDArray[np.uint32]] | None = None
    ) -> None:
        """Load earlier runs' published documents. `bands` (one array of band hashes per band,
        as `band_hashes` computes them) may be given by a caller that computed them while
        streaming the signatures; they are sorted in place of themselves, one at a time."""
        idx = _Index(cols, Keys(cols.url_keys), Keys(cols.text_hashes))
        # The key hashes now live sorted in the lookups: do not keep them twice.
        empty = np.empty(0, dtype=np.uint64)
        idx.cols = replace(cols, url_keys=empty, text_hashes=empty)
        n_bands, rows = bands_for(self.options.threshold, self.options.num_perm)
        sigs = cols.signatures.reshape(len(cols.run_of_row), self.options.num_perm)
        for b in range(n_bands):
            column = bands[b] if bands is not None else _band(sigs, b, rows)
            order, values = _sorted_band(column)
            idx.band_order.append(order.astype(np.int32))
            idx.band_sorted.append(values)
            if bands is not None:
                bands[b] = idx.band_sorted[-1]  # drop the unsorted column now
        self.index = idx

    def decide(self, candidates: Iterable[Candidate]) -> list[Decision]:
        """A decision for every candidate, sorted by candidate key (`decide_columns` for a
        list of objects)."""
        cands = sorted(candidates, key=lambda c: c.key)
        if not cands:
            return []
        sigs = np.stack([c.signature for c in cands])
        cols = CandidateColumns(
            [c.id for c in cands],
            [c.url for c in cands],
            np.fromiter((key64(c.url_key) for c in cands), np.uint64, len(cands)),
            np.fromiter((key64(c.text_hash) for c in cands), np.uint64, len(cands)),
            keep_order(
                np.array([(c.published or "").encode("utf-8") for c in cands], dtype=np.bytes_),
                np.array([c.word_count for c in cands], dtype=np.int64),
                np.array([c.id.encode("utf-8") for c in cands], dtype=np.bytes_),
            ),
            band_hashes(sigs, self.options),
            sigs,
        )
        decisions = self.decide_columns(cols)
        return [replace(decisions[row], key=c.key) for row, c in enumerate(cands)]

    def decide_columns(self, cands: CandidateColumns) -> Decisions:
        """A decision for every candidate row. Candidates are visited in keep order; each is
        checked against the index (URL, text hash, LSH neighbours), then against this run's
        kept candidates."""
        n = len(cands)
        out = Decisions(
            np.zeros(n, dtype=np.int8),
            np.full(n, -1, dtype=np.int64),
            np.zeros(n, dtype=bool),
            np.ones(n, dtype=np.float32),
            self.index,
            cands,
            self.run_id,
        )
        run = _RunState(cands, self.options.threshold)
        matches = _IndexMatches(self.index, cands)
        for pos, row in enumerate(cands.order.tolist()):
            found = self._against_index(cands, row, matches)
            in_index = found is not None
            if found is None:
                found = run.against(pos, row)
            if found is None:
                run.keep(pos, row)
                continue
            method, target, sim = found
            out.methods[row], out.targets[row], out.similarities[row] = method, target, sim
            out.in_index[row] = in_index
        return out

    def _against_index(
        self, cands: CandidateColumns, row: int, matches: _IndexMatches
    ) -> tuple[int, int, float] | None:
        idx = self.index
        if matches.url[row] >= 0:
            return _URL, matches.url[row], 1.0
        if matches.text[row] >= 0:
            return _EXACT, matches.text[row], 1.0
        near = matches.near.get(row)
        if not near or idx.cols is None:
            return None
        best = _best(
            cands.signatures[row], sorted(near), idx.cols.signatures, self.options.threshold
        )
        return None if best is None else (_NEAR, best[0], best[1])


class _IndexMatches:
    """Each candidate's matches in the index — the row with its URL key, the row with its text
    hash (-1 if none) and, for candidates with neither, the rows sharing one of its LSH
    buckets — looked up for all candidates at once: one search of a sorted column per key and
    band, instead of one per candidate (a run over 10,000 candidates against an index of 5,000
    documents: 1.9 → 0.3 s to decide)."""

    def __init__(self, index: _Index, cands: CandidateColumns) -> None:
        n = len(cands)
        none = np.full(n, -1, dtype=np.int64)
        url = none if index.by_url is None else index.by_url.find_hashes(cands.url_keys)
        text = none if index.by_hash is None else index.by_hash.find_hashes(cands.text_hashes)
        self.url: list[int] = url.tolist()
        self.text: list[int] = text.tolist()
        self.near: dict[int, set[int]] = {}
        rows = np.flatnonzero((url < 0) & (text < 0))
        for b, column in enumerate(index.band_sorted):
            values = cands.bands[rows, b]
            lo = np.searchsorted(column, values, side="left")
            hi = np.searchsorted(column, values, side="right")
            order = index.band_order[b]
            for i in np.flatnonzero(hi > lo).tolist():
                self.near.setdefault(int(rows[i]), set()).update(order[lo[i] : hi[i]].tolist())


class _RunState:
    """This run's candidates as `decide_columns` visits them: the first kept row of each URL
    key and text hash (through group numbers), which keep-order positions are kept, and each
    position's earlier LSH neighbours. Read a row at a time, so held as Python lists where a
    numpy scalar would cost more to read than the work it stands for."""

    def __init__(self, cands: CandidateColumns, threshold: float) -> None:
        self.cands, self.threshold = cands, threshold
        url_group = np.unique(cands.url_keys, return_inverse=True)[1]
        hash_group = np.unique(cands.text_hashes, return_inverse=True)[1]
        self.url_group: list[int] = url_group.tolist()
        self.hash_group: list[int] = hash_group.tolist()
        self.kept_url = [-1] * (int(url_group.max(initial=-1)) + 1)
        self.kept_hash = [-1] * (int(hash_group.max(initial=-1)) + 1)
        self.kept_pos = np.zeros(len(cands), dtype=bool)
        starts, self.earlier = _bucket_neighbours(cands.bands, cands.order)
        self.starts: list[int] = starts.tolist()

    def against(self, pos: int, row: int) -> tuple[int, int, float] | None:
        """(method, kept row, similarity) if candidate `row`, at keep-order position `pos`,
        duplicates a candidate kept before it."""
        kept = self.kept_url[self.url_group[row]]
        if kept >= 0:
            return _URL, kept, 1.0
        kept = self.kept_hash[self.hash_group[row]]
        if kept >= 0:
            return _EXACT, kept, 1.0
        start, end = self.starts[pos], self.starts[pos + 1]
        if start == end:
            return None
        earlier = self.earlier[start:end]
        slots = earlier[self.kept_pos[earlier]]
        if not len(slots):
            return None
        sigs = self.cands.signatures
        best = _best(sigs[row], self.cands.order[slots].tolist(), sigs, self.threshold)
        return None if best is None else (_NEAR, best[0], best[1])

    def keep(self, pos: int, row: int) -> None:
        self.kept_pos[pos] = True
        if self.kept_url[self.url_group[row]] < 0:
            self.kept_url[self.url_group[row]] = row
        if self.kept_hash[self.hash_group[row]] < 0:
            self.kept_hash[self.hash_group[row]] = row


def _bucket_neighbours(
    bands: npt.NDArray[np.uint32], order: npt.NDArray[np.int64], leaders: int = 32
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """For each keep-order position that shares a band bucket with earlier positions, those
    earlier positions — at most the first `leaders` of each bucket, which bounds the work on a
    bucket of thousands of near-identical pages while still reaching the copy that is kept.
    `bands` is by row; `order` gives the rows in keep order. As (starts, earlier): position p's
    are `earlier[starts[p]:starts[p + 1]]`, ascending.

    Buckets are found by sorting each band column (datatrove's bucket stage), and the pairs
    are made with array operations, so memory is a few arrays of n integers (and of the pairs)
    rather than a dictionary entry per document and band.
    """
    n = len(order)
    pairs: list[npt.NDArray[np.int64]] = []  # position * n + earlier position
    pending = 0
    positions = np.arange(n, dtype=np.int64)
    for b in range(bands.shape[1]):
        by_value, values = _sorted_band(bands[order, b])
        new = np.ones(n, dtype=bool)
        new[1:] = values[1:] != values[:-1]
        first = np.flatnonzero(new)[np.cumsum(new) - 1]  # where each one's bucket begins
        take = np.minimum(positions - first, leaders)  # its rank in its bucket, at most leaders
        total = int(take.sum())
        if not total:
            continue
        member = np.repeat(positions, take)  # one per pair: the later member …
        rank = np.arange(total) - np.repeat(np.cumsum(take) - take, take)
        pairs.append(by_value[member] * n + by_value[first[member] + rank])  # … and an earlier one
        pending += total
        if pending > 4 * n + 1_000_000:  # bounds memory where buckets are huge
            pairs, pending = [np.unique(np.concatenate(pairs))], 0
    found = np.unique(np.concatenate(pairs)) if pairs else np.empty(0, dtype=np.int64)
    starts = np.searchsorted(found // max(n, 1), np.arange(n + 1), side="left")
    return starts.astype(np.int64), found % max(n, 1)


def _sorted_band(
    column: npt.NDArray[np.uint32],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.uint32]]:
    """The positions that sort a band column, equal values in position order, and the sorted
    values: one sort of (value, position) pairs packed in 64 bits — numpy sorts those with
    SIMD, seven times faster than a stable argsort of the column."""
    n = len(column)
    if n >= 1 << 32:  # positions must fit in 32 bits
        by_value = np.argsort(column, kind="stable")
        return by_value, column[by_value]
    packed = column.astype(np.uint64) << np.uint64(32)
    packed |= np.arange(n, dtype=np.uint64)
    packed.sort()
    positions = (packed & np.uint64(0xFFFFFFFF)).astype(np.int64)
    return positions, (packed >> np.uint64(32)).astype(np.uint32)


def _best(
    sig: Signature, rows: list[int], signatures: SignatureRows, threshold: float
) -> tuple[int, float] | None:
    """The row (of `rows`) whose signature is the most similar to `sig`, at or above
    `threshold`, with its similarity; ties go to the earliest. All compared at once."""
    if not rows:
        return None
    agree = np.count_nonzero(signatures.take(rows, axis=0) == sig, axis=1)
    best = int(np.argmax(agree))  # the first of the highest
    sim = float(agree[best]) / len(sig)  # as `similarity` computes it
    return (rows[best], sim) if sim >= threshold else None
