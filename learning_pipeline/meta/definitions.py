import dagster as dg

from learning_pipeline.meta.assets import pattern_library, strategy_observations, strategy_posteriors
from learning_pipeline.meta.optimizer_assets import learning_insights, review_queue_asset, training_curriculum
from learning_pipeline.meta.predictor_assets import calibration_on_new_outcomes, success_predictor
from learning_pipeline.meta.resources import PatternEmbedder
from learning_pipeline.meta.schedules import daily_meta_refresh, meta_refresh_job


def definitions() -> dg.Definitions:
    return dg.Definitions(
        assets=[strategy_observations, strategy_posteriors, pattern_library, success_predictor,
                learning_insights, training_curriculum, review_queue_asset],
        asset_checks=[calibration_on_new_outcomes],
        jobs=[meta_refresh_job],
        schedules=[daily_meta_refresh],
        resources={"pattern_embedder": PatternEmbedder.from_env()},
    )
