"""Materialize the asset graph in process, stage by stage, for the partitions whose data changed.

A stage is a run of assets sharing one partitioning, in dependency order. Only what is stale is
materialized again: the daily assets of a stage go in one ranged run (single-run backfill policy)
per contiguous span of stale days, unpartitioned ones in one run when anything upstream changed.
Used by `learning-pipeline run` and `demo`; the UI and the sensors do the same through the daemon.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from learning_pipeline.config import LearningSettings
from learning_pipeline.training.model_lock import release_run

MATERIALIZATION = dg.DagsterEventType.ASSET_MATERIALIZATION
CODE_VERSION_TAG = "dagster/code_version"
QUIET_LOGS = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
# The instance config the repository ships (run storage, the run queue's limits: one training
# run, one capture run at a time). The CLI and `make ui` both put it in force in DAGSTER_HOME.
REPOSITORY_DAGSTER_YAML = Path(__file__).resolve().parents[1] / "dagster.yaml"
QUEUE_LIMIT_TAGS = ("learning/training", "learning/capture")


def _queue_limits(config: dict) -> set[str]:
    limits = ((config.get("run_coordinator") or {}).get("config") or {}).get("tag_concurrency_limits") or []
    return {limit.get("key") for limit in limits if isinstance(limit, dict)}


def ensure_dagster_home(settings: LearningSettings) -> Path:
    """DAGSTER_HOME as configured (or one beside the lake), holding the repository's instance
    config: written when missing; an instance file without a run coordinator gets the repository's
    appended (its own storage settings kept); one with other queue limits is left as is, with a warning."""
    import sys

    import yaml

    home = Path(os.environ.setdefault("DAGSTER_HOME", str(settings.home / "dagster_home"))).resolve()
    home.mkdir(parents=True, exist_ok=True)
    target, shipped = home / "dagster.yaml", REPOSITORY_DAGSTER_YAML.read_text()
    if not target.exists():
        target.write_text(shipped)
        return home
    current = yaml.safe_load(target.read_text()) or {}
    if set(QUEUE_LIMIT_TAGS) <= _queue_limits(current):
        return home
    if "run_coordinator" not in current:
        block = {"run_coordinator": yaml.safe_load(shipped)["run_coordinator"]}
        if "telemetry" not in current:
            block["telemetry"] = {"enabled": False}
        text = target.read_text()
        target.write_text(text + ("" if text.endswith("\n") or not text else "\n")
                          + "\n# The run queue's limits, from the repository's dagster.yaml.\n" + yaml.safe_dump(block, sort_keys=False))
        return home
    missing = sorted(set(QUEUE_LIMIT_TAGS) - _queue_limits(current))
    print(f"warning: {target} sets its own run coordinator without the limits {', '.join(missing)}; "
          f"see {REPOSITORY_DAGSTER_YAML.name} in the repository", file=sys.stderr)
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
            if node.tags.get("learning/step") == "cycle":  # the cycle record closes a cycle, after training
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


@dataclass
class PlannedRun:
    """One in-process run: some keys of a stage over one contiguous range of days (or none)."""

    keys: list[dg.AssetKey]
    span: tuple[str, str] | None = None
    job: str | None = None  # the named step job it runs as (jobs.py); None: an ephemeral asset job

    @property
    def tags(self) -> dict[str, str]:
        if self.span is None:
            return {}
        return {"dagster/asset_partition_range_start": self.span[0], "dagster/asset_partition_range_end": self.span[1]}


class Materialized:
    """What the instance says was last materialized, per asset (and day), and with which code."""

    def __init__(self, instance: dg.DagsterInstance):
        self.instance = instance
        self._ids: dict[dg.AssetKey, dict[str | None, int]] = {}

    def storage_ids(self, key: dg.AssetKey, partitioned: bool) -> dict[str | None, int]:
        if key not in self._ids:
            if partitioned:
                self._ids[key] = dict(self.instance.get_latest_storage_id_by_partition(key, MATERIALIZATION))
            else:
                record = next(iter(self.instance.get_asset_records([key])), None)
                last = record.asset_entry.last_materialization_record if record else None
                self._ids[key] = {None: last.storage_id} if last else {}
        return self._ids[key]

    def latest(self, key: dg.AssetKey, partitioned: bool) -> int | None:
        return max(self.storage_ids(key, partitioned).values(), default=None)

    def code_versions(self, key: dg.AssetKey, partitioned: bool) -> dict[str | None, str | None]:
        """The code_version each day's (or the asset's) latest materialization was made with."""
        ids = self.storage_ids(key, partitioned)
        if not ids:
            return {}
        records = self.instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=key, storage_ids=list(ids.values())), limit=len(ids)
        ).records
        return {
            (r.partition_key if partitioned else None): (r.asset_materialization.tags or {}).get(CODE_VERSION_TAG)
            for r in records
        }


def stale_partitions(
    defs: dg.Definitions,
    instance: dg.DagsterInstance,
    partitions_with_data: list[str],
    selection: list[str] | None = None,
    changed_inputs: dict[dg.AssetKey, set[str]] | None = None,
    force: bool = False,
) -> dict[dg.AssetKey, set[str] | bool]:
    """Per selected asset: the days (or, unpartitioned, whether) it must be materialized again.

    A day is stale when it was never materialized, was materialized by other code (its
    `code_version`), its outside inputs changed (`changed_inputs`: for capture, the landing files),
    an upstream day is newer than it, or an upstream asset is itself stale in this plan."""
    from learning_pipeline.partitions import daily_partitions

    graph = defs.resolve_asset_graph()
    seen = Materialized(instance)
    changed_inputs = changed_inputs or {}
    days = sorted(set(daily_partitions.get_partition_keys()) & set(partitions_with_data))
    plan: dict[dg.AssetKey, set[str] | bool] = {}

    def parent_changed(parent: dg.AssetKey, day: str | None, since: int) -> bool:
        partitioned = graph.get(parent).partitions_def is not None
        if parent in plan:
            planned = plan[parent]
            if isinstance(planned, set) and (planned if day is None else day in planned):
                return True
            if planned is True:
                return True
        if partitioned and day is not None:
            newer = seen.storage_ids(parent, True).get(day)
        else:
            newer = seen.latest(parent, partitioned)
        return newer is not None and newer > since

    for stage in plan_stages(defs, selection):
        for key in stage.keys:
            node = graph.get(key)
            code = node.code_version
            if stage.partitioned:
                mine = seen.storage_ids(key, True)
                versions = seen.code_versions(key, True) if code else {}
                plan[key] = {
                    day for day in days
                    if force or day not in mine or (code and versions.get(day) != code)
                    or day in changed_inputs.get(key, set())
                    or any(parent_changed(parent, day, mine[day]) for parent in node.parent_keys)
                }
            else:
                mine_id = seen.latest(key, False)
                plan[key] = bool(
                    force or mine_id is None or (code and seen.code_versions(key, False).get(None) != code)
                    or any(parent_changed(parent, None, mine_id) for parent in node.parent_keys)
                )
        # A multi-asset that cannot be subset runs all of its keys together, over the union of days.
        for key in stage.keys:
            siblings = [k for k in graph.assets_def_for_key(key).keys if k in plan]
            if stage.partitioned and len(siblings) > 1 and not graph.assets_def_for_key(key).can_subset:
                union = set().union(*(plan[k] for k in siblings))
                for k in siblings:
                    plan[k] = union
    return plan


def contiguous_spans(days: set[str]) -> list[tuple[str, str]]:
    """Runs of consecutive daily partitions: a ranged run covers exactly the days that changed."""
    from learning_pipeline.partitions import daily_partitions

    keys = daily_partitions.get_partition_keys()
    index = {k: i for i, k in enumerate(keys)}
    spans: list[tuple[str, str]] = []
    for day in sorted(days, key=index.__getitem__):
        if spans and index[day] == index[spans[-1][1]] + 1:
            spans[-1] = (spans[-1][0], day)
        else:
            spans.append((day, day))
    return spans


def split_by_job(defs: dg.Definitions, keys: list[dg.AssetKey], owners: dict[dg.AssetKey, str] | None = None
                 ) -> list[tuple[str | None, list[dg.AssetKey]]]:
    """The keys of one run (in dependency order) as runs of their step jobs, in an order that
    still respects the dependencies: a key joins its job's last group only when none of its
    parents sits in a later group."""
    from learning_pipeline.jobs import job_of_asset

    owners = job_of_asset(defs) if owners is None else owners
    graph = defs.resolve_asset_graph()
    groups: list[tuple[str | None, list[dg.AssetKey]]] = []
    where: dict[dg.AssetKey, int] = {}
    for key in keys:
        job = owners.get(key)
        last = max((i for i, (name, _) in enumerate(groups) if name == job), default=None)
        parents_after = any(where.get(p, -1) > last for p in graph.get(key).parent_keys) if last is not None else True
        if last is None or parents_after:
            groups.append((job, []))
            last = len(groups) - 1
        groups[last][1].append(key)
        where[key] = last
    return groups


def plan_runs(defs: dg.Definitions, plan: dict[dg.AssetKey, set[str] | bool], selection: list[str] | None = None) -> list[PlannedRun]:
    """Consecutive keys of a stage with the same stale days share a run per contiguous span, one
    per step job they belong to."""
    from learning_pipeline.jobs import job_of_asset

    owners = job_of_asset(defs)
    runs: list[PlannedRun] = []
    for stage in plan_stages(defs, selection):
        groups: list[tuple[object, list[dg.AssetKey]]] = []
        for key in stage.keys:
            wanted = frozenset(plan[key]) if stage.partitioned else plan[key]
            if groups and groups[-1][0] == wanted:
                groups[-1][1].append(key)
            else:
                groups.append((wanted, [key]))
        for wanted, keys in groups:
            if not wanted:
                continue
            for job, job_keys in split_by_job(defs, keys, owners):
                if stage.partitioned:
                    runs += [PlannedRun(job_keys, span, job) for span in contiguous_spans(set(wanted))]
                else:
                    runs.append(PlannedRun(job_keys, None, job))
    return runs


def execute(defs: dg.Definitions, instance: dg.DagsterInstance, keys: list[dg.AssetKey], job: str | None,
            tags: dict | None = None, partition_key: str | None = None, run_config: dict | None = None):
    """One in-process run of `keys`: as the named job when there is one (the UI shows its name),
    else as Dagster's ephemeral asset job."""
    config = {**QUIET_LOGS, **(run_config or {})}
    if job is not None:
        return defs.resolve_job_def(job).execute_in_process(
            instance=instance, asset_selection=keys, tags=tags, partition_key=partition_key,
            run_config=config, raise_on_error=False,
        )
    return dg.materialize(
        list(defs.assets or []), selection=keys, instance=instance, resources=defs.resources or {},
        tags=tags, partition_key=partition_key, run_config=config, raise_on_error=False,
    )


