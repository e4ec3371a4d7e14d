"""A training run's guards: the threshold is checked when the run executes, and at most one
training run per model, whoever starts it."""

import os
import subprocess
import sys
import textwrap
import time

import dagster as dg
import polars as pl
import pytest

from learning_pipeline.definitions import defs
from learning_pipeline.preferences.training_ledger import consumption
from learning_pipeline.run_keys import SKIP_REASON_TAG, SKIPPED_TAG
from learning_pipeline.training import model_lock
from learning_pipeline.training.registry import ShadowModelRegistry
from learning_pipeline.training.resources import TrainingLauncher
from learning_pipeline_tests.preferences.test_sensors import _pairs

MODEL = "builder-coder"
JOB_ASSETS = ["training_batches", "shadow_adapter", "adapter_evaluation", "shadow_promotion"]


def _materialize(learning_home, instance, selection=JOB_ASSETS, launcher=None, run_config=None):
    resources = {**defs.resources, "learning_home": learning_home, "training_launcher": launcher or TrainingLauncher()}
    return dg.materialize(list(defs.assets), selection=selection, partition_key=MODEL, instance=instance,
                          resources=resources, raise_on_error=False, run_config=run_config)


def _steps(result) -> dict[str, str]:
    return {e.step_key: e.event_type_value for e in result.all_events
            if e.step_key and e.event_type_value in ("STEP_SUCCESS", "STEP_SKIPPED", "STEP_FAILURE")}


def test_a_run_queued_behind_another_does_not_train_on_the_leftovers(learning_home):
    lake, instance = learning_home.lake(), dg.DagsterInstance.ephemeral()
    lake.write("preference_pairs", _pairs(600))
    first = _materialize(learning_home, instance, selection=["training_batches"])  # takes all 600
    assert first.success and consumption(lake).height == 600
    # Twenty pairs arrive; the second run (requested when 600 were waiting) executes now.
    lake.write("preference_pairs", _pairs(620))
    second = _materialize(learning_home, instance)
    assert second.success  # a skip is not a failure
    assert _steps(second) == {"training_batches": "STEP_SUCCESS", "shadow_adapter": "STEP_SKIPPED",
                              "adapter_evaluation": "STEP_SKIPPED", "shadow_promotion": "STEP_SKIPPED"}
    assert second.get_asset_materialization_events() == []
    registry = ShadowModelRegistry(lake)
    assert registry.versions(MODEL).height == 0 and registry.champion(MODEL) is None
    (run,) = registry.runs(MODEL).to_dicts()
    assert run["status"] == "skipped" and "20 new pairs, below the threshold of 500" in run["error"]
    tags = instance.get_run_by_id(second.run_id).tags
    assert tags[SKIPPED_TAG] == "true" and "below the threshold" in tags[SKIP_REASON_TAG]
    (observation,) = [e for e in second.all_events if e.event_type_value == "ASSET_OBSERVATION"]
    assert observation.event_specific_data.asset_observation.metadata["new_pairs"].value == 20
    assert consumption(lake).height == 600  # the leftovers stay new for the next run
    assert learning_home.lake().read("training_batches", [MODEL], key="model").get_column("run_id").unique().to_list() == [first.run_id]
    # Skipped runs give the lock back.
    model_lock.acquire(learning_home.settings().home, MODEL, "probe")
    model_lock.release(learning_home.settings().home, MODEL, "probe")


def test_a_version_left_training_by_a_dead_process_is_failed_by_the_next_run(learning_home):
    lake = learning_home.lake()
    registry = ShadowModelRegistry(lake)
    version = registry.add_candidate(MODEL, "tiny-llama", ("code",), "killed-run", "/adapters/v1", 500)
    registry.record_run("killed-run", MODEL, {}, "running", version=version)
    lake.write("preference_pairs", _pairs(3))
    result = _materialize(learning_home, dg.DagsterInstance.ephemeral(), selection=["training_batches"])
    assert result.success
    assert registry.version(MODEL, version)["status"] == "failed" and "interrupted" in registry.version(MODEL, version)["metrics"]
    runs = dict(registry.runs(MODEL).select("run_id", "status").iter_rows())
    assert runs == {"killed-run": "failed", result.run_id: "skipped"}


