"""The learning metrics as assets: a daily-partitioned one whose per-partition metadata the
Dagster UI plots over time, and the weekly table with intervals the API and dashboard also serve."""

import dagster as dg
import polars as pl

from learning_pipeline.code_versions import code_version_of
from learning_pipeline.metadata import markdown_preview, table_schema_metadata
from learning_pipeline.metrics import sources
from learning_pipeline.metrics.daily import day_figures
from learning_pipeline.metrics.improvement import improvement
from learning_pipeline.metrics.kpis import KPIS
from learning_pipeline.metrics.weekly import DAILY_TABLE, ROW_SCHEMA, WEEKLY_TABLE, weekly_counts, weekly_rows
from learning_pipeline.partitions import daily_partitions
from learning_pipeline.resources import LearningHome

LEARNING_METRICS = "learning_metrics"
LEARNING_METRICS_WEEKLY = "learning_metrics_weekly"
# The figures change when the KPI arithmetic or what it reads changes.
CODE_VERSION = code_version_of(*(f"learning_pipeline.metrics.{m}" for m in ("daily", "estimates", "improvement", "kpis", "sources", "weekly")))


@dg.asset(
    name=LEARNING_METRICS,
    group_name="metrics",
    kinds={"polars", "parquet"},
    partitions_def=daily_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    code_version=CODE_VERSION,
    metadata={"dagster/column_schema": table_schema_metadata(ROW_SCHEMA, DAILY_TABLE)},
    deps=["raw_build_summaries", "raw_error_recoveries", "judgments"],
    description="The plan's KPIs for one day of builds (with 95% intervals), judgments, judge cost and pairs; "
                "each partition's numbers are metadata, so the asset's Plots tab draws them over time.",
)
def learning_metrics(context: dg.AssetExecutionContext, learning_home: LearningHome) -> None:
    lake = learning_home.lake()
    for day in context.partition_keys:
        rows, numbers = day_figures(lake, day)
        lake.write(DAILY_TABLE, rows, day)
        # One materialization per partition, each with its own numbers: a ranged run (backfill)
        # must not stamp the last day's figures on every day it covered.
        context.add_asset_metadata({**numbers, "dagster/row_count": rows.height}, partition_key=day)
        context.log.info(f"{day}: {numbers['builds']} builds, {numbers['errors']} errors, {numbers['judgments']} judgments")


@dg.asset(
    name=LEARNING_METRICS_WEEKLY,
    group_name="metrics",
    kinds={"polars", "parquet"},
    code_version=CODE_VERSION,
    metadata={"dagster/column_schema": table_schema_metadata(ROW_SCHEMA, WEEKLY_TABLE)},
    deps=[dg.AssetDep(LEARNING_METRICS, partition_mapping=dg.AllPartitionMapping()), "pattern_library", "preference_pairs",
          "shadow_model_versions", "training_runs"],
    description="Every KPI per week with its 95% interval (Wilson for rates, bootstrap over builds for means and "
                "per-error figures), pairs and judge cost per week, and baseline week against latest week.",
)
def learning_metrics_weekly(context: dg.AssetExecutionContext, learning_home: LearningHome) -> dg.MaterializeResult:
    lake = learning_home.lake()
    builds, errors, patterns = sources.builds(lake), sources.errors(lake), sources.patterns(lake)
    table = weekly_rows(builds, errors, patterns)
    lake.write(WEEKLY_TABLE, table)
    counts = weekly_counts(sources.pairs(lake), sources.judgments(lake))
    change = improvement(builds, errors, patterns)
    lines = ["| KPI | baseline week | latest week | change [95% CI] | verdict |", "|---|---|---|---|---|"]
    for row in change["kpis"]:
        ci = row["changeInterval"]
        lines.append(f"| {row['label']} | {row['baseline']['value']} | {row['latest']['value']} | {row['change']}"
                     f"{f' [{ci[0]}, {ci[1]}]' if ci else ''} | {row['verdict']} |")
    latest = table.filter(pl.col("period_start") == table.get_column("period_start").max()) if table.height else table
    return dg.MaterializeResult(metadata={
        "dagster/row_count": table.height,
        "weeks": table.get_column("period_start").n_unique() if table.height else 0,
        **{f"latest_{r['kpi']}": r["value"] for r in latest.iter_rows(named=True) if r["value"] is not None},
        "judge_cost_usd": float(counts.get_column("judge_cost_usd").sum()) if counts.height else 0.0,
        "pairs": int(counts.get_column("pairs").sum()) if counts.height else 0,
        "improvement": dg.MetadataValue.md("\n".join(lines) if change["kpis"] else change.get("note", "")),
        "baseline_week": change["baselineWeek"] or "", "latest_week": change["latestWeek"] or "",
        "preview": markdown_preview(table, ["period_start", "kpi", "value", "low", "high", "n"]),
        "kpis": dg.MetadataValue.json({k.key: k.how for k in KPIS}),
    })
