"""The metrics routes: `GET /metrics` and `GET /metrics/improvement` (JSON, under the API's
prefix like every WIRE_FORMAT route) and `GET /dashboard` (the HTML page, at the root)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from learning_pipeline.metrics.dashboard import render_dashboard
from learning_pipeline.metrics.report import improvement_report, metrics_report

router = APIRouter(tags=["metrics"])
page_router = APIRouter(tags=["metrics"])


@router.get("/metrics")
async def metrics(request: Request) -> dict:
    """Every KPI per week with its 95% interval, per-week pairs and judge cost, the shadow models."""
    return await run_in_threadpool(metrics_report, request.app.state.settings)


@router.get("/metrics/improvement")
async def metrics_improvement(request: Request) -> dict:
    """Baseline week against latest week per KPI: change, its interval and a verdict; every week's values."""
    return await run_in_threadpool(improvement_report, request.app.state.settings)


@page_router.get("/dashboard", response_class=HTMLResponse)
async def dashboard(request: Request) -> HTMLResponse:
    """The learning dashboard: charts rendered on the server, no script, no external request."""
    # no-store: with a token, this is a signed-in page; no-referrer: nothing about it leaves with a click
    return HTMLResponse(await run_in_threadpool(render_dashboard, request.app.state.settings),
                        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})
