"""Deduplication quality and determinism on the bundled demo site and the seeds."""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from datasketch import MinHash

from pipelines import minhash
from pipelines.clean import normalize
from pipelines.clean import words as split_words
from pipelines.config import DedupOptions, ProcessOptions
from pipelines.dedup import (
    Candidate,
    Deduplicator,
    SignatureFile,
    permutations,
    shingle_hash,
    shingle_hashes,
    shingles,
    signature,
    similarity,
)
from pipelines.run import ingest
from tests.conftest import DEMO_SITE
from tests.helpers import rows


def _dups(out: str) -> dict[str, tuple[str, str]]:
    return {
        Path(d["url"]).name: (Path(d["duplicate_of_url"]).name, d["method"])
        for d in rows(out, "duplicates")
    }


def test_syndicated_copies_found_and_different_articles_kept(seeds: Path, tmp_path: Path) -> None:
    out = str(tmp_path / "out")
    ingest([str(seeds), str(DEMO_SITE)], out, ProcessOptions(workers=1))
    assert _dups(out) == {
        "northwind-bridge-copy.html": ("harbor-ledger-river-bridge-reopens.html", "near"),
        "valley-post-library-copy.html": ("valley-post-library-late-fees.html", "near"),
        "northwind-wind-copy.html": ("metro-briefs-harbor-wind-farm.html", "near"),
        "mirror-harbor-ledger-river-bridge-reopens.html": (
            "harbor-ledger-river-bridge-reopens.html",
            "url",
        ),
    }
    kept = {Path(r["source"]).name for r in rows(out, "records")}
    # The five seeds are different articles about one event: none is merged.
    assert {p.name for p in seeds.iterdir()} <= kept
    # Short briefs that share one site's heavy template are never merged.
    assert {
        f"metro-briefs-{s}.html" for s in ("tram-timetable", "park-pond-cleanup", "bakery-award")
    } <= kept


def test_kept_set_does_not_depend_on_order_batches_or_workers(seeds: Path, tmp_path: Path) -> None:
    """One shard on one process, or many shards on two workers (publish then starts while the
    later shards run): the same records, duplicates, rejects and counts."""
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "empty.html").write_text("")  # rejected by a shard
    (bad / "no-article.html").write_text("<html><body><nav>Home</nav></body></html>")
    sources = [str(p) for p in sorted(DEMO_SITE.iterdir())] + [str(seeds), str(bad)]
    reversed_sources = list(reversed(sources))
    a = str(tmp_path / "a")
    b = str(tmp_path / "b")
    one = ingest(sources, a, ProcessOptions(workers=1, batch_pages=50))
    many = ingest(
        reversed_sources, b, ProcessOptions(workers=2, batch_pages=2, shard_mb=1, shard_files=3)
    )
    assert many.timings["shards"] > many.timings["shard_longest"]  # several shards
    key = lambda r: (r["id"], r["text_hash"])  # noqa: E731
    assert sorted(map(key, rows(a, "records"))) == sorted(map(key, rows(b, "records")))
    assert sorted(
        (d["id"], d["duplicate_of"], d["method"]) for d in rows(a, "duplicates")
    ) == sorted((d["id"], d["duplicate_of"], d["method"]) for d in rows(b, "duplicates"))
    reject = lambda r: (r["source"], r["stage"], r["reason"])  # noqa: E731
    assert sorted(map(reject, rows(a, "rejects"))) == sorted(map(reject, rows(b, "rejects")))
    assert len(rows(a, "rejects")) >= 2
    assert one.counts == many.counts


def _cand(key: int, text: str, published: str | None, opts: DedupOptions) -> Candidate:
    return Candidate(
        key,
        f"id{key}",
        f"https://s{key}.example/a",
        f"s{key}.example/a",
        f"hash{key}",
        published,
        len(text.split()),
        signature(text, opts),
    )


def test_keep_rule_earliest_published_then_longest() -> None:
    opts = DedupOptions()
    words = [f"w{i}" for i in range(300)]
    base = " ".join(words)
    longer = base + " " + " ".join(f"x{i}" for i in range(10))
    cands = [
        _cand(0, base, "2024-05-02", opts),
        _cand(1, longer, "2024-05-01", opts),
        _cand(2, longer, None, opts),
    ]
    decisions = Deduplicator(opts).decide(cands)
    assert [d.duplicate_of.id if d.duplicate_of else None for d in decisions] == [
        "id1",
        None,
        "id1",
    ]
    # Without dates, the longest text is kept.
    cands = [_cand(0, base, None, opts), _cand(1, longer, None, opts)]
    decisions = Deduplicator(opts).decide(cands)
    assert decisions[0].duplicate_of is not None and decisions[0].duplicate_of.id == "id1"


