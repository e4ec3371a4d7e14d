"""The registry: one champion at most, atomic promotion, rollback, consistent failures."""

import polars as pl
import pytest

from learning_pipeline.lake import Lake
from learning_pipeline.training.registry import RegistryError, ShadowModelRegistry


@pytest.fixture
def registry(tmp_path):
    return ShadowModelRegistry(Lake(tmp_path))


def _ready(registry, run):
    version = registry.add_candidate("coder", "tiny-llama", ("code",), run, "/adapters/coder", 500)
    registry.update("coder", version, status="ready", eval_score=0.8)
    return version


def test_promotion_deprecates_the_old_champion_in_the_same_write(registry):
    v1, v2 = _ready(registry, "r1"), _ready(registry, "r2")
    assert registry.promote("coder", v1) is None
    previous = registry.promote("coder", v2)
    assert previous["version"] == v1
    statuses = dict(registry.versions("coder").select("version", "status").iter_rows())
    assert statuses == {1: "deprecated", 2: "promoted"} and registry.champion("coder")["version"] == 2


def test_only_a_ready_version_can_be_promoted_and_promoted_cannot_be_set_directly(registry):
    version = registry.add_candidate("coder", "tiny-llama", ("code",), "r1", "/a", 10)
    with pytest.raises(RegistryError, match="only a ready version"):
        registry.promote("coder", version)
    with pytest.raises(RegistryError, match="use promote"):
        registry.update("coder", version, status="promoted")
    registry.update("coder", version, status="failed", metrics={"error": "CUDA out of memory"})
    row = registry.version("coder", version)
    assert row["status"] == "failed" and "out of memory" in row["metrics"]
    assert registry.champion("coder") is None


def test_rollback_restores_the_previous_champion(registry):
    v1, v2 = _ready(registry, "r1"), _ready(registry, "r2")
    registry.promote("coder", v1)
    registry.promote("coder", v2)
    restored = registry.rollback("coder")
    assert restored["version"] == v1 and restored["status"] == "promoted"
    assert registry.version("coder", v2)["status"] == "deprecated"
    with pytest.raises(RegistryError, match="nothing to roll back to"):
        registry.rollback("coder")


def test_rollback_follows_the_promotion_history_not_the_promotion_times(registry):
    """promote v1, v2, roll back (-> v1), promote v3, roll back: v1 again, never v2 (rolled back)."""
    v1, v2, v3 = _ready(registry, "r1"), _ready(registry, "r2"), _ready(registry, "r3")
    registry.promote("coder", v1)
    registry.promote("coder", v2)
    assert registry.rollback("coder")["version"] == v1
    registry.promote("coder", v3)
    restored = registry.rollback("coder", note="v3 broke the builder")
    assert restored["version"] == v1 and registry.champion("coder")["version"] == v1
    assert dict(registry.versions("coder").select("version", "status").iter_rows()) == {1: "promoted", 2: "deprecated", 3: "deprecated"}
    history = registry.promotion_history("coder")
    assert history.select("action", "version", "replaced_version").rows() == [
        ("promote", 1, None), ("promote", 2, 1), ("rollback", 1, 2), ("promote", 3, 1), ("rollback", 1, 3)]
    assert history.get_column("note").to_list()[-1] == "v3 broke the builder"
    with pytest.raises(RegistryError, match="first promoted version"):
        registry.rollback("coder")
    # A version can be champion twice: the stack remembers each time it took over.
    registry.promote("coder", v2)
    registry.promote("coder", v3)
    assert registry.rollback("coder")["version"] == v2
    assert registry.rollback("coder")["version"] == v1


def test_a_crash_between_the_log_and_the_versions_write_is_repaired(registry, tmp_path):
    from learning_pipeline.training.promotion_history import PROMOTIONS_TABLE, append

    v1, v2 = _ready(registry, "r1"), _ready(registry, "r2")
    registry.promote("coder", v1)
    # The log says v2 was promoted; the versions file was never rewritten (the process died).
    events = append(registry.promotion_history("coder"), "coder", "promote", v2, v1, None)
    Lake(tmp_path).write(PROMOTIONS_TABLE, events, "coder", key="model")
    assert registry.champion("coder")["version"] == v1
    assert registry.rollback("coder")["version"] == v1  # the log's v2 applied first, then rolled back
    assert registry.version("coder", v2)["status"] == "deprecated"


def test_a_registry_older_than_the_log_still_rolls_back(registry, tmp_path):
    from learning_pipeline.training.promotion_history import PROMOTIONS_TABLE

    v1, v2 = _ready(registry, "r1"), _ready(registry, "r2")
    registry.promote("coder", v1)
    registry.promote("coder", v2)
    for path in Lake(tmp_path).table_dir(PROMOTIONS_TABLE).rglob("*.parquet"):
        path.unlink()
    assert registry.rollback("coder")["version"] == v1
    assert "inferred" in registry.promotion_history("coder").get_column("note")[0]


def test_the_registry_refuses_two_champions(registry, tmp_path):
    _ready(registry, "r1"), _ready(registry, "r2")
    broken = registry.versions("coder").with_columns(pl.lit("promoted").alias("status"))
    with pytest.raises(RegistryError, match="more than one promoted"):
        registry._write("coder", broken)
    Lake(tmp_path).write("shadow_model_versions", broken, "coder", key="model")  # written behind its back
    with pytest.raises(RegistryError, match="at most one is allowed"):
        registry.champion("coder")
    from learning_pipeline.training.assets import check_one_champion

    result = check_one_champion(registry, "coder")
    assert not result.passed and result.metadata["promoted_versions"].value == "v1, v2"


def test_training_runs_are_recorded_through_their_states(registry):
    registry.record_run("r1", "coder", {"lr": 0.002}, "running", version=1)
    registry.record_run("r1", "coder", {}, "completed", final_loss=0.41, metrics={"steps": 24})
    (run,) = registry.runs("coder").to_dicts()
    assert run["status"] == "completed" and run["final_loss"] == 0.41 and run["completed_at"] is not None
    assert '"lr": 0.002' in run["config"]


def test_qlora_falls_back_to_lora_without_a_gpu():
    from learning_pipeline.training.dpo import DPOTrainingConfig, qlora_quantization

    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU: the 4-bit path applies")
    assert qlora_quantization(DPOTrainingConfig(qlora=True)) is None
