"""What the builder asks before and during a build: patterns, strategies, success, guidance,
insights. Answers come from in-memory state that reloads when its asset is re-materialized."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from learning_pipeline.api.errors import ApiError
from learning_pipeline.api.shapes import Guidance, Prediction, Recommendation, SearchAnswer, ok
from learning_pipeline.meta.guidance import GuidanceError, build_guidance
from learning_pipeline.meta.patterns import CATEGORIES
from learning_pipeline.meta.service import PatternLibraryError, list_patterns, list_strategies, search_patterns
from learning_pipeline.service.insights import insights, recommendations

router = APIRouter()
Category = Literal[CATEGORIES]  # type: ignore[valid-type]


def _embedder(request: Request):
    state = request.app.state
    if state.embedder is None:
        from learning_pipeline.meta.service import embedder_from_env

        try:
            state.embedder = embedder_from_env()
        except PatternLibraryError as err:
            raise ApiError(503, str(err)) from None
    return state.embedder


def _search(request: Request, query: str, category: str | None, k: int | None, context: dict | None) -> dict:
    with request.app.state.warmer.lock:  # a rebuild in progress finishes first (then the cache is warm)
        pass
    try:
        return search_patterns(request.app.state.settings, query, category, k, context, _embedder(request))
    except PatternLibraryError as err:
        raise ApiError(422, str(err), "q") from None


@router.get("/patterns", tags=["patterns"])
async def patterns(request: Request, category: Category | None = None) -> dict:
    return await run_in_threadpool(list_patterns, request.app.state.settings, category)


@router.get("/patterns/search", tags=["patterns"], response_model=None, responses=ok(SearchAnswer))
async def pattern_search(request: Request, q: str = Query(min_length=1, max_length=4000, pattern=r"\S"),
                         category: Category | None = None, k: int = Query(3, ge=1, le=50),
                         appSoul: str | None = Query(None, max_length=128), errorType: str | None = Query(None, max_length=256)) -> dict:
    context = {"appSoul": appSoul, "errorType": errorType}
    return await run_in_threadpool(_search, request, q, category, k, context)


@router.get("/strategies", tags=["strategies"])
async def strategies(request: Request) -> dict:
    return await run_in_threadpool(list_strategies, request.app.state.settings, None)


@router.get("/strategies/{domain}", tags=["strategies"])
async def strategies_of(request: Request, domain: str = Path(min_length=1, max_length=64)) -> dict:
    return await run_in_threadpool(list_strategies, request.app.state.settings, domain)


class StrategyContext(BaseModel):
    appSoul: str | None = Field(None, max_length=128)
    phase: str | None = Field(None, max_length=64)
    errorType: str | None = Field(None, max_length=256)
    tags: list[str] = Field(default_factory=list, max_length=64)


class RecommendRequest(BaseModel):
    context: StrategyContext = Field(default_factory=StrategyContext)


def _recommend(request: Request, domain: str, context: dict) -> dict:
    model = request.app.state.learned.strategies.get()
    if domain not in model.domains():
        raise ApiError(404, f"no strategies known for domain {domain!r}; the domains are: {', '.join(model.domains()) or 'none yet'}", "domain")
    return model.recommend(domain, context)


@router.post("/strategies/{domain}/recommend", tags=["strategies"], response_model=None, responses=ok(Recommendation))
async def recommend(request: Request, body: RecommendRequest | None = None, domain: str = Path(min_length=1, max_length=64)) -> dict:
    context = (body or RecommendRequest()).context.model_dump()
    return await run_in_threadpool(_recommend, request, domain, context)


class PredictRequest(BaseModel):
    buildId: str | None = Field(None, max_length=256)
    traces: list[dict[str, Any]] = Field(default_factory=list, max_length=10_000)


def _predict(request: Request, traces: list[dict], build_id: str | None) -> dict:
    predictor = request.app.state.learned.predictor.get()
    if predictor is None:
        raise ApiError(409, "no success predictor has been trained yet: materialize the success_predictor asset once build summaries have landed")
    try:
        return predictor.predict(traces, build_id)
    except (GuidanceError, ValueError, TypeError, KeyError) as err:
        raise ApiError(422, f"traces: {err}", "traces") from None


@router.post("/predict/success", tags=["guidance"], response_model=None, responses=ok(Prediction))
async def predict_success(request: Request, body: PredictRequest) -> dict:
    return await run_in_threadpool(_predict, request, body.traces, body.buildId)


class ErrorNow(BaseModel):
    type: str | None = Field(None, max_length=256)
    message: str | None = Field(None, max_length=20_000)


class GuidanceRequest(BaseModel):
    buildId: str | None = Field(None, max_length=256)
    intentSnippet: str | None = Field(None, max_length=20_000)
    appSoul: str | None = Field(None, max_length=128)
    phase: str | None = Field(None, max_length=64)
    error: ErrorNow | None = None
    tags: list[str] = Field(default_factory=list, max_length=64)
    traces: list[dict[str, Any]] = Field(default_factory=list, max_length=10_000)


def _guide(request: Request, body: dict) -> dict:
    model = request.app.state.learned.strategies.get()
    predictor = request.app.state.learned.predictor.get()

    def predict(traces, build_id):
        try:
            return predictor.predict(traces, build_id)
        except (ValueError, TypeError, KeyError) as err:
            raise ApiError(422, f"traces: {err}", "traces") from None

    return build_guidance(
        body, domains=model.domains(), recommend=lambda domain, context: model.recommend(domain, context),
        search=lambda query, category, context: _search(request, query, category, None, context),
        predict=predict if predictor is not None else None,
    )


@router.post("/guidance", tags=["guidance"], response_model=None, responses=ok(Guidance))
async def guidance(request: Request, body: GuidanceRequest) -> dict:
    return await run_in_threadpool(_guide, request, body.model_dump())


@router.get("/insights", tags=["insights"])
async def get_insights(request: Request) -> dict:
    return await run_in_threadpool(insights, request.app.state.settings)


@router.get("/insights/recommendations", tags=["insights"])
async def get_recommendations(request: Request, limit: int = Query(10, ge=1, le=100)) -> dict:
    return await run_in_threadpool(recommendations, request.app.state.settings, limit)
