"""What one cycle of the flywheel did, read from the Dagster event log, and when a cycle is over.

A cycle is everything materialized since the previous cycle record: the captures of the landing
files that arrived, their judgments, the pairs rebuilt from them, the training runs those pairs
started (each behind the promotion gate) and the refreshes that ran meanwhile. The figures come
from the materializations' own metadata, so they are what the runs reported, not recomputed.
"""

from __future__ import annotations

import datetime as dt

import dagster as dg
import polars as pl

from learning_pipeline.lake import Lake
from learning_pipeline.metrics import sources
from learning_pipeline.metrics.kpis import BUILD_KPIS, PATTERNS
from learning_pipeline.metrics.weekly import kpi_estimates

CYCLES_TABLE = "cycle_records"
CAPTURE_MARKER = "trace_quarantine"  # one materialization per captured day, with that day's line counts
# The cycle's counts, in column order; their descriptions live in columns.py with every other table's.
COUNT_COLUMNS = (
    "days_captured",
    "traces_captured",
    "lines_quarantined",
    "judgments_run",
    "pairs_generated",
    "pairs_total",
    "patterns_extracted",
    "strategies_updated",
    "models_trained",
    "models_promoted",
    "models_rejected",
)
KPI_KEYS = [k.key for k in (*BUILD_KPIS, PATTERNS)]
SCHEMA: dict[str, pl.DataType] = {
    "cycle": pl.Int64, "started_at": pl.Datetime("us", "UTC"), "ended_at": pl.Datetime("us", "UTC"),
    **{name: pl.Int64 for name in COUNT_COLUMNS},
    "promoted": pl.String, "rejected": pl.String,
    **{f"{key}_{end}": pl.Float64 for key in KPI_KEYS for end in ("start", "end")},
}


def _records(instance: dg.DagsterInstance, key: str, after: int | None) -> list:
    return instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=dg.AssetKey(key), after_storage_id=after), limit=10_000, ascending=True,
    ).records


def _number(record, name: str) -> int:
    value = record.asset_materialization.metadata.get(name)
    return int(value.value) if value is not None and value.value is not None else 0


def last_record_id(instance: dg.DagsterInstance) -> int | None:
    records = instance.fetch_materializations(dg.AssetKey(CYCLES_TABLE), limit=1, ascending=False).records
    return records[0].storage_id if records else None


def latest(instance: dg.DagsterInstance, key: str, after: int | None = None):
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=dg.AssetKey(key), after_storage_id=after), limit=1, ascending=False,
    ).records
    return records[0] if records else None


def kpis_now(lake: Lake) -> dict[str, float | None]:
    """Every build KPI over all builds captured so far, and the library size."""
    values = {key: estimate.value for key, estimate in kpi_estimates(sources.builds(lake), sources.errors(lake)).items()}
    values[PATTERNS.key] = float(lake.row_count("pattern_library"))
    return {key: (None if values.get(key) is None else float(values[key])) for key in KPI_KEYS}


def cycle_row(instance: dg.DagsterInstance, lake: Lake, previous: dict | None, now: dt.datetime) -> dict:
    """The record of the cycle since the last one (`previous`, its row; None for the first)."""
    after = last_record_id(instance)
    captures = _records(instance, CAPTURE_MARKER, after)
    judged = _records(instance, "judgments", after)
    pairs = _records(instance, "preference_pairs", after)
    library = _records(instance, "pattern_library", after)
    posteriors = _records(instance, "strategy_posteriors", after)
    evaluated = _records(instance, "adapter_evaluation", after)
    promotions = _records(instance, "shadow_promotion", after)
    promoted_runs = {r.run_id for r in promotions}
    rejected = [r for r in evaluated if r.run_id not in promoted_runs]

    def version(record, name: str) -> str:
        return f"{record.partition_key} v{_number(record, name)}"

    started = (dt.datetime.fromtimestamp(captures[0].timestamp, dt.timezone.utc) if captures else now)
    end_kpis = kpis_now(lake)
    return {
        "cycle": (previous["cycle"] + 1) if previous else 1,
        "started_at": started,
        "ended_at": now,
        "days_captured": len({r.partition_key for r in captures}),
        "traces_captured": sum(_number(r, "accepted") for r in captures),
        "lines_quarantined": sum(_number(r, "quarantined") for r in captures),
        "judgments_run": sum(_number(r, "judged_now") for r in judged),
        "pairs_generated": sum(_number(r, "added_since_last_run") for r in pairs),
        "pairs_total": lake.row_count("preference_pairs"),
        "patterns_extracted": sum(_number(r, "growth") for r in library),
        "strategies_updated": _number(posteriors[-1], "dagster/row_count") if posteriors else 0,
        "models_trained": len(evaluated),
        "models_promoted": len(promotions),
        "models_rejected": len(rejected),
        "promoted": ", ".join(version(r, "promoted_version") for r in promotions),
        "rejected": ", ".join(version(r, "candidate_version") for r in rejected),
        **{f"{key}_start": (previous or {}).get(f"{key}_end") for key in KPI_KEYS},
        **{f"{key}_end": end_kpis[key] for key in KPI_KEYS},
    }
