"""The training trigger: a shadow model trains when preference_threshold new pairs await it."""

import hashlib
import json

import dagster as dg
import polars as pl

from learning_pipeline.config import SHADOW_MODELS, EvolutionConfig
from learning_pipeline.preferences.pairs import PAIR_SCHEMA
from learning_pipeline.preferences.training_ledger import held_pair_ids, new_pairs
from learning_pipeline.resources import LearningHome
from learning_pipeline.run_keys import retryable_run_key

PAIR_SET_TAG = "learning/pair_set"
MODEL_TAG = "learning/model"


def training_requests(context, learning_home: LearningHome, threshold: int) -> tuple[list[dg.RunRequest], dict]:
    """One request per model whose new pairs reached the threshold. The cursor remembers the pair
    set each model was last asked to train on, so a tick that sees the same set asks nothing; a
    failed run releases its pairs and is requested again under a run key counting the failures."""
    lake = learning_home.lake()
    pairs = lake.read("preference_pairs", schema={**PAIR_SCHEMA, "split": pl.String})
    cursor = json.loads(context.cursor) if context.cursor else {}
    requests = []
    for model in SHADOW_MODELS:
        waiting = new_pairs(pairs, model.training_focus, held_pair_ids(lake, context.instance, model.name))
        if waiting.height < threshold:
            continue
        pair_set = hashlib.sha256("\n".join(sorted(waiting.get_column("pair_id").to_list())).encode()).hexdigest()[:16]
        run_key = retryable_run_key(context.instance, f"train:{model.name}:{pair_set}",
                                    {PAIR_SET_TAG: pair_set, MODEL_TAG: model.name})
        if cursor.get(model.name) == run_key:
            continue
        cursor[model.name] = run_key
        requests.append(
            dg.RunRequest(
                run_key=run_key,
                partition_key=model.name,
                tags={PAIR_SET_TAG: pair_set, MODEL_TAG: model.name, "learning/training": "true",
                      "learning/new_pairs": str(waiting.height)},
            )
        )
    return requests, cursor


def build_preference_sensor(training_job, threshold: int | None = None) -> dg.SensorDefinition:
    @dg.sensor(
        name="preference_threshold_sensor",
        job=training_job,
        minimum_interval_seconds=60,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Requests a training run for each shadow model with enough new preference pairs.",
    )
    def preference_threshold_sensor(context: dg.SensorEvaluationContext, learning_home: LearningHome):
        limit = threshold if threshold is not None else EvolutionConfig().preference_threshold
        requests, cursor = training_requests(context, learning_home, limit)
        if not requests:
            return dg.SkipReason(f"no shadow model has {limit} new pairs waiting")
        return dg.SensorResult(run_requests=requests, cursor=json.dumps(cursor, sort_keys=True))

    return preference_threshold_sensor
