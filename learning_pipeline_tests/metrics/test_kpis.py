import datetime as dt
import json
import os
import subprocess
import sys

import numpy as np
import pytest
from scipy import stats

from learning_pipeline.lake import Lake
from learning_pipeline.metrics import estimates, sources
from learning_pipeline.metrics.report import improvement_report, metrics_report
from learning_pipeline.metrics.weekly import weekly_rows
from learning_pipeline_tests.metrics.lake_data import WEEKS, capture, known_builds, write_patterns

SAME_SLOP = [60.0, 70.0, 80.0, 75.0, 65.0]
PLAN = {
    # week 1: 6 of 30 first-attempt successes; each failed build has 2 errors of 4 attempts
    WEEKS[0]: {"builds": 30, "successes": 6, "errors": [[4, 4]] * 24, "anti_slop": SAME_SLOP, "satisfaction": [6.0, 7.0], "minutes": [14, 12]},
    WEEKS[1]: {"builds": 10, "successes": 5, "errors": [[3]] * 5, "anti_slop": SAME_SLOP, "satisfaction": [7.0], "minutes": [11]},
    # week 3: 24 of 30; one build carries all the errors (5 errors of 1 attempt)
    WEEKS[2]: {"builds": 30, "successes": 24, "errors": [[1, 1, 1, 1, 1]], "anti_slop": SAME_SLOP, "satisfaction": [8.0, 9.0], "minutes": [8, 9]},
}


@pytest.fixture(scope="module")
def settings(tmp_path_factory):
    home = tmp_path_factory.mktemp("metrics")
    s = capture(home / "learning", known_builds(home / "traces.jsonl", PLAN))
    write_patterns(s, [("error_fix", WEEKS[0]), ("code", WEEKS[0] + dt.timedelta(days=3)), ("design", WEEKS[2] + dt.timedelta(days=1))])
    return s


def _week(report, key, week):
    kpi = next(k for k in report["kpis"] if k["key"] == key)
    return next(w for w in kpi["weeks"] if w["weekStart"] == week.isoformat())


def test_weekly_kpis_are_the_known_figures_with_their_intervals(settings):
    report = metrics_report(settings)
    first = _week(report, "firstAttemptSuccessRate", WEEKS[0])
    assert first["value"] == pytest.approx(0.2) and first["n"] == 30
    wilson = stats.binomtest(6, 30).proportion_ci(0.95, method="wilson")
    assert (first["low"], first["high"]) == (pytest.approx(wilson.low, abs=1e-4), pytest.approx(wilson.high, abs=1e-4))
    assert _week(report, "firstAttemptSuccessRate", WEEKS[2])["value"] == pytest.approx(0.8)
    assert _week(report, "errorFixAttemptsPerError", WEEKS[0])["value"] == pytest.approx(4.0)
    assert _week(report, "errorFixAttemptsPerError", WEEKS[2])["value"] == pytest.approx(1.0)
    assert _week(report, "buildTimeMinutes", WEEKS[0])["value"] == pytest.approx(13.0)
    assert _week(report, "userSatisfaction", WEEKS[2])["value"] == pytest.approx(8.5)
    slop = _week(report, "antiSlopScore", WEEKS[0])
    assert slop["value"] == pytest.approx(np.mean(SAME_SLOP)) and slop["low"] < slop["value"] < slop["high"]
    # the library as it had grown by the end of each week
    assert [_week(report, "patternsInLibrary", w)["value"] for w in WEEKS] == [2, 2, 3]
    assert report["totals"]["builds"] == 70 and report["totals"]["errors"] == 48 + 5 + 5


