"""What the CLI says about the loop's controls: failed judgments are not an `ok`, and `status`
reports the registry, the champions and the last runs."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from learning_pipeline.capture.landing import LandingZone
from learning_pipeline_tests.conftest import RECEIVED, code_artifact, decision, envelope, lines_of
from learning_pipeline_tests.fake_openai_server import start_fake_openai

CLI = str(Path(sys.executable).with_name("learning-pipeline"))


def _env(tmp_path, **extra):
    dagster_home = tmp_path / "dh"
    dagster_home.mkdir(exist_ok=True)
    (dagster_home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    return {**os.environ, "LEARNING_HOME": str(tmp_path / "home"), "DAGSTER_HOME": str(dagster_home), **extra}


def _land_one_day(home: Path) -> None:
    versions = [{"version": v, "code": f"export const App = () => {v};", "timestamp": "2026-03-09T10:00:00Z", "trigger": "fix"}
                for v in (1, 2)]
    LandingZone(home / "landing").land(
        lines_of(envelope("decision", **decision()), envelope("code_artifact", **code_artifact(versions=versions))), "t", RECEIVED)


@pytest.mark.heavy
def test_run_fails_and_counts_when_the_llm_judge_is_unreachable(tmp_path):
    with start_fake_openai() as server:
        base_url = server.base_url
    # The server is stopped: its port refuses every connection.
    env = _env(tmp_path, LEARNING_JUDGE="llm", OPENAI_BASE_URL=base_url, OPENAI_API_KEY="test-key")
    _land_one_day(tmp_path / "home")
    proc = subprocess.run([CLI, "run", "--quiet"], env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    counts = re.search(r"^FAILED judgments: (\d+) of (\d+) items failed", proc.stdout, re.M)
    assert counts and counts[1] == counts[2] and int(counts[1]) >= 3, proc.stdout  # two code versions and a build, at least
    assert not re.search(r"^ok: .*\bjudgments\b", proc.stdout, re.M)


def test_status_reports_the_registry_champions_and_last_runs(tmp_path):
    from learning_pipeline.lake import Lake
    from learning_pipeline.training.registry import ShadowModelRegistry

    env = _env(tmp_path)
    registry = ShadowModelRegistry(Lake(tmp_path / "home" / "lake"))
    for run in ("r1", "r2"):
        version = registry.add_candidate("builder-coder", "tiny-llama", ("code",), run, "/a", 500)
        registry.update("builder-coder", version, status="ready", eval_score=0.9)
        registry.record_run(run, "builder-coder", {}, "completed", final_loss=0.4, metrics={"steps": 3})
    registry.promote("builder-coder", 1)
    registry.promote("builder-coder", 2)
    registry.rollback("builder-coder")
    registry.record_run("r3", "builder-architect", {}, "skipped", error="builder-architect: 12 new pairs, below the threshold of 500")
    import dagster as dg

    @dg.asset(name="raw_decisions", partitions_def=dg.StaticPartitionsDefinition(["2026-03-09"]))
    def stand_in():  # a run of the same name in the same instance; what it does is not the point
        return None

    with dg.DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
        assert dg.materialize([stand_in], instance=instance, partition_key="2026-03-09").success

    report = json.loads(subprocess.run([CLI, "status", "--json"], env=env, capture_output=True, text=True, check=True,
                                       timeout=600).stdout)
    coder = report["registry"]["builder-coder"]
    assert coder["champion"] == 1 and coder["versions"] == {"deprecated": 1, "promoted": 1}
    assert [e["action"] for e in coder["promotion_history"]] == ["promote", "promote", "rollback"]
    assert coder["last_training_run"]["status"] == "completed"
    architect = report["registry"]["builder-architect"]
    assert architect["champion"] is None and "below the threshold" in architect["last_training_run"]["error"]
    assert report["promoted_models"] == {"builder-coder": 1}
    assert report["last_runs"], report
    (last,) = report["last_runs"]
    assert last["assets"] == ["raw_decisions"] and last["partition"] == "2026-03-09" and last["status"] == "SUCCESS"
    assert last["started_at"] <= last["ended_at"]

    text = subprocess.run([CLI, "status"], env=env, capture_output=True, text=True, check=True, timeout=600).stdout
    assert "builder-coder: champion v1" in text and "builder-architect: no champion (base model)" in text
    assert "last runs:" in text


def test_item_outcomes_sum_the_partitions_and_flag_a_stage_where_most_items_failed():
    import dagster as dg

    from learning_pipeline.item_outcomes import item_outcomes

    days = dg.StaticPartitionsDefinition(["a", "b"])

    @dg.asset(partitions_def=days)
    def judged(context: dg.AssetExecutionContext):
        ok, failed = {"a": (3, 1), "b": (0, 5)}[context.partition_key]
        return dg.MaterializeResult(metadata={"ok": ok, "failed": failed})

    @dg.asset
    def untouched():
        return dg.MaterializeResult(metadata={"rows": 1})

    events = [e for key in ("a", "b") for e in dg.materialize([judged, untouched], partition_key=key, selection=[judged]).all_events]
    (outcome,) = item_outcomes(events)
    assert (outcome.asset, outcome.ok, outcome.failed) == ("judged", 3, 6) and outcome.mostly_failed
    assert outcome.describe() == "judged: 6 of 9 items failed"
    (first_day,) = item_outcomes(dg.materialize([judged], partition_key="a").all_events)
    assert not first_day.mostly_failed
