"""Trace POSTs through the learning API, durability on: traces/s from 4 client connections,
against a bare fsync-per-request server (bench/fsync_baseline_server.py) in the same run.

Both servers run as subprocesses under uvicorn on loopback; each of 4 client processes holds one
keep-alive connection and posts its share of the traces one after another (each waits for its
201, as the builder does). The API answers 201 once the trace is fsynced in its journal (group
commit: one fsync for every request waiting); the run then waits until every trace has landed
in the landing zone and checks the count there, so nothing is counted that was not stored.

Bar: the API's traces/s >= 2x the baseline's.

    .venv/bin/python bench/bench_api_trace_posts.py [--traces 20000] [--connections 4] [--quick]
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from learning_pipeline_tests.api.servers import ApiServer, free_port  # noqa: E402

TOKEN = "bench-token"


def trace(i: int) -> bytes:
    return json.dumps({
        "traceId": f"bench-{i:07d}", "userId": f"user-{i % 97}", "buildId": f"build-{i // 20}", "phase": "build",
        "decisionType": "component_structure",
        "context": {"previousAttempts": i % 3, "intentSnippet": f"a dashboard for team {i % 50} with charts and filters",
                    "relatedFiles": ["src/App.tsx", f"src/components/Panel{i % 13}.tsx"]},
        "decision": {"chosenOption": "split the panel into a container and three presentational components",
                     "rejectedOptions": ["one large component", "a render-prop tree"],
                     "reasoning": "keeps state in one place and lets each chart re-render alone " * 3, "confidence": 0.74},
        "createdAt": "2026-11-30T12:00:00.000Z",
    }).encode()


def _client(args) -> tuple[int, int]:
    port, path, token, start, stop = args
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    created = 0
    for i in range(start, stop):
        conn.request("POST", path, body=trace(i), headers=headers)
        response = conn.getresponse()
        response.read()
        if response.status == 201:
            created += 1
        elif response.status != 200:
            raise RuntimeError(f"trace {i}: HTTP {response.status}")
    conn.close()
    return created, stop - start


def load(port: int, path: str, n: int, connections: int) -> tuple[float, int]:
    shares = [(port, path, TOKEN, n * c // connections, n * (c + 1) // connections) for c in range(connections)]
    with multiprocessing.get_context("spawn").Pool(connections) as pool:
        started = time.perf_counter()
        results = pool.map(_client, shares)
        elapsed = time.perf_counter() - started
    return elapsed, sum(r[0] for r in results)


def wait_http(port: int, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/")
            conn.getresponse().read()
            return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError("baseline server did not start")


def landed_records(landing: Path) -> int:
    index = landing / "_index.sqlite"
    if not index.exists():
        return 0
    con = sqlite3.connect(index, timeout=60)
    try:
        return con.execute("SELECT count(DISTINCT record_id) FROM records WHERE kind = 'decision'").fetchone()[0]
    finally:
        con.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--traces", type=int, default=20_000)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--quick", action="store_true", help="2,000 traces")
    args = parser.parse_args()
    n = 2_000 if args.quick else args.traces

    with tempfile.TemporaryDirectory(prefix="bench_api_", dir=os.environ.get("BENCH_TMP", str(REPO))) as tmp:
        tmp = Path(tmp)
        port = free_port()
        baseline = subprocess.Popen([sys.executable, str(REPO / "bench" / "fsync_baseline_server.py"), "--port", str(port),
                                     "--out", str(tmp / "baseline.jsonl")])
        try:
            wait_http(port)
            load(port, "/", min(200, n), args.connections)  # warm-up
            base_s, _ = load(port, "/", n, args.connections)
        finally:
            os.kill(baseline.pid, signal.SIGTERM)
            baseline.wait()
        base_rate = n / base_s
        print(f"baseline (append + fsync per request): {n:,} traces in {base_s:.1f} s = {base_rate:,.0f} traces/s")

        api = ApiServer(tmp / "home", token=TOKEN).wait_ready()
        try:
            api_s, created = load(api.port, "/api/learning/traces/decision", n, args.connections)
            drain_started = time.perf_counter()
            while landed_records(tmp / "home" / "landing") < created and time.perf_counter() - drain_started < 600:
                time.sleep(0.2)
            drain_s = time.perf_counter() - drain_started
            landed = landed_records(tmp / "home" / "landing")
        finally:
            api.stop()
        rate = n / api_s
        print(f"learning API (validate, redact, group-commit journal): {n:,} traces in {api_s:.1f} s = {rate:,.0f} traces/s; "
              f"{created:,} answered 201; all in the landing zone {drain_s:.1f} s after the last 201 ({landed:,} records there)")
        if landed != n or created != n:
            print(f"FAIL: {n:,} posted, {created:,} answered 201, {landed:,} landed")
        ratio = rate / base_rate
        print(f"ratio to baseline: {ratio:.2f}x (bar 2x: ratio to bar {ratio / 2:.2f}, at least 1 passes)")


if __name__ == "__main__":
    main()
