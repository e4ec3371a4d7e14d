"""The capture assets through Dagster: idempotent partitions, checks, the outcome join."""

import datetime as dt

import dagster as dg
import polars as pl

from learning_pipeline.capture.assets import capture_traces, decision_traces
from learning_pipeline.capture.processing import QUARANTINE_TABLE
from learning_pipeline.capture.wire import TRACE_KINDS
from learning_pipeline_tests.conftest import code_artifact, decision, envelope, lines_of

ARRIVAL = dt.datetime(2026, 3, 12, 9, 0, tzinfo=dt.timezone.utc)


def _land(learning_home, *payloads, received_at=ARRIVAL):
    learning_home.landing().land(lines_of(*payloads), source="t.jsonl", received_at=received_at)


def _materialize(learning_home, partition, instance=None):
    return dg.materialize(
        [capture_traces], resources={"learning_home": learning_home}, partition_key=partition,
        instance=instance or dg.DagsterInstance.ephemeral(),
    )


def _snapshot(lake, partition):
    return {t: lake.read(t, [partition]).sort(lake.read(t, [partition]).columns[0]) for t in
            [*(s.table for s in TRACE_KINDS.values()), QUARANTINE_TABLE]}


def test_materializing_a_partition_twice_gives_identical_tables(learning_home):
    _land(
        learning_home,
        envelope("decision", **decision("d1")),
        envelope("decision", **decision("d2", phase="deploy")),
        envelope("code_artifact", **code_artifact()),
    )
    first = _materialize(learning_home, "2026-03-09")
    assert first.success
    lake = learning_home.lake()
    before = _snapshot(lake, "2026-03-09")
    assert _materialize(learning_home, "2026-03-09").success
    after = _snapshot(lake, "2026-03-09")
    for table in before:
        assert before[table].equals(after[table]), table
    assert before["raw_decisions"].height == 1 and before[QUARANTINE_TABLE].height == 1


def test_checks_pass_and_metadata_tells_the_story(learning_home):
    _land(learning_home, envelope("decision", **decision("d1", reasoning="key sk-proj-AbCdEf0123456789AbCdEf0123456789xyz")),
          envelope("decision", **decision("d2", phase="deploy")))
    result = _materialize(learning_home, "2026-03-09")
    checks = result.get_asset_check_evaluations()
    assert len(checks) == 3 * len(TRACE_KINDS) + 1
    assert all(c.passed for c in checks), [c.check_name for c in checks if not c.passed]
    by_key = {m.asset_key.to_user_string(): m.metadata for m in result.get_asset_materialization_events() and
              [e.event_specific_data.materialization for e in result.get_asset_materialization_events()]}
    assert by_key["raw_decisions"]["dagster/row_count"].value == 1
    assert by_key["raw_decisions"]["redactions"].value == 1
    assert by_key[QUARANTINE_TABLE]["quarantined"].value == 1
    assert by_key[QUARANTINE_TABLE]["lines_read"].value == 2


def test_lines_accounted_check_fails_when_a_row_goes_missing(learning_home):
    from learning_pipeline.capture.assets import RAW_TABLES
    from learning_pipeline.capture.checks import check_lines_accounted

    _land(learning_home, envelope("decision", **decision("d1")), envelope("decision", **decision("d2")))
    assert _materialize(learning_home, "2026-03-09").success
    lake = learning_home.lake()
    lake.write("raw_decisions", lake.read("raw_decisions", ["2026-03-09"]).head(1), "2026-03-09")
    result = check_lines_accounted(lake, learning_home.landing(), ["2026-03-09"], "2025-06-01", RAW_TABLES)
    assert not result.passed and result.metadata["unaccounted"].value == 1


def test_a_newer_late_outcome_replaces_an_older_one_whatever_day_they_landed(learning_home):
    outcome = lambda result: {"immediateResult": result, "requiredFixes": 0, "finalInProduction": result == "success"}  # noqa: E731
    _land(
        learning_home,
        envelope("decision", **decision("d1", outcome=outcome("partial"), outcomeRecordedAt="2026-03-09T11:00:00Z")),
        envelope("decision", **decision("d2")),
        envelope("decision_outcome", traceId="d1", outcome=outcome("failure"), outcomeRecordedAt="2026-03-10T08:00:00Z"),
        envelope("decision_outcome", traceId="d1", outcome=outcome("success"), outcomeRecordedAt="2026-03-12T08:00:00Z"),
        envelope("decision_outcome", traceId="d2", outcome=outcome("failure"), outcomeRecordedAt="2026-03-11 08:00:00"),
    )
    instance = dg.DagsterInstance.ephemeral()
    for day in ("2026-03-09", "2026-03-10", "2026-03-11", "2026-03-12"):
        assert _materialize(learning_home, day, instance).success
    assert dg.materialize([capture_traces, decision_traces], selection=[decision_traces],
                          resources={"learning_home": learning_home}, instance=instance).success
    joined = learning_home.lake().read("decision_traces").sort("trace_id")
    results = [pl.Series([o]).str.json_decode().struct.field("immediateResult")[0] for o in joined.get_column("outcome")]
    assert results == ["success", "failure"]
    assert joined.get_column("outcome_source").to_list() == ["late", "late"]


def test_a_ranged_run_records_each_partitions_own_figures(learning_home):
    """One run over three days: every day's materialization event carries that day's row count,
    read back from the instance's event log (not the run's total stamped on every day)."""
    days = {"2026-03-07": 1, "2026-03-08": 3, "2026-03-09": 2}
    payloads = [envelope("decision", **decision(f"d{day}-{i}", created_at=f"{day}T10:00:00.000Z"))
                for day, n in days.items() for i in range(n)]
    bad = envelope("decision", **decision("bad", created_at="2026-03-08T11:00:00.000Z", buildId=123))
    _land(learning_home, *payloads, bad)
    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize(
        [capture_traces], resources={"learning_home": learning_home}, instance=instance,
        tags={"dagster/asset_partition_range_start": "2026-03-07", "dagster/asset_partition_range_end": "2026-03-09"},
    )
    assert result.success
    for table, expected in [("raw_decisions", days), (QUARANTINE_TABLE, {"2026-03-07": 0, "2026-03-08": 1, "2026-03-09": 0})]:
        records = instance.fetch_materializations(dg.AssetKey(table), limit=10).records
        recorded = {r.partition_key: r.asset_materialization.metadata["dagster/row_count"].value for r in records}
        assert recorded == expected, table
