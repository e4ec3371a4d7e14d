"""Triggers of the judging and pattern assets (Dagster runs through the webserver)."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from learning_pipeline.api.shapes import RunLaunched, ok

router = APIRouter()


class JudgmentRun(BaseModel):
    partitions: list[dt.date] | None = Field(None, max_length=400, description="days to judge; every day when omitted")


@router.post("/judgments/run", status_code=202, tags=["judging"], response_model=None, responses=ok(RunLaunched, 202))
async def run_judgments(request: Request, body: JudgmentRun | None = None) -> JSONResponse:
    """A backfill of `judgments` over the given days (or all of them). `runId` is the backfill id."""
    days = [d.isoformat() for d in body.partitions] if body and body.partitions else None
    backfill = await request.app.state.launcher.launch_backfill(["judgments"], days)
    return JSONResponse({"runId": backfill}, status_code=202)


@router.post("/patterns/extract", status_code=202, tags=["patterns"], response_model=None, responses=ok(RunLaunched, 202))
async def extract_patterns(request: Request) -> JSONResponse:
    """Rebuild the pattern library (`pattern_library` in `meta_refresh_job`)."""
    run_id = await request.app.state.launcher.launch_run("meta_refresh_job", assets=["pattern_library"])
    return JSONResponse({"runId": run_id}, status_code=202)
