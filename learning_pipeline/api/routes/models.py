"""Shadow models: registry reads, and the train / evaluate / rollback triggers."""

from __future__ import annotations

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from learning_pipeline.api.errors import ApiError
from learning_pipeline.api.shapes import ModelStatus, Models, RunLaunched, ok
from learning_pipeline.service.models import RegistryError, UnknownModelError, check_model, list_models, model_status, rollback

router = APIRouter(tags=["models"])
ModelName = Path(min_length=1, max_length=128)


def _known(name: str) -> None:
    try:
        check_model(name)
    except UnknownModelError as err:
        raise ApiError(404, str(err), "name") from None


@router.get("/models", response_model=None, responses=ok(Models))
async def models(request: Request) -> dict:
    return await run_in_threadpool(list_models, request.app.state.settings)


@router.get("/models/{name}/status", response_model=None, responses=ok(ModelStatus))
async def status(request: Request, name: str = ModelName) -> dict:
    _known(name)
    return await run_in_threadpool(model_status, request.app.state.settings, name)


@router.post("/models/{name}/train", status_code=202, response_model=None, responses=ok(RunLaunched, 202))
async def train(request: Request, name: str = ModelName) -> JSONResponse:
    """Launch `training_job` for this model (its partition) on the Dagster webserver."""
    _known(name)
    run_id = await request.app.state.launcher.launch_run("training_job", partition=name)
    return JSONResponse({"runId": run_id}, status_code=202)


@router.post("/models/{name}/evaluate", status_code=202, response_model=None, responses=ok(RunLaunched, 202))
async def evaluate(request: Request, name: str = ModelName) -> JSONResponse:
    """Launch the champion's re-evaluation (`weekly_evaluation_job`) for this model now."""
    _known(name)
    run_id = await request.app.state.launcher.launch_run("weekly_evaluation_job", partition=name)
    return JSONResponse({"runId": run_id}, status_code=202)


@router.post("/models/{name}/rollback", response_model=None, responses=ok(ModelStatus))
async def rollback_model(request: Request, name: str = ModelName) -> dict:
    """Restore the previous champion, directly in the registry (no run needed): 200 with the
    model's status after the rollback; 409 when there is nothing to roll back to."""
    _known(name)
    try:
        restored = await run_in_threadpool(rollback, request.app.state.settings, name)
    except RegistryError as err:
        raise ApiError(409, str(err)) from None
    answer = await run_in_threadpool(model_status, request.app.state.settings, name)
    return {**answer, "restoredVersion": restored["version"]}
