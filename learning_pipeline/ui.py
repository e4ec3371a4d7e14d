"""`make ui`: the Dagster webserver and daemon (`dagster dev`) and the learning API, side by side
over one LEARNING_HOME and the repository's instance config; Ctrl-C (or SIGTERM) stops both.

Each server runs in its own process group, so stopping one reaches everything it started (the
webserver, the daemon, the code server, runs in flight) and nothing else. The API is told where
the webserver is (LEARNING_DAGSTER_URL), so its triggers launch runs there.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from learning_pipeline.config import LearningSettings
from learning_pipeline.runner import ensure_dagster_home

ROOT = Path(__file__).resolve().parents[1]
STOP_GRACE_S = 20.0


def commands(host: str, dagster_port: int, api_port: int, workspace: Path) -> dict[str, list[str]]:
    return {
        "dagster": [sys.executable, "-m", "dagster", "dev", "-w", str(workspace), "-h", host, "-p", str(dagster_port)],
        "api": [sys.executable, "-m", "learning_pipeline.cli", "serve", "--host", host, "--port", str(api_port)],
    }


def stop(processes: dict[str, subprocess.Popen], grace_s: float = STOP_GRACE_S) -> None:
    """SIGTERM to each server's process group, then SIGKILL to what is left after the grace."""
    for proc in processes.values():
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
    deadline = time.monotonic() + grace_s
    for proc in processes.values():
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            pass
        try:  # the group's stragglers too (a run worker, the code server), even when the leader exited
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m learning_pipeline.ui", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--dagster-port", type=int, default=3000)
    parser.add_argument("--api-port", type=int, default=8000)
    parser.add_argument("--workspace", default=str(ROOT / "workspace.yaml"))
    args = parser.parse_args(argv)

    settings = LearningSettings.from_env()
    home = ensure_dagster_home(settings)  # the repository's run-queue limits, as the CLI does it
    env = {**os.environ, "DAGSTER_HOME": str(home), "LEARNING_HOME": str(settings.home)}
    env.setdefault("LEARNING_DAGSTER_URL", f"http://{args.host}:{args.dagster_port}/graphql")

    stopping = False

    def on_signal(signum, frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    processes: dict[str, subprocess.Popen] = {}
    try:
        for name, command in commands(args.host, args.dagster_port, args.api_port, Path(args.workspace)).items():
            processes[name] = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
        print(f"Dagster UI    http://{args.host}:{args.dagster_port}\n"
              f"learning API  http://{args.host}:{args.api_port}/docs\n"
              f"dashboard     http://{args.host}:{args.api_port}/dashboard\n"
              f"LEARNING_HOME {settings.home}, DAGSTER_HOME {home}; Ctrl-C stops both", flush=True)
        while not stopping:
            ended = {name: proc.returncode for name, proc in processes.items() if proc.poll() is not None}
            if ended:
                print(f"stopping: {', '.join(f'{n} exited with {c}' for n, c in ended.items())}", file=sys.stderr, flush=True)
                return 1
            time.sleep(0.5)
        return 0
    finally:
        stop(processes)


if __name__ == "__main__":
    sys.exit(main())
