"""Validation, quarantine, redaction and accounting of one landing day."""

import datetime as dt
import json

import polars as pl
import pytest

from learning_pipeline.capture.processing import QUARANTINE_TABLE, field_of_error, process_partition, read_traces
from learning_pipeline.config import CaptureLimits
from learning_pipeline.lake import Lake
from learning_pipeline_tests.conftest import code_artifact, decision, envelope, lines_of

# The day under test is the first partition, so it also sweeps traces older than the start.
START = dt.date(2026, 3, 9)
DAY = "2026-03-09"
SAME_DAY = dt.datetime(2026, 3, 9, 20, 0, tzinfo=dt.timezone.utc)


def _process(learning_home, payloads, limits=CaptureLimits(), chunk_bytes=48 * 1024 * 1024):
    zone = learning_home.landing()
    zone.land(lines_of(*payloads), source="traces.jsonl", received_at=SAME_DAY)
    lake = learning_home.lake()
    files = zone.files_for(DAY, DAY)
    return process_partition(files, DAY, START, lake, limits, chunk_bytes=chunk_bytes), lake


def _quarantine(lake: Lake) -> pl.DataFrame:
    return lake.read(QUARANTINE_TABLE, [DAY]).sort("source_line")


def test_good_records_land_in_their_tables_with_snake_case_columns(learning_home):
    stats, lake = _process(
        learning_home,
        [
            envelope("decision", **decision()),
            envelope("code_artifact", **code_artifact()),
            envelope("pattern_usage", patternId="pat_1", buildId="bld_1", success=True, createdAt="2026-03-09 11:00:00"),
            envelope("build_summary", buildId="bld_1", firstAttemptSuccess=True, errorFixAttempts=0, buildTimeMs=1000, createdAt="2026-03-09T12:00:00Z"),
        ],
    )
    assert stats.lines_read == 4 and stats.accepted == 4 and stats.quarantined == 0
    decisions = read_traces(lake, "decision", [DAY])
    assert decisions.get_column("trace_id").to_list() == ["dec_1"]
    assert decisions.get_column("decision_type").to_list() == ["architecture_choice"]
    assert decisions.schema["created_at"] == pl.Datetime("us", "UTC")
    assert json.loads(decisions.get_column("context")[0]) == {"previousAttempts": 0, "intentSnippet": "a todo app"}
    usage = lake.read("raw_pattern_usage", [DAY])
    assert usage.get_column("created_at")[0] == dt.datetime(2026, 3, 9, 11, tzinfo=dt.timezone.utc)
    assert usage.get_column("event_id")[0]


def test_both_date_styles_and_offsets_are_accepted(learning_home):
    stats, lake = _process(
        learning_home,
        [
            envelope("decision", **decision("a", "2026-03-09T10:00:00.000Z")),
            envelope("decision", **decision("b", "2026-03-09 10:00:00")),
            envelope("decision", **decision("c", "2026-03-09T12:00:00+02:00")),
        ],
    )
    assert stats.quarantined == 0
    times = lake.read("raw_decisions", [DAY]).sort("trace_id").get_column("created_at").to_list()
    assert [t.hour for t in times] == [10, 10, 10]


def test_unknown_fields_are_kept_in_the_payload(learning_home):
    stats, lake = _process(learning_home, [envelope("decision", **decision(builderVersion="4.2.1"))])
    assert stats.accepted == 1
    payload = json.loads(lake.read("raw_decisions", [DAY]).get_column("payload")[0])
    assert payload["data"]["builderVersion"] == "4.2.1"


@pytest.mark.parametrize(
    "line, field, reason_part",
    [
        (b'{"kind": "decision", "data": {"traceId": "x"', "(line)", "invalid JSON"),
        (envelope("decision", **{k: v for k, v in decision("dec_9").items() if k != "userId"}), "userId", "missing required field"),
        (envelope("decision", **decision("dec_9", context={"previousAttempts": "two"})), "context.previousAttempts", "Expected `int`"),
        (envelope("decision", **decision("dec_9", phase="deploy")), "phase", "Invalid enum value 'deploy'"),
        (envelope("decision", **decision("dec_9", decision={"chosenOption": "a", "rejectedOptions": [], "reasoning": "r", "confidence": 1.5})), "decision.confidence", "<= 1"),
        (envelope("decision", **decision("dec_9", createdAt="2026-02-30T00:00:00Z")), "createdAt", "Invalid RFC3339 encoded datetime"),
        (envelope("decision", **decision("dec_9", createdAt="yesterday")), "createdAt", "Invalid RFC3339 encoded datetime"),
        (envelope("code_artifact", **code_artifact("art_9", versions=[{"version": 1, "code": "x", "timestamp": "soon", "trigger": "initial"}])),
         "versions[0].timestamp", "Invalid RFC3339 encoded datetime"),
        (envelope("deployment", id="x"), "kind", "unknown kind 'deployment'"),
        (envelope("decision", **decision("dec_9", createdAt="2024-01-01T00:00:00Z")), "createdAt", "before the partition start 2026-03-09"),
        (b'["not", "an", "object"]', "(record)", "invalid envelope: Expected `object`, got `array`"),
    ],
)
def test_bad_records_are_quarantined_with_a_reason_naming_the_field(learning_home, line, field, reason_part):
    stats, lake = _process(learning_home, [envelope("decision", **decision("dec_ok")), line])
    assert (stats.accepted, stats.quarantined, stats.lines_read) == (1, 1, 2)
    row = _quarantine(lake).row(0, named=True)
    assert row["field"] == field
    assert reason_part in row["reason"]
    assert row["source_file"] == "traces.jsonl" and row["source_line"] == 2
    assert row["raw"]  # nothing is lost: the (redacted) line is kept for replay
    if b"dec_9" in line or b"art_9" in line:
        assert row["record_id"] in ("dec_9", "art_9")


