"""MinHash signatures with numpy: the shingle hash and datasketch's `affine32` permutation
step, for all of a text's shingles at once.

Imports numpy only. The permutations are datasketch's, drawn once by `pipelines.dedup` in the
parent and handed to the workers with their work (`Permutations`).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from pipelines.clean import words as split_words

__all__ = [
    "SIGNATURE_SCHEME",
    "Permutations",
    "Signature",
    "prepare",
    "shingle_hash",
    "shingle_hashes",
    "shingles",
    "signature",
    "signatures",
]

Signature = npt.NDArray[np.uint32]
# datasketch's (a, b) for h -> a*fmix32(h) + b mod 2^32, each shaped (1, num_perm), uint32.
Permutations = tuple[npt.NDArray[np.uint32], npt.NDArray[np.uint32]]


# The shingle hash. A word hashes to fmix64(Σ codepoint·T[position]) over its lower-cased
# characters; a shingle to fmix64(Σ word_hash·K[k]), folded to 32 bits. Defined on words, so
# numpy computes every shingle of a text at once (`shingle_hashes`) — no Python call per shingle.
# `shingle_hash` is the same function, one shingle at a time: datasketch calls it in the tests
# to show that `signature` is datasketch's own MinHash. Changing any constant here changes every
# signature: bump SIGNATURE_SCHEME (the index records it and is rebuilt when it differs).
SIGNATURE_SCHEME = "minhash-affine32/seed1/words-tab64-v1"
_MASK64 = (1 << 64) - 1
_FMIX64 = (33, 0xFF51AFD7ED558CCD, 33, 0xC4CEB9FE1A85EC53, 33)
_FMIX32 = (16, 0x85EBCA6B, 13, 0xC2B2AE35, 16)
_CONSTANTS = np.random.default_rng(0x5EED5).integers(0, 1 << 63, size=256 + 16, dtype=np.uint64)
_T = _CONSTANTS[:256] * np.uint64(2) + np.uint64(1)  # per character position (mod 256)
_K = _CONSTANTS[256:] * np.uint64(2) + np.uint64(1)  # per word position in a shingle
_CJK_RANGES = ((0x3040, 0x30FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF))
_NOT_WORD, _WORD_CHAR, _CJK_CHAR = 0, 1, 2
_INDEX = np.arange(1 << 17, dtype=np.int32)  # character positions, for texts up to 128 K


def _fmix64_int(x: int) -> int:
    s1, m1, s2, m2, s3 = _FMIX64
    x ^= x >> s1
    x = (x * m1) & _MASK64
    x ^= x >> s2
    x = (x * m2) & _MASK64
    return x ^ (x >> s3)


def _fmix64(x: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    s1, m1, s2, m2, s3 = (np.uint64(v) for v in _FMIX64)
    x = x ^ (x >> s1)
    x *= m1
    x ^= x >> s2
    x *= m2
    x ^= x >> s3
    return x


def shingles(text: str, size: int) -> list[str]:
    """Word `size`-grams of the text (lower-cased `\\w+` words, each Chinese or Japanese
    character one word); a text shorter than one shingle is one shingle.

    >>> shingles("The quick, brown fox jumps!", 3)
    ['the quick brown', 'quick brown fox', 'brown fox jumps']
    """
    ws = split_words(text.lower())
    if len(ws) <= size:
        return [" ".join(ws)]
    return [" ".join(ws[i : i + size]) for i in range(len(ws) - size + 1)]


def shingle_hash(shingle: str) -> int:
    """The 32-bit hash of one shingle (words separated by spaces), one at a time.

    `shingle_hashes` computes the same values for all of a text's shingles at once."""
    acc = 0
    for k, word in enumerate(shingle.split()):
        h = sum(ord(ch) * int(_T[i & 255]) for i, ch in enumerate(word)) & _MASK64
        acc = (acc + _fmix64_int(h) * int(_K[k])) & _MASK64
    return _fmix64_int(acc) & 0xFFFFFFFF


def prepare() -> None:
    """Build the table of word characters now (~15 ms) rather than on the first signature."""
    _char_classes()


@functools.cache
def _char_classes() -> npt.NDArray[np.uint8]:
    """Word-character class of every code point of the Basic Multilingual Plane: what the
    `\\w` of Python's `re` matches (alphanumeric or "_"), Chinese/Japanese characters apart."""
    table = np.fromiter(
        (ch.isalnum() for ch in map(chr, range(0x10000))), dtype=np.uint8, count=0x10000
    )
    table[ord("_")] = _WORD_CHAR
    for lo, hi in _CJK_RANGES:
        table[lo : hi + 1] *= _CJK_CHAR
    return table


