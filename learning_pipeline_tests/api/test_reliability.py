"""The API under abuse: killed mid-load, and fuzzed from its own OpenAPI schema."""

from __future__ import annotations

import json
import signal
import sqlite3
import threading
import time

import httpx
import pytest

from learning_pipeline.api.journal import recover
from learning_pipeline.capture.landing import LandingZone
from learning_pipeline_tests.api.servers import ApiServer, FakeDagster
from learning_pipeline_tests.api.test_api import decision

pytestmark = pytest.mark.heavy


def test_kill_9_mid_load_loses_no_acknowledged_trace(tmp_path):
    """4 connections post until the server is SIGKILLed; every trace answered 201 is in the
    landing zone after recovery (the next server's start), and no landing line is partial."""
    server = ApiServer(tmp_path).wait_ready()
    acknowledged: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()

    def client(c: int) -> None:
        with httpx.Client(base_url=server.url, headers=server.headers, timeout=30) as http:
            for i in range(100_000):
                if stop.is_set():
                    return
                trace_id = f"kill-{c}-{i}"
                try:
                    r = http.post("/traces/decision", json=decision(trace_id))
                except httpx.HTTPError:
                    return  # the server died under this request: it was never acknowledged
                if r.status_code == 201:
                    with lock:
                        acknowledged.append(trace_id)

    threads = [threading.Thread(target=client, args=(c,)) for c in range(4)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 120
    while len(acknowledged) < 150 and time.monotonic() < deadline:
        time.sleep(0.05)
    server.stop(signal.SIGKILL)
    stop.set()
    for t in threads:
        t.join()
    assert len(acknowledged) >= 150

    landing = LandingZone(tmp_path / "landing")
    recover(landing)  # what the next `serve` does first
    con = sqlite3.connect(tmp_path / "landing" / "_index.sqlite")
    landed = {row[0] for row in con.execute("SELECT record_id FROM records WHERE kind = 'decision'")}
    con.close()
    missing = set(acknowledged) - landed
    assert not missing, f"{len(missing)} acknowledged traces lost, e.g. {sorted(missing)[:3]}"
    for day in landing.partitions():
        for path in landing.files(day):
            data = path.read_bytes()
            assert data.endswith(b"\n")
            for line in data.splitlines():
                json.loads(line)  # every landed line whole
    assert not list((tmp_path / "landing" / "_journal").glob("journal-*.jsonl"))


def test_fuzz_from_the_openapi_schema_finds_no_5xx(tmp_path):
    schemathesis = pytest.importorskip("schemathesis")
    from hypothesis import HealthCheck, given, settings

    dagster = FakeDagster()
    server = ApiServer(tmp_path, extra_env={"LEARNING_DAGSTER_URL": dagster.url}).wait_ready()
    try:
        base = f"http://127.0.0.1:{server.port}"
        raw = httpx.get(f"{base}/openapi.json", headers=server.headers).json()
        schema = schemathesis.openapi.from_dict(raw)
        failures, operations = [], 0
        for result in schema.get_all_operations():
            operation = result.ok()
            operations += 1

            @settings(max_examples=6, deadline=None, database=None, suppress_health_check=list(HealthCheck))
            @given(case=operation.as_strategy())
            def check(case):
                response = case.call(base_url=base, headers=server.headers, timeout=60)
                if response.status_code >= 500:
                    failures.append(f"{case.method} {case.formatted_path}: {response.status_code} {response.text[:200]}")
                elif response.status_code >= 400 and not case.formatted_path.startswith("/dashboard"):  # pages answer HTML
                    try:
                        error = response.json()["error"]
                        assert isinstance(error["message"], str) and "field" in error
                    except (ValueError, KeyError, TypeError, AssertionError):
                        failures.append(f"{case.method} {case.formatted_path}: {response.status_code} is not an error body: {response.text[:200]}")

            check()
        assert operations >= 25
        assert not failures, "\n".join(failures[:10])
    finally:
        server.stop()
        dagster.close()
