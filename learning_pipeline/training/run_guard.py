"""Dagster wiring of a training run's guards: the per-model lock and the skipped outcome.

A training run that cannot or must not train (the model is already training elsewhere, or
fewer new pairs are left than the threshold) ends as *skipped*: no adapter, nothing promoted,
and the reason where a user looks for it: the run's tags (the runs list), an observation on the
batch asset, the `training_runs` registry table and the run's log.
"""

from __future__ import annotations

import dagster as dg

from learning_pipeline.config import LearningSettings
from learning_pipeline.lake import Lake
from learning_pipeline.run_keys import SKIP_REASON_TAG, SKIPPED_TAG
from learning_pipeline.training import model_lock
from learning_pipeline.training.registry import ShadowModelRegistry

FINISHED = {dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED}


def hold_model(context: dg.AssetExecutionContext, settings: LearningSettings, model: str) -> None:
    """Take (or keep) the model's training lock for this run; raises model_lock.ModelBusy. Holding
    it, any version left `training` by a dead process is marked failed."""
    instance = context.instance

    def run_finished(run_id: str) -> bool:
        run = instance.get_run_by_id(run_id)
        return run is None or run.status in FINISHED

    model_lock.acquire(settings.home, model, context.run.run_id, run_finished)
    interrupted = ShadowModelRegistry(Lake(settings.lake_dir)).fail_interrupted(model, context.run.run_id)
    if interrupted:
        context.log.warning(f"{model}: " + ", ".join(f"v{v}" for v in interrupted) + " marked failed: their training was interrupted")


def let_go(context: dg.AssetExecutionContext, home, model: str) -> None:
    model_lock.release(home, model, context.run.run_id)


def skip_training(context: dg.AssetExecutionContext, home, lake: Lake, model: str, reason: str, **facts) -> dg.AssetObservation:
    """Record why this run trains nothing; returns the observation to log on the batch asset."""
    context.instance.add_run_tags(context.run.run_id, {SKIPPED_TAG: "true", SKIP_REASON_TAG: reason[:250]})
    ShadowModelRegistry(lake).record_run(context.run.run_id, model, facts, "skipped", error=reason)
    context.log.warning(f"training skipped: {reason}")
    let_go(context, home, model)
    return dg.AssetObservation(asset_key=context.asset_key, partition=model,
                               metadata={"skipped": reason, **{k: v for k, v in facts.items() if v is not None}})
