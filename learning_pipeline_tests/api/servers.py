"""The API in a subprocess on a free loopback port (stopped by PID), and a tiny fake Dagster
GraphQL webserver that records each mutation and answers like the real one."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ApiServer:
    def __init__(self, home: Path, token: str | None = "test-token", extra_env: dict | None = None, host: str = "127.0.0.1"):
        self.port = free_port()
        self.token = token
        self.url = f"http://{host}:{self.port}/api/learning"
        env = {**os.environ, "LEARNING_HOME": str(home), "PYTHONPATH": str(REPO), **(extra_env or {})}
        env.pop("LEARNING_API_TOKEN", None)
        if token:
            env["LEARNING_API_TOKEN"] = token
        self.proc = subprocess.Popen([sys.executable, "-m", "learning_pipeline.cli", "serve", "--host", host, "--port", str(self.port)],
                                     env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=REPO)

    def wait_ready(self, timeout: float = 180) -> "ApiServer":
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the API exited {self.proc.returncode}: {self.proc.stdout.read().decode()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/health", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.3)
        raise TimeoutError("the API did not start")

    @property
    def headers(self) -> dict:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers=self.headers, timeout=60)

    def stop(self, sig=signal.SIGTERM) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, sig)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


class FakeDagster:
    """Answers `launchRun` / `launchPartitionBackfill` like the webserver, recording each call."""

    def __init__(self):
        self.calls: list[dict] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.calls.append(body)
                n = len(outer.calls)
                if "launchRun" in body["query"]:
                    data = {"launchRun": {"__typename": "LaunchRunSuccess", "run": {"runId": f"run-{n}"}}}
                else:
                    data = {"launchPartitionBackfill": {"__typename": "LaunchBackfillSuccess", "backfillId": f"backfill-{n}"}}
                payload = json.dumps({"data": data}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/graphql"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
