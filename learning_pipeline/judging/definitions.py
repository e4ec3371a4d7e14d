import dagster as dg

from learning_pipeline.judging.assets import build_judging_assets
from learning_pipeline.judging.resources import JudgeResource


def definitions(judge: JudgeResource | None = None) -> dg.Definitions:
    judge = judge or JudgeResource.from_env()
    return dg.Definitions(assets=build_judging_assets(judge), resources={"judge": judge})
