"""Judging-layer assets: daily judgments through the ledger, and pairwise code comparisons."""

import datetime as dt
import hashlib
import json

import dagster as dg
import polars as pl

from learning_pipeline.capture.processing import read_traces
from learning_pipeline.judging import items as judge_items_of
from learning_pipeline.judging.backends import combined_version
from learning_pipeline.judging.judgments import JUDGMENTS_TABLE, judge_items, score_summary, JudgingReport
from learning_pipeline.judging.ledger import JUDGMENT_SCHEMA, JudgmentLedger
from learning_pipeline.judging.resources import JudgeResource
from learning_pipeline.judging.rubrics import JUDGE_TYPES
from learning_pipeline.metadata import markdown_preview, table_schema_metadata
from learning_pipeline.partitions import daily_partitions
from learning_pipeline.resources import LearningHome

COMPARISONS_TABLE = "code_version_comparisons"
COMPARISON_LEDGER = "comparison_ledger"
COMPARISON_LEDGER_SCHEMA = {
    "content_hash": pl.String,  # of (prompt, A, B)
    "judge_version": pl.String,
    "status": pl.String,
    "winner": pl.String,
    "position_consistent": pl.Boolean,
    "confidence": pl.Float64,
    "reasoning": pl.String,
    "error": pl.String,
    "judged_at": pl.Datetime("us", "UTC"),
}
COMPARISON_SCHEMA = {
    "artifact_id": pl.String,
    "build_id": pl.String,
    "file_path": pl.String,
    "version_a": pl.Int64,
    "version_b": pl.Int64,
    "winner": pl.String,  # "A" (earlier version), "B" (later version) or "tie"
    "position_consistent": pl.Boolean,
    "confidence": pl.Float64,
    "reasoning": pl.String,
    "judge_version": pl.String,
    "error": pl.String,
}


def _read(lake, kind: str, partition: str) -> pl.DataFrame:
    return read_traces(lake, kind, [partition])


def day_items(lake, partition: str):
    artifacts = _read(lake, "code_artifact", partition)
    return (
        judge_items_of.code_version_items(artifacts)
        + judge_items_of.design_items(_read(lake, "design_choice", partition))
        + judge_items_of.build_items(_read(lake, "decision", partition), artifacts)
    )


def _compare_through_ledger(backend, ledger: JudgmentLedger, version: str, pairs: list[tuple[str, str, str]]) -> pl.DataFrame:
    """Comparisons already made by this judge version come from the ledger; only new ones are asked."""
    hashes = [hashlib.sha256("\x1f".join(p).encode()).hexdigest()[:32] for p in pairs]
    keys = pl.DataFrame({"content_hash": hashes, "judge_version": [version] * len(hashes)}, schema={"content_hash": pl.String, "judge_version": pl.String})
    known = {row["content_hash"]: row for row in ledger.answers(keys).iter_rows(named=True)}
    todo = {h: p for h, p in zip(hashes, pairs) if h not in known}
    fresh, _ = backend.compare_many(list(todo.values()), "code_quality") if todo else ([], 1.0)
    now = dt.datetime.now(dt.timezone.utc)
    new_rows = [
        {"content_hash": h, "judge_version": version, "status": "failed" if r.error else "ok", "winner": r.winner,
         "position_consistent": r.position_consistent, "confidence": r.confidence, "reasoning": r.reasoning,
         "error": r.error, "judged_at": now}
        for h, r in zip(todo, fresh)
    ]
    ledger.record(pl.DataFrame(new_rows, schema=COMPARISON_LEDGER_SCHEMA))
    answers = {**known, **{row["content_hash"]: row for row in new_rows}}
    return pl.DataFrame(
        [{**answers[h], "from_ledger": h in known} for h in hashes],
        schema={**COMPARISON_LEDGER_SCHEMA, "from_ledger": pl.Boolean},
    )


def build_judging_assets(judge_resource: JudgeResource) -> list:
    """The assets, with the configured judges' combined judge_version as code_version: changing a
    prompt, a rubric weight, the model or a heuristic rule marks every partition stale."""
    judge_version = combined_version(judge_resource.build(), JUDGE_TYPES)

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
            context.log.warning(f"judgment failed (kept, retried next run): {failure}")
        return dg.MaterializeResult(metadata={"backend": backend.name, "judge_version": judge_version})

    @dg.asset(
        name=COMPARISONS_TABLE,
        group_name="judging",
        kinds={"parquet", "polars"},
        partitions_def=daily_partitions,
        backfill_policy=dg.BackfillPolicy.single_run(),
        code_version=judge_version,
        deps=["raw_code_artifacts"],
        metadata={"dagster/column_schema": table_schema_metadata(COMPARISON_SCHEMA)},
        description="Consecutive versions of each code artifact compared pairwise, asked in both orders; "
        "a winner only when both orders agree.",
    )
    def code_version_comparisons(context: dg.AssetExecutionContext, learning_home: LearningHome, judge: JudgeResource) -> dg.MaterializeResult:
        lake = learning_home.lake()
        backend = judge.build()
        version = backend.judge_version("code_quality")
        ledger = JudgmentLedger(lake, COMPARISON_LEDGER, COMPARISON_LEDGER_SCHEMA)
        for partition in context.partition_keys:
            rows, pairs = [], []
            for artifact in _read(lake, "code_artifact", partition).iter_rows(named=True):
                versions = json.loads(artifact["versions"] or "[]")
                for before, after in zip(versions, versions[1:]):
                    prompt = f"Which version of {artifact['file_path']} is better code?"
                    pairs.append((prompt, before.get("code", ""), after.get("code", "")))
                    rows.append((artifact, before.get("version"), after.get("version")))
            results = _compare_through_ledger(backend, ledger, version, pairs)
            asked_now = results.filter(~pl.col("from_ledger")).get_column("content_hash").n_unique() if results.height else 0
            frame = pl.DataFrame(
                [
                    {
                        "artifact_id": a["artifact_id"], "build_id": a["build_id"], "file_path": a["file_path"],
                        "version_a": va, "version_b": vb, "winner": r["winner"], "position_consistent": r["position_consistent"],
                        "confidence": r["confidence"], "reasoning": r["reasoning"], "judge_version": version, "error": r["error"],
                    }
                    for (a, va, vb), r in zip(rows, results.iter_rows(named=True))
                ],
                schema=COMPARISON_SCHEMA,
            )
            lake.write(COMPARISONS_TABLE, frame, partition)
            answered = frame.filter(pl.col("error").is_null())
            consistent = int(answered.get_column("position_consistent").sum() or 0)
            winners = frame.get_column("winner").value_counts().to_dicts() if frame.height else []
            context.add_asset_metadata(
                {
                    "dagster/row_count": frame.height,
                    "compared_now": asked_now,
                    "failed": frame.height - answered.height,
                    "position_consistency_rate": round(consistent / answered.height, 4) if answered.height else 1.0,
                    "winners": dg.MetadataValue.json({w["winner"]: w["count"] for w in winners}),
                },
                partition_key=partition,
            )
        return dg.MaterializeResult(metadata={"judge_version": version})

    return [judgments, code_version_comparisons]
