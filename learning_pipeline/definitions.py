"""The code location: every layer's definitions merged, with the shared resources."""

import dagster as dg

from learning_pipeline.automation import learning_automation_sensor, with_automation
from learning_pipeline.capture import definitions as capture
from learning_pipeline.cycle import definitions as cycle
from learning_pipeline.jobs import STEP_JOBS
from learning_pipeline.judging import definitions as judging
from learning_pipeline.meta import definitions as meta
from learning_pipeline.metrics import definitions as metrics
from learning_pipeline.preferences import definitions as preferences
from learning_pipeline.resources import LearningHome
from learning_pipeline.training import definitions as training

# Who answers for the assets, shown (and filterable) in the UI; a layer may name its own owner.
OWNERS = ["team:learning-platform"]


def _catalogued(spec: dg.AssetSpec) -> dg.AssetSpec:
    """Every asset gets an owner and tags for its layer and partitioning, so the catalog can be
    filtered (`tag:partitioning=daily`, `tag:layer=training`) without opening each asset; and
    its automation condition, kept for all steps in one place (automation.py)."""
    partitions = spec.partitions_def
    partitioning = "none" if partitions is None else "daily" if isinstance(partitions, dg.TimeWindowPartitionsDefinition) else "per-model"
    tags = {"layer": spec.group_name or "default", "partitioning": partitioning, **spec.tags}
    return with_automation(spec.replace_attributes(owners=spec.owners or OWNERS, tags=tags))


def _with_catalog(definitions: dg.Definitions) -> dg.Definitions:
    return dg.Definitions.merge(
        dg.Definitions(
            assets=[a.map_asset_specs(_catalogued) if isinstance(a, dg.AssetsDefinition) else a for a in definitions.assets or []],
            asset_checks=definitions.asset_checks,
            jobs=definitions.jobs,
            sensors=definitions.sensors,
            schedules=definitions.schedules,
            resources=definitions.resources,
        )
    )


defs = _with_catalog(
    dg.Definitions.merge(
        capture.definitions(),
        judging.definitions(),
        preferences.definitions(),
        training.definitions(),
        meta.definitions(),
        metrics.definitions(),
        cycle.definitions(),
        # The step jobs the CLI's runs go by, and the sensor that turns the declarative steps.
        dg.Definitions(jobs=STEP_JOBS, sensors=[learning_automation_sensor]),
        dg.Definitions(resources={"learning_home": LearningHome.from_env()}),
    )
)
