"""Meta-learning assets: strategy posteriors and the pattern library, refreshed from the lake."""

import datetime as dt

import dagster as dg
import polars as pl

from learning_pipeline.capture.processing import read_traces
from learning_pipeline.judging.judgments import JUDGMENTS_TABLE
from learning_pipeline.meta.embeddings import CachedEmbedder
from learning_pipeline.meta.pattern_sources import extract_candidates
from learning_pipeline.meta.patterns import LIBRARY_TABLE, build_library
from learning_pipeline.meta.resources import PatternEmbedder
from learning_pipeline.meta.service import OBSERVATIONS_TABLE, POSTERIORS_TABLE
from learning_pipeline.meta.strategies import (
    OBSERVATION_SCHEMA, POSTERIOR_SCHEMA, SEED_STRATEGIES, catalogue, fit, outcome_observations, posterior_table,
    selection_observations, supported_selections,
)
from learning_pipeline.meta.strategy_evaluation import offline_evaluation
from learning_pipeline.code_versions import code_version_of
from learning_pipeline.metadata import markdown_preview, table_schema_metadata
from learning_pipeline.resources import LearningHome


def _all(key: str) -> dg.AssetDep:
    return dg.AssetDep(key, partition_mapping=dg.AllPartitionMapping())


@dg.asset(
    name=OBSERVATIONS_TABLE,
    group_name="meta",
    kinds={"parquet", "polars"},
    deps=[_all("raw_strategy_outcomes"), "decision_traces", _all("raw_design_choices")],
    metadata={"dagster/column_schema": table_schema_metadata(OBSERVATION_SCHEMA, OBSERVATIONS_TABLE)},
    code_version=code_version_of("learning_pipeline.meta.strategies"),
)
def strategy_observations(context: dg.AssetExecutionContext, learning_home: LearningHome) -> dg.MaterializeResult:
    """Every logged strategy outcome, from strategy-outcome feedback and `strategy_selection`
    decisions, with its context fields (tag, app soul, error type, phase, decision type)."""
    lake = learning_home.lake()
    decisions = lake.read("decision_traces")
    outcomes = outcome_observations(read_traces(lake, "strategy_outcome"))
    selections = selection_observations(decisions, read_traces(lake, "design_choice")) if decisions.height else outcomes.clear()
    known = {(d, n) for d, named in SEED_STRATEGIES.items() for n in named} | set(outcomes.select("domain", "strategy").iter_rows())
    kept = supported_selections(selections, known, learning_home.settings().meta.min_strategy_support)
    observations = pl.concat([outcomes, kept]).sort("at")
    lake.write(OBSERVATIONS_TABLE, observations)
    by_source = dict(observations.group_by("source").len().iter_rows()) if observations.height else {}
    return dg.MaterializeResult(metadata={
        "dagster/row_count": observations.height,
        **{f"from_{k}": v for k, v in sorted(by_source.items())},
        "with_logged_propensity": observations.filter(pl.col("propensity").is_not_null()).height,
        "one_off_selection_options_left_out": selections.height - kept.height,
    })


def _posterior_markdown(table: pl.DataFrame) -> str:
    lines = ["| domain | strategy | status | success rate | 95% interval | usage | effective in | ineffective in |",
             "|---|---|---|---|---|---|---|---|"]
    for r in table.iter_rows(named=True):
        lines.append(
            f"| {r['domain']} | {r['strategy']} | {r['status']} | {r['success_rate']:.2f} | "
            f"[{r['ci_low']:.2f}, {r['ci_high']:.2f}] | {r['usage']} | {', '.join(r['effective_contexts']) or '-'} | "
            f"{', '.join(r['ineffective_contexts']) or '-'} |"
        )
    return "\n".join(lines)


