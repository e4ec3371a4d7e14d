"""The training job end to end: Pipes training, evaluation, the blocking gate, promotion."""

import datetime as dt
import json

import dagster as dg
import polars as pl
import pytest

from learning_pipeline.definitions import defs
from learning_pipeline.preferences.pairs import PAIR_SCHEMA
from learning_pipeline.training.registry import ShadowModelRegistry
from learning_pipeline.training.resources import TrainingLauncher
from learning_pipeline.training.train_step import BackendUnavailable, check_backend
from learning_pipeline_tests.training.test_dpo import COMBOS, preference_records

MODEL = "builder-architect"
FAST = {"learning_rate": 5e-3, "max_steps": 24, "batch_size": 8}
JOB_ASSETS = ["training_batches", "shadow_adapter", "adapter_evaluation", "shadow_promotion"]
ANY_BATCH = {"training_batches": {"config": {"min_new_pairs": 1}}}  # these tests train on fewer than 500 pairs


def _pairs(records, split, start, flip=False):
    rows = []
    for i, r in enumerate(records):
        chosen, rejected = r["chosen"][0]["content"], r["rejected"][0]["content"]
        if flip:
            chosen, rejected = rejected, chosen
        rows.append({
            "pair_id": f"{split}-{'f' if flip else 'g'}{start + i}", "domain": "architecture", "prompt": r["prompt"][0]["content"],
            "chosen": chosen, "rejected": rejected, "judgment_reasoning": "", "margin": 50.0, "source_ids": "[]",
            "judgment_ids": "[]", "judge_version": None, "build_id": f"{split}-b{start + i}",
            "created_at": dt.datetime(2026, 3, 9, tzinfo=dt.timezone.utc), "near_key": f"{split}-{'f' if flip else 'g'}{start + i}",
            "split": split,
        })
    return pl.DataFrame(rows, schema={**PAIR_SCHEMA, "split": pl.String})


def _train(learning_home, instance):
    resources = {**defs.resources, "learning_home": learning_home, "training_launcher": TrainingLauncher()}
    return dg.materialize(
        list(defs.assets), selection=JOB_ASSETS, partition_key=MODEL, instance=instance, resources=resources,
        run_config={"ops": {"shadow_adapter": {"config": FAST}, **ANY_BATCH}}, raise_on_error=False,
    )


