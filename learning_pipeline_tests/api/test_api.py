"""The learning API over HTTP: one server subprocess for the module (startup is the slow part)."""

from __future__ import annotations

import json
import subprocess
import sys

import httpx
import polars as pl
import pytest

from learning_pipeline.api.server import check_bind
from learning_pipeline.capture.landing import LandingZone
from learning_pipeline.config import ConfigError
from learning_pipeline_tests.api.servers import REPO, ApiServer, FakeDagster, free_port


def decision(trace_id: str, **extra) -> dict:
    return {"traceId": trace_id, "userId": "u1", "buildId": "b1", "phase": "build", "decisionType": "api_design",
            "context": {"previousAttempts": 0},
            "decision": {"chosenOption": "REST", "rejectedOptions": ["RPC"], "reasoning": "simple", "confidence": 0.7},
            "createdAt": "2026-11-30T10:00:00Z", **extra}


@pytest.fixture(scope="module")
def dagster():
    fake = FakeDagster()
    yield fake
    fake.close()


@pytest.fixture(scope="module")
def api(tmp_path_factory, dagster):
    home = tmp_path_factory.mktemp("home")
    server = ApiServer(home, extra_env={"LEARNING_DAGSTER_URL": dagster.url}).wait_ready()
    server.home = home
    yield server
    server.stop()


def test_auth_on_every_route_but_health(api):
    assert httpx.get(f"{api.url}/health").status_code == 200
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "test-token"}):
        r = httpx.get(f"{api.url}/models", headers=headers)
        assert r.status_code == 401 and "bearer" in r.json()["error"]["message"]
    assert httpx.post(f"{api.url}/traces/decision", json=decision("x")).status_code == 401


def test_trace_stored_once_durably_and_redacted(api):
    with api.client() as c:
        secret = "ghp_" + "a1b2c3d4e5" * 4
        first = c.post("/traces/decision", json=decision("t-1", extra={"note": secret}))
        again = c.post("/traces/decision", json=decision("t-1"))
    assert first.status_code == 201 and first.json() == {"id": "t-1", "stored": True}
    assert again.status_code == 200 and again.json() == {"id": "t-1", "stored": False, "duplicate": True}
    journal = list((api.home / "landing" / "_journal").glob("journal-*.jsonl"))
    on_disk = b"".join(p.read_bytes() for p in journal)
    # durable on the 201: in this server's journal (or landed already), and never the secret
    landing = LandingZone(api.home / "landing")
    assert b'"t-1"' in on_disk or landing.has_record("decision", "t-1")
    assert secret.encode() not in on_disk


def test_invalid_trace_names_the_field(api):
    bad = decision("t-2")
    bad["context"]["previousAttempts"] = "two"
    with api.client() as c:
        r = c.post("/traces/decision", json=bad)
        assert r.status_code == 422 and r.json()["error"]["field"] == "context.previousAttempts"
        r = c.post("/traces/decision", json={**decision("t-3"), "phase": "dreaming"})
        assert r.status_code == 422 and r.json()["error"]["field"] == "phase"
        r = c.post("/traces/decision", content=b"{not json")
        assert r.status_code == 400 and "not JSON" in r.json()["error"]["message"]
        r = c.get("/patterns/search", params={"q": "x", "k": 0})
        assert r.status_code == 422 and r.json()["error"]["field"] == "k"


def test_request_size_limit(api):
    with api.client() as c:
        r = c.post("/traces/decision", content=b"x" * (9 * 1024 * 1024))
    assert r.status_code == 413 and "limit" in r.json()["error"]["message"]


def test_outcome_and_feedback(api):
    with api.client() as c:
        r = c.post("/traces/decision/t-9/outcome", json={"immediateResult": "success", "requiredFixes": 0, "finalInProduction": True})
        assert r.status_code == 201 and r.json()["id"] == "t-9"
        usage = {"patternId": "p1", "buildId": "b1", "success": True}
        assert c.post("/feedback/pattern-usage", json=usage).status_code == 201
        assert c.post("/feedback/pattern-usage", json=usage).json()["duplicate"] is True
        r = c.post("/feedback/strategy-outcome", json={"success": True})
        assert r.status_code == 422 and "strategyId" in r.json()["error"]["message"]


