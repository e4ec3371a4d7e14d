"""Health, status, judgments and preference pairs: read from the lake, never behind a run's lock."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import PlainTextResponse
from starlette.concurrency import run_in_threadpool

from learning_pipeline.api.errors import ApiError
from learning_pipeline.preferences.export import SecretInExportError
from learning_pipeline.service.judgments import judgments_of_build
from learning_pipeline.service.pairs import export_pairs, list_pairs
from learning_pipeline.service.status import status_report

router = APIRouter()


@router.get("/health", tags=["health"])
async def health(request: Request) -> dict:
    journal = request.app.state.journal
    return {"status": "ok", "landingError": journal.landing_error}


@router.get("/status", tags=["health"])
async def status(request: Request) -> dict:
    return await run_in_threadpool(status_report, request.app.state.settings)


@router.get("/judgments/{buildId}", tags=["judging"])
async def judgments(request: Request, buildId: str = Path(min_length=1, max_length=256)) -> dict:
    return await run_in_threadpool(judgments_of_build, request.app.state.settings, buildId)


@router.get("/preference-pairs", tags=["preferences"])
async def preference_pairs(request: Request, domain: str | None = Query(None, max_length=64),
                           split: Literal["train", "held_out", "all"] | None = None,
                           limit: int = Query(100, ge=1, le=1000), offset: int = Query(0, ge=0, le=10_000_000)) -> dict:
    return await run_in_threadpool(list_pairs, request.app.state.settings, domain, split, limit, offset)


@router.get("/preference-pairs/export", tags=["preferences"], response_class=PlainTextResponse)
async def preference_pairs_export(request: Request, format: Literal["trl", "jsonl"] = "trl",
                                  split: Literal["train", "held_out", "all"] = "train") -> PlainTextResponse:
    """The export as JSON lines (`application/x-ndjson`), the same lines `export-pairs` writes."""
    try:
        lines = await run_in_threadpool(export_pairs, request.app.state.settings, format, split)
    except SecretInExportError as err:
        raise ApiError(409, str(err)) from None
    return PlainTextResponse("".join(line + "\n" for line in lines), media_type="application/x-ndjson")
