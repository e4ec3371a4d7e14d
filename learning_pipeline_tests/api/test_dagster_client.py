"""The GraphQL launcher against a fake webserver on loopback (no patched client)."""

from __future__ import annotations

import asyncio

import pytest

from learning_pipeline.api.dagster_client import DagsterLauncher
from learning_pipeline.api.errors import ApiError
from learning_pipeline_tests.api.servers import FakeDagster, free_port


def test_without_a_webserver_launches_say_so():
    with pytest.raises(ApiError) as err:
        asyncio.run(DagsterLauncher(None).launch_run("training_job", partition="builder-coder"))
    assert err.value.status == 503 and "LEARNING_DAGSTER_URL" in err.value.message


def test_an_unreachable_webserver_is_a_clear_503():
    launcher = DagsterLauncher(f"http://127.0.0.1:{free_port()}/graphql", timeout_s=5)
    with pytest.raises(ApiError) as err:
        asyncio.run(launcher.launch_backfill(["judgments"]))
    assert err.value.status == 503 and "did not answer" in err.value.message


def test_launch_run_sends_the_job_partition_and_selection():
    fake = FakeDagster()
    try:
        launcher = DagsterLauncher(fake.url, location="here")
        run_id = asyncio.run(launcher.launch_run("meta_refresh_job", assets=["pattern_library"], partition=None))
        backfill = asyncio.run(launcher.launch_backfill(["judgments"]))
    finally:
        fake.close()
    assert run_id == "run-1" and backfill == "backfill-2"
    selector = fake.calls[0]["variables"]["executionParams"]["selector"]
    assert selector == {"repositoryLocationName": "here", "repositoryName": "__repository__", "jobName": "meta_refresh_job",
                        "assetSelection": [{"path": ["pattern_library"]}]}
    assert "mutation LaunchRun" in fake.calls[0]["query"]
    assert fake.calls[1]["variables"]["backfillParams"]["allPartitions"] is True
