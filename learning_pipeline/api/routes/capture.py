"""Trace and feedback POSTs: validated with the capture wire schemas, journaled durably (group
commit), answered 201 once durable or 200 as a duplicate."""

from __future__ import annotations

import asyncio
import datetime
import hashlib
from typing import Any, Optional

import msgspec
from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse

from learning_pipeline.api.errors import ApiError, from_msgspec
from learning_pipeline.capture.redaction import redact_obj
from learning_pipeline.capture.wire import DecisionOutcome, TRACE_KINDS

router = APIRouter(tags=["capture"])

_WIRE_ID = {kind: "".join(w.capitalize() if i else w for i, w in enumerate(spec.id_field.split("_")))
            for kind, spec in TRACE_KINDS.items() if spec.id_field}


def _decode(body: bytes) -> Any:
    try:
        value = msgspec.json.decode(body)
    except (msgspec.DecodeError, RecursionError) as err:
        raise ApiError(400, f"the body is not JSON: {err}") from None
    if not isinstance(value, dict):
        raise ApiError(422, "the body must be a JSON object")
    return value


async def store(request: Request, kind: str, data: dict) -> JSONResponse:
    schema = TRACE_KINDS[kind].schema
    try:
        record = msgspec.convert(data, schema)
    except msgspec.ValidationError as err:
        raise from_msgspec(err) from None
    except (ValueError, TypeError) as err:  # a __post_init__ rule (e.g. strategyId or domain+strategy)
        raise ApiError(422, str(err)) from None
    # Redacted here, from the decoded record, before the first byte is stored; unknown fields kept.
    redacted, _ = redact_obj(data)
    line = msgspec.json.encode({"kind": kind, "data": redacted})
    id_field = TRACE_KINDS[kind].id_field
    record_id = getattr(record, id_field) if id_field else None
    answer_id = record_id or (data.get("traceId") if kind == "decision_outcome" else None) or hashlib.sha256(line).hexdigest()[:24]
    stored = await asyncio.wrap_future(request.app.state.journal.submit(kind, record_id, line))
    if stored:
        return JSONResponse({"id": answer_id, "stored": True}, status_code=201)
    return JSONResponse({"id": answer_id, "stored": False, "duplicate": True}, status_code=200)


def _body_schema(schema_name: str) -> dict:
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema_name}"}}}}}


_STORED = {201: {"description": "durably stored"}, 200: {"description": "a duplicate: nothing stored"},
           422: {"description": "invalid: `error.field` names the field"}}


def _route(path: str, kind: str):
    schema_name = TRACE_KINDS[kind].schema.__name__

    async def endpoint(request: Request) -> JSONResponse:
        return await store(request, kind, _decode(await request.body()))

    endpoint.__name__ = f"post_{kind}"
    router.add_api_route(path, endpoint, methods=["POST"], status_code=201, responses=_STORED,
                         openapi_extra=_body_schema(schema_name), summary=f"Store a {kind.replace('_', ' ')}")


for _path, _kind in (("/traces/decision", "decision"), ("/traces/code", "code_artifact"), ("/traces/design", "design_choice"),
                     ("/traces/error", "error_recovery"), ("/feedback/pattern-usage", "pattern_usage"),
                     ("/feedback/strategy-outcome", "strategy_outcome"), ("/feedback/build", "build_summary")):
    _route(_path, _kind)


@router.post("/traces/decision/{traceId}/outcome", status_code=201, responses=_STORED,
             openapi_extra=_body_schema("DecisionOutcomeBody"), summary="Store a decision's late outcome")
async def post_decision_outcome(request: Request, traceId: str = Path(min_length=1, max_length=256)) -> JSONResponse:
    """Body: `{"outcome": {...}, "outcomeRecordedAt": ...}` (or the outcome object itself)."""
    body = _decode(await request.body())
    if "outcome" not in body and "immediateResult" in body:
        body = {"outcome": body}
    return await store(request, "decision_outcome", {**body, "traceId": traceId})


class DecisionOutcomeBody(msgspec.Struct, rename="camel"):
    outcome: DecisionOutcome
    outcome_recorded_at: Optional[datetime.datetime] = None


def wire_schemas() -> dict:
    """OpenAPI components for the capture bodies, from the msgspec schemas themselves."""
    types = [TRACE_KINDS[k].schema for k in TRACE_KINDS if k != "decision_outcome"] + [DecisionOutcomeBody]
    _, components = msgspec.json.schema_components(types, ref_template="#/components/schemas/{name}")
    return components