def materialize_runs(defs: dg.Definitions, instance: dg.DagsterInstance, runs: list[PlannedRun]):
    """Yields (run, result) as each run finishes. Stops after the first failed run: later runs
    would read what it did not write."""
    for planned in runs:
        result = execute(defs, instance, planned.keys, planned.job, tags=planned.tags)
        yield planned, result
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
                       requests: list[dg.RunRequest] | None = None, starting=None):
    """Run the training job in process for each shadow model the preference sensor asks for (or
    for the given requests), as the daemon would. Yields (model, result); `starting(model)` is
    called before each run (a run takes minutes on a CPU)."""
    if requests is None:
        requests, _ = ready_training_requests(defs, instance)
    job_keys = [dg.AssetKey(k) for k in ("training_batches", "shadow_adapter", "adapter_evaluation", "shadow_promotion")]
    job = "training_job" if any(j.name == "training_job" for j in defs.jobs or []) else None
    for request in requests:
        if starting is not None:
            starting(request.partition_key)
        result = execute(defs, instance, job_keys, job, tags=request.tags, partition_key=request.partition_key,
                         run_config=run_config)
        # The run has ended; its model's training lock goes back even if a step died holding it.
        release_run(result.run_id)
        yield request.partition_key, result
    if requests:
        # The registry changed: record its new state in the catalog, as the UI's automation does.
        defs.resolve_job_def("registry_observation_job").execute_in_process(instance=instance, run_config=QUIET_LOGS, raise_on_error=False)


def materialize_stages(defs: dg.Definitions, instance: dg.DagsterInstance, partitions_with_data: list[str],
                       selection: list[str] | None = None, changed_inputs: dict[dg.AssetKey, set[str]] | None = None,
                       force: bool = False):
    """Plan what is stale and materialize it: yields (run, result) per run, as `materialize_runs`."""
    plan = stale_partitions(defs, instance, partitions_with_data, selection, changed_inputs, force=force)
    yield from materialize_runs(defs, instance, plan_runs(defs, plan, selection))


def record_cycle(defs: dg.Definitions, instance: dg.DagsterInstance):
    """Close the cycle (the cycle record) when traces were captured since the last record, as
    `cycle_record_sensor` does under the daemon. Returns the run's result, or None."""
    from learning_pipeline.cycle.record import CAPTURE_MARKER, last_record_id, latest

    if latest(instance, CAPTURE_MARKER, after=last_record_id(instance)) is None:
        return None
    return defs.resolve_job_def("cycle_record_job").execute_in_process(instance=instance, run_config=QUIET_LOGS, raise_on_error=False)
