import datetime as dt
import json
import os
from pathlib import Path

import pytest

# The tests' traces are dated 2026-03 and earlier: a fixed partition start, whatever day they run
# (set before any learning_pipeline import, since the partitions are defined at import time).
os.environ.setdefault("LEARNING_PARTITION_START", "2025-06-01")

from learning_pipeline.resources import LearningHome

RECEIVED = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.timezone.utc)


@pytest.fixture
def learning_home(tmp_path, monkeypatch) -> LearningHome:
    home = tmp_path / "learning"
    monkeypatch.setenv("LEARNING_HOME", str(home))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    return LearningHome(home=str(home), partition_start="2025-06-01")


def envelope(kind: str, **data) -> bytes:
    return json.dumps({"kind": kind, "data": data}).encode()


def decision(trace_id="dec_1", created_at="2026-03-09T10:00:00.000Z", **overrides) -> dict:
    data = {
        "traceId": trace_id,
        "buildId": "bld_1",
        "userId": "usr_1",
        "phase": "build",
        "decisionType": "architecture_choice",
        "context": {"previousAttempts": 0, "intentSnippet": "a todo app"},
        "decision": {
            "chosenOption": "isolate state in a typed store",
            "rejectedOptions": ["one global component"],
            "reasoning": "typed stores keep errors local",
            "confidence": 0.8,
        },
        "createdAt": created_at,
    }
    data.update(overrides)
    return data


def code_artifact(artifact_id="art_1", created_at="2026-03-09T10:00:00.000Z", **overrides) -> dict:
    data = {
        "artifactId": artifact_id,
        "buildId": "bld_1",
        "projectId": "prj_1",
        "userId": "usr_1",
        "filePath": "src/App.tsx",
        "versions": [{"version": 1, "code": "export const App = () => null;", "timestamp": created_at, "trigger": "initial"}],
        "qualityTrajectory": [{"timestamp": created_at, "errorCount": 0, "codeQualityScore": 80}],
        "patternsUsed": [{"patternName": "typed-store", "patternCategory": "state", "firstAttemptSuccess": True, "iterationsToSuccess": 1}],
        "createdAt": created_at,
        "updatedAt": created_at,
    }
    data.update(overrides)
    return data


def lines_of(*payloads: bytes) -> list[tuple[int, bytes]]:
    return list(enumerate(payloads, start=1))


def write_jsonl(path: Path, payloads: list[bytes]) -> Path:
    path.write_bytes(b"\n".join(payloads) + b"\n")
    return path
