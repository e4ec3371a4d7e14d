"""Issue 9, "clear errors everywhere else": one line naming the thing, no traceback."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from learning_pipeline.cli import main, resolve_selection
from learning_pipeline.config import ConfigError

CLI = str(Path(sys.executable).with_name("learning-pipeline"))


def _one_line_error(capsys, *argv) -> str:
    code = main(list(argv))
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and err.startswith("error: "), err
    return err


def test_selecting_a_capture_table_selects_the_capture_step():
    keys = resolve_selection(["raw_decisions"])
    assert "raw_decisions" in keys and "trace_quarantine" in keys and "raw_build_summaries" in keys
    assert "judgments" not in keys


def test_an_unknown_asset_name_lists_the_valid_ones():
    with pytest.raises(ConfigError, match=r"--select 'raw_decisons': no such asset; valid names: .*raw_decisions"):
        resolve_selection(["raw_decisons"])


def test_export_to_a_folder_or_a_missing_folder_names_the_path_given(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("LEARNING_HOME", str(tmp_path / "home"))
    assert f"--out {tmp_path}: is a folder" in _one_line_error(capsys, "export-pairs", "--out", str(tmp_path))
    missing = tmp_path / "nope" / "pairs.jsonl"
    assert f"--out {missing}: the folder {missing.parent} does not exist" in _one_line_error(
        capsys, "export-pairs", "--out", str(missing))


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_export_to_a_read_only_folder_names_the_path_given(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("LEARNING_HOME", str(tmp_path / "home"))
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    out = locked / "pairs.jsonl"
    assert f"--out {out}: not writable" in _one_line_error(capsys, "export-pairs", "--out", str(out))


def test_bad_settings_and_names_are_one_line_each(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("LEARNING_HOME", str(tmp_path / "home"))
    assert "no shadow model named 'no-such-model'; the models are: builder-coder" in _one_line_error(
        capsys, "models", "no-such-model")
    monkeypatch.setenv("LEARNING_PARTITION_START", "garbage")
    assert "LEARNING_PARTITION_START='garbage' is not a date" in _one_line_error(capsys, "status")
    monkeypatch.delenv("LEARNING_PARTITION_START")
    a_file = tmp_path / "file"
    a_file.write_text("x")
    monkeypatch.setenv("LEARNING_HOME", str(a_file))
    assert f"LEARNING_HOME='{a_file}' is a file, not a folder" in _one_line_error(capsys, "ingest", str(a_file))


@pytest.mark.parametrize("variable, value, message", [
    ("LEARNING_PARTITION_START", "garbage", "LEARNING_PARTITION_START='garbage' is not a date"),
    ("LEARNING_JUDGE", "gpt5", "LEARNING_JUDGE='gpt5' is not a judge: expected one of heuristic, llm"),
])
def test_settings_read_when_the_definitions_load_fail_in_one_line(tmp_path, variable, value, message):
    """These are read at import time of the Dagster definitions, in a fresh process."""
    env = {**os.environ, "LEARNING_HOME": str(tmp_path / "home"), "DAGSTER_HOME": str(tmp_path / "dh"), variable: value}
    proc = subprocess.run([CLI, "run", "--quiet"], env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert proc.stderr.strip().splitlines() == [f"error: {message}"] or message in proc.stderr.strip().splitlines()[-1]
    assert "Traceback" not in proc.stderr


def test_run_select_a_capture_table_runs_the_capture_step(tmp_path):
    """The README's own example."""
    from learning_pipeline.capture.landing import LandingZone
    from learning_pipeline_tests.conftest import RECEIVED, decision, envelope, lines_of

    env = {**os.environ, "LEARNING_HOME": str(tmp_path / "home"), "DAGSTER_HOME": str(tmp_path / "dh"),
           "LEARNING_PARTITION_START": "2026-03-01"}
    LandingZone(tmp_path / "home" / "landing").land(lines_of(envelope("decision", **decision())), "t", RECEIVED)
    proc = subprocess.run([CLI, "run", "--quiet", "--select", "raw_decisions"], env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "ok: " in proc.stdout and "raw_decisions" in proc.stdout and "judgments" not in proc.stdout
    unknown = subprocess.run([CLI, "run", "--select", "nope"], env=env, capture_output=True, text=True, timeout=300)
    assert unknown.returncode == 2 and unknown.stderr.startswith("error: --select 'nope': no such asset; valid names:")
    assert "Traceback" not in unknown.stderr


def test_a_landing_zone_that_cannot_be_written_is_one_line(capsys, tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    (home / "landing").write_text("a file where the landing folder should be")
    monkeypatch.setenv("LEARNING_HOME", str(home))
    src = tmp_path / "t.jsonl"
    src.write_text('{"kind": "decision", "data": {}}\n')
    assert "cannot write the landing zone" in _one_line_error(capsys, "ingest", "--quiet", str(src))