@dg.asset(
    name=POSTERIORS_TABLE,
    group_name="meta",
    kinds={"parquet", "polars"},
    deps=[OBSERVATIONS_TABLE],
    metadata={"dagster/column_schema": table_schema_metadata(POSTERIOR_SCHEMA, POSTERIORS_TABLE)},
    code_version=code_version_of("learning_pipeline.meta.strategies", "learning_pipeline.meta.posteriors"),
)
def strategy_posteriors(context: dg.AssetExecutionContext, learning_home: LearningHome) -> dg.MaterializeResult:
    """Per strategy: discounted Beta posterior (success rate, 95% interval), usage, the contexts
    where it works better or worse, and its status (experimental ones graduate or retire here)."""
    lake, config = learning_home.lake(), learning_home.settings().meta
    observations = lake.read(OBSERVATIONS_TABLE, schema=OBSERVATION_SCHEMA)
    before = lake.read(POSTERIORS_TABLE, schema=POSTERIOR_SCHEMA)
    previous = {(d, s): st for d, s, st in before.select("domain", "strategy", "status").iter_rows()}
    table = posterior_table(fit(observations, catalogue(observations, previous), config), observations, config)
    lake.write(POSTERIORS_TABLE, table)
    changed = [
        f"{d}/{s}: {previous[(d, s)]} -> {st}" for d, s, st in table.select("domain", "strategy", "status").iter_rows()
        if (d, s) in previous and previous[(d, s)] != st
    ]
    for line in changed:
        context.log.info(f"strategy status changed: {line}")
    evaluation = offline_evaluation(observations, config, previous=previous)
    records = [
        dg.TableRecord({
            "domain": r["domain"], "strategy": r["strategy"], "status": r["status"],
            "success_rate": round(r["success_rate"], 3), "ci_low": round(r["ci_low"], 3), "ci_high": round(r["ci_high"], 3),
            "usage": r["usage"], "effective_contexts": ", ".join(r["effective_contexts"]),
            "ineffective_contexts": ", ".join(r["ineffective_contexts"]),
        })
        for r in table.iter_rows(named=True)
    ]
    schema = dg.TableSchema(columns=[
        dg.TableColumn("domain", "string"), dg.TableColumn("strategy", "string"), dg.TableColumn("status", "string"),
        dg.TableColumn("success_rate", "float"), dg.TableColumn("ci_low", "float"), dg.TableColumn("ci_high", "float"),
        dg.TableColumn("usage", "int"), dg.TableColumn("effective_contexts", "string"),
        dg.TableColumn("ineffective_contexts", "string"),
    ])
    return dg.MaterializeResult(metadata={
        "dagster/row_count": table.height,
        "posteriors": dg.MetadataValue.table(records=records, schema=schema),
        "posteriors_md": dg.MetadataValue.md(_posterior_markdown(table)),
        "status_changes": dg.MetadataValue.json(changed),
        "offline_evaluation": dg.MetadataValue.json({
            d: {"snips_success_rate": round(e.value, 4), "interval": [round(v, 4) for v in e.interval],
                "logged_success_rate": round(e.logged_value, 4), "effective_sample_size": round(e.effective_sample_size, 1),
                "logged_records": e.records}
            for d, e in evaluation.items()
        }),
        "half_life_days": config.half_life_days,
    })


@dg.asset(
    name=LIBRARY_TABLE,
    group_name="meta",
    kinds={"parquet", "polars"},
    deps=[_all("raw_error_recoveries"), _all("raw_code_artifacts"), _all(JUDGMENTS_TABLE), _all("raw_design_choices"),
          "decision_traces", _all("raw_pattern_usage")],
    code_version=code_version_of("learning_pipeline.meta.patterns", "learning_pipeline.meta.pattern_sources"),
)
def pattern_library(context: dg.AssetExecutionContext, learning_home: LearningHome, pattern_embedder: PatternEmbedder) -> dg.MaterializeResult:
    """Reusable patterns extracted from verified successes (error fixes, code, design, architecture),
    embedded, near-duplicates merged, ranked by usage feedback: patterns and vectors in one table."""
    lake, config = learning_home.lake(), learning_home.settings().meta
    previous = lake.row_count(LIBRARY_TABLE)
    candidates = extract_candidates(
        read_traces(lake, "error_recovery"), read_traces(lake, "code_artifact"), lake.read(JUDGMENTS_TABLE),
        read_traces(lake, "design_choice"), lake.read("decision_traces"), config,
    )
    embedder = CachedEmbedder(pattern_embedder.embedder_name(), pattern_embedder.build, learning_home.settings().embedding_cache)
    library, report = build_library(candidates, embedder, read_traces(lake, "pattern_usage"), config)
    lake.write(LIBRARY_TABLE, library.with_columns(pl.lit(dt.datetime.now(dt.timezone.utc)).alias("refreshed_at")))
    context.log.info(f"{report.patterns} patterns from {report.candidates} candidates ({report.merged} merged)")
    return dg.MaterializeResult(metadata={
        "dagster/row_count": report.patterns,
        "patterns": report.patterns,
        "growth": report.patterns - previous,
        "merged_near_duplicates": report.merged,
        "left_out_for_support": report.unsupported,
        "candidates": report.candidates,
        "candidates_embedded_anew": embedder.misses,
        "by_category": dg.MetadataValue.json(report.by_category),
        "usage_events": report.usage_events,
        "usage_events_matched": report.usage_matched,
        "embedder": embedder.name,
        "preview": markdown_preview(library.sort("source_count", descending=True),
                                    ["category", "name", "source_count", "usage_count", "success_rate"], rows=10),
    })
