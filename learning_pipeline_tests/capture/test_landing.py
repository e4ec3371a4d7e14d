"""The landing zone and the importers."""

import datetime as dt
import gzip
import json
import sqlite3

from learning_pipeline.capture.ingest import ingest_path
from learning_pipeline.capture.landing import LandingFileMeta, LandingZone, route
from learning_pipeline_tests.conftest import RECEIVED, decision, envelope, lines_of, write_jsonl


def test_lines_are_routed_to_their_own_day_and_undated_lines_to_arrival(tmp_path):
    zone = LandingZone(tmp_path)
    receipt = zone.land(
        lines_of(
            envelope("decision", **decision("a", "2026-03-01T10:00:00Z")),
            envelope("decision_outcome", traceId="a", outcome={}, outcomeRecordedAt="2026-03-04 09:00:00"),
            b"{not json",
            envelope("decision", **decision("b", "2031-01-01T00:00:00Z")),  # a clock error, not the future
        ),
        source="x.jsonl",
        received_at=RECEIVED,
    )
    assert receipt.lines_by_partition == {"2026-03-01": 1, "2026-03-04": 1, "2026-03-10": 2}
    assert zone.partitions() == ["2026-03-01", "2026-03-04", "2026-03-10"]
    meta = LandingFileMeta.read(zone.files("2026-03-10")[0])
    assert meta.source == "x.jsonl" and meta.lines == [3, 4]


def test_files_are_written_completely_with_no_temp_files_left(tmp_path):
    zone = LandingZone(tmp_path)
    zone.land(lines_of(envelope("decision", **decision())), source="x", received_at=RECEIVED)
    leftovers = [p for p in tmp_path.rglob("*") if p.name.endswith(".tmp")]
    assert leftovers == []
    (path,) = zone.files("2026-03-09")
    assert json.loads(path.read_text())["data"]["traceId"] == "dec_1"


def test_ingesting_the_same_file_twice_adds_nothing(tmp_path):
    zone = LandingZone(tmp_path / "landing")
    src = write_jsonl(tmp_path / "t.jsonl", [envelope("decision", **decision(f"d{i}")) for i in range(5)] + [b"garbage"])
    first = ingest_path(src, zone, received_at=RECEIVED).receipt
    second = ingest_path(src, zone, received_at=RECEIVED + dt.timedelta(days=2)).receipt
    assert first.lines == 6 and second.lines == 0 and second.duplicate_lines == 6
    assert sum(len(zone.files(p)) for p in zone.partitions()) == 2


def test_gzip_files_are_ingested(tmp_path):
    zone = LandingZone(tmp_path / "landing")
    path = tmp_path / "t.jsonl.gz"
    with gzip.open(path, "wb") as handle:
        handle.write(envelope("decision", **decision()) + b"\n")
    report = ingest_path(path, zone, received_at=RECEIVED)
    assert report.format == "jsonl.gz" and report.receipt.lines == 1


def test_builder_sqlite_database_is_ingested(tmp_path):
    db = tmp_path / "builder.db"
    con = sqlite3.connect(db)
    con.execute(
        "CREATE TABLE learning_decision_traces (id INTEGER PRIMARY KEY, trace_id TEXT, build_id TEXT, project_id TEXT,"
        " user_id TEXT, phase TEXT, decision_type TEXT, context TEXT, decision TEXT, outcome TEXT, created_at TEXT)"
    )
    d = decision()
    con.execute(
        "INSERT INTO learning_decision_traces VALUES (1, ?, ?, NULL, ?, ?, ?, ?, ?, ?, ?)",
        (d["traceId"], d["buildId"], d["userId"], d["phase"], d["decisionType"], json.dumps(d["context"]),
         json.dumps(d["decision"]), json.dumps({"immediateResult": "success", "requiredFixes": 0, "finalInProduction": True}),
         "2026-03-09 10:00:00"),
    )
    con.commit()
    con.close()
    zone = LandingZone(tmp_path / "landing")
    report = ingest_path(db, zone, received_at=RECEIVED)
    assert report.format == "sqlite" and report.receipt.lines == 1
    line = json.loads(zone.files("2026-03-09")[0].read_text())
    assert line["kind"] == "decision"
    assert line["data"]["traceId"] == "dec_1" and line["data"]["decisionType"] == "architecture_choice"
    assert line["data"]["outcome"]["immediateResult"] == "success"
    assert "projectId" not in line["data"] and "id" not in line["data"]
    assert ingest_path(db, zone, received_at=RECEIVED).receipt.lines == 0


def test_route_keeps_dates_and_falls_back_to_arrival():
    assert route(dt.date(2026, 1, 1), RECEIVED) == dt.date(2026, 1, 1)
    assert route(None, RECEIVED) == RECEIVED.date()
    # A day after the arrival day is a future date: it lands on the arrival day, to be quarantined.
    assert route(dt.date(2026, 3, 11), RECEIVED) == RECEIVED.date()
    assert route(dt.date(2026, 3, 20), RECEIVED) == RECEIVED.date()
