import dagster as dg

from learning_pipeline.cycle.assets import cycle_records
from learning_pipeline.cycle.sensors import build_cycle_record_sensor

cycle_record_job = dg.define_asset_job(
    "cycle_record_job", selection=dg.AssetSelection.assets(cycle_records),
    description="Record the cycle of the flywheel that just settled.",
)


def definitions() -> dg.Definitions:
    return dg.Definitions(assets=[cycle_records], jobs=[cycle_record_job], sensors=[build_cycle_record_sensor(cycle_record_job)])
