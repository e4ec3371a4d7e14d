import dagster as dg

from learning_pipeline.preferences.assets import model_partitions
from learning_pipeline.preferences.sensors import build_preference_sensor
from learning_pipeline.training.assets import adapter_evaluation, champion_evaluation, shadow_adapter, shadow_promotion
from learning_pipeline.training.registry_assets import registry_observation_job, shadow_model_registry
from learning_pipeline.training.resources import TrainingLauncher
from learning_pipeline.training.schedules import weekly_evaluation_job, weekly_evaluation_schedule

# One shadow model's flywheel turn: take the new pairs, train, evaluate behind the gate, promote.
training_job = dg.define_asset_job(
    "training_job",
    selection=dg.AssetSelection.assets("training_batches", "shadow_adapter", "adapter_evaluation", "shadow_promotion"),
    partitions_def=model_partitions,
    tags={"learning/training": "true"},
    # One process for the whole run: the model's training lock (model_lock.py), taken by the
    # first step, is held until the run ends, even if the run dies.
    executor_def=dg.in_process_executor,
    description="Train, evaluate and (through the blocking gate) promote one shadow model.",
)


def definitions() -> dg.Definitions:
    return dg.Definitions(
        assets=[shadow_adapter, adapter_evaluation, shadow_promotion, champion_evaluation, shadow_model_registry],
        jobs=[training_job, weekly_evaluation_job, registry_observation_job],
        sensors=[build_preference_sensor(training_job)],
        schedules=[weekly_evaluation_schedule],
        resources={"training_launcher": TrainingLauncher.from_env()},
    )
