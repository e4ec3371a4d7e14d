"""The cycle record: one row per completed turn of the flywheel."""

import datetime as dt

import dagster as dg
import polars as pl

from learning_pipeline.code_versions import code_version_of
from learning_pipeline.cycle.record import COUNT_COLUMNS, CYCLES_TABLE, KPI_KEYS, SCHEMA, cycle_row
from learning_pipeline.metadata import markdown_preview, table_schema_metadata
from learning_pipeline.resources import LearningHome

_ALL = dg.AllPartitionMapping()
# Not part of a plain `learning-pipeline run`: it closes a cycle, after training (runner.plan_stages).
CYCLE_TAG = "learning/step"


@dg.asset(
    name=CYCLES_TABLE,
    group_name="cycle",
    kinds={"parquet", "polars"},
    deps=[dg.AssetDep("trace_quarantine", partition_mapping=_ALL), dg.AssetDep("judgments", partition_mapping=_ALL),
          "preference_pairs", "pattern_library", "strategy_posteriors",
          dg.AssetDep("adapter_evaluation", partition_mapping=_ALL), dg.AssetDep("shadow_promotion", partition_mapping=_ALL),
          "learning_metrics_weekly"],
    tags={CYCLE_TAG: "cycle"},
    code_version=code_version_of("learning_pipeline.cycle.record"),
    metadata={"dagster/column_schema": table_schema_metadata(SCHEMA, CYCLES_TABLE)},
    description="One row per completed cycle of the flywheel: traces captured, judgments run, pairs generated, "
    "patterns extracted, strategies updated, models trained / promoted / rejected, and the KPIs at its start "
    "and end. Written when a cycle has settled (cycle_record_sensor, or the CLI after training).",
)
def cycle_records(context: dg.AssetExecutionContext, learning_home: LearningHome) -> dg.MaterializeResult:
    lake = learning_home.lake()
    table = lake.read(CYCLES_TABLE, schema=SCHEMA)
    previous = table.sort("cycle").row(-1, named=True) if table.height else None
    row = cycle_row(context.instance, lake, previous, dt.datetime.now(dt.timezone.utc))
    table = pl.concat([table.cast(SCHEMA), pl.DataFrame([row], schema=SCHEMA)])
    lake.write(CYCLES_TABLE, table)
    context.log.info(f"cycle {row['cycle']}: {row['traces_captured']} traces, {row['judgments_run']} judgments, "
                     f"{row['pairs_generated']} new pairs, {row['models_trained']} trained, {row['models_promoted']} promoted")
    # Every figure of the cycle as numeric metadata: the asset's Plots tab draws them cycle by cycle.
    numbers = {name: row[name] for name in ("cycle", *COUNT_COLUMNS)}
    kpis = {f"{key}_{end}": row[f"{key}_{end}"] for key in KPI_KEYS for end in ("start", "end")
            if row[f"{key}_{end}"] is not None}
    return dg.MaterializeResult(metadata={
        **numbers, **kpis,
        "dagster/row_count": table.height,
        "cycle_minutes": round((row["ended_at"] - row["started_at"]).total_seconds() / 60, 2),
        "promoted": row["promoted"] or "none",
        "rejected": row["rejected"] or "none",
        "preview": markdown_preview(table.sort("cycle", descending=True),
                                    ["cycle", "ended_at", "traces_captured", "pairs_generated", "models_trained", "models_promoted"]),
    })
