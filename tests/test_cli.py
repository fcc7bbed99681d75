"""The `contentpipe` command line: real subprocesses for ingest (Prefect's ephemeral API on a
fresh PREFECT_HOME, as on a new machine) and in-process runs for the fast commands."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from deploy.demo.sitegen import ARTICLES
from flows.cli import app
from pipelines.config import ProcessOptions
from pipelines.run import ingest
from tests.conftest import DEMO_SITE
from tests.test_templates import page, write

runner = CliRunner()


def test_demo_crawls_and_ingests_through_prefect_ephemeral_api(seeds: Path, tmp_path: Path) -> None:
    """`make demo`'s command, through the console script, on a fresh PREFECT_HOME, as on a new
    machine."""
    out = tmp_path / "data"
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect-home"), "COLUMNS": "200"}
    env.pop("PREFECT_API_URL", None)
    script = str(Path(sys.executable).parent / "contentpipe")
    cmd = [script, "demo", "--out", str(out), "--seeds", str(seeds)]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "records written" in done.stdout and "crawl.pages written" in done.stdout
    assert "read_parquet(" in done.stdout
    assert re.search(r"time: +shards [\d.]+ s in all \(longest [\d.]+ s\); publish", done.stdout)
    # It went through Prefect, against the API server the command started as it began
    # (`flows.server`); once the command is over, nothing listens there any more.
    found = re.search(r"Starting temporary server on http://127\.0\.0\.1:(\d+)/api", done.stderr)
    assert found, done.stderr[-3000:]
    assert done.stderr.count("Starting temporary server") == 1  # one server for both flows
    assert "Finished in state Completed" in done.stderr + done.stdout
    assert "View at" not in done.stderr + done.stdout  # no links to a server about to stop
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", int(found.group(1)))) != 0

    result = runner.invoke(app, ["stats", str(out), "--json"])
    assert result.exit_code == 0, result.output
    runs = json.loads(result.stdout)
    assert [r["counts"]["records"] for r in runs] == [9, 5]
    assert runs[0]["counts"]["crawl.pages_written"] == 13
    assert all(r["timings_s"]["publish"] > 0 for r in runs)


def test_flow_runs_on_the_temporary_api_send_no_heartbeats(tmp_path: Path) -> None:
    """Stopping the heartbeat thread ended every flow run up to a second late; the server
    that heartbeats report to stops with the command anyway."""
    import prefect.flow_engine

    started = "Started flow run heartbeat context"  # Prefect's debug line when it starts one
    assert started in Path(prefect.flow_engine.__file__).read_text(encoding="utf-8")
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "home"), "PREFECT_LOGGING_LEVEL": "DEBUG"}
    env.pop("PREFECT_API_URL", None)
    page = str(DEMO_SITE / "metro-briefs-bakery-award.html")
    script = str(Path(sys.executable).parent / "contentpipe")
    cmd = [script, "ingest", page, "--out", str(tmp_path / "out"), "--workers", "1"]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    logs = done.stdout + done.stderr
    assert "Starting temporary server" in logs and "Finished in state Completed" in logs
    assert started not in logs


def test_stats_of_a_missing_directory_is_an_error_not_an_empty_output(tmp_path: Path) -> None:
    result = runner.invoke(app, ["stats", str(tmp_path / "typo")])
    assert result.exit_code == 2
    assert f"{tmp_path / 'typo'}: no such directory" in " ".join(result.output.split())
    empty = runner.invoke(app, ["stats", str(tmp_path)])  # exists, nothing published yet
    assert empty.exit_code == 0 and "0 published run(s)" in " ".join(empty.output.split())


def test_crawl_needs_a_source(tmp_path: Path) -> None:
    result = runner.invoke(app, ["crawl", "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and "give --sources FILE" in result.output
    bad = tmp_path / "s.yaml"
    bad.write_text("sources:\n  - name: x\n    kind: rss\n    urls: [https://a.example/]\n")
    result = runner.invoke(app, ["crawl", "--sources", str(bad), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and "source x: kind" in result.output


def test_extract_json_one_object_per_document(seeds: Path) -> None:
    seed = seeds / "000_bc7cba856f6147bf.txt"
    result = runner.invoke(
        app,
        [
            "extract",
            "--json",
            str(seed),
            str(DEMO_SITE / "harbor-ledger-river-bridge-reopens.html"),
        ],
    )
    assert result.exit_code == 0, result.output
    docs = [json.loads(line) for line in result.stdout.splitlines()]
    assert [d["source"] for d in docs] == [
        str(seed),
        str(DEMO_SITE / "harbor-ledger-river-bridge-reopens.html"),
    ]
    assert docs[0]["title"] == "Xi, Putin Discuss Relations, Ukraine"
    assert "Thank you for visiting" not in docs[0]["text"]
    assert docs[1]["author"] == "Dana Whitlock" and docs[1]["sitename"] == "The Harbor Ledger"
    assert docs[1]["canonical_url"] == "https://harborledger.example/2026/river-bridge-reopens"


def test_extract_explain_from_stdin() -> None:
    page = (DEMO_SITE / "metro-briefs-bakery-award.html").read_text()
    result = runner.invoke(app, ["extract", "--json", "--explain", "-"], input=page)
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    rules = {r["rule"] for r in doc["removed"]}
    assert {"author_photo", "affiliate", "seo_template", "related_heading"} <= rules


def test_extract_explain_names_the_site_template_learned_from_the_pages(tmp_path: Path) -> None:
    for n, article in enumerate(ARTICLES[:4]):
        write(tmp_path / "site", f"{n}.html", page("quarry.example", article, n))
    pages = sorted(str(p) for p in (tmp_path / "site").glob("*.html"))
    result = runner.invoke(app, ["extract", "--explain", *pages], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert (
        "[template: template of quarry.example, on 4 of 4 pages] Got a tip about" in result.output
    )
    assert "[title_repeat] County Library Drops Late Fees for Good" in result.output

    # One new page alone knows nothing; with --templates it uses what a run learned.
    out = tmp_path / "out"
    ingest(pages[:3], str(out), ProcessOptions(workers=1))
    new = write(tmp_path / "new", "new.html", page("quarry.example", ARTICLES[5], 7))
    alone = json.loads(runner.invoke(app, ["extract", "--json", "--explain", str(new)]).stdout)
    assert "Quarry Gazette members" in alone["text"]
    result = runner.invoke(
        app, ["extract", "--json", "--explain", "--templates", str(out), str(new)]
    )
    doc = json.loads(result.stdout)
    assert "Quarry Gazette members" not in doc["text"]
    notes = [r["note"] for r in doc["removed"] if r["rule"] == "template"]
    assert notes == ["template of quarry.example, on 4 of 4 pages"] * 3  # 3 learned + itself


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ingest", "x", "--out", "ftp://host/x"], "unsupported output location"),
        (
            ["ingest", "/definitely/not/here", "--out", "{tmp}/o", "--no-prefect"],
            "no input matches",
        ),
        (["ingest", "x", "--out", "{tmp}/o", "--threshold", "1.5"], "--threshold"),
        (["extract", "/definitely/not/here.html"], "no such file"),
        (
            [
                "ingest",
                "x",
                "--out",
                str(DEMO_SITE / "metro-briefs-bakery-award.html"),
                "--no-prefect",
            ],
            "it is a file, not a directory",
        ),
        (
            [
                "extract",
                "--templates",
                "{tmp}/no-output",
                str(DEMO_SITE / "metro-briefs-bakery-award.html"),
            ],
            "no committed contentpipe run",
        ),
    ],
)
def test_fatal_errors_exit_non_zero_with_one_line(
    args: list[str], message: str, tmp_path: Path
) -> None:
    result = runner.invoke(app, [a.replace("{tmp}", str(tmp_path)) for a in args])
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_missing_bucket_exits_with_reason(aws_env: str) -> None:
    result = runner.invoke(app, ["ingest", "x", "--out", "s3://no-such-bucket-xyz/p"])
    assert result.exit_code == 2
    assert "bucket does not exist" in result.output


def _imported(setup: str, *modules: str) -> list[str]:
    """Which of `modules` a fresh Python process has imported once it has run `setup`."""
    code = f"{setup}\nimport sys\nprint(','.join(m for m in {modules!r} if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    last = done.stdout.strip().splitlines()[-1:] or [""]
    return [m for m in last[0].split(",") if m]


def test_the_console_script_imports_nothing_heavy() -> None:
    # Spawned workers rerun the launching script's imports: the console script's module must
    # stay light (see flows/launch.py), or every worker pays for the whole CLI.
    from importlib.metadata import entry_points

    (script,) = entry_points(group="console_scripts", name="contentpipe")
    heavy = ("flows.cli", "typer", "prefect", "boto3", "datasketch")
    assert _imported(f"import {script.module}", *heavy) == []


def test_ingest_command_lines_start_their_workers_before_the_cli_imports() -> None:
    from flows.launch import early_workers

    cores = os.cpu_count() or 1
    assert early_workers(["ingest", "pages/", "--out", "o", "--workers", "3"]) == 3
    assert early_workers(["ingest", "pages/", "--workers=4", "--no-prefect"]) == 4
    assert early_workers(["ingest", "pages/"]) == cores  # the default: one per core
    assert early_workers(["ingest", "pages/", "--workers", "0"]) == cores
    # Left to the command line: other commands, help, counts it will reject.
    for args in (
        [],
        ["stats", "data"],
        ["crawl", "sources.toml"],
        ["ingest", "--help"],
        ["ingest", "pages/", "-h"],
        ["ingest", "pages/", "--workers", "two"],
        ["ingest", "pages/", "--workers=-1"],
    ):
        assert early_workers(args) == 0, args


def test_flow_command_lines_start_the_temporary_api_before_the_cli_imports() -> None:
    from flows.launch import runs_a_flow

    assert runs_a_flow(["ingest", "pages/", "--out", "o"])
    assert runs_a_flow(["ingest", "pages/", "--prefect"])
    assert runs_a_flow(["crawl", "--sources", "sources.toml"])
    assert runs_a_flow(["demo", "--out", "data"])
    for args in ([], ["ingest", "pages/", "--no-prefect"], ["ingest", "--help"], ["stats", "o"]):
        assert not runs_a_flow(args), args


def test_a_plain_run_imports_neither_prefect_nor_datasketch(tmp_path: Path) -> None:
    # `--no-prefect` is the quick path: importing Prefect alone costs it ~3 s, datasketch (with
    # scipy) ~1 s for numbers `pipelines.dedup.permutations` draws itself.
    page = DEMO_SITE / "metro-briefs-bakery-award.html"
    setup = (
        "from typer.testing import CliRunner\n"
        "from flows.cli import app\n"
        f"args = ['ingest', {str(page)!r}, '--out', {str(tmp_path / 'out')!r}, '--workers', '1',"
        " '--no-prefect']\n"
        "result = CliRunner().invoke(app, args)\n"
        "assert result.exit_code == 0, result.output"
    )
    assert _imported(setup, "prefect", "datasketch", "scipy") == []


def test_a_local_run_with_workers_loads_no_extractor_or_boto3_in_the_parent(
    tmp_path: Path,
) -> None:
    # The workers extract; the parent process only hands them batches, and a local output
    # needs no S3 client (bench/README.md).
    setup = (
        "from typer.testing import CliRunner\n"
        "from flows.cli import app\n"
        f"args = ['ingest', {str(DEMO_SITE)!r}, '--out', {str(tmp_path / 'out')!r}, '--workers', '2',"
        " '--no-prefect']\n"
        "result = CliRunner().invoke(app, args)\n"
        "assert result.exit_code == 0, result.output\n"
        "assert 'records written' in result.output, result.output"
    )
    assert _imported(setup, "trafilatura", "boto3", "botocore", "datasketch", "prefect") == []


def test_the_cli_starts_without_prefect_or_datasketch() -> None:
    # `contentpipe --help`, `stats`, `extract` and every run's start pay for what `flows.cli`
    # imports: Prefect only for flow runs, datasketch (and its scipy) never.
    assert _imported("import flows.cli", "prefect", "datasketch", "scipy") == []


def test_the_temporary_prefect_api_stands_aside_for_any_configuration(tmp_path: Path) -> None:
    from flows.server import configured_elsewhere

    home = tmp_path / "home"
    home.mkdir()
    clean = {"PREFECT_HOME": str(home)}
    assert not configured_elsewhere(clean, tmp_path)
    for env in (
        {**clean, "PREFECT_API_URL": "http://127.0.0.1:4200/api"},
        {**clean, "PREFECT_PROFILE": "local"},
        {**clean, "PREFECT_SERVER_ALLOW_EPHEMERAL_MODE": "false"},
    ):
        assert configured_elsewhere(env, tmp_path), env
    # Startup timeouts and the like are not an API choice.
    assert not configured_elsewhere(
        {**clean, "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "9"}, tmp_path
    )
    profiles = home / "profiles.toml"
    profiles.write_text(
        'active = "ephemeral"\n[profiles.ephemeral]\nPREFECT_SERVER_EPHEMERAL_ENABLED = "true"\n'
        '[profiles.local]\nPREFECT_API_URL = "http://127.0.0.1:4200/api"\n'
    )
    assert not configured_elsewhere(clean, tmp_path)  # the active profile sets no API
    profiles.write_text(profiles.read_text().replace('active = "ephemeral"', 'active = "local"'))
    assert configured_elsewhere(clean, tmp_path)
    profiles.write_text("not [ toml")
    assert configured_elsewhere(clean, tmp_path)
    profiles.unlink()
    for name, text in (("prefect.toml", "[api]\n"), (".env", "PREFECT_API_URL=x\n")):
        (tmp_path / name).write_text(text)
        assert configured_elsewhere(clean, tmp_path), name
        (tmp_path / name).unlink()
    (tmp_path / "pyproject.toml").write_text("[tool.prefect]\n")
    assert configured_elsewhere(clean, tmp_path)


@pytest.mark.parametrize(
    "identity",
    [
        '<meta property="og:site_name" content="Quarry Gazette">',  # the site named
        "",  # nothing: the folder the pages were saved in
    ],
)
def test_extract_of_one_sites_saved_pages_removes_its_template(
    tmp_path: Path, identity: str
) -> None:
    """Saved pages carry no URL: the site is what a page names, else its folder."""
    for n, article in enumerate(ARTICLES[:4]):
        html = re.sub(r'<link rel="canonical"[^>]*>', identity, page("quarry.example", article, n))
        write(tmp_path / "saved", f"{n}.html", html)
    pages = sorted(str(p) for p in (tmp_path / "saved").glob("*.html"))
    result = runner.invoke(app, ["extract", "--json", *pages])
    assert result.exit_code == 0, result.output
    docs = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(docs) == 4
    for doc, article in zip(docs, ARTICLES[:4], strict=True):
        assert doc["site"] == ("name:quarry gazette" if identity else f"dir:{tmp_path}/saved")
        assert "Quarry Gazette members" not in doc["text"]
        assert "Got a tip about" not in doc["text"]
        assert article.paragraphs[1] in doc["text"]


def test_extract_explain_shows_the_fallback_a_page_took() -> None:
    short = "".join(f"<p>Short line {i} of the story.</p>" for i in range(5))
    long = "".join(
        f"<p>A long paragraph {i} of the same article, which only looks like a comment section "
        "because of the heading above it, and it goes on for many words.</p>"
        for i in range(4)
    )
    page = f"<html><body><article><h1>A title</h1>{short}<h3>Leave a Reply</h3>{long}</article></body></html>"
    shown = runner.invoke(app, ["extract", "--explain", "-"], input=page, terminal_width=200)
    assert shown.exit_code == 0, shown.output
    assert "[fallback: cleaning_cut]" in shown.output
    doc = json.loads(runner.invoke(app, ["extract", "--json", "-"], input=page).stdout)
    assert doc["fallback"] == "cleaning_cut"
    assert "A long paragraph 3 of the same article" in doc["text"]