def test_oversize_field_and_oversize_line_are_quarantined(learning_home):
    big_code = "x" * 1_000_001
    art = code_artifact(versions=[{"version": 1, "code": big_code, "timestamp": "2026-03-09T10:00:00Z", "trigger": "initial"}])
    limits = CaptureLimits(max_line_bytes=1_500_000)
    stats, lake = _process(learning_home, [envelope("code_artifact", **art), envelope("decision", **decision(reasoning="y" * 2_000_000))], limits)
    rows = _quarantine(lake).to_dicts()
    assert [r["field"] for r in rows] == ["versions[0].code", "(line)"]
    assert "length <= 1000000" in rows[0]["reason"] and "exceeds" in rows[1]["reason"]
    assert stats.accepted == 0 and stats.quarantined == 2


def test_secrets_never_reach_the_lake(learning_home):
    key = "AKIAIOSFODNN7EXAMPLQ"
    stats, lake = _process(
        learning_home,
        [
            envelope("decision", **decision(context={"previousAttempts": 0, "thinkingTrace": f"use key {key} for s3"})),
            envelope("decision", **decision("dec_bad", phase="deploy", reasoning=f"token {key}")),
        ],
    )
    assert stats.redactions["aws_access_key"] == 2
    stored = read_traces(lake, "decision", [DAY])
    assert key not in lake.read("raw_decisions", [DAY]).write_csv()
    assert "[REDACTED:aws_access_key]" in stored.get_column("context")[0]
    assert key not in _quarantine(lake).write_csv()
    assert stored.get_column("redactions").to_list() == [1]


def test_newest_copy_of_a_record_wins_and_is_counted_as_superseded(learning_home):
    old = code_artifact(updatedAt="2026-03-09T10:00:00Z")
    new = code_artifact(updatedAt="2026-03-09T15:00:00Z", filePath="src/App2.tsx")
    stats, lake = _process(learning_home, [envelope("code_artifact", **new), envelope("code_artifact", **old)], chunk_bytes=1)
    rows = lake.read("raw_code_artifacts", [DAY])
    assert rows.get_column("file_path").to_list() == ["src/App2.tsx"]
    assert stats.superseded == 1 and stats.accepted == 1 and stats.rows_by_table["raw_code_artifacts"] == 1


def test_accepted_plus_quarantined_equals_read_over_many_chunks(learning_home):
    payloads = []
    for i in range(300):
        payloads.append(envelope("decision", **decision(f"dec_{i}", phase="deploy" if i % 7 == 0 else "build")))
    stats, lake = _process(learning_home, payloads, chunk_bytes=4096)
    assert stats.lines_read == 300
    assert stats.accepted + stats.quarantined + stats.superseded == 300
    assert stats.quarantined == len([i for i in range(300) if i % 7 == 0])
    assert lake.row_count("raw_decisions", DAY) == stats.accepted


def test_field_of_error_reads_msgspec_messages():
    assert field_of_error("Object missing required field `userId` - at `$.context`") == "context.userId"
    assert field_of_error("Object missing required field `userId`") == "userId"
    assert field_of_error("Expected `int`, got `str` - at `$.versions[0].version`") == "versions[0].version"


def test_nested_objects_are_stored_once_and_read_back_as_json_columns(learning_home):
    _, lake = _process(learning_home, [envelope("code_artifact", **code_artifact())])
    stored = lake.read("raw_code_artifacts", [DAY])
    assert "versions" not in stored.columns and "payload" in stored.columns
    read = read_traces(lake, "code_artifact", [DAY])
    assert json.loads(read.get_column("versions")[0])[0]["code"] == "export const App = () => null;"
    assert json.loads(read.get_column("patterns_used")[0])[0]["patternName"] == "typed-store"
