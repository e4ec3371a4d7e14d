"""The landing-zone sensor: what changed is requested, what is done is not, failures retry."""

import datetime as dt

import dagster as dg

from learning_pipeline.capture.definitions import capture_job, definitions
from learning_pipeline.capture.sensors import CAPTURE_KEY_TAG, build_landing_sensor, contiguous_ranges
from learning_pipeline.resources import LearningHome
from learning_pipeline_tests.conftest import decision, envelope, lines_of

ARRIVAL = dt.datetime(2026, 3, 12, 9, 0, tzinfo=dt.timezone.utc)


def _tick(learning_home: LearningHome, instance):
    sensor = build_landing_sensor(capture_job)
    context = dg.build_sensor_context(instance=instance, resources={"learning_home": learning_home})
    result = sensor(context)
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


def test_contiguous_ranges_split_on_gaps():
    assert contiguous_ranges(["2026-01-01", "2026-01-03", "2026-02-01"], max_gap_days=7) == [
        ("2026-01-01", "2026-01-03"), ("2026-02-01", "2026-02-01")
    ]
