"""Quality gates: a change that lowers extraction, cleaning or dedup quality fails CI.

Each floor is the figure measured at the commit that set it (bench/README.md) minus a small
margin, or the issue's target where that is stricter:
- AEB extraction F1 (../shared/data/aeb, bench/quality/aeb.py), never below plain trafilatura;
- WCXB-dev (../shared/data/wcxb-dev, bench/quality/wcxb.py), every page, beside plain
  `trafilatura.extract` in the same run: articles above it, no page type far below it, no
  article page that collapses where trafilatura extracts it well;
- the SEO dev set (bench/quality/seo.py), a smaller draw of it to stay fast: the hand-written
  templates (tuned, held out) and the generated sites' never-tuned phrasings, through `ingest`
  and through `contentpipe extract` of the saved pages;
- the dedup dev set (bench/dedup_sweep.py) at the default settings.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bench.dedup_sweep import build as build_dedup_set
from bench.dedup_sweep import quality
from bench.quality import wcxb
from bench.quality.aeb import AEB, evaluate, page_score
from bench.quality.seo import evaluate as evaluate_seo
from pipelines.config import DedupOptions

# Measured 0.965 (bench/README.md); plain trafilatura 0.958. Precision mode, off by default
# since WCXB-dev, measured 0.971 here and lost on WCXB-dev's articles.
AEB_F1_FLOOR = 0.962
# WCXB-dev: articles measured +0.009 over plain trafilatura (0.938 against 0.929); every page
# type within 0.006 of it (bench/README.md).
WCXB_ARTICLE_GAIN_FLOOR = 0.007
WCXB_TYPE_LOSS_CEILING = 0.01
SEO_LEAK_RATE_CEILING = 0.02
SEO_LEAK_FREE_FLOOR = 0.95
SEO_PARAGRAPH_RECALL_FLOOR = 0.99
DEDUP_PRECISION_FLOOR = 0.99
DEDUP_RECALL_FLOOR = 0.97


@pytest.fixture(scope="module", autouse=True)
def aeb_data() -> None:
    for data in (AEB / "ground-truth.json", wcxb.WCXB / "metadata.json"):
        if not data.is_file():
            message = f"a data set is missing at {data.parent}: the quality gates need it"
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


def test_wcxb_articles_above_trafilatura_and_no_page_type_far_below() -> None:
    result = wcxb.evaluate()
    table = result["table"]["all"]
    articles = table["article"]
    gain = articles["contentpipe"]["f1"] - articles["trafilatura"]["f1"]
    assert gain >= WCXB_ARTICLE_GAIN_FLOOR, articles
    assert table["all"]["contentpipe"]["f1"] >= table["all"]["trafilatura"]["f1"], table["all"]
    for kind, row in table.items():
        loss = row["trafilatura"]["f1"] - row["contentpipe"]["f1"]
        assert loss <= WCXB_TYPE_LOSS_CEILING, (kind, row)
    assert wcxb.collapses(result) == [], wcxb.collapses(result)


SEO_GROUPS = ["tuned", "held_out", "generated-never-tuned"]


@pytest.mark.parametrize("how", ["contentpipe", "contentpipe extract"])
@pytest.mark.parametrize("group", SEO_GROUPS)
def test_seo_dev_set_floors(
    group: str, how: str, seo_result: dict[str, dict[str, dict[str, float]]]
) -> None:
    ours, plain = seo_result[group][how], seo_result[group]["trafilatura"]
    assert ours["leak_rate"] <= SEO_LEAK_RATE_CEILING, ours
    assert ours["leak_free_pages"] >= SEO_LEAK_FREE_FLOOR, ours
    assert ours["paragraph_recall"] >= SEO_PARAGRAPH_RECALL_FLOOR, ours
    # The set is only a test if plain extraction fails it: the boilerplate is in the article.
    assert plain["leak_rate"] > (0.9 if group in ("tuned", "held_out") else 0.25), plain
    assert plain["leak_free_pages"] == 0, plain


# Two pages a site, too few for a site template: the rules alone, measured 1.6 % (tuned) and
# 11.4 % (never-tuned) of injected lines leaking, plain trafilatura 45-46 % (bench/README.md).
SEO_RULES_ONLY_LEAK_CEILING = {
    "generated-tuned, rules only": 0.02,
    "generated-never-tuned, rules only": 0.13,
}


@pytest.mark.parametrize("group", sorted(SEO_RULES_ONLY_LEAK_CEILING))
def test_seo_rules_alone_on_sites_too_small_for_templates(
    group: str, seo_result: dict[str, dict[str, dict[str, float]]]
) -> None:
    plain = seo_result[group]["trafilatura"]
    for how in ("contentpipe", "contentpipe extract"):
        ours = seo_result[group][how]
        assert ours["leak_rate"] <= SEO_RULES_ONLY_LEAK_CEILING[group], (how, ours)
        # Some random markups lose a page's article to the extractor: compared with plain.
        assert ours["paragraph_recall"] >= plain["paragraph_recall"] - 0.01, (how, ours, plain)
    assert plain["leak_rate"] > 0.3, plain


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