def test_triggers_launch_through_graphql(api, dagster):
    with api.client() as c:
        r = c.post("/models/builder-coder/train")
        assert r.status_code == 202 and r.json()["runId"].startswith("run-")
        call = dagster.calls[-1]
        params = call["variables"]["executionParams"]
        assert "launchRun" in call["query"] and params["selector"]["jobName"] == "training_job"
        assert {"key": "dagster/partition", "value": "builder-coder"} in params["executionMetadata"]["tags"]
        r = c.post("/judgments/run", json={"partitions": ["2026-11-30"]})
        assert r.status_code == 202 and r.json()["runId"].startswith("backfill-")
        assert dagster.calls[-1]["variables"]["backfillParams"]["partitionNames"] == ["2026-11-30"]
        r = c.post("/patterns/extract")
        assert r.status_code == 202
        assert dagster.calls[-1]["variables"]["executionParams"]["selector"]["assetSelection"] == [{"path": ["pattern_library"]}]
        assert c.post("/models/nobody/train").status_code == 404
        r = c.post("/models/builder-coder/rollback")
        assert r.status_code == 409 and "roll back" in r.json()["error"]["message"]


def test_reads_answer_from_the_lake(api):
    with api.client() as c:
        status = c.get("/models/builder-architect/status").json()
        assert status["name"] == "builder-architect" and status["champion"] is None and status["training"]["state"] == "idle"
        assert c.get("/patterns/search", params={"q": "TypeError cannot read"}).json() == {"results": []}
        assert c.get("/preference-pairs").json()["total"] == 0
        assert c.get("/judgments/b1").json() == {"buildId": "b1", "judgments": []}
        assert c.get("/insights").status_code == 200
        r = c.post("/strategies/architecture/recommend", json={"context": {"appSoul": "utility_clarity"}})
        assert r.status_code == 404 and r.json()["error"]["field"] == "domain"
    paths = httpx.get(f"http://127.0.0.1:{api.port}/openapi.json", headers=api.headers).json()["paths"]
    for route in ("/traces/decision", "/traces/decision/{traceId}/outcome", "/feedback/build", "/guidance", "/predict/success",
                  "/models/{name}/rollback", "/patterns/search", "/strategies/{domain}/recommend", "/insights/recommendations"):
        assert f"/api/learning{route}" in paths


def test_strategy_answers_reload_when_the_asset_changes(api):
    """Posteriors written after the server started are served without a restart."""
    from learning_pipeline.lake import Lake
    from learning_pipeline.meta.service import OBSERVATIONS_TABLE
    from learning_pipeline.meta.strategies import OBSERVATION_SCHEMA

    import datetime as dt

    with api.client() as c:
        def means(answer: dict) -> dict:
            return {answer["strategy"]: answer["posteriorMean"], **{a["strategy"]: a["posteriorMean"] for a in answer["alternatives"]}}

        before = means(c.post("/strategies/code_generation/recommend", json={}).json())
        assert before.get("page-first", 0.5) > 0.3  # nothing observed yet: the prior
        at = dt.datetime(2026, 11, 30, tzinfo=dt.timezone.utc)
        rows = [{"domain": "code_generation", "strategy": s, "description": s, "source": "strategy_outcome",
                 "record_id": f"r{i}", "build_id": f"b{i}", "tag": None, "app_soul": None, "error_type": None, "phase": None,
                 "decision_type": None, "reward": float(i % 3 != 0) if s == "component-first" else 0.0, "propensity": None, "at": at}
                for s in ("component-first", "page-first") for i in range(30)]
        Lake(api.home / "lake").write(OBSERVATIONS_TABLE, pl.DataFrame(rows, schema=OBSERVATION_SCHEMA))
        r = c.post("/strategies/code_generation/recommend", json={"context": {"phase": "build"}})
        assert r.status_code == 200, r.text
        answer = r.json()
        assert answer["domain"] == "code_generation"  # the pick is a Thompson draw: any catalogued strategy
        assert {"posteriorMean", "credibleInterval", "exploratory", "propensity", "alternatives"} <= set(answer)
        after = means(answer)
        assert after["page-first"] < 0.1 and after["component-first"] > 0.5  # the 60 observations, no restart


