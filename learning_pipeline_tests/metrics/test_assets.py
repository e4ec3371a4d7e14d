"""The metrics assets through Dagster: a ranged (single-run backfill) materialization gives every
day its own numbers, and the weekly table lands in the lake with its improvement summary."""

import datetime as dt

import dagster as dg
import polars as pl
import pytest

from learning_pipeline.lake import Lake
from learning_pipeline.metrics.assets import learning_metrics, learning_metrics_weekly
from learning_pipeline.metrics.weekly import DAILY_TABLE, WEEKLY_TABLE
from learning_pipeline.resources import LearningHome
from learning_pipeline_tests.metrics.lake_data import START, WEEKS, capture, known_builds

DAY_1, DAY_2 = WEEKS[0], WEEKS[0] + dt.timedelta(days=1)
PLAN = {WEEKS[0]: {"builds": 10, "successes": 6, "errors": [[2]] * 10, "anti_slop": [70.0, 80.0], "satisfaction": [7.0], "minutes": [10]},
        WEEKS[2]: {"builds": 10, "successes": 9, "errors": [[1]] * 2, "anti_slop": [85.0], "satisfaction": [9.0], "minutes": [6]}}


@pytest.fixture
def home(tmp_path):
    settings = capture(tmp_path / "learning", known_builds(tmp_path / "traces.jsonl", PLAN))
    return LearningHome(home=str(settings.home), partition_start=START.isoformat())


def test_ranged_run_gives_each_partition_its_own_numbers(home):
    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize([learning_metrics], instance=instance, resources={"learning_home": home},
                            tags={"dagster/asset_partition_range_start": DAY_1.isoformat(),
                                  "dagster/asset_partition_range_end": DAY_2.isoformat()})
    assert result.success
    events = {e.partition: e.metadata for e in
              (r.event_specific_data.materialization for r in result.get_asset_materialization_events())}
    # known_builds spreads week 1 over five days: builds 0 and 5 on day 1 (both successes), 1 and 6 on day 2 (a success, a failure)
    assert set(events) == {DAY_1.isoformat(), DAY_2.isoformat()}
    assert events[DAY_1.isoformat()]["first_attempt_success_rate"].value == pytest.approx(1.0)
    assert events[DAY_2.isoformat()]["first_attempt_success_rate"].value == pytest.approx(0.5)
    assert events[DAY_2.isoformat()]["builds"].value == 2
    assert 0 < events[DAY_2.isoformat()]["first_attempt_success_rate_low"].value < 0.5
    assert Lake(home.settings().lake_dir).partitions(DAILY_TABLE) == [DAY_1.isoformat(), DAY_2.isoformat()]


def test_a_day_without_builds_reports_counts_not_fake_kpis(home):
    result = dg.materialize([learning_metrics], resources={"learning_home": home}, partition_key="2026-03-08")  # a Sunday
    metadata = result.get_asset_materialization_events()[0].event_specific_data.materialization.metadata
    assert metadata["builds"].value == 0 and "first_attempt_success_rate" not in metadata


def test_weekly_table_and_its_improvement(home):
    result = dg.materialize([learning_metrics_weekly], resources={"learning_home": home})
    metadata = result.get_asset_materialization_events()[0].event_specific_data.materialization.metadata
    table = Lake(home.settings().lake_dir).read(WEEKLY_TABLE)
    assert table.get_column("period_start").unique().sort().to_list() == [WEEKS[0], WEEKS[2]]
    success = table.filter(pl.col("kpi") == "first_attempt_success_rate").sort("period_start")
    assert success.get_column("value").to_list() == pytest.approx([0.6, 0.9])
    assert metadata["latest_first_attempt_success_rate"].value == pytest.approx(0.9)
    assert (metadata["baseline_week"].value, metadata["latest_week"].value) == (WEEKS[0].isoformat(), WEEKS[2].isoformat())
    assert "improved" in metadata["improvement"].value
