"""Materialize the asset graph in process, stage by stage, for every partition that has data.

A stage is a run of assets sharing one partitioning, in dependency order: all daily assets
of a stage go in one ranged run (single-run backfill policy), unpartitioned ones in one run.
Used by `learning-pipeline run` and `demo`; the UI and the sensors do the same through the daemon.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from learning_pipeline.config import LearningSettings
from learning_pipeline.training.model_lock import release_run

QUIET_LOGS = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
DAGSTER_YAML = "telemetry:\n  enabled: false\n"


def ensure_dagster_home(settings: LearningSettings) -> Path:
    """DAGSTER_HOME as configured, or one beside the lake so runs show up in `make ui`."""
    home = Path(os.environ.setdefault("DAGSTER_HOME", str(settings.home / "dagster_home"))).resolve()
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "dagster.yaml").exists():
        (home / "dagster.yaml").write_text(DAGSTER_YAML)
    return home


@dataclass
class Stage:
    keys: list[dg.AssetKey]
    partitioned: bool


def plan_stages(defs: dg.Definitions, selection: list[str] | None = None) -> list[Stage]:
    """Daily and unpartitioned assets, level by level, merged into as few runs as dependency
    order allows. Assets partitioned otherwise (per shadow model) are not part of a plain run:
    their sensor starts them when their inputs are ready."""
    from learning_pipeline.partitions import daily_partitions

    graph = defs.resolve_asset_graph()
    wanted = dg.AssetSelection.from_coercible(selection).resolve(graph) if selection else None
    stages: list[Stage] = []
    for level in graph.toposorted_asset_keys_by_level:
        groups: dict[bool, list[dg.AssetKey]] = {True: [], False: []}
        for key in sorted(level):
            node = graph.get(key)
            if not node.is_materializable or (wanted is not None and key not in wanted):
                continue
            if node.partitions_def is not None and node.partitions_def != daily_partitions:
                continue
            groups[node.partitions_def is not None].append(key)
        for partitioned in (True, False):
            if not groups[partitioned]:
                continue
            if stages and stages[-1].partitioned == partitioned:
                stages[-1].keys.extend(groups[partitioned])
            else:
                stages.append(Stage(groups[partitioned], partitioned))
    return stages


def partition_range(partitions_def: dg.PartitionsDefinition, with_data: list[str]) -> tuple[str, str] | None:
    keys = partitions_def.get_partition_keys()
    present = sorted(set(keys) & set(with_data))
    return (present[0], present[-1]) if present else None


def materialize_stages(
    defs: dg.Definitions,
    instance: dg.DagsterInstance,
    partitions_with_data: list[str],
    selection: list[str] | None = None,
):
    """Yields (stage, result) as each stage finishes; result None = no partition with data.
    Stops after the first failed stage: later stages would read what it did not write."""
    from learning_pipeline.partitions import daily_partitions

    assets = list(defs.assets or [])
    resources = defs.resources or {}
    for stage in plan_stages(defs, selection):
        tags = {}
        if stage.partitioned:
            span = partition_range(daily_partitions, partitions_with_data)
            if span is None:
                yield stage, None
                continue
            tags = {"dagster/asset_partition_range_start": span[0], "dagster/asset_partition_range_end": span[1]}
        result = dg.materialize(
            assets,
            selection=stage.keys,
            instance=instance,
            resources=resources,
            tags=tags,
            run_config=QUIET_LOGS,
            raise_on_error=False,
        )
        yield stage, result
        if not result.success:
            return


def ready_training_requests(defs: dg.Definitions, instance: dg.DagsterInstance,
                            threshold: int | None = None) -> tuple[list[dg.RunRequest], str | None]:
    """What the preference sensor would request now, or why it requests nothing. With a
    threshold, the same sensor built with that threshold instead of the configured one (the
    demo's smaller world; it says so when it uses one)."""
    sensor = defs.resolve_sensor_def("preference_threshold_sensor")
    if threshold is not None:
        from learning_pipeline.preferences.sensors import build_preference_sensor

        sensor = build_preference_sensor(sensor.job, threshold=threshold)
    context = dg.build_sensor_context(instance=instance, resources={"learning_home": defs.resources["learning_home"]})
    result = sensor(context)
    if isinstance(result, dg.SkipReason):
        return [], result.skip_message
    return list(result.run_requests), None


def train_ready_models(defs: dg.Definitions, instance: dg.DagsterInstance, run_config: dict | None = None,
                       requests: list[dg.RunRequest] | None = None):
    """Run the training job in process for each shadow model the preference sensor asks for (or
    for the given requests), as the daemon would. Yields (model, result)."""
    if requests is None:
        requests, _ = ready_training_requests(defs, instance)
    job_keys = ["training_batches", "shadow_adapter", "adapter_evaluation", "shadow_promotion"]
    for request in requests:
        result = dg.materialize(
            list(defs.assets), selection=job_keys, partition_key=request.partition_key, tags=request.tags,
            instance=instance, resources=defs.resources, run_config={**QUIET_LOGS, **(run_config or {})},
            raise_on_error=False,
        )
        # The run has ended; its model's training lock goes back even if a step died holding it.
        release_run(result.run_id)
        yield request.partition_key, result
