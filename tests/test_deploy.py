"""Deployments the way users run them: a real `prefect server start` on 127.0.0.1 (temporary
PREFECT_HOME, SQLite), `prefect deploy` from deploy/prefect.yaml, a real process worker, runs
triggered through the API with parameters and by a schedule, output in the moto S3 server.
Plus static checks of the Dockerfile and compose file, which cannot run here (no Docker engine).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
import yaml

from tests.conftest import DEMO_SITE, ROOT

PREFECT = str(Path(sys.executable).parent / "prefect")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Stack:
    """A Prefect server and a process worker, both real processes, stopped at the end."""

    def __init__(self, home: Path, aws: dict[str, str]) -> None:
        port = _free_port()
        self.api = f"http://127.0.0.1:{port}/api"
        self.env = {
            **os.environ,
            **aws,
            "PREFECT_HOME": str(home),
            "PREFECT_API_URL": self.api,
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "DO_NOT_TRACK": "1",
            "PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS": "2",
            "PREFECT_WORKER_QUERY_SECONDS": "1",
            "PREFECT_CLI_PROMPT": "false",
        }
        self.port = port
        self.procs: list[subprocess.Popen[bytes]] = []
        self.files: list[Any] = []
        self.logs = home / "logs"
        self.logs.mkdir(parents=True)

    def start(self, name: str, *args: str) -> None:
        log = (self.logs / f"{name}.log").open("wb")
        self.files.append(log)
        self.procs.append(
            subprocess.Popen(
                [PREFECT, *args],
                env=self.env,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )

    def run(
        self, *args: str, check: bool = True, timeout: float = 300
    ) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [PREFECT, *args],
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and done.returncode != 0:
            raise AssertionError(
                f"prefect {' '.join(args)}: {done.stdout[-2000:]}{done.stderr[-2000:]}"
            )
        return done

    def wait_healthy(self, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.api}/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise AssertionError(
            "the Prefect server did not become healthy: "
            + (self.logs / "server.log").read_text()[-2000:]
        )

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """One REST call, retried on 503 as Prefect's own client does: the server answers 503
        for errors it declares retryable, such as SQLite's "database is locked" under load."""
        for _attempt in range(10):
            response = httpx.request(method, f"{self.api}{path}", json=body, timeout=30)
            if response.status_code != 503:
                break
            time.sleep(1)
        response.raise_for_status()
        return response.json() if response.content else None

    def post(self, path: str, body: dict[str, Any]) -> Any:
        return self.call("POST", path, body)

    def get(self, path: str) -> Any:
        return self.call("GET", path)

    def stop(self) -> None:
        for proc in reversed(self.procs):
            # The worker needs two SIGTERMs to stop (STACK-NOTES); then it is killed.
            for _ in range(2):
                if proc.poll() is None:
                    os.killpg(proc.pid, 15)
                    try:
                        proc.wait(timeout=10)
                    except subprocess.TimeoutExpired:
                        continue
            if proc.poll() is None:
                os.killpg(proc.pid, 9)
                proc.wait()
        for log in self.files:
            log.close()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, s3_endpoint: str) -> Iterator[Stack]:
    aws = {
        "AWS_ENDPOINT_URL": s3_endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    s = Stack(tmp_path_factory.mktemp("prefect-home"), aws)
    try:
        s.run("server", "database", "upgrade", "-y")
        s.start("server", "server", "start", "--host", "127.0.0.1", "--port", str(s.port))
        s.wait_healthy()
        s.run("work-pool", "create", "contentpipe", "--type", "process")
        s.run("deploy", "--prefect-file", "deploy/prefect.yaml", "--all")
        s.start("worker", "worker", "start", "--pool", "contentpipe")
        yield s
    finally:
        s.stop()


def _bucket(endpoint: str) -> str:
    name = f"deploy-{int(time.time() * 1000) % 10**9}"
    boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    ).create_bucket(Bucket=name)
    return name


def _manifests(endpoint: str, bucket: str) -> list[dict[str, Any]]:
    s3 = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )
    keys = [
        o["Key"]
        for o in s3.list_objects_v2(Bucket=bucket, Prefix="corpus/runs/").get("Contents", [])
        if "/_pending/" not in o["Key"]
    ]
    return [json.loads(s3.get_object(Bucket=bucket, Key=k)["Body"].read()) for k in sorted(keys)]


