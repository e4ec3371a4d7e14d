"""Resources shared by every layer: where the pipeline's data lives."""


import datetime as dt
from pathlib import Path

import dagster as dg

from learning_pipeline.capture.landing import LandingZone
from learning_pipeline.config import LearningSettings, partition_start_from_env
from learning_pipeline.lake import Lake


class LearningHome(dg.ConfigurableResource):
    """`LEARNING_HOME`: the landing zone, the Parquet lake, adapters and models."""

    home: str
    partition_start: str = partition_start_from_env()

    @classmethod
    def from_env(cls) -> "LearningHome":
        settings = LearningSettings.from_env()
        return cls(home=str(settings.home), partition_start=settings.partition_start.isoformat())

    def settings(self) -> LearningSettings:
        return LearningSettings(home=Path(self.home).resolve(), partition_start=dt.date.fromisoformat(self.partition_start))

    def lake(self) -> Lake:
        return Lake(self.settings().lake_dir)

    def landing(self) -> LandingZone:
        return LandingZone(self.settings().landing_dir)
