"""Judging-layer assets: daily judgments through the ledger, and pairwise code comparisons."""

import hashlib

import dagster as dg
import polars as pl

from learning_pipeline.capture.processing import read_traces
from learning_pipeline.judging import items as judge_items_of
from learning_pipeline.judging.backends import combined_version
from learning_pipeline.judging.judgments import (
    COMPARISON_LEDGER,
    COMPARISON_LEDGER_SCHEMA,
    COMPARISON_SCHEMA,
    COMPARISONS_TABLE,
    JUDGMENTS_TABLE,
    ComparisonReport,
    JudgingReport,
    compare_versions,
    judge_items,
    score_summary,
)
from learning_pipeline.judging.ledger import JUDGMENT_SCHEMA, JudgmentLedger
from learning_pipeline.judging.resources import JudgeResource
from learning_pipeline.judging.rubrics import JUDGE_TYPES
from learning_pipeline.metadata import markdown_preview, redacted, table_schema_metadata
from learning_pipeline.partitions import daily_partitions
from learning_pipeline.resources import LearningHome

# Kept importable from here: the schemas are part of the layer's table contract.
__all__ = ["COMPARISONS_TABLE", "COMPARISON_LEDGER", "COMPARISON_LEDGER_SCHEMA", "COMPARISON_SCHEMA", "build_judging_assets", "day_items"]


def _read(lake, kind: str, partition: str) -> pl.DataFrame:
    return read_traces(lake, kind, [partition])


def day_items(lake, partition: str):
    artifacts = _read(lake, "code_artifact", partition)
    return (
        judge_items_of.code_version_items(artifacts)
        + judge_items_of.design_items(_read(lake, "design_choice", partition))
        + judge_items_of.build_items(_read(lake, "decision", partition), artifacts)
    )


def build_judging_assets(judge_resource: JudgeResource) -> list:
    """The assets, with the configured judges' combined judge_version as code_version: changing a
    prompt, a rubric weight, the model or a heuristic rule marks every partition stale."""
    judge_version = combined_version(judge_resource.build(), JUDGE_TYPES)
    # The comparisons also change when what a row records changes (status, the content key).
    comparisons_version = hashlib.sha256(f"{judge_version}|{sorted(COMPARISON_SCHEMA)}".encode()).hexdigest()[:16]

    @dg.asset(
        name=JUDGMENTS_TABLE,
        group_name="judging",
        kinds={"parquet", "polars"},
        partitions_def=daily_partitions,
        backfill_policy=dg.BackfillPolicy.single_run(),
        code_version=judge_version,
        deps=["raw_code_artifacts", "raw_design_choices", "raw_decisions"],
        metadata={"dagster/column_schema": table_schema_metadata(JUDGMENT_SCHEMA)},
        description="Every code version, design choice and build of the day, judged (code quality, "
        "design quality, anti-slop, success prediction) through the judgment ledger.",
    )
    def judgments(context: dg.AssetExecutionContext, learning_home: LearningHome, judge: JudgeResource) -> dg.MaterializeResult:
        lake = learning_home.lake()
        backend = judge.build()
        ledger = JudgmentLedger(lake)
        total = JudgingReport()
        for number, partition in enumerate(context.partition_keys, start=1):
            items = day_items(lake, partition)
            done = 0

            def progress(n: int, partition=partition, size=len(items)) -> None:
                nonlocal done
                done += n
                if done == size or done % 500 < n:
                    context.log.info(f"{partition}: judged {done}/{size}")

            day, report = judge_items(items, backend, ledger, progress=progress)
            lake.write(JUDGMENTS_TABLE, day, partition)
            total.merge(report)
            context.log.info(
                f"[{number}/{len(context.partition_keys)}] {partition}: {report.items} items, "
                f"{report.from_ledger} from the ledger, {report.judged_now} judged now {dict(report.by_status)}"
            )
            # The day's own figures on the day's event (a ranged run must not stamp its totals,
            # or its cost, on every partition).
            context.add_asset_metadata(
                {
                    "dagster/row_count": day.height,
                    "from_ledger": report.from_ledger,
                    "judged_now": report.judged_now,
                    "ok": report.by_status.get("ok", 0),
                    "failed": report.by_status.get("failed", 0),
                    "deferred_by_budget": report.by_status.get("deferred", 0),
                    "prompt_tokens": report.prompt_tokens,
                    "completion_tokens": report.completion_tokens,
                    "cost_usd": round(report.cost_usd, 6),
                    **score_summary(day),
                    "preview": markdown_preview(day, ["judge_type", "item_id", "status", "overall", "confidence", "error"]),
                },
                partition_key=partition,
            )
        for failure in total.failures[:20]:
            context.log.warning(redacted(f"judgment failed (kept, retried next run): {failure}"))
        return dg.MaterializeResult(metadata={"backend": backend.name, "judge_version": judge_version})

    @dg.asset(
        name=COMPARISONS_TABLE,
        group_name="judging",
        kinds={"parquet", "polars"},
        partitions_def=daily_partitions,
        backfill_policy=dg.BackfillPolicy.single_run(),
        code_version=comparisons_version,
        deps=["raw_code_artifacts"],
        metadata={"dagster/column_schema": table_schema_metadata(COMPARISON_SCHEMA)},
        description="Consecutive versions of each code artifact compared pairwise, asked in both orders; "
        "a winner only when both orders agree. The agreed winners are the code preference pairs; a "
        "comparison that failed is stored as failed (not as a tie) and asked again on the next run.",
    )
    def code_version_comparisons(context: dg.AssetExecutionContext, learning_home: LearningHome, judge: JudgeResource) -> dg.MaterializeResult:
        lake = learning_home.lake()
        backend = judge.build()
        version = backend.judge_version("code_quality")
        ledger = JudgmentLedger(lake, COMPARISON_LEDGER, COMPARISON_LEDGER_SCHEMA)
        failures: list[str] = []
        for partition in context.partition_keys:
            frame, report = compare_versions(_read(lake, "code_artifact", partition), backend, ledger, version)
            lake.write(COMPARISONS_TABLE, frame, partition)
            failures += report.failures
            # The day's own figures on the day's event (see judgments above).
            context.add_asset_metadata(
                {
                    "dagster/row_count": frame.height,
                    "compared_now": report.asked_now,
                    "ok": report.by_status.get("ok", 0),
                    "failed": report.by_status.get("failed", 0),
                    "deferred_by_budget": report.by_status.get("deferred", 0),
                    "position_consistency_rate": report.position_consistency_rate,
                    "winners": dg.MetadataValue.json(dict(report.winners)),
                },
                partition_key=partition,
            )
        for failure in failures[:20]:
            context.log.warning(f"comparison failed (kept, retried next run): {failure}")
        return dg.MaterializeResult(metadata={"judge_version": version})

    return [judgments, code_version_comparisons]
