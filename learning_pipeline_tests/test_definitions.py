"""The code location loads the way `dagster dev` loads it."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.heavy
def test_dagster_definitions_validate_passes(tmp_path):
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path), "LEARNING_HOME": str(tmp_path / "learning")}
    (tmp_path / "dagster.yaml").write_text((ROOT / "dagster.yaml").read_text())
    dagster = Path(sys.executable).with_name("dagster")
    proc = subprocess.run(
        [str(dagster), "definitions", "validate", "-w", "workspace.yaml"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=240,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Validation successful" in proc.stdout + proc.stderr


def test_every_layer_is_in_the_code_location():
    from learning_pipeline.definitions import defs

    keys = {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}
    assert {"raw_decisions", "raw_code_artifacts", "trace_quarantine", "decision_traces"} <= keys
    assert defs.resolve_sensor_def("landing_zone_sensor")
    assert defs.resolve_job_def("capture_job")
