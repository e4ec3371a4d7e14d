import dagster as dg

from learning_pipeline.preferences.assets import preference_pair_export, preference_pairs, training_batches


def definitions() -> dg.Definitions:
    # The training job and the threshold sensor that starts it live with the training layer,
    # which owns the steps after `training_batches`.
    return dg.Definitions(assets=[preference_pairs, preference_pair_export, training_batches])
