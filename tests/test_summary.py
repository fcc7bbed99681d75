"""The run summary's lines (CLI and the flow's artifact), from a report's counts and timings."""

from __future__ import annotations

from flows.summary import summary_markdown, timings_line
from pipelines.run import RunReport

TIMINGS = {
    "shards": 11.3,
    "shard_longest": 1.3,
    "index": 0.0,
    "templates": 0.1,
    "strip": 0.71,
    "dedup": 0.16,
    "write": 0.14,
    "publish": 1.14,
}


def test_timings_line_names_the_phases_that_took_time() -> None:
    assert timings_line(TIMINGS) == (
        "shards 11.3 s in all (longest 1.3 s); "
        "publish 1.1 s: templates 0.1, strip 0.7, dedup 0.2, write 0.1"
    )
    quick = {**TIMINGS, "templates": 0.01, "strip": 0.0, "dedup": 0.02, "write": 0.03}
    assert timings_line(quick) == "shards 11.3 s in all (longest 1.3 s); publish 1.1 s"
    assert timings_line({}) == ""


def test_the_artifact_says_where_the_time_went_when_the_report_knows() -> None:
    report = RunReport("r1", "/out", "/out/runs/r1.json", {"records": 3}, {}, [], TIMINGS)
    assert "- time: shards 11.3 s in all" in summary_markdown(report)
    older = RunReport("r1", "/out", "/out/runs/r1.json", {"records": 3}, {})
    assert "time:" not in summary_markdown(older)
