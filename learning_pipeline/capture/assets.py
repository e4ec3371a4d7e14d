"""Capture-layer assets: the landing zone, validated and redacted, as daily lake partitions."""


import polars as pl

import dagster as dg

from learning_pipeline.capture import checks
from learning_pipeline.capture.decisions import latest_outcomes, newest_copies, with_latest_outcomes
from learning_pipeline.capture.processing import (
    QUARANTINE_SCHEMA, QUARANTINE_TABLE, process_partition, read_traces, stored_schema,
)
from learning_pipeline.capture.wire import TRACE_KINDS
from learning_pipeline.code_versions import code_version_of
from learning_pipeline.metadata import markdown_preview, redacted_json, redacted_log, table_schema_metadata
from learning_pipeline.partitions import daily_partitions
from learning_pipeline.resources import LearningHome

RAW_TABLES = [spec.table for spec in TRACE_KINDS.values()]
# What a lake partition is made of: validation, redaction and the wire schemas.
CAPTURE_CODE_VERSION = code_version_of(
    "learning_pipeline.capture.processing", "learning_pipeline.capture.redaction", "learning_pipeline.capture.wire",
)
CAPTURE_KEYS = [dg.AssetKey(t) for t in [*RAW_TABLES, QUARANTINE_TABLE]]

_DESCRIPTIONS = {
    "decision": "Decision traces as they arrived (outcomes joined later in `decision_traces`).",
    "decision_outcome": "Outcomes that arrived after their decision, by the day they were recorded.",
    "code_artifact": "Code artifacts: versions, quality trajectory and patterns used.",
    "design_choice": "Design choices: app soul, typography, colour, motion, layout, visual scores.",
    "error_recovery": "Error recoveries: the error, the recovery journey and the successful fix.",
    "pattern_usage": "Feedback: did a library pattern work in a build.",
    "strategy_outcome": "Feedback: did a build strategy work in a context.",
    "build_summary": "Feedback: one summary per build, what the learning metrics are computed from.",
}


def _decision_traces_schema() -> dict:
    """What the outcome join yields, derived from the join itself on empty tables."""
    from learning_pipeline.capture.processing import table_schema

    empty = {kind: pl.DataFrame(schema=table_schema(TRACE_KINDS[kind])) for kind in ("decision", "decision_outcome")}
    return dict(with_latest_outcomes(empty["decision"], latest_outcomes(empty["decision"], empty["decision_outcome"])).schema)


def _spec(table: str, description: str, schema: dict) -> dg.AssetSpec:
    return dg.AssetSpec(
        table,
        group_name="capture",
        kinds={"parquet", "polars"},
        description=description,
        code_version=CAPTURE_CODE_VERSION,
        metadata={"dagster/column_schema": table_schema_metadata(schema, table)},
    )


def _check_specs() -> list[dg.AssetCheckSpec]:
    specs = []
    for spec in TRACE_KINDS.values():
        specs += [
            dg.AssetCheckSpec("unique_ids", asset=spec.table, description="One row per record id in a partition."),
            dg.AssetCheckSpec("schema_as_declared", asset=spec.table, description="Parquet schema equals the declared one."),
            dg.AssetCheckSpec("secrets_redacted", asset=spec.table, description="A second redaction pass finds nothing."),
        ]
    specs.append(
        dg.AssetCheckSpec("lines_accounted", asset=QUARANTINE_TABLE, description="rows + superseded + quarantined + duplicates = lines read.")
    )
    return specs


