"""learning_pipeline: the self-improving learning engine as a Dagster code location."""
