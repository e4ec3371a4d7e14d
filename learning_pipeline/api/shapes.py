"""The response shapes WIRE_FORMAT.md gives, as OpenAPI schemas (documentation: the routes
return plain dicts, so these never filter or rewrite an answer; a test checks real answers
against them). Fields may be added later, so every object allows more."""

from __future__ import annotations

from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class ErrorDetail(_Open):
    message: str
    field: Optional[str] = None


class ErrorBody(_Open):
    """Every 4xx: `field` names the field at fault, where one is (`context.previousAttempts`)."""
    error: ErrorDetail


class Stored(_Open):
    id: str
    stored: bool
    duplicate: Optional[bool] = None


class RunLaunched(_Open):
    runId: str


class Alternative(_Open):
    strategy: str
    posteriorMean: float


class Recommendation(_Open):
    domain: str
    strategy: str
    posteriorMean: float
    credibleInterval: list[float]
    exploratory: bool
    propensity: Optional[float] = None
    alternatives: list[Alternative]


class PatternHit(_Open):
    patternId: str
    category: str
    name: str
    problem: str
    solutionTemplate: Optional[str] = None
    codeTemplate: Optional[str] = None
    similarity: float
    successRate: float
    usageCount: int
    score: float


class SearchAnswer(_Open):
    results: list[PatternHit]


class Signal(_Open):
    signal: str
    effect: float


class Prediction(_Open):
    buildId: Optional[str] = None
    probability: float
    intervene: bool
    threshold: float
    topSignals: list[Signal]


class Guidance(_Open):
    buildId: Optional[str] = None
    strategies: dict[str, Recommendation]
    patterns: list[PatternHit]
    success: Optional[Prediction] = None


class Champion(_Open):
    version: int
    evalScore: Optional[float] = None
    promotedAt: Optional[str] = None


class Training(_Open):
    state: Literal["idle", "queued", "running"]
    runId: Optional[str] = None


class ModelStatus(_Open):
    name: str
    champion: Optional[Champion] = None
    versions: list[dict]
    training: Training


class Models(_Open):
    models: list[ModelStatus]


def ok(model: type[BaseModel], status: int = 200, description: str = "OK") -> dict:
    return {status: {"model": model, "description": description}}