@dg.multi_asset(
    specs=[
        *[_spec(spec.table, _DESCRIPTIONS[kind], stored_schema(spec)) for kind, spec in TRACE_KINDS.items()],
        _spec(QUARANTINE_TABLE, "Lines that failed validation, with source file, line, record id and a reason naming the field.", QUARANTINE_SCHEMA),
    ],
    check_specs=_check_specs(),
    partitions_def=daily_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    op_tags={"learning/capture": "true"},
)
def capture_traces(context: dg.AssetExecutionContext, learning_home: LearningHome):
    """Validate and redact every landing file of the day(s) and replace the lake partitions."""
    settings = learning_home.settings()
    lake, landing = learning_home.lake(), learning_home.landing()
    first = daily_partitions.get_first_partition_key()
    partitions = context.partition_keys
    for number, partition in enumerate(partitions, start=1):
        files = landing.files_for(partition, first)
        # Remember which landing files produced this partition: the sensor's change detector.
        stats = process_partition(files, partition, settings.partition_start, lake, settings.limits,
                                  log=redacted_log(context.log.debug), landing_fingerprint=landing.fingerprint(files),
                                  superseded_elsewhere=landing.superseded_elsewhere(partition, settings.partition_start))
        context.log.info(
            f"[{number}/{len(partitions)}] {partition}: {stats.lines_read} lines from {len(files)} files, "
            f"{stats.accepted} accepted, {stats.quarantined} quarantined, {sum(stats.redactions.values())} redactions"
        )
        # Each day's event carries that day's own figures, also in a ranged run (one run over
        # many days would otherwise stamp the run's totals on every partition).
        for kind, spec in TRACE_KINDS.items():
            frame = lake.read(spec.table, [partition], schema=stored_schema(spec))
            context.add_asset_metadata(
                {
                    "dagster/row_count": frame.height,
                    "redactions": int(frame.get_column("redactions").sum() or 0) if frame.height else 0,
                    "quarantined_lines_of_partition": stats.quarantined,
                    "preview": markdown_preview(frame, [c for c in stored_schema(spec) if c not in ("payload",)][:8]),
                },
                asset_key=spec.table,
                partition_key=partition,
            )
        quarantine = lake.read(QUARANTINE_TABLE, [partition], schema=QUARANTINE_SCHEMA)
        context.add_asset_metadata(
            {
                "dagster/row_count": quarantine.height,
                "lines_read": stats.lines_read,
                "accepted": stats.accepted,
                "quarantined": stats.quarantined,
                "superseded": stats.superseded,
                "redactions": sum(stats.redactions.values()),
                "redactions_by_kind": dg.MetadataValue.json(dict(stats.redactions)),
                "quarantine_reasons": redacted_json(dict(stats.quarantine_reasons)),  # reasons may quote a field
                "preview": markdown_preview(quarantine, ["source_file", "source_line", "kind", "record_id", "field", "reason"]),
            },
            asset_key=QUARANTINE_TABLE,
            partition_key=partition,
        )

    for spec in TRACE_KINDS.values():
        yield dg.MaterializeResult(asset_key=spec.table)
        yield checks.check_unique_ids(lake, spec, partitions)
        yield checks.check_schema_as_declared(lake, spec, partitions)
        yield checks.check_secrets_redacted(lake, spec, partitions)
    yield dg.MaterializeResult(asset_key=QUARANTINE_TABLE)
    yield checks.check_lines_accounted(lake, landing, partitions, first, RAW_TABLES)


@dg.asset(
    group_name="capture",
    kinds={"parquet", "polars"},
    deps=[
        dg.AssetDep("raw_decisions", partition_mapping=dg.AllPartitionMapping()),
        dg.AssetDep("raw_decision_outcomes", partition_mapping=dg.AllPartitionMapping()),
    ],
    # Its automation (under `make ui`) is set in learning_pipeline/automation.py with the others'.
    code_version=code_version_of("learning_pipeline.capture.decisions", "learning_pipeline.capture.processing"),
    metadata={"dagster/column_schema": table_schema_metadata(_decision_traces_schema(), "decision_traces")},
)
def decision_traces(context: dg.AssetExecutionContext, learning_home: LearningHome) -> dg.MaterializeResult:
    """Every decision with its newest outcome, whichever day each of them landed."""
    lake = learning_home.lake()
    decisions = newest_copies(read_traces(lake, "decision"))
    late = read_traces(lake, "decision_outcome")
    outcomes = latest_outcomes(decisions, late)
    joined = with_latest_outcomes(decisions, outcomes)
    lake.write("decision_traces", joined)
    with_outcome = joined.filter(pl.col("outcome").is_not_null()).height
    context.log.info(f"{joined.height} decisions, {with_outcome} with an outcome")
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": joined.height,
            "with_outcome": with_outcome,
            "outcomes_from_late_events": int(joined.get_column("outcome_source").eq("late").sum()) if joined.height else 0,
            "dagster/column_schema": table_schema_metadata(dict(joined.schema), "decision_traces"),
        }
    )