def test_no_token_refuses_non_loopback():
    check_bind("127.0.0.1", None)
    check_bind("::1", None)
    check_bind("0.0.0.0", "secret")
    with pytest.raises(ConfigError, match="LEARNING_API_TOKEN"):
        check_bind("0.0.0.0", None)
    out = subprocess.run([sys.executable, "-m", "learning_pipeline.cli", "serve", "--host", "0.0.0.0", "--port", str(free_port())],
                         env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO)}, capture_output=True, text=True, cwd=REPO, timeout=300)
    assert out.returncode != 0 and "LEARNING_API_TOKEN" in out.stderr


def _validator(openapi: dict, method: str, path: str, status: int):
    import jsonschema_rs  # schemathesis's validator

    responses = openapi["paths"][f"/api/learning{path}"][method]["responses"]
    schema = responses[str(status)]["content"]["application/json"]["schema"]
    return jsonschema_rs.Draft202012Validator({**schema, "components": openapi["components"]})


def test_answers_have_the_shapes_the_schema_documents(api):
    """Real answers against the OpenAPI schema's documented shapes (WIRE_FORMAT.md), errors included."""
    openapi = httpx.get(f"http://127.0.0.1:{api.port}/openapi.json", headers=api.headers).json()
    guidance = {"buildId": "b-shape", "appSoul": "utility_clarity", "phase": "build", "error": None, "traces": []}
    calls = [
        ("post", "/traces/decision", decision("shape-1"), 201),
        ("post", "/traces/decision", decision("shape-1"), 200),
        ("post", "/traces/decision", {**decision("shape-2"), "phase": "dreaming"}, 422),
        ("post", "/strategies/code_generation/recommend", {"context": {"phase": "build"}}, 200),
        ("post", "/strategies/nowhere/recommend", {}, 404),
        ("get", "/patterns/search?q=TypeError", None, 200),
        ("post", "/predict/success", {"buildId": "b-shape", "traces": []}, 409),
        ("post", "/guidance", guidance, 200),
        ("get", "/models", None, 200),
        ("get", "/models/builder-coder/status", None, 200),
        ("post", "/models/builder-coder/train", None, 202),
        ("post", "/patterns/extract", None, 202),
        ("get", "/patterns/search?q=x&k=0", None, 422),
    ]
    with api.client() as c:
        for method, path, body, status in calls:
            r = c.request(method.upper(), path, json=body)
            assert r.status_code == status, (path, r.status_code, r.text[:300])
            route = path.split("?")[0].replace("/code_generation/", "/{domain}/").replace("/nowhere/", "/{domain}/")
            route = route.replace("/builder-coder/", "/{name}/")
            documented = status if str(status) in openapi["paths"][f"/api/learning{route}"][method]["responses"] else 422
            errors = list(_validator(openapi, method, route, documented).iter_errors(r.json()))
            assert not errors, (path, status, [str(e) for e in errors][:3])
        answer = c.post("/guidance", json=guidance).json()
        assert set(answer) >= {"strategies", "patterns", "success"} and answer["success"] is None  # no predictor yet
        assert "code_generation" in answer["strategies"]
    # the errors named in the schema are the errors the API sends, not FastAPI's default body
    assert "HTTPValidationError" not in json.dumps(openapi)


def test_reads_never_wait_on_a_runs_locks(api):
    """A training run holds its model's lock and the registry's write lock: every read answers
    meanwhile (a read that waited on either would hang until the client's timeout)."""
    import fcntl

    from learning_pipeline.lake import Lake
    from learning_pipeline.training import model_lock
    from learning_pipeline.training.registry import VERSIONS_TABLE

    model_lock.acquire(api.home, "builder-coder", "run-holding-the-lock")
    registry_lock = Lake(api.home / "lake").table_dir(VERSIONS_TABLE) / ".builder-coder.lock"
    registry_lock.parent.mkdir(parents=True, exist_ok=True)
    try:
        with open(registry_lock, "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            with httpx.Client(base_url=api.url, headers=api.headers, timeout=20) as c:
                for path in ("/models", "/models/builder-coder/status", "/status", "/metrics", "/metrics/improvement",
                             "/preference-pairs", "/judgments/b1", "/patterns", "/strategies", "/insights"):
                    assert c.get(path).status_code == 200, path
            fcntl.flock(handle, fcntl.LOCK_UN)
    finally:
        model_lock.release(api.home, "builder-coder", "run-holding-the-lock")
