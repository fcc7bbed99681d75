#!/usr/bin/env bash
# `make serve`: a local Prefect server with its UI, the process work pool, the deployments of
# deploy/prefect.yaml and a worker, writing to ./data. Ctrl-C stops all of it.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
PORT=${PREFECT_PORT:-4200}
export PREFECT_API_URL="http://127.0.0.1:${PORT}/api"
export PREFECT_SERVER_ANALYTICS_ENABLED=false DO_NOT_TRACK=1 PREFECT_CLI_PROMPT=false
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; sleep 1;
            for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done; }
trap cleanup EXIT INT TERM
"$BIN/prefect" server database upgrade -y >/dev/null
"$BIN/prefect" server start --host 127.0.0.1 --port "$PORT" & pids+=($!)
until curl -sf "$PREFECT_API_URL/health" >/dev/null 2>&1 || \
      "$BIN/python" -c "import httpx,sys; sys.exit(httpx.get('$PREFECT_API_URL/health').status_code!=200)" 2>/dev/null; do
  sleep 1
done
"$BIN/prefect" work-pool create contentpipe --type process 2>/dev/null || true
"$BIN/prefect" deploy --prefect-file deploy/prefect.yaml --all
# The hourly crawl's example sources are placeholders: its schedule starts paused here. Edit
# deploy/sources.yaml, then resume it in the UI or with `prefect deployment schedule resume`.
"$BIN/python" - <<'PY'
from prefect.client.orchestration import get_client

with get_client(sync_client=True) as client:
    deployment = client.read_deployment_by_name("crawl/crawl-hourly")
    for schedule in deployment.schedules:
        client.update_deployment_schedule(deployment.id, schedule.id, active=False)
PY
"$BIN/prefect" worker start --pool contentpipe & pids+=($!)
echo
echo "Prefect UI: http://127.0.0.1:${PORT}  →  Deployments → ingest → Run → Custom run"
echo "Output: ./data (or any s3://bucket/prefix given as 'out' in the form). Ctrl-C stops."
wait
