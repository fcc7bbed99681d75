"""A temporary local Prefect API for one command, started before Prefect is imported.

With no API configured, Prefect 3 starts a temporary server on first use (its
`SubprocessASGIServer`), one step after the other: it imports the server's modules in the
calling process (~3 s here), starts a subprocess that imports them again and opens its database
(~7 s), and only then runs the flow. `start_temporary_api` starts the same server the same way —
uvicorn on Prefect's app factory, UI off, Prefect's ephemeral-mode flags — as the command begins,
so that its start overlaps the command's own imports, and points `PREFECT_API_URL` at it before
Prefect is imported, so that every part of Prefect (flow engine, log and event workers) uses it.
One-page `contentpipe ingest`: ~17 to 19 s → ~11 s (bench/README.md).

It stands aside whenever Prefect could be configured otherwise: `PREFECT_API_URL` in the
environment, a profiles file, `prefect.toml`, `.env` or `pyproject.toml` that mention Prefect's
API or settings, ephemeral mode switched off, or Prefect already imported. Prefect then behaves
exactly as it does on its own.
"""

from __future__ import annotations

import atexit
import os
import socket
import subprocess
import sys
import time
import tomllib
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path

__all__ = ["TemporaryAPI", "configured_elsewhere", "start_temporary_api"]

# Prefect's own flags for the server it starts (prefect.server.api.server.SubprocessASGIServer).
_SERVER_ENV = {
    "PREFECT_UI_ENABLED": "0",
    "PREFECT__SERVER_EPHEMERAL": "1",
    "PREFECT__SERVER_FINAL": "1",
}
_PORT_IN_USE = 3  # uvicorn's exit code when it cannot bind


def _mentions(path: Path, *needles: str) -> bool:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return any(needle in text for needle in needles)


def _profile_sets_api(profiles: Path) -> bool:
    """Whether the active profile of a Prefect profiles file sets the API URL or switches
    ephemeral mode off (an unreadable file: assume it might)."""
    if not profiles.exists():
        return False
    try:
        data = tomllib.loads(profiles.read_text(encoding="utf-8"))
        settings = data.get("profiles", {}).get(data.get("active", "ephemeral"), {})
    except (OSError, ValueError, AttributeError):
        return True
    off = any(_switches_ephemeral_off(key, str(value)) for key, value in settings.items())
    return "PREFECT_API_URL" in settings or off


def _switches_ephemeral_off(key: str, value: str) -> bool:
    # PREFECT_SERVER_ALLOW_EPHEMERAL_MODE, and its older name PREFECT_SERVER_EPHEMERAL_ENABLED
    named = "ALLOW_EPHEMERAL" in key or "EPHEMERAL_ENABLED" in key
    return named and value.strip().lower() in ("0", "false", "no", "off")


def configured_elsewhere(environ: Mapping[str, str] | None = None, cwd: Path | None = None) -> bool:
    """Whether Prefect may find an API or ephemeral-mode setting of the user's: read without
    importing Prefect, so erring on the side of yes (then Prefect decides, as always)."""
    env = os.environ if environ is None else environ
    here = Path.cwd() if cwd is None else cwd
    if "PREFECT_API_URL" in env or "PREFECT_PROFILE" in env:
        return True
    if any(_switches_ephemeral_off(key, value) for key, value in env.items()):
        return True
    home = Path(env.get("PREFECT_HOME", "~/.prefect")).expanduser()
    profiles = Path(env.get("PREFECT_PROFILES_PATH", str(home / "profiles.toml"))).expanduser()
    return (
        _profile_sets_api(profiles)
        or (here / "prefect.toml").exists()
        or _mentions(here / ".env", "PREFECT_")
        or _mentions(here / "pyproject.toml", "tool.prefect")
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class TemporaryAPI:
    """Prefect's API server in a subprocess on 127.0.0.1, stopped when the process exits."""

    def __init__(self) -> None:
        self.announced = False  # told the user about it (a `demo` runs two flows on it)
        self.port = _free_port()
        # The environment as the command found it (a relaunch must not see PREFECT_API_URL).
        self._env = {**os.environ, **_SERVER_ENV}
        self.process = self._launch()
        # Registered before Prefect is imported, so it runs after Prefect's own exit handlers
        # (last in, first out): its log and event workers flush to a server still running.
        atexit.register(self.stop)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    def _launch(self) -> subprocess.Popen[bytes]:
        args = ["--factory", "prefect.server.api.server:create_app", "--host", "127.0.0.1"]
        args += ["--port", str(self.port), "--log-level", "error", "--lifespan", "on"]
        return subprocess.Popen([sys.executable, "-m", "uvicorn", *args], env=self._env)

    def wait(self, timeout: float | None = None) -> None:
        """Block until the server answers its health check; RuntimeError if it cannot start."""
        limit = timeout or float(
            os.environ.get("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", 120)
        )
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            code = self.process.poll()
            if code == _PORT_IN_USE:  # someone took the port in between: another one
                self.port = _free_port()
                self.process = self._launch()
            elif code is not None:
                raise RuntimeError(f"the temporary Prefect API server exited with code {code}")
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.1)
        raise RuntimeError(f"the temporary Prefect API server did not start within {limit:g} s")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


_started: TemporaryAPI | None = None


def start_temporary_api() -> TemporaryAPI | None:
    """Start the temporary API server now and point `PREFECT_API_URL` at it, unless Prefect is
    imported already or may be configured otherwise (then None: Prefect does as it would)."""
    global _started
    if _started is not None:
        return _started
    if "prefect" in sys.modules or configured_elsewhere():
        return None
    _started = TemporaryAPI()
    os.environ["PREFECT_API_URL"] = _started.url
    # Its UI is off, and it is gone when the command ends: no "View at" links to it.
    os.environ.setdefault("PREFECT_UI_URL", "")
    return _started
