"""Closes a cycle once it has settled: its captures judged, its pairs rebuilt, and every model
whose new pairs reached the threshold has had its training run (promoted or rejected)."""

from __future__ import annotations

import datetime as dt

import dagster as dg
import polars as pl

from learning_pipeline.config import SHADOW_MODELS, preference_threshold_from_env
from learning_pipeline.cycle.record import CAPTURE_MARKER, last_record_id, latest
from learning_pipeline.lake import Lake
from learning_pipeline.preferences.pairs import PAIR_SCHEMA
from learning_pipeline.preferences.sensors import MODEL_TAG
from learning_pipeline.preferences.training_ledger import held_pair_ids, new_pairs
from learning_pipeline.resources import LearningHome
from learning_pipeline.run_keys import IN_FLIGHT


def cycle_open(instance: dg.DagsterInstance, lake: Lake, threshold: int) -> tuple[str | None, str]:
    """(run key, None-reason): a run key when the cycle since the last record has settled, else
    None and why it has not."""
    capture = latest(instance, CAPTURE_MARKER, after=last_record_id(instance))
    if capture is None:
        return None, "no traces captured since the last cycle record"
    running = instance.get_run_records(dg.RunsFilter(statuses=IN_FLIGHT), limit=1)
    if running:
        return None, f"the cycle is still turning: run {running[0].dagster_run.run_id} ({running[0].dagster_run.job_name}) is in flight"
    active = [b for b in instance.get_backfills(limit=20) if b.status.value == "REQUESTED"]
    if active:
        return None, f"the cycle is still turning: backfill {active[0].backfill_id} is in flight"
    pairs_record = latest(instance, "preference_pairs")
    if pairs_record is None or pairs_record.storage_id < capture.storage_id:
        return None, "the preference pairs have not been rebuilt since the last capture"
    pairs = lake.read("preference_pairs", schema={**PAIR_SCHEMA, "split": pl.String})
    rebuilt_at = dt.datetime.fromtimestamp(pairs_record.timestamp, dt.timezone.utc)
    for model in SHADOW_MODELS:
        waiting = new_pairs(pairs, model.training_focus, held_pair_ids(lake, instance, model.name)).height
        if waiting < threshold:
            continue
        trained = instance.get_run_records(dg.RunsFilter(tags={MODEL_TAG: model.name}, created_after=rebuilt_at), limit=1)
        if not trained:
            return None, f"{model.name} has {waiting} new pairs (threshold {threshold}): waiting for its training run"
    return f"cycle:{capture.storage_id}", ""


def build_cycle_record_sensor(cycle_record_job) -> dg.SensorDefinition:
    @dg.sensor(
        name="cycle_record_sensor",
        job=cycle_record_job,
        minimum_interval_seconds=30,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Records a cycle of the flywheel once it has settled: new traces captured, judged, the pairs "
        "rebuilt, and each model that reached the threshold trained and gated.",
    )
    def cycle_record_sensor(context: dg.SensorEvaluationContext, learning_home: LearningHome):
        run_key, why_not = cycle_open(context.instance, learning_home.lake(), preference_threshold_from_env())
        if run_key is None:
            return dg.SkipReason(why_not)
        return dg.RunRequest(run_key=run_key)

    return cycle_record_sensor
