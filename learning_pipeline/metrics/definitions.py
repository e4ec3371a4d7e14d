import dagster as dg

from learning_pipeline.metrics.assets import learning_metrics, learning_metrics_weekly


def definitions() -> dg.Definitions:
    return dg.Definitions(assets=[learning_metrics, learning_metrics_weekly])