def test_near_duplicate_variants_and_threshold() -> None:
    opts = DedupOptions()
    rng = random.Random(7)
    vocab = [f"word{i}" for i in range(2000)]
    text = " ".join(rng.choice(vocab) for _ in range(400))
    words = text.split()
    edited = words.copy()
    for i in range(0, 400, 40):
        edited[i] = "changed"
    variants = {
        "dropped_last_paragraph": " ".join(words[:340]),
        "added_note": "Editor's note: this story first appeared elsewhere. " + text,
        "few_words_changed": " ".join(edited),
    }
    sig = signature(text, opts)
    for name, variant in variants.items():
        sim = float(np.mean(signature(variant, opts) == sig))
        assert sim >= opts.threshold, (name, sim)
    other = " ".join(rng.choice(vocab) for _ in range(400))
    assert float(np.mean(signature(other, opts) == sig)) < 0.1


def test_chinese_and_japanese_texts_are_shingled_by_character() -> None:
    opts = DedupOptions()
    story = (
        "东京都政府周二宣布，将从明年春季起把市内公交车的末班时间延长一小时，"
        "以方便夜间工作的护士和餐饮从业人员回家。官员表示，试行期为六个月，"
        "如果乘客数量达到预期，将在全市推广。"
    )
    edited = story.replace("六个月", "八个月").replace("官员表示", "有关官员表示")
    other = (
        "大阪市的一家面包店在全国比赛中获得金奖，店主说这是二十年来每天凌晨三点起床"
        "揉面的回报。获奖的是一种加入柚子皮的甜面包，比赛结束后订单增加了三倍。"
    )
    assert similarity(signature(story, opts), signature(edited, opts)) >= opts.threshold
    assert similarity(signature(story, opts), signature(other, opts)) < 0.1


# Word characters, separators, accents, capitals that lower-case to two characters, Chinese and
# Japanese, astral-plane letters and emoji, numerals, a lone surrogate.
_ALPHABET = [*"abc XYZ_é ü,.!“”—\t\n東京都の天気 ß İ ١٢ Ⅷ ½ a1 ", "𝔘", "😀", "\ud800", "𠀋"]


# The Basic Multilingual Plane only (a lone surrogate included), which is hashed from UTF-16.
_BMP = [c for c in _ALPHABET if len(c.encode("utf-16-le", "surrogatepass")) == 2]


def _random_texts(n: int, longest: int, seed: int, alphabet: list[str] = _ALPHABET) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choices(alphabet, k=rng.randint(0, longest))) for _ in range(n)]


def test_shingles_are_the_words_the_cleaner_normalizes_to() -> None:
    for text in _random_texts(500, 80, seed=5):
        norm = normalize(text)
        expected = split_words(norm)  # \w+ words, each Chinese/Japanese character one word
        assert " ".join(shingles(text, 1_000)).split() == expected, text


def test_vectorised_shingle_hashes_equal_the_one_at_a_time_hash() -> None:
    ascii_only = [c for c in _BMP if c.isascii()]
    texts = _random_texts(1_000, 60, seed=6) + _random_texts(1_000, 60, seed=7, alphabet=_BMP)
    texts += _random_texts(300, 60, seed=8, alphabet=ascii_only)
    assert sum(t.isascii() for t in texts) >= 300
    for text in texts:
        for size in (1, 2, 3, 5):
            expected = [shingle_hash(s) for s in shingles(text, size)]
            assert shingle_hashes(text, size).tolist() == expected, (text, size)


