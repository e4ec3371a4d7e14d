"""The training trigger: a shadow model trains when preference_threshold new pairs await it."""

import hashlib
import json

import dagster as dg
import polars as pl

from learning_pipeline.config import SHADOW_MODELS, RetryPolicy, preference_threshold_from_env
from learning_pipeline.preferences.pairs import PAIR_SCHEMA
from learning_pipeline.preferences.training_ledger import held_pair_ids, new_pairs
from learning_pipeline.resources import LearningHome
from learning_pipeline.run_keys import in_flight, retry_decision

PAIR_SET_TAG = "learning/pair_set"
MODEL_TAG = "learning/model"


def training_requests(context, learning_home: LearningHome, threshold: int,
                      retry: RetryPolicy | None = None) -> tuple[list[dg.RunRequest], dict, list[str]]:
    """One request per model whose new pairs reached the threshold. The cursor remembers the pair
    set each model was last asked to train on, so a tick that sees the same set asks nothing; a
    failed run releases its pairs and is requested again (after a backoff, a few times at most)
    under a run key counting the failures. A model with a training run in flight is not asked
    again: the run would only find the pairs the first one left. Also returns why models with
    enough pairs are not requested now."""
    retry = retry or RetryPolicy()
    lake = learning_home.lake()
    pairs = lake.read("preference_pairs", schema={**PAIR_SCHEMA, "split": pl.String})
    cursor = json.loads(context.cursor) if context.cursor else {}
    requests, waiting = [], []
    for model in SHADOW_MODELS:
        waiting_pairs = new_pairs(pairs, model.training_focus, held_pair_ids(lake, context.instance, model.name))
        if waiting_pairs.height < threshold:
            continue
        running = in_flight(context.instance, {MODEL_TAG: model.name})
        if running is not None:
            waiting.append(f"{model.name} is training in run {running.dagster_run.run_id}")
            continue
        pair_set = hashlib.sha256("\n".join(sorted(waiting_pairs.get_column("pair_id").to_list())).encode()).hexdigest()[:16]
        tags = {PAIR_SET_TAG: pair_set, MODEL_TAG: model.name}
        decision = retry_decision(context.instance, f"train:{model.name}:{pair_set}", tags,
                                  f"training {model.name} on {waiting_pairs.height} pairs", retry)
        if decision.run_key is None:
            waiting.append(decision.why_not)
            continue
        if cursor.get(model.name) == decision.run_key:
            continue
        cursor[model.name] = decision.run_key
        requests.append(
            dg.RunRequest(
                run_key=decision.run_key,
                partition_key=model.name,
                tags={**tags, "learning/training": "true", "learning/new_pairs": str(waiting_pairs.height)},
            )
        )
    return requests, cursor, waiting


def build_preference_sensor(training_job, threshold: int | None = None, retry: RetryPolicy | None = None) -> dg.SensorDefinition:
    @dg.sensor(
        name="preference_threshold_sensor",
        job=training_job,
        minimum_interval_seconds=60,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Requests a training run for each shadow model with enough new preference pairs; "
        "failed runs are retried with backoff, and no longer after a few failures in a row.",
    )
    def preference_threshold_sensor(context: dg.SensorEvaluationContext, learning_home: LearningHome):
        limit = threshold if threshold is not None else preference_threshold_from_env()
        requests, cursor, waiting = training_requests(context, learning_home, limit, retry)
        if not requests:
            return dg.SkipReason("; ".join(waiting) if waiting else f"no shadow model has {limit} new pairs waiting")
        for why in waiting:
            context.log.warning(why)
        return dg.SensorResult(run_requests=requests, cursor=json.dumps(cursor, sort_keys=True))

    return preference_threshold_sensor
