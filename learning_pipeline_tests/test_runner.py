"""`run` materializes only what is stale: changed landing days and what depends on them."""

import dagster as dg

from learning_pipeline.capture.assets import CAPTURE_KEYS, capture_traces, decision_traces
from learning_pipeline.capture.sensors import changed_partitions
from learning_pipeline.judging.assets import build_judging_assets
from learning_pipeline.judging.resources import JudgeResource
from learning_pipeline.runner import materialize_runs, plan_runs, stale_partitions
from learning_pipeline_tests.conftest import RECEIVED, code_artifact, decision, envelope, lines_of


def _land(learning_home, *payloads):
    learning_home.landing().land(lines_of(*payloads), "t.jsonl", RECEIVED)


def _plan(defs, learning_home, instance):
    landing = learning_home.landing()
    with_data = landing.partitions()
    new_files = set(changed_partitions(learning_home, "2025-06-01", "2026-03-31"))
    plan = stale_partitions(defs, instance, with_data, changed_inputs={k: new_files for k in CAPTURE_KEYS})
    return plan, plan_runs(defs, plan)


def _run(defs, learning_home, instance):
    plan, runs = _plan(defs, learning_home, instance)
    for _, result in materialize_runs(defs, instance, runs):
        assert result.success
    return [(sorted(k.to_user_string() for k in r.keys), r.span) for r in runs]


def _day(day: str, n: int) -> list[bytes]:
    return [envelope("decision", **decision(f"{day}-{i}", created_at=f"{day}T10:00:00.000Z")) for i in range(n)] + [
        envelope("code_artifact", **code_artifact(f"art-{day}", created_at=f"{day}T10:00:00.000Z"))
    ]


def test_a_second_run_without_new_data_materializes_nothing_and_new_data_reruns_only_its_day(learning_home):
    judge = JudgeResource()
    defs = dg.Definitions(
        assets=[capture_traces, decision_traces, *build_judging_assets(judge)],
        resources={"learning_home": learning_home, "judge": judge},
    )
    instance = dg.DagsterInstance.ephemeral()
    _land(learning_home, *_day("2026-03-02", 1), *_day("2026-03-03", 2), *_day("2026-03-06", 1))

    first = _run(defs, learning_home, instance)
    spans = sorted({span for _, span in first if span})
    assert spans == [("2026-03-02", "2026-03-03"), ("2026-03-06", "2026-03-06")]  # never the days between
    assert any("decision_traces" in keys for keys, span in first if span is None)
    assert learning_home.lake().row_count("raw_decisions", "2026-03-03") == 2
    # Each judged day's event carries that day's own rows (the range's total would be stamped on both).
    lake = learning_home.lake()
    for table in ("judgments", "raw_decisions"):
        records = instance.fetch_materializations(dg.AssetKey(table), limit=10).records
        recorded = {r.partition_key: r.asset_materialization.metadata["dagster/row_count"].value for r in records}
        assert recorded == {d: lake.row_count(table, d) for d in ("2026-03-02", "2026-03-03", "2026-03-06")}, table
    assert len(set(recorded.values())) > 1

    plan, runs = _plan(defs, learning_home, instance)
    assert runs == [] and not any(plan.values())

    # New lines on one day: that day is captured and judged again, and the unpartitioned join rebuilt.
    _land(learning_home, envelope("decision", **decision("late", created_at="2026-03-03T12:00:00.000Z")))
    third = _run(defs, learning_home, instance)
    assert {span for _, span in third if span} == {("2026-03-03", "2026-03-03")}
    judged = [keys for keys, span in third if span]
    assert any("judgments" in keys for keys in judged) and any("raw_decisions" in keys for keys in judged)
    assert any(keys == ["decision_traces"] for keys, span in third if span is None)
    assert learning_home.lake().row_count("raw_decisions", "2026-03-03") == 3

    # Only the judge changed (a new code_version): every judged day is stale, the capture is not.
    changed = [a.map_asset_specs(lambda spec: spec.replace_attributes(code_version="judge-v2"))
               if a.key.to_user_string() == "judgments" else a for a in build_judging_assets(judge)]
    defs = dg.Definitions(assets=[capture_traces, decision_traces, *changed], resources=defs.resources)
    plan, runs = _plan(defs, learning_home, instance)
    assert plan[dg.AssetKey("judgments")] == {"2026-03-02", "2026-03-03", "2026-03-06"}
    assert not plan[dg.AssetKey("raw_decisions")] and not plan[dg.AssetKey("code_version_comparisons")]


