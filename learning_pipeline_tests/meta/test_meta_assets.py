"""The meta assets on simulated builds, the service over what they wrote, the CLI and the schedule."""


import datetime as dt
import json
import os
import subprocess
import sys

import dagster as dg
import polars as pl
import pytest

from learning_pipeline.capture.ingest import ingest_path
from learning_pipeline.capture.landing import LandingZone
from learning_pipeline.simulation import simulate, truth_path_for
from learning_pipeline.meta.embeddings import OpenAIEmbedder
from learning_pipeline.meta.pattern_search import WIRE_FIELDS
from learning_pipeline.meta.resources import PatternEmbedder
from learning_pipeline.meta.service import (
    PatternLibraryError, list_patterns, list_strategies, recommend_strategy, search_patterns,
)
from learning_pipeline.runner import materialize_stages
from learning_pipeline_tests.fake_openai_server import start_fake_openai

MODEL = "fake-embedding"


@pytest.fixture(scope="module")
def fake_server():
    server = start_fake_openai()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def refreshed(tmp_path_factory, fake_server):
    """40 simulated builds captured, judged and refreshed into strategies and patterns."""
    from learning_pipeline.definitions import defs
    from learning_pipeline.resources import LearningHome

    tmp = tmp_path_factory.mktemp("meta")
    home = LearningHome(home=str(tmp / "home"), partition_start="2025-06-01")
    end = dt.date.today() - dt.timedelta(days=1)
    out = tmp / "traces.jsonl"
    simulate(builds=40, seed=5, days=4, out=out, end_date=end)
    ingest_path(out, LandingZone(home.settings().landing_dir))
    embedder = PatternEmbedder(backend="openai", base_url=fake_server.base_url, api_key="sk-test", model=MODEL)
    local = dg.Definitions(assets=list(defs.assets), resources={**defs.resources, "learning_home": home, "pattern_embedder": embedder})
    selection = ["raw_decisions", "raw_decision_outcomes", "raw_code_artifacts", "raw_design_choices", "raw_error_recoveries",
                 "raw_pattern_usage", "raw_strategy_outcomes", "raw_build_summaries", "trace_quarantine", "judgments",
                 "decision_traces", "strategy_observations", "strategy_posteriors", "pattern_library"]
    with_data = LandingZone(home.settings().landing_dir).partitions()
    instance = dg.DagsterInstance.ephemeral()
    results = [result for _, result in materialize_stages(local, instance, with_data, selection)]
    assert all(r is not None and r.success for r in results)
    return home, json.loads(truth_path_for(out).read_text()), instance


def _metadata(instance, key):
    event = instance.get_latest_materialization_event(dg.AssetKey(key))
    return {k: v.value for k, v in event.asset_materialization.metadata.items()}


@pytest.mark.heavy
def test_pattern_library_holds_only_verified_fixes_and_reports_its_growth(refreshed):
    home, truth, instance = refreshed
    library = home.lake().read("pattern_library")
    assert set(library.get_column("category")) >= {"error_fix", "design"}
    resolved = {e["errorId"] for e in truth["error_recoveries"] if e["resolved"]}
    fixes = library.filter(pl.col("category") == "error_fix")
    assert fixes.height and all(s in resolved for ids in fixes.get_column("source_trace_ids") for s in ids)
    assert library.get_column("embedder").unique().to_list() == [f"openai:{MODEL}"]
    meta = _metadata(instance, "pattern_library")
    assert meta["patterns"] == library.height and meta["growth"] == library.height
    assert "merged_near_duplicates" in meta and meta["by_category"]


@pytest.mark.heavy
def test_strategy_posteriors_table_names_seeds_and_strategies_the_traces_brought(refreshed):
    home, truth, instance = refreshed
    table = home.lake().read("strategy_posteriors")
    status = {(d, s): st for d, s, st in table.select("domain", "strategy", "status").iter_rows()}
    assert status[("code_generation", "component-first")] == "established"
    assert status[("design_approach", "layout-first")] == "experimental"  # named by the traces only
    used = table.filter(pl.col("usage") > 0)
    assert used.height and (used.get_column("ci_low") <= used.get_column("success_rate")).all()
    meta = _metadata(instance, "strategy_posteriors")
    assert len(meta["posteriors"].records) == table.height
    assert "| domain | strategy |" in meta["posteriors_md"]


