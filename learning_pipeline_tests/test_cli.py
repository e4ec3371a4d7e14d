"""The console script end to end: simulate -> ingest -> run -> status."""

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from learning_pipeline.simulation import truth_path_for

CLI = str(Path(sys.executable).with_name("learning-pipeline"))


def _cli(*args, env, check=True):
    # A hang detector, not a speed bar: a busy 2-core machine may take many minutes for the demo.
    proc = subprocess.run([CLI, *args], env=env, capture_output=True, text=True, timeout=1500)
    if check:
        assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


@pytest.mark.heavy
def test_simulate_ingest_run_status(tmp_path):
    env = {**os.environ, "LEARNING_HOME": str(tmp_path / "home"), "DAGSTER_HOME": str(tmp_path / "dh")}
    out = tmp_path / "traces.jsonl"
    end = (dt.date.today() - dt.timedelta(days=1)).isoformat()
    _cli("simulate", "--builds", "40", "--seed", "3", "--days", "5", "--end-date", end, "--out", str(out), env=env)
    truth = json.loads(truth_path_for(out).read_text())

    # The simulator plants bad lines: ingest lands the rest, names them, and says so in its exit code.
    ingest = _cli("ingest", str(out), env=env, check=False)
    assert ingest.returncode == 1 and "lines landed" in ingest.stdout and "rejected: " in ingest.stderr
    again = _cli("ingest", str(out), env=env)
    assert " 0 lines landed" in again.stdout

    run = _cli("run", env=env)
    assert "ok: " in run.stdout
    # Nothing new landed: the second run materializes nothing, and says so.
    again = _cli("run", env=env)
    assert "nothing to materialize" in again.stdout and "ok: " not in again.stdout
    assert "learning/training" in (tmp_path / "dh" / "dagster.yaml").read_text()

    status = json.loads(_cli("status", "--json", env=env).stdout)
    lines = sum(1 for line in out.read_text().splitlines() if line.strip())
    assert status["capture"]["lines_read"] == lines
    capture = status["capture"]
    assert capture["accepted"] + capture["superseded"] + capture["quarantined"] + capture["duplicates"] == lines
    assert capture["accepted"] == sum(n for t, n in status["tables"].items() if t.startswith("raw_"))
    assert capture["quarantined"] == status["quarantine"]["count"]
    assert status["quarantine"]["count"] >= len(truth["bad_lines"])
    assert status["tables"]["raw_decisions"] > 0 and status["tables"]["decision_traces"] == status["tables"]["raw_decisions"]
    assert status["redactions"]["total"] > 0

    # None of the planted secrets survives anywhere in the lake.
    lake_bytes = b"".join(p.read_bytes() for p in (tmp_path / "home" / "lake").rglob("*.parquet"))
    import polars as pl

    def as_text(frame: pl.DataFrame) -> pl.DataFrame:
        # Lists of strings (pattern conditions, sources) are joined; numeric vectors hold no text.
        columns = []
        for name, dtype in frame.schema.items():
            if isinstance(dtype, pl.List):
                if dtype.inner == pl.String:
                    columns.append(pl.col(name).list.join("\n"))
            elif not isinstance(dtype, pl.Array):
                columns.append(pl.col(name).cast(pl.String))
        return frame.select(columns)

    text = "".join(
        as_text(pl.read_parquet(p)).write_csv()
        for p in (tmp_path / "home" / "lake").rglob("*.parquet")
    )
    assert lake_bytes
    for secret in truth["secrets"]:
        assert secret["value"] not in text, secret["kind"]


def test_run_exits_non_zero_when_a_step_fails(tmp_path):
    env = {**os.environ, "LEARNING_HOME": str(tmp_path / "home"), "DAGSTER_HOME": str(tmp_path / "dh")}
    from learning_pipeline.capture.landing import LandingZone
    from learning_pipeline_tests.conftest import RECEIVED, decision, envelope, lines_of

    LandingZone(tmp_path / "home" / "landing").land(lines_of(envelope("decision", **decision())), "t", RECEIVED)
    (tmp_path / "home" / "lake").write_text("a file where the lake folder should be")
    proc = _cli("run", "--quiet", env=env, check=False)
    assert proc.returncode == 1
    assert "FAILED" in proc.stdout


@pytest.mark.heavy
@pytest.mark.timeout(1800)
def test_the_demo_learns_from_simulated_builds(tmp_path):
    """The proof that it learns: on the simulator's traces, the trained shadow model's held-out
    preference accuracy (its own likelihood of chosen vs rejected) reaches 0.85 where the base
    model, measured the same way, has no preference to speak of, and it is promoted."""
    import re

    env = {**os.environ, "LEARNING_HOME": str(tmp_path / "home"), "DAGSTER_HOME": str(tmp_path / "dh")}
    env.pop("LEARNING_PARTITION_START", None)  # the partitions start where the simulated traces do
    # A fixed window, so the run is the same whatever day CI runs on.
    proc = _cli("demo", "--builds", "200", "--days", "10", "--seed", "5", "--end-date", "2026-10-31", env=env)
    match = re.search(r"builder-architect: (\d+) held-out pairs; accuracy by own likelihood: base ([0-9.]+), "
                      r"base model ([0-9.]+) -> candidate v1 ([0-9.]+).*best trivial baseline (.+), candidate ([-+0-9.]+) over it",
                      proc.stdout)
    assert match, proc.stdout[-3000:]
    base, champion, after = float(match.group(2)), float(match.group(3)), float(match.group(4))
    print(f"held-out preference accuracy: base {base} -> trained {after}; {match.group(6)} over {match.group(5)}")
    assert base == champion  # the first candidate is gated against the measured base
    assert 0.2 < base < 0.8 and after >= 0.85
    assert "builder-architect: v1 promoted" in proc.stdout
    assert re.search(r"early signals +AUC [0-9.]+ +Brier [0-9.]+ +ECE [0-9.]+\n.*\n +base rate +AUC 0.500", proc.stdout), proc.stdout[-2000:]
    assert (tmp_path / "home" / "landing" / ".partition_start").read_text() == "2026-10-22"
    models = json.loads(_cli("models", "builder-architect", "--json", env=env).stdout)
    assert [v["status"] for v in models["builder-architect"]] == ["promoted"]
