"""Trace POSTs through the learning API, durability on: traces/s from 4 client connections,
against a bare fsync-per-request server (bench/fsync_baseline_server.py) in the same run.

All servers run as subprocesses under uvicorn on loopback; each of 4 client processes holds one
keep-alive connection and posts its share of the traces one after another (each waits for its
201, as the builder does). The API answers 201 once the trace is fdatasynced in its journal
(group commit: one fdatasync for every request waiting); the run then waits until every trace
has landed in the landing zone and checks the count there, so nothing is counted that was not
stored.

The machine is shared, so its load drifts during a run: each server gets the same number of
traces in rounds, and the rounds interleave the servers (in a rotating order), so drift hits
all of them alike. The 1-minute load average and the latency of a lone append + fdatasync are
printed before and after: the ratio depends on them (see below).

Bar: the API's traces/s >= 2x the `serial` baseline's (one fsync per request). The `threaded`
baseline is printed beside it: its overlapping fsyncs are merged by ext4's journal, so it is a
kernel-level group commit, not an fsync per trace. With 4 connections that each wait for their
answer, no server can have more than 4 traces per fsync, so:
  * when an fsync is slow next to the CPU a request needs, group commit approaches 4 traces per
    fsync, up to ~4x the serial baseline, and about 1x the threaded one;
  * when an fsync is cheap (an idle disk with a write-back cache: ~0.1 ms here), every server is
    bound by CPU instead, and the API, which validates, redacts and indexes, cannot be 2x a
    server that does none of it.

    .venv/bin/python bench/bench_api_trace_posts.py [--traces 20000] [--rounds 4] [--connections 4] [--quick]
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import signal
import sqlite3
import statistics
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


def load(port: int, path: str, n: int, connections: int, first_id: int = 0) -> tuple[float, int]:
    shares = [(port, path, TOKEN, first_id + n * c // connections, first_id + n * (c + 1) // connections) for c in range(connections)]
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


def fsync_latency_ms(folder: Path, n: int = 100) -> float:
    """Median latency of a lone 600-byte append + fdatasync in `folder` (what one commit costs)."""
    path = folder / "fsync_probe.bin"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    times = []
    try:
        for _ in range(n):
            started = time.perf_counter()
            os.write(fd, b"x" * 600 + b"\n")
            os.fdatasync(fd)
            times.append(time.perf_counter() - started)
    finally:
        os.close(fd)
        path.unlink()
    return 1000 * statistics.median(times)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_baseline(tmp: Path, mode: str) -> tuple[subprocess.Popen, int]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, str(REPO / "bench" / "fsync_baseline_server.py"), "--port", str(port),
                             "--out", str(tmp / f"baseline-{mode}.jsonl"), "--mode", mode])
    wait_http(port)
    return proc, port


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--traces", type=int, default=20_000, help="traces posted to each server")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--quick", action="store_true", help="2,000 traces in 2 rounds")
    args = parser.parse_args()
    n, rounds = (2_000, 2) if args.quick else (args.traces, args.rounds)
    per_round = [n * (r + 1) // rounds - n * r // rounds for r in range(rounds)]

    with tempfile.TemporaryDirectory(prefix="bench_api_", dir=os.environ.get("BENCH_TMP", str(REPO))) as tmp:
        tmp = Path(tmp)
        print(f"{os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.1f}; lone append + fdatasync {fsync_latency_ms(tmp):.2f} ms (median)")
        serial, serial_port = start_baseline(tmp, "serial")
        threaded, threaded_port = start_baseline(tmp, "threaded")
        api = ApiServer(tmp / "home", token=TOKEN).wait_ready()
        api_path = "/api/learning/traces/decision"
        servers = {  # name -> (port, path, pid)
            "serial": (serial_port, "/", serial.pid),
            "threaded": (threaded_port, "/", threaded.pid),
            "api": (api.port, api_path, api.proc.pid),
        }
        elapsed = dict.fromkeys(servers, 0.0)
        cpu = dict.fromkeys(servers, 0.0)
        created = 0
        try:
            for port, path, _ in servers.values():  # warm-up (the API's warm-up traces have their own ids)
                load(port, path, 200, args.connections, first_id=10_000_000)
            posted = 0
            for r, count in enumerate(per_round):
                names = list(servers)[r % 3:] + list(servers)[: r % 3]
                rates = []
                for name in names:
                    port, path, pid = servers[name]
                    before = cpu_seconds(pid)
                    seconds, ok = load(port, path, count, args.connections, first_id=posted)
                    cpu[name] += cpu_seconds(pid) - before
                    elapsed[name] += seconds
                    rates.append(f"{name} {count / seconds:,.0f}/s")
                    if name == "api":
                        created += ok
                print(f"round {r + 1} ({count:,} traces each): {', '.join(rates)}; load average {os.getloadavg()[0]:.1f}", flush=True)
                posted += count
            drain_started = time.perf_counter()
            expected = n + 200
            while landed_records(tmp / "home" / "landing") < expected and time.perf_counter() - drain_started < 600:
                time.sleep(0.2)
            drain_s = time.perf_counter() - drain_started
            landed = landed_records(tmp / "home" / "landing")
        finally:
            api.stop()
            for proc in (serial, threaded):
                os.kill(proc.pid, signal.SIGTERM)
                proc.wait()
        rate = {name: n / elapsed[name] for name in servers}
        for name, label in (("serial", "baseline, one fsync per request (serial)"),
                            ("threaded", "baseline, fsync per request in a thread pool (the kernel merges them)"),
                            ("api", "learning API (validate, redact, group-commit journal)")):
            print(f"{label}: {n:,} traces in {elapsed[name]:.1f} s = {rate[name]:,.0f} traces/s; "
                  f"server CPU {1e6 * cpu[name] / n:,.0f} us/trace")
        print(f"API: {created:,} answered 201; all in the landing zone {drain_s:.1f} s after the last 201 "
              f"({landed - 200:,} records there besides the warm-up)")
        if landed != expected or created != n:
            print(f"FAIL: {n:,} posted, {created:,} answered 201, {landed - 200:,} landed")
        ratio = rate["api"] / rate["serial"]
        print(f"ratio to the serial baseline: {ratio:.2f}x (bar 2x: ratio to bar {ratio / 2:.2f}, at least 1 passes); "
              f"to the threaded baseline: {rate['api'] / rate['threaded']:.2f}x")
        print(f"after: load average {os.getloadavg()[0]:.1f}; lone append + fdatasync {fsync_latency_ms(tmp):.2f} ms (median)")


if __name__ == "__main__":
    main()
