"""The success predictor, optimizer assets and guidance on simulated builds captured into a lake,
through Python and the command line (`predict`, `guide`), with the calibration-drift check."""

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
from learning_pipeline.meta.embeddings import OpenAIEmbedder
from learning_pipeline.meta.guidance import GuidanceError, guide, load_predictor, predict_success, predictor_dir
from learning_pipeline.meta.predictor_assets import check_calibration_drift
from learning_pipeline.meta.resources import PatternEmbedder
from learning_pipeline.meta.service import strategy_model
from learning_pipeline.runner import materialize_stages
from learning_pipeline.simulation import simulate
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
def lake_home(tmp_path_factory, fake_server):
    """120 simulated builds captured, judged, and refreshed into every meta asset."""
    from learning_pipeline.definitions import defs
    from learning_pipeline.resources import LearningHome

    tmp = tmp_path_factory.mktemp("guidance")
    home = LearningHome(home=str(tmp / "home"), partition_start="2025-06-01")
    out = tmp / "traces.jsonl"
    simulate(builds=120, seed=21, days=6, out=out, end_date=dt.date.today() - dt.timedelta(days=1))
    ingest_path(out, LandingZone(home.settings().landing_dir))
    embedder = PatternEmbedder(backend="openai", base_url=fake_server.base_url, api_key="sk-test", model=MODEL)
    local = dg.Definitions(assets=list(defs.assets), asset_checks=list(defs.asset_checks or []),
                           resources={**defs.resources, "learning_home": home, "pattern_embedder": embedder})
    selection = ["raw_decisions", "raw_decision_outcomes", "raw_code_artifacts", "raw_design_choices", "raw_error_recoveries",
                 "raw_pattern_usage", "raw_strategy_outcomes", "raw_build_summaries", "trace_quarantine", "judgments",
                 "decision_traces", "strategy_observations", "strategy_posteriors", "pattern_library", "success_predictor",
                 "review_queue"]
    instance = dg.DagsterInstance.ephemeral()
    results = [r for _, r in materialize_stages(local, instance, LandingZone(home.settings().landing_dir).partitions(), selection)]
    assert all(r is not None and r.success for r in results)
    return home, instance, _good_lines(out)


def _good_lines(path):
    """The simulator's trace file without its deliberately bad lines."""
    records = []
    for line in path.read_text().splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(record, dict) and isinstance(record.get("data"), dict) and isinstance(record["data"].get("buildId"), str):
            records.append(record)
    return records


def _embedder(fake_server):
    return OpenAIEmbedder(model=MODEL, base_url=fake_server.base_url, api_key="sk-test")


def _early_traces(records):
    build = next(r["data"]["buildId"] for r in records if r["kind"] == "build_summary")
    return build, [r for r in records if r["data"].get("buildId") == build and r["kind"] == "decision"
                   and r["data"].get("phase") in ("intent_lock", "initialization")]


@pytest.mark.heavy
def test_success_predictor_asset_reports_held_out_figures_and_writes_its_diagram(lake_home):
    home, instance, _ = lake_home
    event = instance.get_latest_materialization_event(dg.AssetKey("success_predictor"))
    meta = {k: v.value for k, v in event.asset_materialization.metadata.items()}
    assert meta["labelled_builds"] >= 100 and 0 <= meta["auc"] <= 1
    assert "base rate" in meta["figures"] and "early error count alone" in meta["figures"]
    assert meta["reliability_diagram"].startswith("![reliability diagram](data:image/png;base64,")
    assert (predictor_dir(home.settings()) / "reliability.png").read_bytes()[:4] == b"\x89PNG"
    queue = home.lake().read("review_queue")
    assert 0 < queue.height <= home.settings().meta.review_queue_size
    assert queue.get_column("uncertainty").to_list() == sorted(queue.get_column("uncertainty").to_list(), reverse=True)


