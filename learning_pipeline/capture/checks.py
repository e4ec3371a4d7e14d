"""Capture-layer checks as plain functions returning AssetCheckResult (tests call them directly)."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import polars as pl

from learning_pipeline.capture.landing import LandingZone
from learning_pipeline.capture.processing import QUARANTINE_TABLE, STATS_TABLE, record_key, stored_schema
from learning_pipeline.capture.redaction import redaction_counts_frame
from learning_pipeline.capture.wire import TraceKind
from learning_pipeline.lake import Lake
from learning_pipeline.metadata import redacted


def count_lines(files: list[Path]) -> int:
    """Non-empty lines, counted straight from the landing files (independent of processing)."""
    total = 0
    for path in files:
        with open(path, "rb") as handle:
            total += sum(1 for raw in handle if raw.rstrip(b"\r\n"))
    return total


def check_unique_ids(lake: Lake, spec: TraceKind, partitions: list[str]) -> dg.AssetCheckResult:
    key = record_key(spec)
    ids = lake.read(spec.table, partitions, schema=stored_schema(spec)).get_column(key)
    duplicated = ids.filter(ids.is_duplicated()).unique().sort().to_list()
    return dg.AssetCheckResult(
        passed=not duplicated,
        check_name="unique_ids",
        asset_key=spec.table,
        metadata={"rows": len(ids), "duplicated_ids": len(duplicated), "examples": redacted(", ".join(map(str, duplicated[:5])))},
    )


def check_schema_as_declared(lake: Lake, spec: TraceKind, partitions: list[str]) -> dg.AssetCheckResult:
    declared = {name: str(dtype) for name, dtype in stored_schema(spec).items()}
    mismatches = []
    for partition in partitions:
        path = lake.partition_path(spec.table, partition)
        if not path.exists():
            mismatches.append(f"{partition}: missing file")
            continue
        actual = {name: str(dtype) for name, dtype in pl.read_parquet_schema(path).items()}
        if actual != declared:
            diff = sorted(set(actual.items()) ^ set(declared.items()))
            mismatches.append(f"{partition}: {diff[:4]}")
    return dg.AssetCheckResult(
        passed=not mismatches,
        check_name="schema_as_declared",
        asset_key=spec.table,
        metadata={"columns": len(declared), "mismatches": "\n".join(mismatches[:10]) or "none"},
    )


def check_secrets_redacted(lake: Lake, spec: TraceKind, partitions: list[str]) -> dg.AssetCheckResult:
    """Re-scan what was stored: a second redaction pass must find nothing left."""
    frame = lake.read(spec.table, partitions, schema=stored_schema(spec))
    _, leftover = redaction_counts_frame(frame.get_column("payload"))
    remaining = {k: int(v) for k, v in leftover.sum().row(0, named=True).items() if v} if frame.height else {}
    return dg.AssetCheckResult(
        passed=not remaining,
        check_name="secrets_redacted",
        asset_key=spec.table,
        metadata={
            "redactions_at_capture": int(frame.get_column("redactions").sum() or 0) if frame.height else 0,
            "secrets_found_on_rescan": sum(remaining.values()),
            "kinds_found_on_rescan": ", ".join(sorted(remaining)) or "none",
        },
    )


def check_lines_accounted(
    lake: Lake, landing: LandingZone, partitions: list[str], first_partition: str, tables: list[str]
) -> dg.AssetCheckResult:
    """rows + superseded + quarantined + duplicates = lines read, with `read` counted again from
    the landing files and rows counted from the tables."""
    read = sum(count_lines(landing.files_for(p, first_partition)) for p in partitions)
    rows = sum(lake.row_count(t, p) for t in tables for p in partitions)
    quarantined = sum(lake.row_count(QUARANTINE_TABLE, p) for p in partitions)
    stats = lake.read(STATS_TABLE, partitions)
    superseded = int(stats.get_column("superseded").sum()) if stats.height else 0
    duplicates = int(stats.get_column("duplicates").sum()) if "duplicates" in stats.columns else 0
    accepted = rows + superseded
    return dg.AssetCheckResult(
        passed=accepted + quarantined + duplicates == read,
        check_name="lines_accounted",
        asset_key=QUARANTINE_TABLE,
        metadata={
            "lines_read": read,
            "accepted": accepted,
            "rows_stored": rows,
            "superseded_copies": superseded,
            "quarantined": quarantined,
            "duplicate_bad_lines": duplicates,
            "unaccounted": read - accepted - quarantined - duplicates,
        },
    )