def _classes(cps: npt.NDArray[np.uint32]) -> npt.NDArray[np.uint8]:
    classes = _char_classes()[np.minimum(cps, 0xFFFF)]
    astral = np.flatnonzero(cps > 0xFFFF)
    for i in astral.tolist():  # rare: emoji, historic scripts, rare CJK
        classes[i] = chr(int(cps[i])).isalnum()
    return classes


def _word_hashes(
    lowered: str,
) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.intp]]:
    """The hash of each word of a lower-cased text, and the position where each word starts."""
    units = lowered.encode("utf-16-le", "surrogatepass")
    cps: npt.NDArray[np.uint16] | npt.NDArray[np.uint32]
    if len(units) == 2 * len(lowered):  # Basic Multilingual Plane only: a code unit a character
        cps = np.frombuffer(units, dtype=np.uint16)
        classes = _char_classes().take(cps)
    else:
        cps = np.frombuffer(lowered.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        classes = _classes(cps)
    word = classes != _NOT_WORD
    # A word starts at a word character after a non-word one, and at every CJK character and
    # the character after one.
    start = word.copy()
    start[1:] &= ~word[:-1]
    cjk = classes == _CJK_CHAR
    if cjk.any():
        start[1:] |= word[1:] & (cjk[1:] | cjk[:-1])
        start[0] = word[0]
    starts = np.flatnonzero(start)
    if len(starts) == 0:
        return np.empty(0, dtype=np.uint64), starts
    # Each character's position in its word (counted on past its end: characters between words
    # weigh nothing), from where the last word began.
    n = len(cps)
    index = _INDEX[:n] if n <= len(_INDEX) else np.arange(n, dtype=np.int64)
    position = np.where(start, index, 0)
    np.maximum.accumulate(position, out=position)
    np.subtract(index, position, out=position)
    position &= 255
    values = _T.take(position)
    values *= cps * word
    return _fmix64(np.add.reduceat(values, starts)), starts


def shingle_hashes(text: str, size: int) -> npt.NDArray[np.uint32]:
    """`shingle_hash` of every shingle of `shingles(text, size)`, computed with numpy.

    >>> [shingle_hash(s) for s in shingles("A b, c d", 3)] == shingle_hashes("A b, c d", 3).tolist()
    True
    """
    word_hashes, _ = _word_hashes(text.lower())
    if len(word_hashes) == 0:
        return np.array([shingle_hash("")], dtype=np.uint32)
    n = max(len(word_hashes) - size + 1, 1)
    acc = word_hashes[:n] * _K[0]
    for k in range(1, min(size, len(word_hashes))):
        acc += word_hashes[k : k + n] * _K[k]
    return (_fmix64(acc) & np.uint64(0xFFFFFFFF)).astype(np.uint32)


def signature(text: str, shingle_size: int, permutations: Permutations) -> Signature:
    """MinHash signature of a text's shingles under `permutations` (one uint32 per
    permutation): datasketch's `update_batch` arithmetic on every shingle hash at once."""
    hv = _fmix32(shingle_hashes(text, shingle_size))
    result: Signature = _minima(hv, np.zeros(1, dtype=np.intp), permutations)[0]
    return result


def _fmix32(hv: npt.NDArray[np.uint32]) -> npt.NDArray[np.uint32]:
    """datasketch's `affine32` input step, in place."""
    s1, m1, s2, m2, s3 = (np.uint32(v) for v in _FMIX32)
    hv ^= hv >> s1
    hv *= m1
    hv ^= hv >> s2
    hv *= m2
    hv ^= hv >> s3
    return hv


# Shingles permuted at a time: a matrix of num_perm by 65,536 uint32, 32 MB at 128 permutations.
# A chunk of texts (`_CHUNK_CHARS`) has fewer; a very long text is permuted in blocks.
_BLOCK_SHINGLES = 1 << 16


def _minima(
    hv: npt.NDArray[np.uint32], bounds: npt.NDArray[np.intp], permutations: Permutations
) -> Signature:
    """Each text's signature, one row per text, from the hashed shingles `hv` of all the texts
    (text t's from `bounds[t]` to the next text's bound; each has at least one).

    Every shingle under every permutation as one matrix, a row per permutation, then each
    text's minimum in each row: three numpy calls for all the texts instead of three a text,
    and the minimum a reduction over contiguous values (all in all twice as fast as text by
    text)."""
    a, b = _columns(permutations)
    if len(hv) <= _BLOCK_SHINGLES:
        values = a * hv
        values += b
        result: Signature = np.ascontiguousarray(np.minimum.reduceat(values, bounds, axis=1).T)
        return result
    # Longer (a very long text): text by text, block by block, so memory stays bounded.
    result = np.full((len(bounds), len(a)), np.iinfo(np.uint32).max, dtype=np.uint32)
    ends = np.append(bounds[1:], len(hv)).tolist()
    for row, (lo, hi) in enumerate(zip(bounds.tolist(), ends, strict=True)):
        for start in range(lo, hi, _BLOCK_SHINGLES):
            values = a * hv[start : min(hi, start + _BLOCK_SHINGLES)]
            values += b
            np.minimum(result[row], values.min(axis=1), out=result[row])
    return result


def _columns(permutations: Permutations) -> Permutations:
    """The permutations' (a, b) as columns, shaped (num_perm, 1)."""
    a, b = permutations
    return a.reshape(-1, 1), b.reshape(-1, 1)


# `signatures` hashes the words and shingles of about this many characters at a time, and
# permutes all their shingles at once. 600-word texts in a tight loop: 5,500 a second at 16,000,
# 7,300 at 64,000, 7,400 at 96,000 to 150,000, fewer beyond (bench/README.md).
_CHUNK_CHARS = 96_000


def signatures(texts: Sequence[str], shingle_size: int, permutations: Permutations) -> Signature:
    """`signature` of each text, one row each: the same values, for many texts at once.

    numpy's fixed cost per call is a third of a short text's `signature` (~27 of 80 µs for 2,000
    characters); here every step pays it once per chunk of texts (`_CHUNK_CHARS`)."""
    rows: list[Signature] = []
    chunk: list[str] = []
    chars = 0
    for text in texts:
        if chunk and chars + len(text) > _CHUNK_CHARS:
            rows.append(_signatures(chunk, shingle_size, permutations))
            chunk, chars = [], 0
        chunk.append(text)
        chars += len(text)
    if chunk:
        rows.append(_signatures(chunk, shingle_size, permutations))
    if not rows:
        return np.empty((0, len(permutations[0][0])), dtype=np.uint32)
    return np.concatenate(rows)


def _signatures(texts: list[str], size: int, permutations: Permutations) -> Signature:
    # The texts lower-cased one by one (as `shingle_hashes` does) and joined by a character
    # that is no word's: words, and so word hashes, are the texts' own, in order.
    lowered = [text.lower() for text in texts]
    word_hashes, starts = _word_hashes("\n".join(lowered))
    # Each text's words: the text a word starts in (texts begin where the previous one and its
    # separator end), and the first word of each text.
    text_starts = np.cumsum([0] + [len(t) + 1 for t in lowered[:-1]])
    owner = np.searchsorted(text_starts, starts, side="right") - 1
    counts = np.bincount(owner, minlength=len(texts))
    first = np.concatenate(([0], np.cumsum(counts)[:-1]))
    end = (first + counts)[owner]  # one past each word's text's last word
    # A shingle at every word: the next `size` words' hashes, those of its own text only (a text
    # of fewer words than `size` is one shingle of all of them).
    acc = word_hashes * _K[0]
    position = np.arange(len(word_hashes))
    for k in range(1, size):
        ahead = np.zeros_like(word_hashes)
        ahead[: max(len(ahead) - k, 0)] = word_hashes[k:]
        acc += np.where(position + k < end, ahead, 0) * _K[k]
    # Those that start a full shingle of their text, or the first word of a short text.
    valid = (position + size <= end) | (position == first[owner])
    shingle_texts = owner[valid]
    hv = (_fmix64(acc[valid]) & np.uint64(0xFFFFFFFF)).astype(np.uint32)
    # A text without words is the one shingle "" (as `shingle_hashes`).
    empty = np.flatnonzero(counts == 0)
    if len(empty):
        hv = np.concatenate((hv, np.full(len(empty), shingle_hash(""), dtype=np.uint32)))
        shingle_texts = np.concatenate((shingle_texts, empty))
        order = np.argsort(shingle_texts, kind="stable")
        hv, shingle_texts = hv[order], shingle_texts[order]
    bounds = np.searchsorted(shingle_texts, np.arange(len(texts)))  # every text has a shingle
    return _minima(_fmix32(hv), bounds, permutations)