def test_long_words_and_long_texts_hash_as_one_at_a_time() -> None:
    """A character's weight repeats every 256 positions of its word, and texts longer than
    the table of positions `minhash` keeps (128 K characters) are hashed too, alone or with
    others in one chunk."""
    rng = random.Random(14)
    word = "".join(rng.choices("abcdefghij", k=300))
    long_words = f"x {word} y {word[:257]}Ü {word}z"
    words = ["".join(rng.choices("klmnopqrstuvwxyz", k=rng.randint(200, 400))) for _ in range(450)]
    huge = " ".join(words)
    assert len(huge) > 1 << 17
    for text in (long_words, huge):
        expected = [shingle_hash(s) for s in shingles(text, 3)]
        assert shingle_hashes(text, 3).tolist() == expected
    perms = permutations(32)
    texts = [long_words, "a b c", huge, long_words.upper()]
    expected_rows = np.stack([minhash.signature(t, 3, perms) for t in texts])
    assert np.array_equal(minhash.signatures(texts, 3, perms), expected_rows)
    minhash_ = MinHash(num_perm=32, seed=1, hashfunc=shingle_hash)
    minhash_.update_batch(shingles(huge, 3))
    assert np.array_equal(expected_rows[2], minhash_.hashvalues)


def test_signature_is_datasketchs_minhash_of_the_shingles() -> None:
    for num_perm, size in ((128, 3), (64, 5)):
        opts = DedupOptions(num_perm=num_perm, shingle_size=size)
        texts = _random_texts(100, 400, seed=num_perm)
        texts.append(" ".join(["The quick brown fox jumps over the lazy dog."] * 40))
        for text in texts:
            minhash = MinHash(num_perm=num_perm, seed=1, hashfunc=shingle_hash)
            minhash.update_batch(shingles(text, size))
            assert np.array_equal(signature(text, opts), minhash.hashvalues), text


