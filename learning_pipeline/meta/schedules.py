"""The daily refresh of strategy posteriors and the pattern library."""

import dagster as dg

from learning_pipeline.config import MetaConfig

meta_refresh_job = dg.define_asset_job(
    "meta_refresh_job",
    selection=dg.AssetSelection.assets("strategy_observations", "strategy_posteriors", "pattern_library", "success_predictor",
                                       "learning_insights", "training_curriculum", "review_queue"),
    description="Refit the strategy posteriors, rebuild the pattern library, refit the success predictor and the optimizer's insights, curriculum and review queue.",
)


@dg.schedule(cron_schedule=MetaConfig().refresh_cron, job=meta_refresh_job, execution_timezone="UTC",
             default_status=dg.DefaultScheduleStatus.RUNNING)
def daily_meta_refresh(context: dg.ScheduleEvaluationContext):
    """Once a day, after the night's traces have landed and been judged."""
    return dg.RunRequest(run_key=f"meta-refresh:{context.scheduled_execution_time:%Y-%m-%d}")
