"""Quality gates: a change that lowers extraction, cleaning or dedup quality fails CI.

Each floor is the figure measured at the commit that set it (bench/README.md) minus a small
margin, or the issue's target where that is stricter:
- AEB extraction F1 (../shared/data/aeb, bench/quality/aeb.py), never below plain trafilatura;
- the SEO dev set (bench/quality/seo.py), a smaller draw of it to stay fast, on the tuned and
  on the held-out templates;
- the dedup dev set (bench/dedup_sweep.py) at the default settings.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bench.dedup_sweep import build as build_dedup_set
from bench.dedup_sweep import quality
from bench.quality.aeb import AEB, evaluate, page_score
from bench.quality.seo import evaluate as evaluate_seo
from pipelines.config import DedupOptions

AEB_F1_FLOOR = 0.968
SEO_LEAK_RATE_CEILING = 0.02
SEO_LEAK_FREE_FLOOR = 0.95
SEO_PARAGRAPH_RECALL_FLOOR = 0.99
DEDUP_PRECISION_FLOOR = 0.99
DEDUP_RECALL_FLOOR = 0.97


@pytest.fixture(scope="module", autouse=True)
def aeb_data() -> None:
    if not (AEB / "ground-truth.json").is_file():
        message = f"the AEB data set is missing at {AEB}: the quality gates need it"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def test_aeb_f1_floor_and_never_below_trafilatura() -> None:
    result = evaluate()
    ours = result["contentpipe"]
    assert ours["f1"] >= AEB_F1_FLOOR, result
    for plain in (result["trafilatura"], result["trafilatura (contentpipe's options)"]):
        assert ours["f1"] >= plain["f1"], result
        assert ours["precision"] >= plain["precision"], result


@pytest.mark.parametrize("group", ["tuned", "held_out"])
def test_seo_dev_set_floors(group: str, seo_result: dict[str, dict[str, dict[str, float]]]) -> None:
    ours, plain = seo_result[group]["contentpipe"], seo_result[group]["trafilatura"]
    assert ours["leak_rate"] <= SEO_LEAK_RATE_CEILING, ours
    assert ours["leak_free_pages"] >= SEO_LEAK_FREE_FLOOR, ours
    assert ours["paragraph_recall"] >= SEO_PARAGRAPH_RECALL_FLOOR, ours
    # The set is only a test if plain extraction fails it: the boilerplate is in the article.
    assert plain["leak_rate"] > 0.9, plain


@pytest.fixture(scope="module")
def seo_result() -> dict[str, dict[str, dict[str, float]]]:
    return evaluate_seo(per_site=8)


def test_dedup_dev_set_floors_at_the_defaults() -> None:
    docs, truth = build_dedup_set()
    q = quality(docs, truth, DedupOptions())
    assert q["precision"] >= DEDUP_PRECISION_FLOOR, q
    assert q["recall"] >= DEDUP_RECALL_FLOOR, q
    assert q["false_merges"] == 0, q


def test_scoring_matches_the_benchmark_definition() -> None:
    assert page_score("a b c d e", "a b c d e") == (1.0, 0.0, 0.0)
    tp, fp, fn = page_score("a b c d e f", "a b c d x")
    # true shingles abcd bcde cdef; predicted abcd bcdx: one shared of four distinct.
    assert (tp, fp, fn) == (0.25, 0.25, 0.5)
    assert Path(AEB).name == "aeb"
