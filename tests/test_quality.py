"""Quality gates: a change that lowers extraction quality fails CI.

AEB (../shared/data/aeb, 181 real pages with hand-labelled bodies), scored as the benchmark
does (bench/quality/aeb.py). Measured at this commit: contentpipe F1 0.964, plain trafilatura
0.960. The floor is the measured figure minus a small margin, and never below trafilatura's.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.quality.aeb import AEB, evaluate, page_score

AEB_F1_FLOOR = 0.960


@pytest.mark.skipif(
    not (AEB / "ground-truth.json").is_file(), reason="AEB data is not beside the repo"
)
def test_aeb_f1_floor_and_never_below_trafilatura() -> None:
    result = evaluate()
    ours, plain = result["contentpipe"], result["trafilatura"]
    assert ours["f1"] >= AEB_F1_FLOOR, result
    assert ours["f1"] >= plain["f1"], result
    assert ours["precision"] >= plain["precision"], result


def test_scoring_matches_the_benchmark_definition() -> None:
    assert page_score("a b c d e", "a b c d e") == (1.0, 0.0, 0.0)
    tp, fp, fn = page_score("a b c d e f", "a b c d x")
    # true shingles abcd bcde cdef; predicted abcd bcdx: one shared of four distinct.
    assert (tp, fp, fn) == (0.25, 0.25, 0.5)
    assert Path(AEB).name == "aeb"
