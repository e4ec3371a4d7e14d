"""Preference-pair assets: the pairs, their export, and each shadow model's next training batch."""

import json

import dagster as dg
import polars as pl

from learning_pipeline.capture.processing import read_traces
from learning_pipeline.code_versions import code_version_of
from learning_pipeline.config import SHADOW_MODELS, EvolutionConfig, preference_threshold_from_env
from learning_pipeline.judging.judgments import COMPARISON_SCHEMA, COMPARISONS_TABLE
from learning_pipeline.judging.ledger import JUDGMENT_SCHEMA
from learning_pipeline.lake import atomic_write_bytes
from learning_pipeline.metadata import markdown_preview, table_schema_metadata
from learning_pipeline.preferences import checks
from learning_pipeline.preferences.export import export_lines
from learning_pipeline.preferences.pairs import PAIR_TABLE_SCHEMA, PairRules, generate_pairs
from learning_pipeline.preferences.split import HELD_OUT, training_pairs
from learning_pipeline.preferences.training_ledger import BATCHES_TABLE, held_pair_ids, new_pairs, record_consumption
from learning_pipeline.resources import LearningHome
from learning_pipeline.training.model_lock import ModelBusy
from learning_pipeline.training.run_guard import hold_model, skip_training

PAIRS_TABLE = "preference_pairs"
EXPORT_NAME = "preference_pairs.trl.jsonl"
model_partitions = dg.StaticPartitionsDefinition([m.name for m in SHADOW_MODELS])
_ALL = dg.AllPartitionMapping()


def _read(lake, kind: str) -> pl.DataFrame:
    return read_traces(lake, kind)


def pairs_from_lake(lake, rules: PairRules):
    """generate_pairs over the current capture and judging tables (also what the bench measures)."""
    decisions = lake.read("decision_traces")
    if decisions.height == 0:
        decisions = _read(lake, "decision").with_columns(pl.lit(None, pl.String).alias("outcome_source"))
    comparisons = lake.read(COMPARISONS_TABLE, schema=COMPARISON_SCHEMA)
    if "content_hash" not in comparisons.columns:  # written before verdicts were keyed by content: none usable
        comparisons = pl.DataFrame(schema=COMPARISON_SCHEMA)
    return generate_pairs(
        decisions, _read(lake, "code_artifact"), _read(lake, "design_choice"), _read(lake, "error_recovery"),
        lake.read("judgments", schema=JUDGMENT_SCHEMA), comparisons, rules,
    )


@dg.asset(
    name=PAIRS_TABLE,
    group_name="preferences",
    kinds={"parquet", "polars"},
    deps=[
        "decision_traces",
        dg.AssetDep("raw_code_artifacts", partition_mapping=_ALL),
        dg.AssetDep("raw_design_choices", partition_mapping=_ALL),
        dg.AssetDep("raw_error_recoveries", partition_mapping=_ALL),
        dg.AssetDep("judgments", partition_mapping=_ALL),
        dg.AssetDep(COMPARISONS_TABLE, partition_mapping=_ALL),
    ],
    metadata={"dagster/column_schema": table_schema_metadata(PAIR_TABLE_SCHEMA)},
    check_specs=[
        dg.AssetCheckSpec("held_out_never_trained", asset=PAIRS_TABLE, blocking=True,
                          description="No held-out pair, build or text (per domain, normalised) is in a training "
                                      "pair, a training set or a training batch."),
    ],
    # Its automation (under `make ui`) is set in learning_pipeline/automation.py with the others'.
    code_version=code_version_of("learning_pipeline.preferences.pairs"),
)
def preference_pairs(context: dg.AssetExecutionContext, learning_home: LearningHome):
    """Pairs in four domains (code, design, architecture, error_fix), regenerated from the current
    verdicts so a judge change replaces, never adds to, the pairs built on old verdicts; split by
    build and by content (no held-out text is in a training pair of its domain)."""
    lake = learning_home.lake()
    rules = PairRules(min_judgment_confidence=EvolutionConfig().min_judgment_confidence)
    pairs, batch = pairs_from_lake(lake, rules)
    previous = lake.read(PAIRS_TABLE, schema=PAIR_TABLE_SCHEMA)
    lake.write(PAIRS_TABLE, pairs)
    counts = pairs.group_by("domain", "split").len().sort("domain", "split")
    context.log.info(f"{pairs.height} pairs; dropped {dict(batch.dropped)}; straddling the split {dict(batch.straddling)}; "
                     f"flagged {dict(batch.flagged)}")
    yield dg.MaterializeResult(
        metadata={
            "dagster/row_count": pairs.height,
            "added_since_last_run": pairs.join(previous.select("pair_id"), on="pair_id", how="anti").height,
            "removed_since_last_run": previous.join(pairs.select("pair_id"), on="pair_id", how="anti").height,
            "held_out": int((pairs.get_column("split") == HELD_OUT).sum()) if pairs.height else 0,
            "held_out_share_of_builds": rules.held_out_share,
            **{f"pairs_{d}_{s}": n for d, s, n in counts.iter_rows()},
            # Candidates dropped because their build and texts sit on different sides of the split.
            "straddling_split": dg.MetadataValue.json(dict(batch.straddling)),
            **{f"straddling_{domain}": n for domain, n in sorted(batch.straddling.items())},
            # Pairs whose chosen side reads like prompt injection: kept for review, never trained.
            "flagged": dg.MetadataValue.json(dict(batch.flagged)),
            **{f"flagged_{reason}": n for reason, n in sorted(batch.flagged.items())},
            "dropped": dg.MetadataValue.json(dict(batch.dropped)),
            **{f"dropped_{reason}": n for reason, n in batch.dropped.items()},
            "preview": markdown_preview(pairs, ["domain", "split", "margin", "prompt", "chosen", "rejected"]),
        }
    )
    yield checks.check_held_out_never_trained(lake)


