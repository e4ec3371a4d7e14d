"""The landing-zone sensor: what changed is requested, what is done is not, failures retry."""

import datetime as dt
import uuid

import dagster as dg

from learning_pipeline.capture.definitions import capture_job, definitions
from learning_pipeline.capture.sensors import CAPTURE_KEY_TAG, build_landing_sensor, contiguous_ranges
from learning_pipeline.run_keys import retry_decision
from learning_pipeline.config import RetryPolicy
from learning_pipeline.resources import LearningHome
from learning_pipeline_tests.conftest import decision, envelope, lines_of

ARRIVAL = dt.datetime(2026, 3, 12, 9, 0, tzinfo=dt.timezone.utc)


NO_WAIT = RetryPolicy(backoff_base_s=0)


def _evaluate(learning_home: LearningHome, instance, retry=NO_WAIT):
    sensor = build_landing_sensor(capture_job, retry)
    context = dg.build_sensor_context(instance=instance, resources={"learning_home": learning_home})
    return sensor(context)


def _tick(learning_home: LearningHome, instance, retry=NO_WAIT):
    result = _evaluate(learning_home, instance, retry)
    return [] if isinstance(result, dg.SkipReason) else result.run_requests


def _run(learning_home, instance, request):
    defs = dg.Definitions.merge(definitions(), dg.Definitions(resources={"learning_home": learning_home}))
    return defs.resolve_job_def("capture_job").execute_in_process(
        instance=instance, partition_key=request.partition_key, tags=request.tags, raise_on_error=False
    )


def test_changed_days_are_requested_once_and_not_after_they_are_processed(learning_home):
    instance = dg.DagsterInstance.ephemeral()
    learning_home.landing().land(lines_of(envelope("decision", **decision("d1", "2026-03-09T10:00:00Z"))), "a", ARRIVAL)
    (request,) = _tick(learning_home, instance)
    assert request.partition_key == "2026-03-09"
    assert _run(learning_home, instance, request).success
    assert _tick(learning_home, instance) == []

    learning_home.landing().land(lines_of(envelope("decision", **decision("d2", "2026-03-09T11:00:00Z"))), "b", ARRIVAL)
    (again,) = _tick(learning_home, instance)
    assert again.partition_key == "2026-03-09" and again.run_key != request.run_key


def test_days_close_together_share_one_ranged_run(learning_home):
    instance = dg.DagsterInstance.ephemeral()
    learning_home.landing().land(
        lines_of(*(envelope("decision", **decision(f"d{d}", f"2026-03-0{d}T10:00:00Z")) for d in (2, 4, 5))), "a", ARRIVAL
    )
    (request,) = _tick(learning_home, instance)
    assert request.tags["dagster/asset_partition_range_start"] == "2026-03-02"
    assert request.tags["dagster/asset_partition_range_end"] == "2026-03-05"
    assert _run(learning_home, instance, request).success
    assert learning_home.lake().partitions("raw_decisions") == ["2026-03-02", "2026-03-03", "2026-03-04", "2026-03-05"]
    assert _tick(learning_home, instance) == []


def test_a_failed_run_is_retried_under_a_new_run_key(learning_home):
    instance = dg.DagsterInstance.ephemeral()
    learning_home.landing().land(lines_of(envelope("decision", **decision())), "a", ARRIVAL)
    (first,) = _tick(learning_home, instance)
    # The lake cannot be written (a file where its folder should be): the run fails.
    lake_root = learning_home.lake().root
    lake_root.parent.mkdir(parents=True, exist_ok=True)
    lake_root.write_text("not a folder")
    assert not _run(learning_home, instance, first).success
    failed = instance.get_run_records(dg.RunsFilter(tags={CAPTURE_KEY_TAG: first.tags[CAPTURE_KEY_TAG]}))
    assert failed and failed[0].dagster_run.status == dg.DagsterRunStatus.FAILURE
    lake_root.unlink()
    (retry,) = _tick(learning_home, instance)
    assert retry.run_key != first.run_key and retry.partition_key == first.partition_key
    assert _run(learning_home, instance, retry).success
    assert _tick(learning_home, instance) == []


def _record_run(instance, request, status):
    run = dg.DagsterRun(job_name="capture_job", run_id=str(uuid.uuid4()), status=status, tags=request.tags)
    instance.add_run(run)
    return run


def test_a_permanently_failing_capture_is_not_requested_forever(learning_home):
    instance = dg.DagsterInstance.ephemeral()
    learning_home.landing().land(lines_of(envelope("decision", **decision())), "a", ARRIVAL)
    keys = []
    for attempt in range(3):
        (request,) = _tick(learning_home, instance)
        keys.append(request.run_key)
        _record_run(instance, request, dg.DagsterRunStatus.FAILURE)
    assert len(set(keys)) == 3  # each retry under a fresh key
    skipped = _evaluate(learning_home, instance)
    assert isinstance(skipped, dg.SkipReason)
    assert "capture of 2026-03-09 failed 3 times in a row" in skipped.skip_message
    assert "not requested again until its input changes" in skipped.skip_message
    # New data for the day is new work: asked for again.
    learning_home.landing().land(lines_of(envelope("decision", **decision("d2"))), "b", ARRIVAL)
    (fresh,) = _tick(learning_home, instance)
    assert fresh.partition_key == "2026-03-09"


def test_a_failed_capture_waits_before_its_retry_and_a_success_ends_the_streak(learning_home):
    instance = dg.DagsterInstance.ephemeral()
    learning_home.landing().land(lines_of(envelope("decision", **decision())), "a", ARRIVAL)
    (request,) = _tick(learning_home, instance)
    failed = _record_run(instance, request, dg.DagsterRunStatus.FAILURE)
    waiting = _evaluate(learning_home, instance, RetryPolicy(backoff_base_s=600))
    assert isinstance(waiting, dg.SkipReason) and "failed 1 time(s) in a row; retry 1 of 2 after" in waiting.skip_message
    tags = {CAPTURE_KEY_TAG: request.tags[CAPTURE_KEY_TAG]}
    policy = RetryPolicy(backoff_base_s=600)
    failed_at = instance.get_run_record_by_id(failed.run_id).update_timestamp.timestamp()
    assert retry_decision(instance, "k", tags, "capture", policy, now=failed_at + 599).run_key is None
    assert retry_decision(instance, "k", tags, "capture", policy, now=failed_at + 601).run_key == "k:1"
    _record_run(instance, request, dg.DagsterRunStatus.FAILURE)
    assert retry_decision(instance, "k", tags, "capture", policy, now=failed_at + 601).run_key is None  # the wait doubled
    # A run in flight for the same files: nothing is requested beside it.
    running = _record_run(instance, request, dg.DagsterRunStatus.STARTED)
    assert f"run {running.run_id} is started" in retry_decision(instance, "k", tags, "capture", NO_WAIT).why_not
    instance.add_run(dg.DagsterRun(job_name="capture_job", run_id=str(uuid.uuid4()), status=dg.DagsterRunStatus.SUCCESS, tags=request.tags))
    instance.delete_run(running.run_id)
    _record_run(instance, request, dg.DagsterRunStatus.FAILURE)
    _record_run(instance, request, dg.DagsterRunStatus.FAILURE)
    # Two failures after a success: the streak is two, not four.
    assert retry_decision(instance, "k", tags, "capture", NO_WAIT).run_key == "k:4"


def test_contiguous_ranges_split_on_gaps():
    assert contiguous_ranges(["2026-01-01", "2026-01-03", "2026-02-01"], max_gap_days=7) == [
        ("2026-01-01", "2026-01-03"), ("2026-02-01", "2026-02-01")
    ]
