"""Prefect flows: orchestration only; the work lives in `pipelines`.

Importing this package switches Prefect's telemetry off (nothing may leave the machine unasked)
and gives the ephemeral API server time for its first database migration.
"""

import os

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
# A fresh PREFECT_HOME migrates its database for 15-21 s, longer than the default 20 s wait.
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