def test_improvement_reports_clear_changes_and_no_change_where_there_is_none(settings):
    report = improvement_report(settings)
    assert (report["baselineWeek"], report["latestWeek"]) == (WEEKS[0].isoformat(), WEEKS[2].isoformat())
    by = {k["key"]: k for k in report["kpis"]}
    success = by["firstAttemptSuccessRate"]
    assert success["change"] == pytest.approx(0.6) and success["changeInterval"][0] > 0 and success["verdict"] == "improved"
    assert by["errorFixAttemptsPerError"]["verdict"] == "improved"  # fewer attempts is better
    assert by["buildTimeMinutes"]["verdict"] == "improved"
    assert by["antiSlopScore"]["verdict"] == "no clear change"
    assert by["antiSlopScore"]["changeInterval"][0] < 0 < by["antiSlopScore"]["changeInterval"][1]
    assert by["patternsInLibrary"]["change"] == 1
    assert by["firstAttemptSuccessRate"]["meetsThreeMonthTarget"] is True  # 0.8 >= 0.62
    assert [w["weekStart"] for w in report["weeks"]] == [w.isoformat() for w in WEEKS]


def test_error_intervals_resample_builds_not_errors(settings):
    """Week 3's errors all sit in one build: resampling builds makes the interval honest about
    that (it can drop to no errors at all), resampling errors would call it exact."""
    lake = Lake(settings.lake_dir)
    rows = weekly_rows(sources.builds(lake), sources.errors(lake), sources.patterns(lake))
    errors_wk3 = rows.filter((rows["period_start"] == WEEKS[2]) & (rows["kpi"] == "error_fix_attempts_per_error")).row(0, named=True)
    assert errors_wk3["n"] == 1  # one build with errors behind the figure, not five errors
    wk1 = rows.filter((rows["period_start"] == WEEKS[0]) & (rows["kpi"] == "error_fix_attempts_per_error")).row(0, named=True)
    assert wk1["n"] == 24


def test_estimates_edge_cases():
    assert estimates.rate(0, 0).value is None
    e = estimates.mean(np.array([5.0]))
    assert (e.value, e.low, e.high, e.n) == (5.0, 5.0, 5.0, 1)
    spread = estimates.mean(np.arange(100, dtype=float), seed=1)
    assert spread.low < 49.5 < spread.high and spread.high - spread.low < 20
    assert estimates.ratio(np.array([2.0, 0.0]), np.array([0.0, 0.0])).value is None


def test_empty_lake_answers_empty_reports(tmp_path):
    from learning_pipeline.config import LearningSettings
    s = LearningSettings(home=tmp_path, partition_start=dt.date(2025, 6, 1))
    report = metrics_report(s)
    assert report["totals"]["builds"] == 0 and all(k["weeks"] == [] for k in report["kpis"])
    assert improvement_report(s)["kpis"] == []


def test_metrics_command_answers_what_the_api_answers(settings, monkeypatch, capsys):
    """`learning-pipeline metrics` calls the same service functions as GET /metrics and GET
    /metrics/improvement: the same JSON, or the same figures as a table."""
    from learning_pipeline.cli import main

    monkeypatch.setenv("LEARNING_HOME", str(settings.home))
    assert main(["metrics", "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    expected = metrics_report(settings)
    assert {k: v for k, v in answer.items() if k != "generatedAt"} == {k: v for k, v in expected.items() if k != "generatedAt"}
    assert main(["metrics", "--improvement", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == improvement_report(settings)

    assert main(["metrics"]) == 0
    table = capsys.readouterr().out
    assert "First-attempt success rate" in table and "builds 70" in table
    # the latest week's success rate (24 of 30) with its Wilson interval
    wilson = stats.binomtest(24, 30).proportion_ci(0.95, method="wilson")
    assert f"80.0% [{wilson.low * 100:.1f}%, {wilson.high * 100:.1f}%]" in table
    assert main(["metrics", "--improvement"]) == 0
    table = capsys.readouterr().out
    assert f"baseline week {WEEKS[0].isoformat()}" in table and f"latest week {WEEKS[2].isoformat()}" in table
    success = next(line for line in table.splitlines() if line.startswith("First-attempt success rate"))
    assert "20.0% (n=30)" in success and "+60.00" in success and "improved" in success


def test_metrics_command_on_an_empty_home(tmp_path):
    out = subprocess.run([sys.executable, "-m", "learning_pipeline.cli", "metrics", "--improvement"], capture_output=True, text=True,
                         env={**os.environ, "LEARNING_HOME": str(tmp_path)}, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "needs two weeks" in out.stdout
