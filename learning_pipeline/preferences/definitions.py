import dagster as dg

from learning_pipeline.preferences.assets import model_partitions, preference_pair_export, preference_pairs, training_batches
from learning_pipeline.preferences.sensors import build_preference_sensor

# The shadow-model training job. Its first step takes the model's new pairs; the training
# layer adds the adapter, its evaluation, the gate and the promotion to this selection.
training_job = dg.define_asset_job(
    "training_job",
    selection=dg.AssetSelection.assets("training_batches"),
    partitions_def=model_partitions,
    tags={"learning/training": "true"},
    description="Train one shadow model on its new preference pairs.",
)


def definitions() -> dg.Definitions:
    return dg.Definitions(
        assets=[preference_pairs, preference_pair_export, training_batches],
        jobs=[training_job],
        sensors=[build_preference_sensor(training_job)],
    )