STALLED_TRAINER = """#!{python}
# A training step that stalls until the test lets it go, then fails: it holds the model's lock meanwhile.
import os, pathlib, sys, time
here = pathlib.Path(os.environ["STALLED_TRAINER_DIR"])
(here / "started").touch()
deadline = time.time() + 300
while not (here / "go").exists() and time.time() < deadline:
    time.sleep(0.1)
sys.exit("stopped by the test")
"""

FIRST_ATTEMPT = textwrap.dedent("""
    import dagster as dg, sys
    from learning_pipeline.definitions import defs
    from learning_pipeline.resources import LearningHome
    from learning_pipeline.training.resources import TrainingLauncher
    resources = {**defs.resources, "learning_home": LearningHome.from_env(), "training_launcher": TrainingLauncher(python=sys.argv[1])}
    result = dg.materialize(list(defs.assets), selection=%r, partition_key=%r, instance=dg.DagsterInstance.get(),
                            resources=resources, raise_on_error=False)
    print("RUN", result.run_id, result.success)
""" % (JOB_ASSETS, MODEL))


@pytest.mark.heavy
def test_two_concurrent_training_attempts_train_the_model_once(learning_home, tmp_path):
    """One process trains (the UI's run worker, say); a second attempt from another process (the
    CLI) is turned away with "already training" and does not touch the first one's batch."""
    dagster_home = tmp_path / "dagster_home"
    dagster_home.mkdir()
    (dagster_home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    lake = learning_home.lake()
    lake.write("preference_pairs", _pairs(500))
    stalled = tmp_path / "stalled-python"
    stalled.write_text(STALLED_TRAINER.format(python=sys.executable))
    stalled.chmod(0o755)
    env = {**os.environ, "STALLED_TRAINER_DIR": str(tmp_path), "PYTHONPATH": os.pathsep.join(filter(None, [os.getcwd(), os.environ.get("PYTHONPATH")]))}
    first = subprocess.Popen([sys.executable, "-c", FIRST_ATTEMPT, str(stalled)], env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.time() + 300
        while not (tmp_path / "started").exists():
            assert first.poll() is None and time.time() < deadline, first.stdout.read() if first.poll() is not None else "timeout"
            time.sleep(0.2)
        holder_run = (ShadowModelRegistry(lake).runs(MODEL).get_column("run_id").to_list() or ["?"])[0]

        lake.write("preference_pairs", _pairs(1100))  # enough new pairs for a second run of its own
        second = _materialize(learning_home, dg.DagsterInstance.get())
        assert second.success and _steps(second)["shadow_adapter"] == "STEP_SKIPPED"
        reason = dg.DagsterInstance.get().get_run_by_id(second.run_id).tags[SKIP_REASON_TAG]
        assert reason.startswith(f"{MODEL} is already training in run {holder_run}")
        with pytest.raises(model_lock.ModelBusy, match="already training"):
            model_lock.acquire(learning_home.settings().home, MODEL, "a-third-attempt")
        # The first run's batch is intact, and the second took nothing.
        assert lake.read("training_batches", [MODEL], key="model").get_column("run_id").unique().to_list() == [holder_run]
        assert consumption(lake).get_column("run_id").unique().to_list() == [holder_run]
    finally:
        (tmp_path / "go").touch()
        output, _ = first.communicate(timeout=300)
    assert f"RUN {holder_run} False" in output  # the stalled training failed, as the test made it
    registry = ShadowModelRegistry(lake)
    assert dict(registry.runs(MODEL).select("run_id", "status").iter_rows()) == {holder_run: "failed", second.run_id: "skipped"}
    # The lock went with the first run: the model can train again.
    model_lock.acquire(learning_home.settings().home, MODEL, "after")
    model_lock.release(learning_home.settings().home, MODEL, "after")


def test_a_lock_left_by_a_crashed_step_in_this_process_is_reclaimed(tmp_path):
    model_lock.acquire(tmp_path, MODEL, "crashed-run")
    with pytest.raises(model_lock.ModelBusy, match="run crashed-run"):
        model_lock.acquire(tmp_path, MODEL, "next-run", run_finished=lambda run_id: False)
    model_lock.acquire(tmp_path, MODEL, "next-run", run_finished=lambda run_id: run_id == "crashed-run")
    model_lock.acquire(tmp_path, MODEL, "next-run")  # again for the same run: kept
    model_lock.release_run("next-run")
    model_lock.acquire(tmp_path, MODEL, "later")
    model_lock.release(tmp_path, MODEL, "later")