def test_triggered_run_with_parameters_completes_into_s3(
    stack: Stack, s3_endpoint: str, seeds: Path
) -> None:
    bucket = _bucket(s3_endpoint)
    params = {
        "sources": [str(seeds), str(DEMO_SITE)],
        "out": f"s3://{bucket}/corpus",
        "options": {"workers": 1},
    }
    done = stack.run(
        "deployment",
        "run",
        "ingest/ingest",
        "--params",
        json.dumps(params),
        "--watch",
        "--watch-timeout",
        "240",
    )
    assert "Completed" in done.stdout, done.stdout[-2000:]
    (manifest,) = _manifests(s3_endpoint, bucket)
    assert manifest["counts"]["records"] == 14
    runs = stack.post("/flow_runs/filter", {"deployments": {"name": {"any_": ["ingest"]}}})
    assert runs and runs[0]["name"].startswith("ingest-2-sources-")
    artifacts = stack.post(
        "/artifacts/filter",
        {
            "artifacts": {"key": {"any_": ["ingest-counts"]}},
            "flow_runs": {"id": {"any_": [runs[0]["id"]]}},
        },
    )
    table = {row["metric"]: row["count"] for row in json.loads(artifacts[0]["data"])}
    assert table["records written"] == 14 and table["duplicates: near"] == 3


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"options": {"dedup": {"threshold": 1.5}}}, "threshold"),
        ({"out": "s3:///nobucket"}, "malformed S3 URI"),
    ],
)
def test_bad_parameters_are_refused_naming_the_field(
    stack: Stack, params: dict[str, Any], field: str, seeds: Path
) -> None:
    body = {"sources": [str(seeds)], "out": "/tmp/never-written", **params}
    done = stack.run(
        "deployment",
        "run",
        "ingest/ingest",
        "--params",
        json.dumps(body),
        "--watch",
        "--watch-timeout",
        "240",
        check=False,
    )
    text = done.stdout + done.stderr
    if "Completed" in text:
        raise AssertionError(f"a bad parameter was accepted: {text[-1500:]}")
    if field not in text:
        # Refused by the running flow rather than the form: its log names the field.
        runs = stack.post(
            "/flow_runs/filter",
            {
                "deployments": {"name": {"any_": ["ingest"]}},
                "sort": "EXPECTED_START_TIME_DESC",
                "limit": 1,
            },
        )
        logs = stack.post("/logs/filter", {"logs": {"flow_run_id": {"any_": [runs[0]["id"]]}}})
        text += " ".join(entry["message"] for entry in logs)
    assert field in text


def test_a_schedule_fires_twice_and_the_second_run_publishes_nothing_new(
    stack: Stack, s3_endpoint: str, tmp_path: Path
) -> None:
    bucket = _bucket(s3_endpoint)
    config = yaml.safe_load((ROOT / "deploy" / "prefect.yaml").read_text())
    (ingest,) = [d for d in config["deployments"] if d["name"] == "ingest"]
    ingest.update(
        name="ingest-every-few-seconds",
        parameters={
            "sources": [str(DEMO_SITE)],
            "out": f"s3://{bucket}/corpus",
            "options": {"workers": 1},
        },
        schedules=[{"interval": 8}],
    )
    config["deployments"] = [ingest]
    path = tmp_path / "prefect.yaml"
    path.write_text(yaml.safe_dump(config))
    stack.run("deploy", "--prefect-file", str(path), "--all")
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and len(_manifests(s3_endpoint, bucket)) < 2:
        time.sleep(2)
    scheduled = stack.get("/deployments/name/ingest/ingest-every-few-seconds")
    for schedule in scheduled["schedules"]:  # stop it firing for the rest of the module
        schedule_path = f"/deployments/{scheduled['id']}/schedules/{schedule['id']}"
        stack.call("PATCH", schedule_path, {"active": False})
    first, second = _manifests(s3_endpoint, bucket)[:2]
    assert first["counts"]["records"] == 9
    assert second["counts"].get("records", 0) == 0 and second["counts"]["duplicates"] == 13