@dg.asset(
    group_name="preferences",
    kinds={"json"},
    deps=[PAIRS_TABLE],
    code_version=code_version_of("learning_pipeline.preferences.export", "learning_pipeline.capture.redaction"),
    check_specs=[
        dg.AssetCheckSpec("export_free_of_secrets", asset="preference_pair_export", blocking=True,
                          description="Every exported pair is scanned for secrets again; any hit fails the export."),
    ],
)
def preference_pair_export(context: dg.AssetExecutionContext, learning_home: LearningHome):
    """The training split in TRL's conversational format (prompt/chosen/rejected message lists)."""
    lake = learning_home.lake()
    pairs = training_pairs(lake.read(PAIRS_TABLE, schema=PAIR_TABLE_SCHEMA))
    lines = export_lines(pairs, "trl")
    path = learning_home.settings().home / "exports" / EXPORT_NAME
    atomic_write_bytes(path, ("\n".join(lines) + "\n").encode() if lines else b"")
    yield dg.MaterializeResult(metadata={"path": dg.MetadataValue.path(str(path)), "dagster/row_count": len(lines)})
    yield checks.check_export_free_of_secrets(path)


class TrainingBatchConfig(dg.Config):
    """The least number of new pairs a run trains on (set it lower in the launchpad to force a run;
    the default is the sensor's threshold, LEARNING_PREFERENCE_THRESHOLD when set)."""

    min_new_pairs: int = preference_threshold_from_env()


@dg.asset(
    name=BATCHES_TABLE,
    group_name="preferences",
    kinds={"parquet"},
    partitions_def=model_partitions,
    deps=[PAIRS_TABLE, "preference_pair_export"],
    metadata={"dagster/column_schema": table_schema_metadata({**PAIR_TABLE_SCHEMA, "run_id": pl.String}, BATCHES_TABLE)},
    code_version=code_version_of("learning_pipeline.preferences.training_ledger"),
    op_tags={"learning/training": "true"},
    output_required=False,
)
def training_batches(context: dg.AssetExecutionContext, config: TrainingBatchConfig, learning_home: LearningHome):
    """The new, eligible, non-held-out pairs a shadow model trains on in this run, recorded in the
    training ledger so they stop counting as new (until this run fails). The threshold is checked
    again here, under the model's training lock: a run queued behind another must not train on
    the few pairs the other left. Below it, or when the model is already training, the run ends
    as skipped (this asset is not materialized, so the training steps after it are skipped)."""
    settings, lake = learning_home.settings(), learning_home.lake()
    home = settings.home
    model = next(m for m in SHADOW_MODELS if m.name == context.partition_key)
    try:
        hold_model(context, settings, model.name)
    except ModelBusy as busy:
        context.log_event(skip_training(context, home, lake, model.name, str(busy), holder=busy.holder.get("run_id")))
        return
    pairs = lake.read(PAIRS_TABLE, schema=PAIR_TABLE_SCHEMA)
    batch = new_pairs(pairs, model.training_focus, held_pair_ids(lake, context.instance, model.name))
    if batch.height < config.min_new_pairs:
        reason = (f"{model.name}: {batch.height} new pairs, below the threshold of {config.min_new_pairs}; "
                  "nothing trained (an earlier run took the others)")
        context.log_event(skip_training(context, home, lake, model.name, reason, new_pairs=batch.height,
                                        threshold=config.min_new_pairs))
        return
    record_consumption(lake, context.run.run_id, model.name, batch.get_column("pair_id").to_list())
    lake.write(BATCHES_TABLE, batch.with_columns(pl.lit(context.run.run_id).alias("run_id")), model.name, key="model")
    by_domain = batch.group_by("domain").len().sort("domain")
    context.log.info(f"{model.name}: {batch.height} new pairs {dict(by_domain.iter_rows())}")
    yield dg.MaterializeResult(
        metadata={
            "dagster/row_count": batch.height,
            "run_id": context.run.run_id,
            "training_focus": ", ".join(model.training_focus),
            **{f"pairs_{d}": n for d, n in by_domain.iter_rows()},
            "source_builds": batch.get_column("build_id").n_unique() if batch.height else 0,
            "judge_versions": json.dumps(sorted({v for v in batch.get_column("judge_version").to_list() if v})),
        }
    )
