"""Issue 9, "nothing lost, nothing leaked": bad files and lines at ingest, redaction before the
first byte is stored, UTC routing, one id one row across days, idempotent and atomic landing."""

import datetime as dt
import gzip
import json
import multiprocessing
import sqlite3
from pathlib import Path

import dagster as dg
import polars as pl

from learning_pipeline.capture.assets import capture_traces, decision_traces
from learning_pipeline.capture.ingest import ingest_path, sniff
from learning_pipeline.capture.landing import LandingZone
from learning_pipeline.capture.processing import QUARANTINE_TABLE, process_partition
from learning_pipeline.simulation import simulate
from learning_pipeline.cli import main, status_report
from learning_pipeline_tests.conftest import decision, envelope, write_jsonl

DAY = "2026-03-09"
ARRIVAL = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.timezone.utc)
AWS = "AKIAIOSFODNN7EXAMPLQ"
OPENAI = "sk-proj-AbCdEf0123456789AbCdEf0123456789xyz"
GITHUB = "ghp_1a2B3c4D5e6F7g8H9i0J1k2L3m4N5o6P7q8R"


def _process(home, *days):
    """Process days as the capture asset does (with the landing index's cross-day supersession)."""
    zone, lake = home.landing(), home.lake()
    start = dt.date(2025, 6, 1)
    return {
        d: process_partition(zone.files_for(d, "2025-06-01"), d, start, lake, landing_fingerprint=zone.fingerprint(zone.files(d)),
                             superseded_elsewhere=zone.superseded_elsewhere(d, start))
        for d in days
    }


def _every_stored_text(root: Path) -> str:
    """Everything under a folder as text: Parquet decoded (it is compressed), other files as bytes."""
    parts = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        if path.suffix == ".parquet":
            parts.append(pl.read_parquet(path).select(pl.all().cast(pl.String)).write_csv())
        else:
            parts.append(path.read_bytes().decode("utf-8", errors="replace"))
    return "\n".join(parts)


def test_secrets_are_redacted_before_the_first_byte_is_stored(learning_home, tmp_path):
    src = tmp_path / "traces.jsonl"
    src.write_bytes(b"\n".join([
        envelope("decision", **decision("d1", context={"previousAttempts": 0, "thinkingTrace": f"use {AWS}"})),
        envelope("decision", **decision("d2", phase="deploy", reasoning=f"token {OPENAI}")),  # quarantined
        b'{"kind": "decision", "data": {"reasoning": "' + GITHUB.encode() + b'"',  # invalid JSON
        b'{"kind": "decision", "note": "\xff\xfe ' + AWS.encode() + b'"}',  # invalid UTF-8
    ]) + b"\n")
    receipt = ingest_path(src, learning_home.landing(), received_at=ARRIVAL).receipt
    assert receipt.lines == 4 and sum(receipt.redactions.values()) == 4
    landing_text = _every_stored_text(learning_home.landing().root)
    for secret in (AWS, OPENAI, GITHUB):
        assert secret not in landing_text
    stats = _process(learning_home, DAY, "2026-03-10")
    assert stats[DAY].accepted == 1 and stats[DAY].redactions["aws_access_key"] == 1
    quarantine = learning_home.lake().read(QUARANTINE_TABLE)
    assert quarantine.height == 3
    everything = _every_stored_text(Path(learning_home.home))
    for secret in (AWS, OPENAI, GITHUB):
        assert secret not in everything
    assert "[REDACTED:aws_access_key]" in quarantine.filter(pl.col("reason").str.contains("UTF-8")).get_column("raw")[0]


def _gz(path: Path, payload: bytes) -> Path:
    path.write_bytes(gzip.compress(payload))
    return path