def test_deploy_files_are_valid() -> None:
    prefect_yaml = yaml.safe_load((ROOT / "deploy" / "prefect.yaml").read_text())
    names = {d["name"]: d for d in prefect_yaml["deployments"]}
    assert set(names) == {"crawl-hourly", "ingest"}
    assert names["crawl-hourly"]["schedules"][0]["cron"] == "0 * * * *"
    for d in names.values():
        module, _, func = d["entrypoint"].partition(":")
        assert (ROOT / module).is_file() and f"def {func}(" in (ROOT / module).read_text()
        assert d["work_pool"]["name"] == "contentpipe"
    docker = (ROOT / "deploy" / "Dockerfile").read_text().splitlines()
    instructions = [line.split()[0] for line in docker if line.strip() and not line.startswith("#")]
    assert instructions[0] == "FROM" and "WORKDIR" in instructions and "CMD" in instructions
    assert any("pip install" in line for line in docker)
    compose = yaml.safe_load((ROOT / "deploy" / "compose.yaml").read_text())
    services = compose["services"]
    assert {"postgres", "prefect-server", "minio", "worker"} <= set(services)
    for name, service in services.items():
        assert "image" in service or "build" in service, name
        for dep in service.get("depends_on", {}):
            assert dep in services, (name, dep)
    worker_env = services["worker"]["environment"]
    assert worker_env["PREFECT_API_URL"].startswith("http://prefect-server:4200")
    assert worker_env["AWS_ENDPOINT_URL"] == "http://minio:9000"


CHROMIUM = Path("/usr/bin/chromium")
FINAL_STATES = ("COMPLETED", "FAILED", "CRASHED", "CANCELLED")
BROWSER_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def test_custom_run_from_the_ui_in_a_real_browser(
    stack: Stack, s3_endpoint: str, seeds: Path, tmp_path: Path
) -> None:
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail("CI must install Debian's chromium (make test does: see Makefile)")
        pytest.skip("Debian's chromium is not installed (make test installs it)")
    from playwright.sync_api import sync_playwright

    bucket = _bucket(s3_endpoint)
    ui = stack.api.removesuffix("/api")
    deployment = stack.get("/deployments/name/ingest/ingest")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=BROWSER_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1800})
        page.goto(f"{ui}/deployments/deployment/{deployment['id']}", wait_until="networkidle")
        page.get_by_role("button", name="Run", exact=True).click()
        page.get_by_text("Custom run", exact=True).click()
        page.wait_for_load_state("networkidle")
        page.get_by_text("Files, directories, globs or s3:// prefixes").wait_for()
        page.get_by_role("button", name="Add item").click()
        fields = page.locator("textarea")
        fields.nth(1).wait_for()  # the new item's field renders above `out`'s
        fields.nth(0).fill(str(seeds))  # sources[0]
        fields.nth(1).fill(f"s3://{bucket}/corpus")  # out
        fields.nth(1).press("Tab")  # the form takes a value when its field loses focus
        page.wait_for_load_state("networkidle")
        for _attempt in range(3):
            # Prefect answers 503 for errors it declares retryable (SQLite's "database is
            # locked" under the scheduler's load); its Python client retries those, the UI
            # shows an error toast and the user submits again. So does this test.
            try:
                with page.expect_response(lambda r: r.url.endswith("/create_flow_run")) as created:
                    page.get_by_role("button", name="Submit").click()
            except Exception:
                page.mouse.wheel(0, -20_000)  # the form's errors are shown at the top
                page.screenshot(path=str(tmp_path / "submit-failed.png"), full_page=True)
                raise AssertionError(f"submitting the form sent no request: {tmp_path}") from None
            if created.value.status != 503:
                break
            time.sleep(2)
        assert created.value.status == 201, created.value.text()
        run_id = created.value.json()["id"]
        deadline = time.monotonic() + 240
        state = ""
        while time.monotonic() < deadline and state not in FINAL_STATES:
            state = stack.get(f"/flow_runs/{run_id}")["state_type"]
            time.sleep(1)
        page.goto(f"{ui}/runs/flow-run/{run_id}", wait_until="networkidle")
        if state == "COMPLETED":
            page.get_by_text("Completed").first.wait_for(timeout=30_000)
        page.screenshot(path=str(tmp_path / "completed-run.png"), full_page=True)
        browser.close()
    assert state == "COMPLETED", f"the run ended {state or 'not at all'}: {tmp_path}"
    (manifest,) = _manifests(s3_endpoint, bucket)
    assert manifest["counts"]["records"] == 5 and manifest["sources"] == [str(seeds)]
    assert (tmp_path / "completed-run.png").stat().st_size > 10_000