def _queue_limits(dagster_home):
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        coordinator = instance.run_coordinator
        return {limit["key"]: limit["limit"] for limit in coordinator.get_run_queue_config().tag_concurrency_limits}


def test_the_repositorys_instance_config_is_in_force(tmp_path, monkeypatch, capsys):
    from learning_pipeline.config import LearningSettings
    from learning_pipeline.runner import ensure_dagster_home

    settings = LearningSettings.from_env()
    expected = {"learning/training": 1, "learning/capture": 1}
    # A fresh DAGSTER_HOME gets the repository's file.
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "fresh"))
    assert _queue_limits(ensure_dagster_home(settings)) == expected
    # The telemetry-only file an older `make demo` wrote: its settings kept, the queue limits added.
    old = tmp_path / "old"
    old.mkdir()
    (old / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    monkeypatch.setenv("DAGSTER_HOME", str(old))
    assert _queue_limits(ensure_dagster_home(settings)) == expected
    assert (old / "dagster.yaml").read_text().startswith("telemetry:\n  enabled: false\n")
    # A file with a run coordinator of its own is the user's choice: kept, with one warning line.
    own = tmp_path / "own"
    own.mkdir()
    (own / "dagster.yaml").write_text("run_coordinator:\n  module: dagster.core.run_coordinator\n  class: QueuedRunCoordinator\n")
    monkeypatch.setenv("DAGSTER_HOME", str(own))
    ensure_dagster_home(settings)
    assert "learning/capture" in capsys.readouterr().err


def test_cli_runs_go_by_the_named_job_of_their_step(learning_home):
    from learning_pipeline.capture.definitions import capture_job
    from learning_pipeline.jobs import decision_traces_job, judging_job

    judge = JudgeResource()
    defs = dg.Definitions(
        assets=[capture_traces, decision_traces, *build_judging_assets(judge)],
        jobs=[capture_job, judging_job, decision_traces_job],
        resources={"learning_home": learning_home, "judge": judge},
    )
    instance = dg.DagsterInstance.ephemeral()
    _land(learning_home, *_day("2026-03-02", 1))
    ran = _run(defs, learning_home, instance)
    assert ran  # capture, judging, the decision join
    jobs = sorted(r.dagster_run.job_name for r in instance.get_run_records())
    assert jobs == ["capture_job", "decision_traces_job", "judging_job"], jobs
    judging = instance.get_run_records(dg.RunsFilter(job_name="judging_job"))[0].dagster_run
    assert judging.tags["dagster/asset_partition_range_start"] == "2026-03-02"


def test_every_asset_of_a_plain_run_has_a_step_job_in_the_code_location():
    from learning_pipeline.definitions import defs
    from learning_pipeline.runner import plan_runs, plan_stages

    days = {"2026-03-02", "2026-03-03"}
    plan = {key: (days if stage.partitioned else True) for stage in plan_stages(defs) for key in stage.keys}
    runs = plan_runs(defs, plan)
    assert all(run.job for run in runs), [(run.keys, run.job) for run in runs if not run.job]
    order = [key for run in runs for key in run.keys]
    graph = defs.resolve_asset_graph()
    for position, key in enumerate(order):  # split by job, the runs still follow the dependencies
        assert not any(parent in order[position + 1:] for parent in graph.get(key).parent_keys), key
    assert dg.AssetKey("cycle_records") not in order  # the cycle record closes a cycle, after training
