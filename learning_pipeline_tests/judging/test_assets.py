"""The judging assets end to end: heuristic by default, LLM against the fake server, backfills."""

import datetime as dt

import dagster as dg
import polars as pl
import pytest
from dagster._core.definitions.data_version import CachingStaleStatusResolver, StaleStatus
from dagster._core.loader import LoadingContextForTest

from learning_pipeline.capture.assets import capture_traces
from learning_pipeline.capture.ingest import ingest_path
from learning_pipeline.simulation import simulate
from learning_pipeline.judging.assets import build_judging_assets
from learning_pipeline.judging.resources import JudgeResource

DAY = "2026-03-09"


@pytest.fixture
def captured_day(learning_home, tmp_path):
    out = tmp_path / "traces.jsonl"
    simulate(builds=5, seed=21, days=1, out=out, end_date=dt.date(2026, 3, 9), bad_line_rate=0.0)
    ingest_path(out, learning_home.landing(), received_at=dt.datetime(2026, 3, 9, 23, tzinfo=dt.timezone.utc))
    instance = dg.DagsterInstance.ephemeral()
    assert dg.materialize([capture_traces], resources={"learning_home": learning_home}, partition_key=DAY, instance=instance).success
    return instance


def _materialize(learning_home, judge, instance, select=("judgments",)):
    assets = build_judging_assets(judge)
    return dg.materialize(
        [capture_traces, *assets], selection=list(select), partition_key=DAY, instance=instance,
        resources={"learning_home": learning_home, "judge": judge},
    ), assets


def _metadata(result, key):
    (event,) = [e for e in result.get_asset_materialization_events() if e.asset_key.to_user_string() == key]
    return {k: v.value for k, v in event.event_specific_data.materialization.metadata.items()}


def test_heuristic_judgments_and_comparisons_land_with_metadata(learning_home, captured_day):
    judge = JudgeResource()
    result, _ = _materialize(learning_home, judge, captured_day, ("judgments", "code_version_comparisons"))
    assert result.success
    day = learning_home.lake().read("judgments", [DAY])
    assert set(day.get_column("judge_type")) == {"code_quality", "design_quality", "anti_slop", "success_predictor"}
    assert day.filter(pl.col("status") != "ok").height == 0
    assert day.get_column("overall").is_between(0, 100).all()
    meta = _metadata(result, "judgments")
    assert meta["dagster/row_count"] == day.height and meta["judged_now"] == day.height and meta["backend"] == "heuristic"
    assert "mean_code_quality" in meta
    comparisons = _metadata(result, "code_version_comparisons")
    assert comparisons["position_consistency_rate"] == 1.0 and comparisons["dagster/row_count"] > 0


def _staleness(instance, assets, learning_home, judge):
    """What the UI shows for the partition: stale when the definition's code_version moved on."""
    defs = dg.Definitions(assets=[capture_traces, *assets], resources={"learning_home": learning_home, "judge": judge})
    resolver = CachingStaleStatusResolver(instance, defs.resolve_asset_graph(), LoadingContextForTest(instance))
    return resolver.get_status(dg.AssetKey("judgments"), DAY)


def test_llm_backend_reruns_cost_nothing_and_a_rubric_change_rejudges_exactly_once(
    learning_home, captured_day, fake_openai, tmp_path
):
    judge = JudgeResource(backend="llm", base_url=fake_openai.base_url, api_key="sk-test-not-a-secret", concurrency=8)
    result, assets = _materialize(learning_home, judge, captured_day)
    assert result.success
    items = learning_home.lake().read("judgments", [DAY]).height
    assert len(fake_openai.requests()) == items > 0
    meta = _metadata(result, "judgments")
    assert meta["prompt_tokens"] > 0 and meta["ok"] == items

    result, _ = _materialize(learning_home, judge, captured_day)
    assert result.success and len(fake_openai.requests()) == items  # the ledger answered everything
    assert _metadata(result, "judgments")["from_ledger"] == items
    assert _staleness(captured_day, assets, learning_home, judge) == StaleStatus.FRESH

    rubric = tmp_path / "rubrics.yaml"
    rubric.write_text("code_quality:\n  security: 30\n")
    changed = JudgeResource(backend="llm", base_url=fake_openai.base_url, api_key="sk-test-not-a-secret", rubrics_file=str(rubric))
    changed_assets = build_judging_assets(changed)
    assert _staleness(captured_day, changed_assets, learning_home, changed) == StaleStatus.STALE

    code_items = learning_home.lake().read("judgments", [DAY]).filter(pl.col("judge_type") == "code_quality").height
    assert _materialize(learning_home, changed, captured_day)[0].success  # the backfill
    assert len(fake_openai.requests()) == items + code_items  # only the changed judge re-judged
    assert _materialize(learning_home, changed, captured_day)[0].success
    assert len(fake_openai.requests()) == items + code_items


