"""The learning optimizer's assets: insights, the training curriculum and the review queue."""

import dagster as dg
import polars as pl

from learning_pipeline.capture.processing import read_traces
from learning_pipeline.code_versions import code_version_of
from learning_pipeline.judging.judgments import JUDGMENTS_TABLE
from learning_pipeline.meta.active_learning import QUEUE_SCHEMA, review_queue
from learning_pipeline.meta.curriculum import curriculum_order
from learning_pipeline.meta.insights import INSIGHT_SCHEMA, derive_insights, insight_table
from learning_pipeline.meta.patterns import LIBRARY_TABLE
from learning_pipeline.meta.service import OBSERVATIONS_TABLE
from learning_pipeline.metadata import markdown_preview, table_schema_metadata
from learning_pipeline.resources import LearningHome

INSIGHTS_TABLE = "learning_insights"
CURRICULUM_TABLE = "training_curriculum"
REVIEW_QUEUE_TABLE = "review_queue"
PAIRS_TABLE = "preference_pairs"
CURRICULUM_SCHEMA = {"pair_id": pl.String, "domain": pl.String, "margin": pl.Float64, "judge_confidence": pl.Float64,
                     "difficulty": pl.Float64, "curriculum_rank": pl.Int64}


def _all(key: str) -> dg.AssetDep:
    return dg.AssetDep(key, partition_mapping=dg.AllPartitionMapping())


def champion_evaluations(instance: dg.DagsterInstance, lake) -> list[dict]:
    """Each weekly champion evaluation (the `champion_evaluation` asset's metadata) beside the
    score its version was promoted on (the registry)."""
    from learning_pipeline.training.registry import ShadowModelRegistry

    registry = ShadowModelRegistry(lake)
    result = instance.fetch_materializations(dg.AssetRecordsFilter(asset_key=dg.AssetKey("champion_evaluation")), limit=200)
    out = []
    for record in result.records:
        m = record.asset_materialization
        meta = m.metadata if m else {}
        if not m or "accuracy" not in meta or "champion" not in meta:
            continue
        version = int(str(meta["champion"].value).lstrip("v"))
        try:
            promoted = registry.version(m.partition, version).get("eval_score")
        except Exception:  # a version the registry no longer holds cannot be compared
            continue
        out.append({"model": m.partition, "version": version, "promoted_score": promoted,
                    "accuracy": float(meta["accuracy"].value), "at": record.timestamp})
    return out


@dg.asset(
    name=INSIGHTS_TABLE, group_name="meta", kinds={"parquet", "polars"},
    code_version=code_version_of("learning_pipeline.meta.insights"),
    metadata={"dagster/column_schema": table_schema_metadata(INSIGHT_SCHEMA, INSIGHTS_TABLE)},
    deps=[PAIRS_TABLE, _all(JUDGMENTS_TABLE), _all("raw_error_recoveries"), LIBRARY_TABLE, OBSERVATIONS_TABLE],
)
def learning_insights(context: dg.AssetExecutionContext, learning_home: LearningHome) -> dg.MaterializeResult:
    """What the data says the flywheel should do next: each insight with its observation, the
    evidence (figures and the query that recomputes them), an action and its expected impact."""
    lake, config = learning_home.lake(), learning_home.settings().meta
    insights = derive_insights(
        pairs=lake.read(PAIRS_TABLE), judgments=lake.read(JUDGMENTS_TABLE), comparisons=lake.read("comparison_ledger"),
        errors=read_traces(lake, "error_recovery"), library=lake.read(LIBRARY_TABLE), observations=lake.read(OBSERVATIONS_TABLE),
        evaluations=champion_evaluations(context.instance, lake), config=config,
    )
    table = insight_table(insights)
    lake.write(INSIGHTS_TABLE, table)
    return dg.MaterializeResult(metadata={
        "dagster/row_count": table.height,
        "by_kind": dg.MetadataValue.json(dict(table.group_by("kind").len().iter_rows()) if table.height else {}),
        "insights": dg.MetadataValue.md("\n".join(f"- **{i.kind}** ({i.subject}): {i.observation}. *Action:* {i.action}" for i in insights) or "none"),
    })


@dg.asset(name=CURRICULUM_TABLE, group_name="meta", kinds={"parquet", "polars"}, deps=[PAIRS_TABLE, _all(JUDGMENTS_TABLE)],
          code_version=code_version_of("learning_pipeline.meta.curriculum"),
          metadata={"dagster/column_schema": table_schema_metadata(CURRICULUM_SCHEMA, CURRICULUM_TABLE)})
def training_curriculum(context: dg.AssetExecutionContext, learning_home: LearningHome) -> dg.MaterializeResult:
    """The training pairs easiest first (wide margin, confident judges): the order a training run
    with shuffling off follows."""
    lake = learning_home.lake()
    pairs = lake.read(PAIRS_TABLE)
    train = pairs.filter(pl.col("split") == "train") if pairs.height else pairs
    order = curriculum_order(train, lake.read(JUDGMENTS_TABLE))
    table = order.select("pair_id", "domain", "margin", "judge_confidence", "difficulty", "curriculum_rank") if order.height else order
    lake.write(CURRICULUM_TABLE, table)
    by_domain = (table.group_by("domain").agg(pl.col("difficulty").mean().round(3)).iter_rows() if table.height else [])
    return dg.MaterializeResult(metadata={
        "dagster/row_count": table.height,
        "mean_difficulty_by_domain": dg.MetadataValue.json(dict(by_domain)),
        "first": markdown_preview(table, ["curriculum_rank", "domain", "margin", "judge_confidence", "difficulty"], rows=5) if table.height else "none",
    })


@dg.asset(name=REVIEW_QUEUE_TABLE, group_name="meta", kinds={"parquet", "polars"}, deps=[_all(JUDGMENTS_TABLE)],
          code_version=code_version_of("learning_pipeline.meta.active_learning"),
          metadata={"dagster/column_schema": table_schema_metadata(QUEUE_SCHEMA, REVIEW_QUEUE_TABLE)})
def review_queue_asset(context: dg.AssetExecutionContext, learning_home: LearningHome) -> dg.MaterializeResult:
    """The judged items with the most judge uncertainty or disagreement, queued for re-judging
    (`rejudge`) or a person (`human_review`)."""
    lake, config = learning_home.lake(), learning_home.settings().meta
    queue = review_queue(lake.read(JUDGMENTS_TABLE), config.review_queue_size)
    lake.write(REVIEW_QUEUE_TABLE, queue)
    return dg.MaterializeResult(metadata={
        "dagster/row_count": queue.height,
        "by_route": dg.MetadataValue.json(dict(queue.group_by("route").len().iter_rows()) if queue.height else {}),
        "mean_uncertainty": round(float(queue.get_column("uncertainty").mean()), 4) if queue.height else 0.0,
        "preview": markdown_preview(queue, ["item_id", "item_kind", "judges", "uncertainty", "reason", "route"], rows=10) if queue.height else "none",
    })


__all__ = ["INSIGHT_SCHEMA", "QUEUE_SCHEMA", "learning_insights", "training_curriculum", "review_queue_asset"]