def _builder_db(path: Path, rows: list[tuple]) -> Path:
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE learning_decision_traces (id INTEGER PRIMARY KEY, trace_id TEXT, user_id TEXT, phase TEXT,"
                " decision_type TEXT, context, decision TEXT, created_at TEXT)")
    con.executemany("INSERT INTO learning_decision_traces VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    con.commit()
    con.close()
    return path


def _row(i, context):
    d = decision(f"sql_{i}")
    return (i, d["traceId"], d["userId"], d["phase"], d["decisionType"], context, json.dumps(d["decision"]), "2026-03-09 10:00:00")


def test_a_bad_file_or_line_never_stops_the_good_ones(learning_home, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("LEARNING_HOME", learning_home.home)
    good = lambda i: envelope("decision", **decision(f"good_{i}"))  # noqa: E731
    # valid but for an unknown field nested 5,000 deep (the decoder's depth limit)
    deep = envelope("decision", **decision("deep"))[:-2] + b', "extra": ' + b"[" * 5000 + b"]" * 5000 + b"}}"
    complete = gzip.compress(good(3) + b"\n" + good(4) + b"\n")
    files = [
        write_jsonl(tmp_path / "utf8.jsonl", [good(1), b'{"kind": "decision", "data": {"traceId": "\xc3\x28"}}']),
        write_jsonl(tmp_path / "deep.jsonl", [deep, good(2)]),
        tmp_path / "truncated.jsonl.gz",
        tmp_path / "corrupt.jsonl.gz",
        write_jsonl(tmp_path / "plain_named.gz", [good(5)]),  # not gzip at all: sniffed as JSON lines
        _builder_db(tmp_path / "blob.db", [_row(1, b"\x89PNG\x00\x01"), _row(2, json.dumps({"previousAttempts": 0}))]),
        _builder_db(tmp_path / "nested.db", [_row(3, '{"a":' * 3000 + "1" + "}" * 3000)]),
        tmp_path / "corrupt.db",
        write_jsonl(tmp_path / "last.jsonl", [good(6)]),
    ]
    files[2].write_bytes(complete[: len(complete) - 12])  # cut off before the trailer
    files[3].write_bytes(complete[:10] + b"\x00garbage-not-deflate" * 5)
    files[7].write_bytes(b"SQLite format 3\x00" + b"\x13" * 2000)

    code = main(["ingest", "--quiet", *map(str, files)])
    err = capsys.readouterr().err
    assert code == 1
    for name in ("utf8.jsonl", "deep.jsonl", "truncated.jsonl.gz", "corrupt.jsonl.gz", "blob.db", "nested.db", "corrupt.db"):
        assert name in err, name
    assert "Traceback" not in err
    # every error line names a file, a line or row, a field and a reason
    assert "utf8.jsonl: line 2: (line): invalid UTF-8" in err
    assert "blob.db: learning_decision_traces#1: context: column `context` holds 6 bytes of binary data" in err

    stats = _process(learning_home, *learning_home.landing().partitions())  # rejected lines land on their arrival day
    lake = learning_home.lake()
    ids = set(lake.read("raw_decisions").get_column("trace_id").to_list())
    assert {f"good_{i}" for i in (1, 2, 3, 5, 6)} | {"sql_2"} <= ids
    quarantine = lake.read(QUARANTINE_TABLE)
    reasons = " | ".join(quarantine.get_column("reason").to_list())
    for part in ("invalid UTF-8", "nested too deep", "gzip stream is truncated or corrupt", "binary data", "Expected `object`, got `str`"):
        assert part in reasons, part
    assert sum(s.lines_read for s in stats.values()) == sum(s.accepted + s.superseded + s.quarantined + s.duplicates for s in stats.values())


def test_content_not_the_name_decides_the_format(learning_home, tmp_path):
    out = tmp_path / "sim"
    summary = simulate(builds=3, seed=1, days=2, out=out, end_date=dt.date(2026, 3, 9))
    assert sniff(out) == "jsonl"
    report = ingest_path(out, learning_home.landing(), received_at=ARRIVAL)
    assert report.format == "jsonl" and report.receipt.lines == summary.lines
    gz = _gz(tmp_path / "no_extension", out.read_bytes())
    assert sniff(gz) == "gzip"


def test_a_bom_at_the_start_of_a_file_is_accepted(learning_home, tmp_path):
    src = tmp_path / "bom.jsonl"
    src.write_bytes(b"\xef\xbb\xbf" + envelope("decision", **decision("bom")) + b"\n")
    ingest_path(src, learning_home.landing(), received_at=ARRIVAL)
    stats = _process(learning_home, DAY)[DAY]
    assert (stats.accepted, stats.quarantined) == (1, 0)


def test_offsets_route_and_validate_by_the_same_utc_day(learning_home):
    # 23:30 at UTC-5 on the 8th is 04:30 UTC on the 9th: the 9th, both for routing and validation.
    line = envelope("decision", **decision("tz", "2026-03-08T23:30:00-05:00"))
    receipt = learning_home.landing().land([(1, line)], "t", ARRIVAL)
    assert receipt.lines_by_partition == {DAY: 1}
    stats = _process(learning_home, DAY)[DAY]
    assert (stats.accepted, stats.quarantined) == (1, 0)


def test_a_future_date_is_quarantined_and_reported(learning_home):
    line = envelope("decision", **decision("tomorrow", "2026-03-11T09:00:00Z"))
    receipt = learning_home.landing().land([(7, line)], "t", ARRIVAL)
    assert receipt.lines_by_partition == {"2026-03-10": 1}
    assert receipt.invalid_lines == 1 and "in the future" in receipt.problems[0][2]
    stats = _process(learning_home, "2026-03-10")["2026-03-10"]
    row = learning_home.lake().read(QUARANTINE_TABLE).row(0, named=True)
    assert stats.quarantined == 1 and row["field"] == "createdAt" and "after the day the trace arrived" in row["reason"]


def test_an_empty_trace_id_is_quarantined_under_no_borrowed_id(learning_home):
    learning_home.landing().land([(3, envelope("decision", **decision("")))], "t.jsonl", ARRIVAL)
    _process(learning_home, DAY)
    row = learning_home.lake().read(QUARANTINE_TABLE).row(0, named=True)
    assert row["field"] == "traceId" and row["record_id"] is None
    assert (row["source_file"], row["source_line"]) == ("t.jsonl", 3)


def test_one_id_is_one_row_across_days_and_the_newest_copy_wins(learning_home):
    zone = learning_home.landing()
    zone.land([(1, envelope("decision", **decision("d1", "2026-03-08T10:00:00Z", reasoning="first")))], "a", ARRIVAL)
    zone.land([(1, envelope("decision", **decision("d2", "2026-03-08T11:00:00Z")))], "a", ARRIVAL)
    instance = dg.DagsterInstance.ephemeral()

    def materialize(day):
        assert dg.materialize([capture_traces], resources={"learning_home": learning_home}, partition_key=day, instance=instance).success

    materialize("2026-03-08")
    before = zone.fingerprint(zone.files("2026-03-08"))
    # the same trace re-sent with another createdAt: it lands on the 9th
    zone.land([(1, envelope("decision", **decision("d1", "2026-03-09T10:00:00Z", reasoning="re-sent")))], "b", ARRIVAL)
    assert zone.fingerprint(zone.files("2026-03-08")) != before  # the 8th is stale: the sensor reprocesses it
    for day in ("2026-03-09", "2026-03-08", "2026-03-09"):  # any order, reruns included
        materialize(day)
    lake = learning_home.lake()
    raw = lake.read("raw_decisions")
    assert sorted(raw.get_column("trace_id").to_list()) == ["d1", "d2"]
    assert "re-sent" in raw.filter(pl.col("trace_id") == "d1").get_column("payload")[0]
    assert dg.materialize([capture_traces, decision_traces], selection=[decision_traces],
                          resources={"learning_home": learning_home}, instance=instance).success
    assert lake.read("decision_traces").height == 2
    capture = status_report(learning_home.settings())["capture"]
    assert capture == {"lines_read": 3, "accepted": 2, "superseded": 1, "quarantined": 0, "duplicates": 0}


def test_reingesting_a_grown_file_lands_only_the_new_lines(learning_home, tmp_path):
    bad = [envelope("decision", **decision(f"bad_{i}", phase="deploy")) for i in range(20)]
    src = write_jsonl(tmp_path / "t.jsonl", [envelope("decision", **decision("ok_1")), *bad])
    zone = learning_home.landing()
    first = ingest_path(src, zone, received_at=ARRIVAL).receipt
    more = [envelope("decision", **decision("ok_2")), envelope("decision", **decision("bad_new", phase="deploy"))]
    write_jsonl(src, [envelope("decision", **decision("ok_1")), *bad, *more])
    second = ingest_path(src, zone, received_at=ARRIVAL + dt.timedelta(hours=1)).receipt
    assert (first.lines, second.lines, second.duplicate_lines) == (21, 2, 21)
    stats = _process(learning_home, DAY)[DAY]
    assert (stats.accepted, stats.quarantined) == (2, 21)
    assert learning_home.lake().read(QUARANTINE_TABLE).get_column("raw").n_unique() == 21


def _ingest_in_another_process(args):
    root, src = args
    return ingest_path(Path(src), LandingZone(root), received_at=ARRIVAL).receipt.lines


def test_concurrent_ingests_of_the_same_content_land_it_once(tmp_path):
    lines = [envelope("decision", **decision(f"c{i}")) for i in range(300)]
    sources = [write_jsonl(tmp_path / f"copy{n}.jsonl", lines) for n in range(3)]
    root = tmp_path / "landing"
    with multiprocessing.get_context("spawn").Pool(3) as pool:
        landed = pool.map(_ingest_in_another_process, [(str(root), str(s)) for s in sources])
    assert sorted(landed) == [0, 0, 300]
    zone = LandingZone(root)
    stored = sum(len(p.read_text().splitlines()) for d in zone.partitions() for p in zone.files(d))
    assert stored == 300


def test_a_file_dropped_into_the_landing_zone_by_hand_is_redacted_by_processing(learning_home):
    folder = learning_home.landing().partition_dir(DAY)
    folder.mkdir(parents=True)
    (folder / "by_hand.jsonl").write_bytes(envelope("decision", **decision("hand", reasoning=f"key {AWS}")) + b"\n")
    stats = _process(learning_home, DAY)[DAY]
    assert stats.accepted == 1 and stats.redactions["aws_access_key"] == 1
    assert AWS not in _every_stored_text(learning_home.lake().root)
