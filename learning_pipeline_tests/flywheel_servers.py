"""`make ui`'s launcher (learning_pipeline/ui.py) or a bare Dagster webserver, started by a test on
free loopback ports in their own process group, over a fresh DAGSTER_HOME holding the repository's
dagster.yaml; stopped by that group's id."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from learning_pipeline_tests.api.servers import free_port

REPO = Path(__file__).resolve().parents[1]


def environment(home: Path, dagster_home: Path, **extra: str) -> dict[str, str]:
    dagster_home.mkdir(parents=True, exist_ok=True)
    (dagster_home / "dagster.yaml").write_text((REPO / "dagster.yaml").read_text())
    env = {**os.environ, "LEARNING_HOME": str(home), "DAGSTER_HOME": str(dagster_home), "PYTHONPATH": str(REPO),
           "HF_HUB_OFFLINE": "1", **extra}
    env.pop("LEARNING_API_TOKEN", None)
    env.pop("LEARNING_DAGSTER_URL", None)
    return env


class Servers:
    """The processes of one command, in a process group of their own."""

    def __init__(self, command: list[str], env: dict[str, str], log: Path):
        self.log_path = log
        self._log = log.open("wb")
        self.proc = subprocess.Popen(command, cwd=REPO, env=env, stdout=self._log, stderr=subprocess.STDOUT,
                                     start_new_session=True)

    @classmethod
    def make_ui(cls, env: dict[str, str], log: Path) -> "Servers":
        servers = cls.__new__(cls)
        servers.dagster_port, servers.api_port = free_port(), free_port()
        cls.__init__(servers, [sys.executable, "-m", "learning_pipeline.ui", "--dagster-port", str(servers.dagster_port),
                               "--api-port", str(servers.api_port)], env, log)
        return servers

    @classmethod
    def webserver(cls, env: dict[str, str], log: Path) -> "Servers":
        servers = cls.__new__(cls)
        servers.dagster_port, servers.api_port = free_port(), None
        cls.__init__(servers, [sys.executable, "-m", "dagster_webserver", "-w", str(REPO / "workspace.yaml"),
                               "-h", "127.0.0.1", "-p", str(servers.dagster_port)], env, log)
        return servers

    @property
    def dagster_url(self) -> str:
        return f"http://127.0.0.1:{self.dagster_port}"

    def log_tail(self, chars: int = 4000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:]

    def wait_ready(self, url: str, timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"exited {self.proc.returncode}:\n{self.log_tail()}")
            try:
                if httpx.get(url, timeout=5).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(1)
        raise TimeoutError(f"{url} did not answer in {timeout:.0f}s:\n{self.log_tail()}")

    def stop(self, grace_s: float = 60) -> int | None:
        """SIGTERM to the group (the launcher stops its servers' groups), then SIGKILL what is left."""
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            self.proc.wait(grace_s)
        except subprocess.TimeoutExpired:
            pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()
        self._log.close()
        return self.proc.returncode
