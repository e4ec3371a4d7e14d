"""The dashboard in a real browser: a real `learning-pipeline serve` (uvicorn) on a free loopback
port over a lake filled through the capture path, a trained success predictor and a registry with
a promoted and a rejected version; headless Chromium renders the page and screenshots it."""

import datetime as dt
import json
import re

import pytest

from learning_pipeline.config import LearningSettings
from learning_pipeline.lake import Lake
from learning_pipeline.meta.guidance import predictor_dir
from learning_pipeline.meta.success import train_and_evaluate
from learning_pipeline.meta.success_data import labelled_builds
from learning_pipeline.simulation.writer import simulate
from learning_pipeline.training.registry import ShadowModelRegistry
from learning_pipeline_tests.api.servers import ApiServer
from learning_pipeline_tests.metrics import browser
from learning_pipeline_tests.metrics.lake_data import capture, write_judgments_and_pairs, write_patterns

END = dt.date(2026, 3, 22)
KPI_LABELS = ("First-attempt success rate", "Error-fix attempts per error", "Anti-slop design score", "User satisfaction",
              "Build time", "Patterns in library")


def _registry(settings: LearningSettings, tmp_path) -> None:
    registry = ShadowModelRegistry(Lake(settings.lake_dir))
    outcomes = [(0.61, True, ["passed"]), (0.58, False, ["improvement -4.9% is below the required +2.0% (interval -0.080..-0.010)"]),
                (0.67, True, ["passed"])]
    for i, (score, passed, reasons) in enumerate(outcomes, start=1):
        run = f"run-{i}"
        version = registry.add_candidate("builder-coder", "tiny-llama", ("code", "error_fix"), run, tmp_path / f"v{i}", 40 * i)
        registry.record_run(run, "builder-coder", {"beta": 0.1}, "completed", version=version, final_loss=0.69 - 0.05 * i)
        registry.update("builder-coder", version, status="ready", eval_score=score,
                        metrics={"evaluation": {"gate": {"passed": passed, "reasons": reasons, "improvement": 0.03 if passed else -0.049}}})
        if passed:
            registry.promote("builder-coder", version, note=f"gate passed in {run}")
    registry.record_run("run-a1", "builder-architect", {}, "skipped", error="12 new pairs, 50 needed")


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("dashboard")
    simulate(builds=90, seed=21, days=21, out=tmp / "traces.jsonl", end_date=END)
    settings = capture(tmp / "learning", tmp / "traces.jsonl")
    builds = labelled_builds(Lake(settings.lake_dir), settings.meta)
    predictor, _, _ = train_and_evaluate(builds, settings.meta)
    predictor.save(predictor_dir(settings))
    _registry(settings, tmp)
    write_patterns(settings, [(c, END - dt.timedelta(days=d)) for c, d in
                              [("error_fix", 20), ("code", 18), ("code", 12), ("design", 9), ("architecture", 5), ("error_fix", 2)]])
    write_judgments_and_pairs(settings, [END - dt.timedelta(days=d) for d in range(0, 21, 2)])
    return settings


@pytest.fixture(scope="module")
def server(home):
    api = ApiServer(home.home, token=None).wait_ready()
    yield api
    api.stop()


def test_metrics_routes_answer_camel_case_json(server):
    with server.client() as client:
        metrics = client.get("/metrics")
        improvement = client.get("/metrics/improvement")
    assert metrics.status_code == 200 and improvement.status_code == 200
    body = metrics.json()
    assert [k["key"] for k in body["kpis"]] == ["firstAttemptSuccessRate", "errorFixAttemptsPerError", "antiSlopScore",
                                               "userSatisfaction", "buildTimeMinutes", "patternsInLibrary"]
    weeks = body["kpis"][0]["weeks"]
    assert len(weeks) >= 3 and all(w["low"] <= w["value"] <= w["high"] for w in weeks)
    assert body["shadowModels"][0]["champion"] == 3
    assert [v["outcome"] for v in body["shadowModels"][0]["versions"]] == ["deprecated", "rejected", "promoted"]
    assert not any("_" in key for key in re.findall(r'"(\w+)":', json.dumps(body)) if key not in ("error_fix",))
    assert body["totals"]["judgments"] == 44 and body["totals"]["judgeCostUsd"] == pytest.approx(0.088)
    assert sum(w["pairs"] for w in body["weekly"]) == 22
    assert improvement.json()["baselineWeek"] < improvement.json()["latestWeek"]


def test_dashboard_renders_in_chromium_with_its_charts_and_figures(server, home, tmp_path):
    binary = browser.chromium()
    url = server.url.removesuffix("/api/learning") + "/dashboard"
    dom = browser.dump_dom(binary, url, tmp_path / "profile")
    charts = set(re.findall(r'<svg[^>]*data-chart="([^"]+)"', dom))
    assert {"kpi-firstAttemptSuccessRate", "kpi-errorFixAttemptsPerError", "kpi-antiSlopScore", "kpi-userSatisfaction",
            "kpi-buildTimeMinutes", "pattern-growth", "model-builder-coder", "pairs-per-week", "judge-cost-per-week",
            "success-predictions"} <= charts
    for label in KPI_LABELS:
        assert label in dom
    for section in ("Improvement over time", "Pattern-library growth", "Shadow-model evolution", "Training pipeline status",
                    "Success predictions"):
        assert section in dom
    assert "rejected" in dom and "improvement -4.9% is below the required" in dom  # the rejection and its reason
    assert "12 new pairs, 50 needed" in dom  # why the architect did not train
    assert "no predictor yet" not in dom
    assert not re.search(r'(src|href)="https?://', dom), "the page must work offline: no external resources"
    shot = browser.screenshot(binary, url, tmp_path / "dashboard.png", tmp_path / "profile")
    assert shot.stat().st_size > 50_000  # a rendered page of charts, not a blank one
    keep = home.home.parent / "dashboard.png"
    keep.write_bytes(shot.read_bytes())
