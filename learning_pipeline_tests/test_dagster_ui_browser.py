"""The Dagster UI in a real browser: a webserver on a free loopback port over a small home whose
capture and judging steps were materialized by the CLI; headless Chromium (Debian's `chromium`,
installed when missing) renders the global asset graph and the `judgments` asset page, takes
screenshots, and the rendered DOM must show the learning assets and the step jobs."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pytest

from learning_pipeline_tests.flywheel_servers import REPO, Servers, environment
from learning_pipeline_tests.metrics import browser

# The asset graph lays out every group; these are the flywheel's steps, one per layer.
LEARNING_ASSETS = ("raw_decisions", "trace_quarantine", "judgments", "preference_pairs", "training_batches",
                   "shadow_adapter", "adapter_evaluation", "shadow_promotion", "pattern_library", "learning_metrics",
                   "cycle_records")
# Chromium waits this long in virtual time (paused while requests are pending) for the app to fetch and render.
SETTLE_MS = "30000"
WINDOW = "1600,3000"  # tall enough that the catalog renders every row (its table is virtualized)
LAYERS = ("capture", "judging", "preferences", "training", "meta", "metrics", "cycle")


def _cli(env, *args: str) -> None:
    proc = subprocess.run([sys.executable, "-m", "learning_pipeline.cli", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode in (0, 1), proc.stdout[-2000:] + proc.stderr[-2000:]  # ingest: 1 = planted bad lines rejected


def _render(binary: str, url: str, tmp_path, name: str) -> str:
    """The page's DOM once the app has rendered, and a screenshot of it beside the test's files."""
    profile = tmp_path / f"profile-{name}"
    shot = tmp_path / f"{name}.png"
    result = browser._headless(binary, profile, f"--virtual-time-budget={SETTLE_MS}", f"--screenshot={shot}",
                               f"--window-size={WINDOW}", url, timeout=300)
    assert result.returncode == 0 and shot.exists() and shot.stat().st_size > 20_000, result.stderr[-2000:]
    result = browser._headless(binary, profile, f"--virtual-time-budget={SETTLE_MS}", f"--window-size={WINDOW}",
                               "--dump-dom", url, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


@pytest.mark.heavy
@pytest.mark.timeout(1800)
def test_the_dagster_ui_shows_the_learning_assets_and_an_asset_page(tmp_path):
    binary = browser.chromium()
    day = dt.datetime.now(dt.timezone.utc).date() - dt.timedelta(days=1)
    env = environment(tmp_path / "home", tmp_path / "dagster_home", LEARNING_PARTITION_START=day.isoformat())
    traces = tmp_path / "builder" / "traces.jsonl.gz"
    _cli(env, "simulate", "--builds", "6", "--days", "1", "--seed", "2", "--end-date", day.isoformat(), "--out", str(traces))
    _cli(env, "ingest", "--quiet", str(traces))
    _cli(env, "run", "--quiet", "--select", "raw_decisions,judgments,code_version_comparisons")

    servers = Servers.webserver(env, tmp_path / "webserver.log")
    try:
        servers.wait_ready(f"{servers.dagster_url}/server_info")
        # The global asset graph: one node per layer of the flywheel.
        graph = _render(binary, f"{servers.dagster_url}/asset-groups", tmp_path, "asset_graph")
        assert "Global asset lineage" in graph
        assert not [g for g in LAYERS if f">{g}<" not in graph], graph[-3000:]
        # The catalog: every learning asset by name.
        catalog = _render(binary, f"{servers.dagster_url}/assets", tmp_path, "asset_catalog")
        missing = [name for name in LEARNING_ASSETS if name not in catalog]
        assert not missing, (missing, catalog[-3000:])
        # An asset page: the judgments the CLI materialized, with their description.
        page = _render(binary, f"{servers.dagster_url}/assets/judgments", tmp_path, "asset_judgments")
        assert "judgments" in page and "through the judgment ledger" in page, page[-3000:]
    finally:
        servers.stop()
