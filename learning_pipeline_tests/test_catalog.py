"""What the asset catalog tells a user without opening code: owner, kinds, tags, code version,
and what every lake column means."""

import json

import dagster as dg
import polars as pl

from learning_pipeline.definitions import defs


def _nodes():
    graph = defs.resolve_asset_graph()
    return [graph.get(k) for k in sorted(graph.get_all_asset_keys())]


def test_every_asset_has_an_owner_kinds_and_tags():
    for node in _nodes():
        name = node.key.to_user_string()
        assert node.owners, name
        assert node.kinds, name
        assert node.tags.get("layer") == node.group_name and node.tags.get("partitioning") in ("daily", "per-model", "none"), name


def test_every_materialized_asset_has_a_code_version():
    for node in _nodes():
        if node.is_materializable:
            assert node.code_version, node.key.to_user_string()


# Declared at definition time by every lake table but the pattern library (its columns are built
# at run time; its materializations carry them).
WITHOUT_DECLARED_SCHEMA = {"pattern_library"}


def test_every_lake_table_describes_every_column():
    for node in _nodes():
        if "parquet" not in node.kinds or node.key.to_user_string() in WITHOUT_DECLARED_SCHEMA:
            continue
        schema = node.metadata.get("dagster/column_schema")
        assert schema is not None, node.key.to_user_string()
        missing = [c.name for c in schema.columns if not c.description]
        assert not missing, (node.key.to_user_string(), missing)


def test_the_registry_is_observed_as_assets(learning_home):
    from learning_pipeline.training.registry import ShadowModelRegistry
    from learning_pipeline.training.registry_assets import registry_observation_job, shadow_model_registry

    registry = ShadowModelRegistry(learning_home.lake())
    version = registry.add_candidate("builder-coder", "tiny-llama", ("code",), "run-1", learning_home.settings().adapters_dir, 12)
    registry.record_run("run-1", "builder-coder", {"lr": 1}, "completed", version=version, final_loss=0.4)
    instance = dg.DagsterInstance.ephemeral()
    registry_defs = dg.Definitions(assets=[shadow_model_registry], jobs=[registry_observation_job], resources={"learning_home": learning_home})
    result = registry_defs.resolve_job_def("registry_observation_job").execute_in_process(instance=instance)
    assert result.success
    observed = {k: instance.fetch_observations(dg.AssetKey(k), limit=1).records[0].asset_observation.metadata
                for k in ("shadow_model_versions", "training_runs")}
    assert observed["shadow_model_versions"]["dagster/row_count"].value == 1
    assert observed["shadow_model_versions"]["champions"].value == {"builder-coder": "base model", "builder-architect": "base model"}
    assert observed["training_runs"]["runs_completed"].value == 1


def test_the_loss_curve_is_numeric_metadata(tmp_path):
    from learning_pipeline.training.assets import loss_curve_metadata
    from learning_pipeline.training.dpo import TRAINING_MANIFEST

    steps = [{"step": i, "loss": 0.7 - 0.1 * i, "rewards/accuracies": 0.5 + 0.1 * i, "rewards/margins": 0.01 * i} for i in range(1, 5)]
    (tmp_path / TRAINING_MANIFEST).write_text(json.dumps({"metrics": {"log_history": steps}}))
    metadata = loss_curve_metadata(tmp_path)
    assert metadata["loss_first"] == 0.6 and abs(metadata["loss_final"] - 0.3) < 1e-9 and metadata["logged_steps"] == 4
    table = metadata["loss_curve"]
    assert [r.data["loss"] for r in table.records] == [s["loss"] for s in steps]
    assert loss_curve_metadata(tmp_path / "missing") == {}
    assert pl.DataFrame([r.data for r in table.records]).height == 4