@pytest.mark.heavy
def test_good_pairs_are_promoted_and_label_flipped_ones_are_stopped_by_the_gate(learning_home):
    lake = learning_home.lake()
    # Held out by content: two features training never mentions, so no held-out text is a training
    # text and the gate's training-lookup baseline cannot win by remembering (gate rule 4).
    unseen = {"notifications", "onboarding"}
    seen = [c for c in COMBOS if c[1] not in unseen]
    held_out = _pairs(preference_records([c for c in COMBOS if c[1] in unseen], seed=2), "held_out", 0)
    lake.write("preference_pairs", pl.concat([_pairs(preference_records(seen[:64], seed=1), "train", 0), held_out]))
    instance = dg.DagsterInstance.ephemeral()

    first = _train(learning_home, instance)
    assert first.success
    registry = ShadowModelRegistry(lake)
    champion = registry.champion(MODEL)
    assert champion["version"] == 1 and champion["eval_score"] >= 0.85
    checks = {c.check_name: c for c in first.get_asset_check_evaluations()}
    assert checks["promotion_gate"].passed and checks["promotion_gate"].metadata["candidate_version"].value == 1
    assert checks["one_champion"].passed and checks["one_champion"].metadata["promoted_versions"].value == "v1"
    # Check results belong to the model's partition: the other model's gate history stays apart.
    assert checks["promotion_gate"].partition == MODEL and checks["one_champion"].partition == MODEL
    from dagster._core.event_api import PartitionKeyFilter

    gate = dg.AssetCheckKey(dg.AssetKey("adapter_evaluation"), "promotion_gate")
    storage = instance.event_log_storage
    assert storage.get_latest_asset_check_execution_by_key([gate], partition_filter=PartitionKeyFilter(key=MODEL))[gate].run_id == first.run_id
    assert gate not in storage.get_latest_asset_check_execution_by_key([gate], partition_filter=PartitionKeyFilter(key="builder-coder"))
    adapter_dir = learning_home.settings().adapters_dir / MODEL / "v1"
    assert (adapter_dir / "adapter_config.json").exists() and (adapter_dir / "eval_report.md").exists()
    metadata = {e.asset_key.to_user_string(): e.event_specific_data.materialization.metadata
                for e in first.get_asset_materialization_events()}
    assert metadata["shadow_adapter"]["final_loss"].value < metadata["shadow_adapter"]["first_loss"].value
    curve = metadata["shadow_adapter"]["loss_curve"].value
    assert len(curve.records) == metadata["shadow_adapter"]["logged_steps"].value > 1
    evaluation = metadata["adapter_evaluation"]
    # The first candidate is gated against what the base model measurably does, not an assumed 0.5.
    assert evaluation["champion"].value == "base model"
    assert evaluation["champion_accuracy"].value == evaluation["base_likelihood_accuracy"].value < 0.85
    assert checks["promotion_gate"].metadata["compared_with"].value == "base model"
    report = json.loads((adapter_dir / "eval_report.json").read_text())
    assert report["gate_metric"] == "likelihood" and report["held_out_pairs"] == held_out.height == 32
    assert set(report["baselines"]) == {"longer side", "training lookup", "bag-of-words logistic regression"}
    assert report["candidate_margin_over_best_baseline"]["baseline"] == report["best_baseline"]
    assert report["models"]["base model"]["implicit_reward"] is None  # 0 on every pair by construction
    assert report["models"]["candidate v1"]["implicit_reward"]["value"] >= 0.85

    # New pairs that teach the opposite: the candidate must not replace the champion.
    flipped = _pairs(preference_records(seen[64:], seed=3), "train", 1000, flip=True)
    lake.write("preference_pairs", pl.concat([lake.read("preference_pairs"), flipped]))
    second = _train(learning_home, instance)
    assert not second.success
    checks = {c.check_name: c for c in second.get_asset_check_evaluations()}
    assert checks["trained_version_has_metrics"].passed
    check = checks["promotion_gate"]
    reasons = check.metadata["reasons"].value
    assert not check.passed and "regressed" in reasons and "interval" in reasons
    assert check.metadata["compared_with"].value == "champion v1"
    # v1 may already be perfect on these held-out pairs (no errors left to reduce: "n/a"); either
    # way the flipped candidate removes none of them
    reduction = check.metadata["error_reduction_relative"].value
    assert reduction == "n/a" or reduction < 0.05
    assert registry.champion(MODEL)["version"] == 1
    assert registry.version(MODEL, 2)["status"] == "ready"  # trained and evaluated, never promoted
    assert [r["status"] for r in registry.runs(MODEL).to_dicts()] == ["completed", "completed"]


def test_a_failed_training_leaves_the_registry_consistent(learning_home):
    lake = learning_home.lake()
    lake.write("preference_pairs", _pairs(preference_records(COMBOS[:8], seed=1), "train", 0))
    broken = TrainingLauncher(backend="no-such-backend")
    resources = {**defs.resources, "learning_home": learning_home, "training_launcher": broken}
    result = dg.materialize(list(defs.assets), selection=JOB_ASSETS, partition_key=MODEL, resources=resources,
                            instance=dg.DagsterInstance.ephemeral(), raise_on_error=False, run_config={"ops": ANY_BATCH})
    assert not result.success
    registry = ShadowModelRegistry(lake)
    (version,) = registry.versions(MODEL).to_dicts()
    assert version["status"] == "failed" and "no-such-backend" in version["metrics"]
    assert registry.runs(MODEL).get_column("status").to_list() == ["failed"]
    assert registry.champion(MODEL) is None


def test_checks_on_per_model_assets_are_partitioned_by_model():
    from learning_pipeline.preferences.assets import model_partitions

    graph = defs.resolve_asset_graph()
    for check_key in graph.asset_check_keys:
        if graph.get(check_key.asset_key).partitions_def == model_partitions:
            spec = graph.assets_def_for_key(check_key.asset_key).get_spec_for_check_key(check_key)
            assert spec.partitions_def == model_partitions, check_key