@pytest.mark.heavy
def test_guidance_answers_strategies_patterns_and_success_in_one(lake_home, fake_server):
    home, _, records = lake_home
    settings = home.settings()
    build, early = _early_traces(records)
    fix = home.lake().read("pattern_library").filter(pl.col("category") == "error_fix").row(0, named=True)
    request = {"buildId": build, "intentSnippet": "Build a dashboard", "appSoul": "developer_tools", "phase": "build",
               "error": {"type": None, "message": fix["problem"]}, "traces": early}
    answer = guide(settings, request, embedder=_embedder(fake_server))
    assert set(answer["strategies"]) == set(strategy_model(settings).domains())
    assert all(0 < a["propensity"] <= 1 for a in answer["strategies"].values())
    assert answer["patterns"] and answer["patterns"][0]["patternId"] == fix["pattern_id"]
    assert all(p["similarity"] >= settings.meta.min_relevance and p["category"] == "error_fix" for p in answer["patterns"])
    assert answer["success"] == predict_success(settings, early, build)
    # nothing in the library is about this: no pattern is injected
    unrelated = guide(settings, {**request, "error": {"type": "Quota", "message": "zebra migration calendar overflow in aquarium"}},
                      embedder=_embedder(fake_server))
    assert unrelated["patterns"] == [] and unrelated["strategies"].keys() == answer["strategies"].keys()


@pytest.mark.heavy
def test_cli_predict_and_guide_print_the_wire_answers(lake_home, fake_server, tmp_path):
    home, _, records = lake_home
    env = {**os.environ, "LEARNING_HOME": home.home, "LEARNING_EMBEDDER": "openai", "OPENAI_BASE_URL": fake_server.base_url,
           "OPENAI_API_KEY": "sk-test", "LEARNING_EMBEDDING_MODEL": MODEL, "PYTHONPATH": os.getcwd()}

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "learning_pipeline.cli", *args], env=env, capture_output=True, text=True, timeout=300)

    build, early = _early_traces(records)
    traces = tmp_path / "so_far.jsonl"
    traces.write_text("".join(json.dumps(r) + "\n" for r in early))
    predicted = cli("predict", "--traces", str(traces), "--json")
    assert predicted.returncode == 0, predicted.stderr
    answer = json.loads(predicted.stdout)
    assert answer["buildId"] == build and answer["threshold"] == 0.6 and answer["intervene"] == (answer["probability"] < 0.6)
    human = cli("predict", "--traces", str(traces))
    assert "first-attempt success" in human.stdout
    context = tmp_path / "context.json"
    context.write_text(json.dumps({"buildId": build, "intentSnippet": "Build a dashboard", "appSoul": "developer_tools",
                                   "phase": "build", "error": None, "traces": early}))
    guided = cli("guide", "--context", str(context), "--json")
    assert guided.returncode == 0, guided.stderr
    assert set(json.loads(guided.stdout)) >= {"strategies", "patterns", "success"}
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps(early[0]) + "\n{not json\n")
    failed = cli("predict", "--traces", str(bad))
    assert failed.returncode == 2 and f"{bad}: line 2: invalid JSON" in failed.stderr


@pytest.mark.heavy
def test_calibration_drift_check_scores_outcomes_the_model_never_saw(lake_home):
    home, _, _ = lake_home
    settings = home.settings()
    assert "waiting" in check_calibration_drift(home).metadata["state"].value  # every outcome was in training
    predictor = load_predictor(settings)
    predictor.trained_builds = predictor.trained_builds[: len(predictor.trained_builds) // 2]
    predictor.save(predictor_dir(settings))
    result = check_calibration_drift(home)
    assert result.metadata["new_builds"].value >= settings.meta.drift_min_builds
    drift = result.metadata["drift"].value
    assert result.passed == (drift <= settings.meta.calibration_drift_tolerance)
    assert result.severity == dg.AssetCheckSeverity.WARN


def test_predict_without_a_model_says_what_to_run(tmp_path):
    from learning_pipeline.resources import LearningHome

    settings = LearningHome(home=str(tmp_path / "empty"), partition_start="2025-06-01").settings()
    with pytest.raises(GuidanceError, match="materialize the success_predictor asset"):
        predict_success(settings, [])
