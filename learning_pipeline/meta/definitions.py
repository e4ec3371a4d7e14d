import dagster as dg

from learning_pipeline.meta.assets import pattern_library, strategy_observations, strategy_posteriors
from learning_pipeline.meta.resources import PatternEmbedder
from learning_pipeline.meta.schedules import daily_meta_refresh, meta_refresh_job


def definitions() -> dg.Definitions:
    return dg.Definitions(
        assets=[strategy_observations, strategy_posteriors, pattern_library],
        jobs=[meta_refresh_job],
        schedules=[daily_meta_refresh],
        resources={"pattern_embedder": PatternEmbedder.from_env()},
    )
