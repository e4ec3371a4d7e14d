"""The weekly re-evaluation of every promoted shadow model."""

import dagster as dg

from learning_pipeline.config import SHADOW_MODELS, EvolutionConfig
from learning_pipeline.preferences.assets import model_partitions

weekly_evaluation_job = dg.define_asset_job(
    "weekly_evaluation_job", selection=dg.AssetSelection.assets("champion_evaluation"), partitions_def=model_partitions,
)


@dg.schedule(cron_schedule=EvolutionConfig().evaluation_cron, job=weekly_evaluation_job, execution_timezone="UTC",
             default_status=dg.DefaultScheduleStatus.RUNNING)
def weekly_evaluation_schedule(context: dg.ScheduleEvaluationContext):
    """Every Monday 06:00 UTC, one run per shadow model."""
    day = context.scheduled_execution_time.strftime("%Y-%m-%d")
    return [dg.RunRequest(run_key=f"weekly-eval:{m.name}:{day}", partition_key=m.name) for m in SHADOW_MODELS]
