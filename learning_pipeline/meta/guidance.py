"""What the builder injects before or during a build, in one answer (WIRE_FORMAT.md `POST /guidance`):
the recommended strategy per domain, the few patterns relevant enough to its situation, and the
success prediction from its traces so far. The command line and the HTTP API call these functions.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

from learning_pipeline.config import LearningSettings
from learning_pipeline.meta.success import SuccessPredictor

PREDICTOR_DIR = "success_predictor"


class GuidanceError(Exception):
    """A request the builder-facing answers cannot serve as asked (one line saying why)."""


def predictor_dir(settings: LearningSettings) -> Path:
    return settings.models_dir / PREDICTOR_DIR


def load_predictor(settings: LearningSettings) -> SuccessPredictor | None:
    return SuccessPredictor.load(predictor_dir(settings))


def read_trace_lines(path: Path) -> list[dict]:
    """A JSONL file of wire records (`{"kind": K, "data": {...}}`); a bad line is one clear error."""
    records = []
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise GuidanceError(f"{path}: cannot read ({e.strerror})") from None
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as e:
            raise GuidanceError(f"{path}: line {number}: invalid JSON ({e.msg})") from None
        if not isinstance(record, dict) or not isinstance(record.get("kind"), str) or not isinstance(record.get("data"), dict):
            raise GuidanceError(f"{path}: line {number}: kind/data: expected {{\"kind\": K, \"data\": {{...}}}}")
        records.append(record)
    return records


def predict_success(settings: LearningSettings, traces: list[dict], build_id: str | None = None,
                    predictor: SuccessPredictor | None = None) -> dict:
    """`POST /predict/success`."""
    predictor = predictor or load_predictor(settings)
    if predictor is None:
        raise GuidanceError("no success predictor has been trained yet: materialize the success_predictor asset "
                            "(`learning-pipeline run`) once build summaries have landed")
    return predictor.predict(traces, build_id)


def _pattern_query(request: dict) -> tuple[str | None, str | None]:
    """What to search the library for: the current error when there is one (error-fix patterns),
    else the intent (any category)."""
    error = request.get("error") or None
    if isinstance(error, dict) and (error.get("message") or error.get("type")):
        text = " ".join(str(error.get(k) or "") for k in ("type", "message")).strip()
        return text, "error_fix"
    intent = (request.get("intentSnippet") or "").strip()
    return (intent or None), None


def build_guidance(request: dict, *, domains: list[str], recommend: Callable[[str, dict], dict],
                   search: Callable[[str, str | None, dict], dict], predict: Callable[[list[dict], str | None], dict] | None) -> dict:
    """The `/guidance` answer from the three services (pure: each is passed in)."""
    error = request.get("error") if isinstance(request.get("error"), dict) else None
    context = {"appSoul": request.get("appSoul"), "phase": request.get("phase"),
               "errorType": (error or {}).get("type"), "tags": request.get("tags") or []}
    strategies = {domain: recommend(domain, context) for domain in domains}
    query, category = _pattern_query(request)
    search_context = {k: v for k, v in context.items() if k != "tags" and v}
    patterns = search(query, category, search_context)["results"] if query else []
    traces = request.get("traces") or []
    success = predict(traces, request.get("buildId")) if predict else None
    return {"buildId": request.get("buildId"), "strategies": strategies, "patterns": patterns, "success": success}


def guide(settings: LearningSettings, request: dict, embedder=None) -> dict:
    """`POST /guidance` over what the pipeline has learned so far. A part with nothing learned yet
    is empty (no strategies, no patterns, `success: null`), never made up."""
    from learning_pipeline.meta.service import search_patterns, strategy_model

    if not isinstance(request, dict):
        raise GuidanceError("the guidance request must be a JSON object")
    model = strategy_model(settings)
    predictor = load_predictor(settings)
    return build_guidance(
        request,
        domains=model.domains(),
        recommend=lambda domain, context: model.recommend(domain, context),
        search=lambda query, category, context: search_patterns(settings, query, category, None, context, embedder),
        predict=(lambda traces, build_id: predictor.predict(traces, build_id)) if predictor else None,
    )
