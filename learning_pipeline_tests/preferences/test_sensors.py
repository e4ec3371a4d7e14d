"""The 500-pair trigger: 499 -> nothing, 500 -> one run, same tick -> nothing, failure -> again."""

import datetime as dt
import uuid

import dagster as dg
import polars as pl

from learning_pipeline.config import RetryPolicy
from learning_pipeline.preferences.assets import training_batches
from learning_pipeline.training.definitions import training_job
from learning_pipeline.preferences.pairs import PAIR_SCHEMA
from learning_pipeline.preferences.sensors import MODEL_TAG, PAIR_SET_TAG, build_preference_sensor
from learning_pipeline.preferences.training_ledger import consumption, record_consumption


def _pairs(n, domain="code", split="train", start=0):
    return pl.DataFrame(
        {
            "pair_id": [f"p{domain}{i}" for i in range(start, start + n)],
            "domain": domain, "prompt": "p", "judgment_reasoning": "", "margin": 50.0,
            "chosen": [f"chosen {domain} {i}" for i in range(start, start + n)],
            "rejected": [f"rejected {domain} {i}" for i in range(start, start + n)],
            "source_ids": "[]", "judgment_ids": "[]", "judge_version": "jv", "build_id": [f"b{i}" for i in range(start, start + n)],
            "created_at": dt.datetime(2026, 3, 9, tzinfo=dt.timezone.utc), "near_key": [f"k{domain}{i}" for i in range(start, start + n)],
            "split": split,
        },
        schema={**PAIR_SCHEMA, "split": pl.String},
    )


NO_WAIT = RetryPolicy(backoff_base_s=0)


def _evaluate(learning_home, instance, cursor=None, retry=NO_WAIT):
    context = dg.build_sensor_context(instance=instance, cursor=cursor, resources={"learning_home": learning_home})
    return build_preference_sensor(training_job, retry=retry)(context)


def _tick(learning_home, instance, cursor=None, retry=NO_WAIT):
    result = _evaluate(learning_home, instance, cursor, retry)
    if isinstance(result, dg.SkipReason):
        return [], cursor
    return result.run_requests, result.cursor


def test_the_threshold_is_crossed_once_and_a_failed_run_gives_its_pairs_back(learning_home):
    lake = learning_home.lake()
    instance = dg.DagsterInstance.ephemeral()
    # 499 code pairs, plus pairs the coder must not count: held out, or another model's domain.
    lake.write("preference_pairs", pl.concat([_pairs(499), _pairs(50, split="held_out", start=1000), _pairs(40, "design")]))
    assert _tick(learning_home, instance)[0] == []

    lake.write("preference_pairs", pl.concat([_pairs(500), _pairs(50, split="held_out", start=1000), _pairs(40, "design")]))
    (request,), cursor = _tick(learning_home, instance)
    assert request.partition_key == "builder-coder" and request.tags["learning/new_pairs"] == "500"
    assert _tick(learning_home, instance, cursor)[0] == []  # the same tick again asks nothing

    # The run takes its batch; those pairs are no longer new, whatever the cursor says.
    result = dg.materialize(
        [training_batches], instance=instance, partition_key=request.partition_key, tags=request.tags,
        resources={"learning_home": learning_home},
    )
    assert result.success
    assert consumption(lake).height == 500
    assert _tick(learning_home, instance)[0] == []

    # A failed run releases what it consumed: the same pairs are requested again, under a new key.
    lake.write("preference_pairs", pl.concat([_pairs(1000), _pairs(50, split="held_out", start=1000)]))
    (second,), cursor = _tick(learning_home, instance, cursor)
    assert second.tags["learning/new_pairs"] == "500"
    failed = dg.DagsterRun(job_name="training_job", run_id=str(uuid.uuid4()), status=dg.DagsterRunStatus.FAILURE,
                           tags={PAIR_SET_TAG: second.tags[PAIR_SET_TAG], MODEL_TAG: "builder-coder"})
    instance.add_run(failed)
    record_consumption(lake, failed.run_id, "builder-coder", [f"pcode{i}" for i in range(500, 1000)])
    assert _tick(learning_home, instance, cursor)[0] != []  # released even though the cursor saw this set
    (retry,), _ = _tick(learning_home, instance, cursor)
    assert retry.tags[PAIR_SET_TAG] == second.tags[PAIR_SET_TAG] and retry.run_key != second.run_key


def _failed_training(instance, lake, request, status=dg.DagsterRunStatus.FAILURE):
    run = dg.DagsterRun(job_name="training_job", run_id=str(uuid.uuid4()), status=status,
                        tags={PAIR_SET_TAG: request.tags[PAIR_SET_TAG], MODEL_TAG: request.partition_key})
    instance.add_run(run)
    return run


def test_a_permanently_failing_training_run_is_not_requested_forever(learning_home):
    lake = learning_home.lake()
    instance = dg.DagsterInstance.ephemeral()
    lake.write("preference_pairs", _pairs(500))
    cursor, keys = None, []
    for attempt in range(3):
        (request,), cursor = _tick(learning_home, instance, cursor)
        keys.append(request.run_key)
        _failed_training(instance, lake, request)
    assert len(set(keys)) == 3
    skipped = _evaluate(learning_home, instance, cursor)
    assert isinstance(skipped, dg.SkipReason)
    assert "training builder-coder on 500 pairs failed 3 times in a row" in skipped.skip_message
    # The default policy waits after a failure before asking again.
    lake.write("preference_pairs", _pairs(501))
    (request,), cursor = _tick(learning_home, instance, cursor)
    _failed_training(instance, lake, request)
    waiting = _evaluate(learning_home, instance, cursor, retry=RetryPolicy())
    assert isinstance(waiting, dg.SkipReason) and "failed 1 time(s) in a row; retry 1 of 2 after" in waiting.skip_message


def test_a_model_with_a_training_run_in_flight_is_not_requested_again(learning_home):
    lake = learning_home.lake()
    instance = dg.DagsterInstance.ephemeral()
    lake.write("preference_pairs", _pairs(500))
    (request,), cursor = _tick(learning_home, instance)
    running = _failed_training(instance, lake, request, status=dg.DagsterRunStatus.STARTED)
    lake.write("preference_pairs", _pairs(520))  # the started run has not taken its batch yet
    skipped = _evaluate(learning_home, instance, cursor)
    assert isinstance(skipped, dg.SkipReason) and f"builder-coder is training in run {running.run_id}" in skipped.skip_message


def test_held_out_pairs_never_enter_a_training_batch(learning_home):
    from learning_pipeline.preferences.checks import check_held_out_never_trained

    lake = learning_home.lake()
    lake.write("preference_pairs", pl.concat([_pairs(5), _pairs(3, split="held_out", start=100)]))
    assert check_held_out_never_trained(lake).passed
    record_consumption(lake, "r1", "builder-coder", ["pcode100"])  # a held-out pair trained on
    result = check_held_out_never_trained(lake)
    assert not result.passed and result.metadata["held_out_pairs_in_training_sets"].value == 1
