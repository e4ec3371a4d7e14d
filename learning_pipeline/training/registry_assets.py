"""The shadow-model registry in the asset catalog: its two tables as observable assets.

The registry is written by the training assets (a version per run, a promotion under the lock)
and by `learning-pipeline models --rollback`, outside any materialization, so Dagster observes it
rather than materializing it: each observation records the tables' rows, each model's champion
and a preview, and a data version that changes exactly when the table does.
"""

import hashlib

import dagster as dg
import polars as pl

from learning_pipeline.config import SHADOW_MODELS
from learning_pipeline.metadata import markdown_preview, table_schema_metadata
from learning_pipeline.training.registry import RUN_SCHEMA, RUNS_TABLE, VERSION_SCHEMA, VERSIONS_TABLE, ShadowModelRegistry

# Observed every few minutes by Dagster's automation sensor when `make ui` runs; the CLI observes
# after each training run.
_EVERY_FIVE_MINUTES = dg.AutomationCondition.cron_tick_passed("*/5 * * * *")


def _spec(table: str, description: str, schema: dict) -> dg.AssetSpec:
    return dg.AssetSpec(
        table, group_name="training", kinds={"parquet", "polars"}, description=description,
        deps=["shadow_adapter", "adapter_evaluation", "shadow_promotion"] if table == VERSIONS_TABLE else ["shadow_adapter"],
        metadata={"dagster/column_schema": table_schema_metadata(schema, table)},
        automation_condition=_EVERY_FIVE_MINUTES,
    )


def _data_version(frame: pl.DataFrame) -> dg.DataVersion:
    return dg.DataVersion(hashlib.sha256(frame.write_csv().encode()).hexdigest()[:16] if frame.height else "empty")


def observe_registry(registry: ShadowModelRegistry):
    versions = pl.concat([registry.versions(m.name) for m in SHADOW_MODELS]) if SHADOW_MODELS else pl.DataFrame(schema=VERSION_SCHEMA)
    by_status = dict(versions.group_by("status").len().sort("status").iter_rows()) if versions.height else {}
    champions = {m.name: (f"v{c['version']}" if (c := registry.champion(m.name)) else "base model") for m in SHADOW_MODELS}
    yield dg.ObserveResult(
        asset_key=VERSIONS_TABLE,
        data_version=_data_version(versions),
        metadata={
            "dagster/row_count": versions.height,
            **{f"versions_{status}": n for status, n in by_status.items()},
            "champions": dg.MetadataValue.json(champions),
            "preview": markdown_preview(versions, ["model_name", "version", "status", "eval_score", "training_data_count", "training_date"], rows=10),
        },
    )
    runs = registry.runs()
    run_status = dict(runs.group_by("status").len().sort("status").iter_rows()) if runs.height else {}
    yield dg.ObserveResult(
        asset_key=RUNS_TABLE,
        data_version=_data_version(runs),
        metadata={
            "dagster/row_count": runs.height,
            **{f"runs_{status}": n for status, n in run_status.items()},
            "preview": markdown_preview(runs, ["model_name", "version", "status", "final_loss", "started_at", "completed_at"], rows=10),
        },
    )


REGISTRY_KEYS = [VERSIONS_TABLE, RUNS_TABLE]


@dg.multi_observable_source_asset(
    specs=[
        _spec(VERSIONS_TABLE, "Every version of every shadow model: status (training, ready, promoted, deprecated, "
              "failed), evaluation score, adapter path. One promoted version per model at most.", VERSION_SCHEMA),
        _spec(RUNS_TABLE, "Every training run: its configuration, status, final loss and metrics.", RUN_SCHEMA),
    ],
    required_resource_keys={"learning_home"},
)
def shadow_model_registry(context):
    yield from observe_registry(ShadowModelRegistry(context.resources.learning_home.lake()))


registry_observation_job = dg.define_asset_job(
    "registry_observation_job", selection=dg.AssetSelection.assets(*REGISTRY_KEYS),
    description="Record the registry's current state (versions, champions, runs) in the catalog.",
)
