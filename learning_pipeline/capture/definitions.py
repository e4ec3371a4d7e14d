import dagster as dg

from learning_pipeline.capture.assets import CAPTURE_KEYS, capture_traces, decision_traces
from learning_pipeline.capture.sensors import build_landing_sensor
from learning_pipeline.partitions import daily_partitions

capture_job = dg.define_asset_job(
    "capture_job",
    selection=dg.AssetSelection.assets(*CAPTURE_KEYS),
    partitions_def=daily_partitions,
    tags={"learning/capture": "true"},
    description="Validate, redact and land the traces of the requested days.",
)


def definitions() -> dg.Definitions:
    return dg.Definitions(
        assets=[capture_traces, decision_traces],
        jobs=[capture_job],
        sensors=[build_landing_sensor(capture_job)],
    )
