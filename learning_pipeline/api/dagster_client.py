"""Launch Dagster runs through the webserver's GraphQL API (the API never runs a job itself)."""

from __future__ import annotations

import os
from dataclasses import dataclass

import httpx

from learning_pipeline.api.errors import ApiError

DAGSTER_URL_ENV = "LEARNING_DAGSTER_URL"
LOCATION_ENV = "LEARNING_DAGSTER_LOCATION"
DEFAULT_LOCATION = "learning_pipeline"  # workspace.yaml's location_name
REPOSITORY = "__repository__"  # the name Dagster gives a module's single Definitions
ASSET_JOB = "__ASSET_JOB"

LAUNCH_RUN = """
mutation LaunchRun($executionParams: ExecutionParams!) {
  launchRun(executionParams: $executionParams) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message }
    ... on RunConfigValidationInvalid { errors { message } }
    ... on Error { message }
  }
}"""

LAUNCH_BACKFILL = """
mutation LaunchBackfill($backfillParams: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $backfillParams) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on PythonError { message }
    ... on Error { message }
  }
}"""


@dataclass(frozen=True)
class DagsterLauncher:
    url: str | None
    location: str = DEFAULT_LOCATION
    timeout_s: float = 30.0

    @classmethod
    def from_env(cls) -> "DagsterLauncher":
        return cls(os.environ.get(DAGSTER_URL_ENV) or None, os.environ.get(LOCATION_ENV) or DEFAULT_LOCATION)

    def _require(self) -> str:
        if not self.url:
            raise ApiError(503, f"no Dagster webserver configured: set {DAGSTER_URL_ENV} (e.g. http://127.0.0.1:3000/graphql) "
                                "to launch runs from the API, or use the command line")
        return self.url

    async def _post(self, query: str, variables: dict) -> dict:
        url = self._require()
        try:
            async with httpx.AsyncClient(timeout=self.timeout_s) as client:
                response = await client.post(url, json={"query": query, "variables": variables})
        except httpx.HTTPError as err:
            raise ApiError(503, f"the Dagster webserver at {url} did not answer ({type(err).__name__})") from None
        if response.status_code != 200:
            raise ApiError(503, f"the Dagster webserver at {url} answered HTTP {response.status_code}")
        try:
            payload = response.json()
        except ValueError:
            raise ApiError(503, f"the Dagster webserver at {url} answered something that is not JSON") from None
        if payload.get("errors"):
            raise ApiError(503, f"Dagster refused the launch: {payload['errors'][0].get('message', payload['errors'][0])}")
        return payload.get("data") or {}

    @staticmethod
    def _failure(answer: dict) -> str:
        errors = answer.get("errors")
        detail = answer.get("message") or (errors[0].get("message") if errors else None) or answer.get("__typename")
        return f"Dagster refused the launch ({answer.get('__typename')}): {detail}"

    async def launch_run(self, job: str, assets: list[str] | None = None, partition: str | None = None,
                         tags: dict[str, str] | None = None) -> str:
        """Launch `job` (or a subset of its `assets`), for one partition; the run id."""
        selector = {"repositoryLocationName": self.location, "repositoryName": REPOSITORY, "jobName": job}
        if assets:
            selector["assetSelection"] = [{"path": [a]} for a in assets]
        all_tags = {"learning/launched_by": "api", **(tags or {})}
        if partition:
            all_tags["dagster/partition"] = partition
        params = {"selector": selector, "runConfigData": {},
                  "executionMetadata": {"tags": [{"key": k, "value": v} for k, v in all_tags.items()]}}
        answer = (await self._post(LAUNCH_RUN, {"executionParams": params})).get("launchRun") or {}
        if answer.get("__typename") != "LaunchRunSuccess":
            raise ApiError(503, self._failure(answer))
        return answer["run"]["runId"]

    async def launch_backfill(self, assets: list[str], partitions: list[str] | None = None) -> str:
        """A backfill of `assets` over `partitions` (every partition when None); the backfill id."""
        params: dict = {"assetSelection": [{"path": [a]} for a in assets], "tags": [{"key": "learning/launched_by", "value": "api"}]}
        if partitions:
            params["partitionNames"] = partitions
        else:
            params["allPartitions"] = True
        answer = (await self._post(LAUNCH_BACKFILL, {"backfillParams": params})).get("launchPartitionBackfill") or {}
        if answer.get("__typename") != "LaunchBackfillSuccess":
            raise ApiError(503, self._failure(answer))
        return answer["backfillId"]
