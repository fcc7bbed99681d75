"""A run's counts as table rows and markdown: for the flow's artifacts and the CLI's summary.

Apart from `flows.ingest` so that a plain run (`--no-prefect`) can print its summary without
importing Prefect (~3 s here).
"""

from __future__ import annotations

from typing import Any

from pipelines.run import PUBLISH_PHASES, RunReport

__all__ = ["summary_markdown", "summary_rows", "timings_line"]


def summary_rows(counts: dict[str, int]) -> list[dict[str, Any]]:
    """The run's counts as table rows, in reading order."""
    order = [
        "inputs",
        "pages",
        "candidates",
        "rejected",
        "duplicates",
        "records",
        "boilerplate_lines_removed",
        "templates_known",
        "index_documents",
    ]
    labels = {
        "inputs": "input files",
        "pages": "pages read",
        "candidates": "extracted and kept by filters",
        "rejected": "rejected",
        "duplicates": "duplicates",
        "records": "records written",
        "boilerplate_lines_removed": "boilerplate lines removed",
        "templates_known": "site template lines known",
        "index_documents": "documents already published (index)",
    }
    rows = [{"metric": labels[k], "count": counts.get(k, 0)} for k in order]
    for prefix, label in (
        ("rejected.", "rejected: "),
        ("duplicates.", "duplicates: "),
        ("removed_by_rule.", "removed by rule: "),
        ("fallback.", "fallback taken: "),
    ):
        rows.extend(
            {"metric": label + k[len(prefix) :], "count": v}
            for k, v in sorted(counts.items())
            if k.startswith(prefix)
        )
    rows.extend(
        {"metric": k.replace("_", " "), "count": v}
        for k, v in sorted(counts.items())
        if k.startswith(("warc_", "crawl."))
    )
    if counts.get("index_segments_rebuilt"):
        rows.append(
            {
                "metric": "index segments of older runs rebuilt",
                "count": counts["index_segments_rebuilt"],
            }
        )
    return rows


def timings_line(timings: dict[str, float]) -> str:
    """Where a run's wall time went, in one line ("" for a report without timings): the
    shards, then publish and those of its phases that took 0.05 s or more
    (tests/test_summary.py shows the format; doctests run in `pipelines/` only)."""
    if not timings:
        return ""
    phases = ", ".join(
        f"{phase} {timings[phase]:.1f}"
        for phase in PUBLISH_PHASES
        if timings.get(phase, 0.0) >= 0.05
    )
    return (
        f"shards {timings.get('shards', 0.0):.1f} s in all "
        f"(longest {timings.get('shard_longest', 0.0):.1f} s); "
        f"publish {timings.get('publish', 0.0):.1f} s" + (f": {phases}" if phases else "")
    )


def summary_markdown(report: RunReport) -> str:
    lines = [
        f"# Ingest run `{report.run_id}`",
        "",
        f"- output: `{report.out}`",
        f"- manifest: `{report.manifest}`",
        f"- records: {report.counts.get('records', 0)}, duplicates: "
        f"{report.counts.get('duplicates', 0)}, rejected: {report.counts.get('rejected', 0)}",
    ]
    if report.timings:
        lines.append(f"- time: {timings_line(report.timings)}")
    lines.append("")
    if report.duplicates_sample:
        lines += ["| url | duplicate of | method | similarity |", "|---|---|---|---|"]
        lines += [
            f"| {d['url']} | {d['duplicate_of_url']} | {d['method']} | {d['similarity']:.2f} |"
            for d in report.duplicates_sample
        ]
    return "\n".join(lines)