def test_signatures_of_many_texts_at_once_equal_each_texts_signature(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`minhash.signatures` hashes many texts' words together: every row is the text's own
    `signature` — texts with no word, or fewer words than a shingle, Chinese and Japanese,
    astral characters — however the texts are cut into chunks."""
    texts = _random_texts(400, 120, seed=11) + _random_texts(300, 60, seed=12, alphabet=_BMP)
    texts += ["", "   ", "a", "a b", "東京都の天気", "İstanbul ΣΑΣ σας", "x 😀 y 𝔘𝔫𝔦 z"]
    texts += [" ".join(["The quick brown fox jumps over the lazy dog."] * 40)] * 3
    random.Random(13).shuffle(texts)
    assert sum(1 for t in texts if not split_words(t)) >= 5
    for num_perm, size in ((128, 3), (64, 1), (32, 5)):
        perms = permutations(num_perm)
        expected = np.stack([minhash.signature(t, size, perms) for t in texts])
        for chunk in (1, 500, 100_000):
            monkeypatch.setattr(minhash, "_CHUNK_CHARS", chunk)
            assert np.array_equal(minhash.signatures(texts, size, perms), expected)
    assert minhash.signatures([], 3, permutations(16)).shape == (0, 16)


def test_texts_with_more_shingles_than_a_block_are_signed_block_by_block(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Past `_BLOCK_SHINGLES` shingles (a very long text), the permutations run block by block,
    memory bounded: the signatures stay datasketch's, one text at a time or many."""
    texts = [*_random_texts(40, 300, seed=15), "", "a", "one two three four"]
    perms = permutations(32)
    expected = np.stack([minhash.signature(t, 3, perms) for t in texts])
    monkeypatch.setattr(minhash, "_BLOCK_SHINGLES", 7)
    assert np.array_equal(minhash.signatures(texts, 3, perms), expected)
    assert np.array_equal(np.stack([minhash.signature(t, 3, perms) for t in texts]), expected)
    for text in texts[:5]:
        reference = MinHash(num_perm=32, seed=1, hashfunc=shingle_hash)
        reference.update_batch(shingles(text, 3))
        assert np.array_equal(minhash.signature(text, 3, perms), reference.hashvalues)


def test_permutations_are_datasketchs_for_every_size() -> None:
    """`permutations` draws datasketch's numbers without importing it: the same (a, b) as
    `MinHash(num_perm, seed=1)` for small, default, large and odd sizes."""
    for num_perm in (1, 2, 16, 64, 128, 200, 256, 1024):
        a, b = MinHash(num_perm=num_perm, seed=1).permutations
        ours_a, ours_b = permutations(num_perm)
        assert ours_a.dtype == ours_b.dtype == np.uint32
        assert np.array_equal(ours_a[0], a), num_perm
        assert np.array_equal(ours_b[0], b), num_perm


@pytest.mark.parametrize("in_memory", [0, 1 << 20], ids=["pread", "in-memory"])
def test_signature_file_reads_rows_back_and_names_a_missing_row(
    tmp_path: Path, in_memory: int
) -> None:
    opts = DedupOptions()
    sigs = np.stack([signature(f"story number {i} " * 20, opts) for i in range(3)])
    path = tmp_path / "sigs.u32"
    path.write_bytes(sigs.tobytes())
    rows_ = SignatureFile(str(path), opts.num_perm, in_memory=in_memory)
    assert all(np.array_equal(rows_[i], sigs[i]) for i in (2, 0, 1))
    assert np.array_equal(rows_.take([2, 0, 2], axis=0), sigs[[2, 0, 2]])
    assert rows_.take([], axis=0).shape == (0, opts.num_perm)
    try:
        rows_[3]
    except IndexError as exc:
        assert "no signature row 3" in str(exc)
    else:
        raise AssertionError("row 3 does not exist")
    finally:
        rows_.close()


def test_columns_and_objects_decide_alike() -> None:
    """`decide` (objects) is `decide_columns` under another shape: same keep order, same
    targets; exact and URL duplicates within the run point at the first kept copy."""
    opts = DedupOptions()
    text = "the harbor council approved the wind farm after a long debate " * 6
    cands = [
        replace(_cand(0, text, "2026-02-01", opts), text_hash="same"),
        replace(_cand(1, text, "2026-01-01", opts), text_hash="same"),  # earliest: kept
        _cand(2, text + " extra words at the end", "2026-03-01", opts),
        _cand(3, "a different story about the library and its late fees " * 6, None, opts),
    ]
    decisions = {d.key: d for d in Deduplicator(opts).decide(reversed(cands))}
    assert decisions[1].duplicate_of is None and decisions[3].duplicate_of is None
    assert decisions[0].method == "exact" and decisions[0].duplicate_of is not None
    assert decisions[0].duplicate_of.id == "id1"
    assert decisions[2].method == "near" and decisions[2].duplicate_of is not None
    assert decisions[2].duplicate_of.id == "id1"


def _reference_bucket_neighbours(
    bands: np.ndarray, order: np.ndarray, leaders: int
) -> dict[int, list[int]]:
    # The definition: for each band, each member of a bucket (in keep order) and the bucket's
    # members before it, at most the first `leaders` of them.
    found: dict[int, set[int]] = {}
    for b in range(bands.shape[1]):
        buckets: dict[int, list[int]] = {}
        for pos, row in enumerate(order.tolist()):
            buckets.setdefault(int(bands[row, b]), []).append(pos)
        for members in buckets.values():
            for k in range(1, len(members)):
                found.setdefault(members[k], set()).update(members[: min(k, leaders)])
    return {pos: sorted(prev) for pos, prev in found.items()}


def test_bucket_neighbours_are_the_first_earlier_members_of_each_bucket() -> None:
    """`_bucket_neighbours`, made with array operations, against its definition: random band
    values from small ranges (buckets of one to hundreds of members, so over the `leaders`
    cap), in random keep orders, and the empty and one-row cases."""
    from pipelines.dedup import _bucket_neighbours

    rng = np.random.default_rng(5)
    cases = [(0, 3, 2, 32), (1, 3, 2, 32), (2, 4, 1, 32)]
    cases += [(int(rng.integers(2, 400)), int(rng.integers(1, 9)), 0, 0) for _ in range(40)]
    for n, width, spread, leaders in cases:
        spread = spread or int(rng.integers(1, max(n // 2, 2)))
        leaders = leaders or int(rng.choice([1, 3, 32]))
        bands = rng.integers(0, spread, size=(n, width)).astype(np.uint32)
        order = rng.permutation(n).astype(np.int64)
        starts, earlier = _bucket_neighbours(bands, order, leaders)
        found = {
            pos: earlier[starts[pos] : starts[pos + 1]].tolist()
            for pos in range(n)
            if starts[pos + 1] > starts[pos]
        }
        assert len(starts) == n + 1
        assert found == _reference_bucket_neighbours(bands, order, leaders), (n, width, leaders)


def test_index_matches_found_at_once_are_each_candidates_own() -> None:
    """Candidates looked up in the index all at once (`_IndexMatches`) match as each would on
    its own: the first index row with its URL key, else with its text hash, else the most
    similar row of those sharing an LSH bucket with it (ties to the earliest row), found here by
    comparing it with every index row. Keys repeat in the index, signatures come in clusters
    of near copies, and an empty index matches nothing."""
    from pipelines.dedup import (
        CandidateColumns,
        IndexColumns,
        _IndexMatches,
        band_hashes,
        bands_for,
        keep_order,
    )

    opts = DedupOptions()
    rng = np.random.default_rng(11)
    n_bands, rows_per_band = bands_for(opts.threshold, opts.num_perm)

    def near_copies(base: np.ndarray, count: int) -> np.ndarray:
        sigs = np.repeat(base[None, :], count, axis=0)
        for sig in sigs:
            changed = rng.choice(opts.num_perm, size=int(rng.integers(0, 90)), replace=False)
            sig[changed] = rng.integers(0, 2**32, size=len(changed), dtype=np.uint32)
        return sigs

    bases = rng.integers(0, 2**32, size=(12, opts.num_perm), dtype=np.uint32)
    index_sigs = np.concatenate([near_copies(b, 20) for b in bases])
    m = len(index_sigs)
    index_urls = rng.integers(0, m // 2, size=m).astype(np.uint64)  # repeated keys
    index_texts = rng.integers(0, m // 2, size=m).astype(np.uint64) + np.uint64(10**6)
    n = 300
    cand_sigs = np.concatenate([near_copies(b, n // 12) for b in bases])
    cand_urls = rng.integers(0, m, size=n).astype(np.uint64)  # half of them in the index
    cand_texts = rng.integers(0, m, size=n).astype(np.uint64) + np.uint64(10**6)
    cands = CandidateColumns(
        [f"c{i}" for i in range(n)],
        [f"u{i}" for i in range(n)],
        cand_urls,
        cand_texts,
        keep_order(np.array([b""] * n), np.zeros(n, np.int64), np.array([b"x"] * n)),
        band_hashes(cand_sigs, opts),
        cand_sigs,
    )
    index_bands = band_hashes(index_sigs, opts)
    for size in (m, 0):
        dedup = Deduplicator(opts)
        if size:
            dedup.load_index(
                IndexColumns(
                    [f"i{i}" for i in range(m)],
                    [f"v{i}" for i in range(m)],
                    ["r0"],
                    np.zeros(m, np.int32),
                    index_urls,
                    index_texts,
                    index_sigs,
                )
            )
        matches = _IndexMatches(dedup.index, cands)
        kinds = set()
        for row in range(n):
            found = dedup._against_index(cands, row, matches)
            expected = None
            if size and (cand_urls[row] == index_urls).any():
                expected = (1, int(np.flatnonzero(cand_urls[row] == index_urls)[0]), 1.0)
            elif size and (cand_texts[row] == index_texts).any():
                expected = (2, int(np.flatnonzero(cand_texts[row] == index_texts)[0]), 1.0)
            elif size:
                shared = np.flatnonzero((index_bands == cands.bands[row]).any(axis=1))
                sims = [similarity(cand_sigs[row], index_sigs[i]) for i in shared]
                good = [(s, -i) for s, i in zip(sims, shared, strict=True) if s >= opts.threshold]
                if good:
                    s, i = max(good)
                    expected = (3, -int(i), s)
            assert found == expected, row
            kinds.add(None if found is None else found[0])
        assert kinds == ({1, 2, 3, None} if size else {None})
    assert rows_per_band * n_bands <= opts.num_perm


def test_the_best_match_is_the_most_similar_at_or_above_the_threshold_earliest_on_ties() -> None:
    """`_best` compares a signature with many rows at once; it must pick what comparing them
    one by one with `similarity` picks: the highest at or above the threshold, the earliest of
    equals, none below."""
    from pipelines.dedup import _best

    rng = np.random.default_rng(5)
    for trial in range(300):
        sigs = rng.integers(0, 3, size=(12, 16)).astype(np.uint32)  # many ties
        sig = rng.integers(0, 3, size=16).astype(np.uint32)
        rows = rng.permutation(12)[: rng.integers(0, 8)].tolist()
        threshold = float(rng.choice([0.2, 0.4, 0.5, 0.75]))
        expected = None
        for row in rows:
            sim = similarity(sig, sigs[row])
            if sim >= threshold and (expected is None or sim > expected[1]):
                expected = (row, sim)
        assert _best(sig, rows, sigs, threshold) == expected, trial