@pytest.mark.heavy
def test_service_answers_in_the_wire_shape(refreshed, fake_server):
    home, _, _ = refreshed
    settings = home.settings()
    embedder = OpenAIEmbedder(MODEL, base_url=fake_server.base_url, api_key="sk-test")
    library = home.lake().read("pattern_library").filter(pl.col("category") == "error_fix")
    problem = library.get_column("problem")[0]
    answer = search_patterns(settings, problem, category="error_fix", k=2, embedder=embedder)
    assert 1 <= len(answer["results"]) <= 2
    assert list(answer["results"][0])[: len(WIRE_FIELDS)] == list(WIRE_FIELDS)
    assert answer["results"][0]["problem"] == problem
    assert search_patterns(settings, "zzqx vvkw", embedder=embedder) == {"results": []}
    with pytest.raises(PatternLibraryError, match="unknown pattern category"):
        search_patterns(settings, problem, category="nope", embedder=embedder)
    assert len(list_patterns(settings)["results"]) == home.lake().row_count("pattern_library")
    strategies = list_strategies(settings, "error_recovery")["strategies"]
    assert {s["strategy"] for s in strategies} >= {"isolate-and-fix", "rewrite-component"}
    answer = recommend_strategy(settings, "error_recovery", {"tags": ["dashboard"]})
    assert answer["domain"] == "error_recovery" and 0 < answer["propensity"] <= 1


@pytest.mark.heavy
def test_cli_patterns_search_and_list_print_json(refreshed, fake_server):
    home, _, _ = refreshed
    env = {**os.environ, "LEARNING_HOME": home.home, "LEARNING_EMBEDDER": "openai", "OPENAI_BASE_URL": fake_server.base_url,
           "OPENAI_API_KEY": "sk-test", "LEARNING_EMBEDDING_MODEL": MODEL, "PYTHONPATH": os.getcwd()}
    problem = home.lake().read("pattern_library").filter(pl.col("category") == "error_fix").get_column("problem")[0]

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "learning_pipeline.cli", *args], env=env, capture_output=True, text=True, timeout=300)

    found = cli("patterns", "search", problem, "--category", "error_fix", "--k", "1", "--json")
    assert found.returncode == 0, found.stderr
    results = json.loads(found.stdout)["results"]
    assert len(results) == 1 and set(WIRE_FIELDS) <= set(results[0])
    listed = json.loads(cli("patterns", "list", "--json").stdout)["results"]
    assert len(listed) == home.lake().row_count("pattern_library")
    wrong = cli("patterns", "search", problem, "--category", "nope")
    assert wrong.returncode == 2 and "unknown pattern category 'nope'" in wrong.stderr
    mismatch = subprocess.run([sys.executable, "-m", "learning_pipeline.cli", "patterns", "search", problem],
                              env={**env, "LEARNING_EMBEDDING_MODEL": "other"}, capture_output=True, text=True, timeout=300)
    assert mismatch.returncode == 2 and "embedded with 'openai:fake-embedding'" in mismatch.stderr
    recommend = cli("strategies", "recommend", "code_generation", "--context", '{"tags": ["dashboard"]}', "--json")
    assert recommend.returncode == 0, recommend.stderr
    assert {"strategy", "posteriorMean", "credibleInterval", "exploratory", "propensity", "alternatives"} <= set(json.loads(recommend.stdout))


def test_daily_schedule_refreshes_the_library():
    from learning_pipeline.definitions import defs

    schedule = defs.resolve_schedule_def("daily_meta_refresh")
    assert schedule.cron_schedule == "30 3 * * *"
    context = dg.build_schedule_context(scheduled_execution_time=dt.datetime(2026, 3, 2, 3, 30, tzinfo=dt.timezone.utc))
    request = schedule.evaluate_tick(context).run_requests[0]
    assert request.run_key == "meta-refresh:2026-03-02"
    job = defs.resolve_job_def("meta_refresh_job")
    assert {k.to_user_string() for k in job.asset_layer.executable_asset_keys} >= {"pattern_library", "strategy_posteriors"}