def test_llm_comparisons_are_asked_in_both_orders_once_and_then_come_from_the_ledger(learning_home, captured_day, fake_openai):
    judge = JudgeResource(backend="llm", base_url=fake_openai.base_url, api_key="sk-test-not-a-secret", concurrency=8)
    result, _ = _materialize(learning_home, judge, captured_day, ("code_version_comparisons",))
    assert result.success
    comparisons = learning_home.lake().read("code_version_comparisons", [DAY])
    meta = _metadata(result, "code_version_comparisons")
    asked = meta["compared_now"]  # identical version pairs (a file re-sent unchanged) are asked once
    assert 0 < asked <= comparisons.height and len(fake_openai.requests()) == 2 * asked  # both orders
    assert 0.0 <= meta["position_consistency_rate"] <= 1.0
    result, _ = _materialize(learning_home, judge, captured_day, ("code_version_comparisons",))
    assert result.success and len(fake_openai.requests()) == 2 * asked
    assert _metadata(result, "code_version_comparisons")["compared_now"] == 0


def test_a_failed_comparison_is_stored_as_failed_and_asked_again(learning_home, captured_day, fake_openai):
    fake_openai.script([{"match": "RESPONSE_A", "action": "refusal", "times": 1}])  # one request of one pair
    judge = JudgeResource(backend="llm", base_url=fake_openai.base_url, api_key="sk-test-not-a-secret", concurrency=8)
    result, _ = _materialize(learning_home, judge, captured_day, ("code_version_comparisons",))
    assert result.success
    comparisons = learning_home.lake().read("code_version_comparisons", [DAY])
    failed = comparisons.filter(pl.col("status") == "failed")
    assert failed.height >= 1 and failed.get_column("winner").is_null().all()
    assert failed.get_column("error").str.starts_with("refused:").all()
    assert _metadata(result, "code_version_comparisons")["failed"] == failed.height
    asked = len(fake_openai.requests())

    result, _ = _materialize(learning_home, judge, captured_day, ("code_version_comparisons",))
    assert result.success
    assert len(fake_openai.requests()) == asked + 2 * failed.get_column("content_hash").n_unique()  # only the failed, both orders
    again = learning_home.lake().read("code_version_comparisons", [DAY])
    assert again.filter(pl.col("status") != "ok").height == 0
    assert _metadata(result, "code_version_comparisons")["compared_now"] == failed.get_column("content_hash").n_unique()


def test_learning_judge_llm_from_the_environment_reaches_the_server(monkeypatch, fake_openai):
    monkeypatch.setenv("LEARNING_JUDGE", "llm")
    monkeypatch.setenv("OPENAI_BASE_URL", fake_openai.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-secret")
    monkeypatch.setenv("LEARNING_JUDGE_MODEL", "judge-model-x")
    from learning_pipeline.judging.verdicts import JudgeItem

    judge = JudgeResource.from_env()
    backend = judge.build()
    assert backend.name == "llm"
    (judgment,) = backend.judge_many([JudgeItem("a@v1", "code_version", "code_quality", {"code": "const x = 1;"})])
    assert judgment.status == "ok", judgment.error
    (request,) = fake_openai.requests()
    assert request["model"] == "judge-model-x"
