"""The code location: every layer's definitions merged, with the shared resources."""

import dagster as dg

from learning_pipeline.capture import definitions as capture
from learning_pipeline.judging import definitions as judging
from learning_pipeline.meta import definitions as meta
from learning_pipeline.metrics import definitions as metrics
from learning_pipeline.preferences import definitions as preferences
from learning_pipeline.resources import LearningHome
from learning_pipeline.training import definitions as training

defs = dg.Definitions.merge(
    capture.definitions(),
    judging.definitions(),
    preferences.definitions(),
    training.definitions(),
    meta.definitions(),
    metrics.definitions(),
    dg.Definitions(resources={"learning_home": LearningHome.from_env()}),
)