LOSSY_PYTHON = """#!{python}
# An interpreter whose Pipes messages never reach the orchestrator: a reader that missed every line.
import os, sys, tempfile
from dagster_pipes import decode_param, encode_param
params = decode_param(os.environ["DAGSTER_PIPES_MESSAGES"])
params["path"] = tempfile.mkstemp(prefix="lost-pipes-", dir=os.environ["LOST_PIPES_DIR"])[1]
os.environ["DAGSTER_PIPES_MESSAGES"] = encode_param(params)
os.execv(sys.executable, [sys.executable, *sys.argv[1:]])
"""


@pytest.mark.heavy
def test_metrics_come_from_the_adapter_when_the_pipes_report_is_lost(learning_home, tmp_path, monkeypatch):
    import json
    import sys

    lake = learning_home.lake()
    lake.write("preference_pairs", _pairs(preference_records(COMBOS[:8], seed=1), "train", 0))
    lossy = tmp_path / "lossy-python"
    lossy.write_text(LOSSY_PYTHON.format(python=sys.executable))
    lossy.chmod(0o755)
    monkeypatch.setenv("LOST_PIPES_DIR", str(tmp_path))
    resources = {**defs.resources, "learning_home": learning_home, "training_launcher": TrainingLauncher(python=str(lossy))}
    result = dg.materialize(
        list(defs.assets), selection=["training_batches", "shadow_adapter"], partition_key=MODEL, resources=resources,
        instance=dg.DagsterInstance.ephemeral(), raise_on_error=False,
        run_config={"ops": {"shadow_adapter": {"config": {"max_steps": 2, "batch_size": 4}}, **ANY_BATCH}},
    )
    assert result.success
    lost = b"".join(p.read_bytes() for p in tmp_path.glob("lost-pipes-*"))
    assert b"report_asset_materialization" in lost and b"final_loss" in lost  # the report went astray
    registry = ShadowModelRegistry(lake)
    (version,) = registry.versions(MODEL).to_dicts()
    metrics = json.loads(version["metrics"])
    assert version["status"] == "ready" and metrics["steps"] == 2 and metrics["final_loss"] > 0
    (run,) = registry.runs(MODEL).to_dicts()
    assert run["final_loss"] == metrics["final_loss"]
    (check,) = result.get_asset_check_evaluations()
    assert check.check_name == "trained_version_has_metrics" and check.passed


def test_a_trained_version_without_metrics_fails_its_check(learning_home):
    from learning_pipeline.training.checks import check_trained_version_has_metrics

    registry = ShadowModelRegistry(learning_home.lake())
    version = registry.add_candidate(MODEL, "tiny-llama", ("architecture",), "r1", "/adapters/v1", 8)
    registry.update(MODEL, version, status="ready", metrics={})
    result = check_trained_version_has_metrics(registry, MODEL, version)
    assert not result.passed and result.metadata["missing"].value == "final_loss, steps"
    registry.update(MODEL, version, metrics={"final_loss": 0.6, "steps": 2})
    assert check_trained_version_has_metrics(registry, MODEL, version).passed


def test_unsloth_without_a_gpu_fails_early_with_a_clear_message():
    with pytest.raises(BackendUnavailable, match="needs a CUDA GPU"):
        check_backend("unsloth")


def test_the_weekly_schedule_evaluates_every_shadow_model():
    schedule = defs.resolve_schedule_def("weekly_evaluation_schedule")
    assert schedule.cron_schedule == "0 6 * * 1"
    context = dg.build_schedule_context(scheduled_execution_time=dt.datetime(2026, 11, 23, 6, tzinfo=dt.timezone.utc))
    requests = schedule(context)
    assert sorted(r.partition_key for r in requests) == ["builder-architect", "builder-coder"]
    assert all(r.run_key.startswith("weekly-eval:") and "2026-11-23" in r.run_key for r in requests)
