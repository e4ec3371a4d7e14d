"""The learning API (`learning-pipeline serve`): the app factory. Routes live in `routes/`, one
module per domain; they call the same service functions as the command line."""

from __future__ import annotations

import os
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from learning_pipeline.api import errors
from learning_pipeline.api.dagster_client import DagsterLauncher
from learning_pipeline.api.guard import Guard
from learning_pipeline.api.journal import TraceJournal
from learning_pipeline.api.shapes import ErrorBody
from learning_pipeline.api.routes import capture, login, meta, models, reads, triggers
from learning_pipeline.api.state import LearnedState, Warmer
from learning_pipeline.capture.landing import LandingZone
from learning_pipeline.config import LearningSettings
from learning_pipeline.metrics import routes as metrics

PREFIX = "/api/learning"
TOKEN_ENV = "LEARNING_API_TOKEN"
MAX_BODY_ENV = "LEARNING_API_MAX_BODY_BYTES"


def _document_errors(schema: dict) -> None:
    """Every 4xx is `{"error": {"message", "field"}}` (errors.py), not FastAPI's default
    validation body: say so in the schema, with 401 (a token) and 413 (the size limit)."""
    components = schema["components"]["schemas"]
    components.update(ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}")["$defs"])
    components["ErrorBody"] = {k: v for k, v in ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}").items() if k != "$defs"}
    error = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}}
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            if "422" in responses:
                responses["422"] = {"description": responses["422"].get("description", "invalid: `error.field` names the field"), **error}
            if path != f"{PREFIX}/health":
                responses.setdefault("401", {"description": "no or a wrong bearer token", **error})
            if method in ("post", "put", "patch"):
                responses.setdefault("413", {"description": "request body over the size limit", **error})
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)


def create_app(settings: LearningSettings | None = None, token: str | None = None, launcher: DagsterLauncher | None = None,
               embedder=None, max_body_bytes: int | None = None) -> FastAPI:
    settings = settings or LearningSettings.from_env()
    token = token if token is not None else (os.environ.get(TOKEN_ENV) or None)
    max_body_bytes = max_body_bytes or int(os.environ.get(MAX_BODY_ENV) or settings.limits.max_line_bytes)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.journal = TraceJournal(LandingZone(settings.landing_dir, settings.limits))
        warmer = app.state.warmer = Warmer(settings, app.state.learned)
        warmer.start()
        try:
            yield
        finally:
            warmer.stop()
            app.state.journal.close()

    app = FastAPI(title="learning-pipeline API", version="1", lifespan=lifespan,
                  description="What the builder sends (traces, feedback) and reads back (patterns, strategies, predictions, models).")
    app.state.settings = settings
    app.state.token = token
    app.state.launcher = launcher or DagsterLauncher.from_env()
    app.state.embedder = embedder
    app.state.learned = LearnedState(settings)
    errors.install(app)
    for module in (reads, capture, triggers, models, meta, metrics):
        app.include_router(module.router, prefix=PREFIX)
    app.include_router(metrics.page_router)  # the dashboard is a page for people: at the root
    app.include_router(login.router)  # and its sign-in form, for when the API has a token

    def openapi() -> dict:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
            schema.setdefault("components", {}).setdefault("schemas", {}).update(capture.wire_schemas())
            schema["components"]["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
            schema["security"] = [{"bearer": []}]
            _document_errors(schema)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi
    app.add_middleware(capture.CaptureFastPath, prefix=PREFIX)
    # Outermost: auth and the size limit run before routing and before any body is parsed.
    app.add_middleware(Guard, token=token, max_body_bytes=max_body_bytes)
    return app
