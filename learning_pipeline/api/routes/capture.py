"""Trace and feedback POSTs: validated with the capture wire schemas, journaled durably (group
commit), answered 201 once durable or 200 as a duplicate."""

from __future__ import annotations

import datetime
import hashlib
from typing import Any, Optional

import msgspec
from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse

from learning_pipeline.api.errors import ApiError, error_body, from_msgspec
from learning_pipeline.api.shapes import Stored, ok
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


def prepare(kind: str, data: dict) -> tuple[str | None, bytes, str]:
    """Validate a decoded body against its wire schema and redact it: (record id or None, the
    journal line, the id to answer with). Raises ApiError (422) naming the field at fault."""
    spec = TRACE_KINDS[kind]
    try:
        record = msgspec.convert(data, spec.schema)
    except msgspec.ValidationError as err:
        raise from_msgspec(err) from None
    except (ValueError, TypeError) as err:  # a __post_init__ rule (e.g. strategyId or domain+strategy)
        raise ApiError(422, str(err)) from None
    # Redacted here, from the decoded record, before the first byte is stored; unknown fields kept.
    redacted, _ = redact_obj(data)
    line = msgspec.json.encode({"kind": kind, "data": redacted})
    record_id = getattr(record, spec.id_field) if spec.id_field else None
    answer_id = record_id or (data.get("traceId") if kind == "decision_outcome" else None) or hashlib.sha256(line).hexdigest()[:24]
    return record_id, line, answer_id


async def store_body(journal, kind: str, data: dict) -> tuple[int, dict]:
    """(status, answer) of a capture POST: 201 once durable, 200 for a duplicate."""
    record_id, line, answer_id = prepare(kind, data)
    if await journal.store(kind, record_id, line):
        return 201, {"id": answer_id, "stored": True}
    return 200, {"id": answer_id, "stored": False, "duplicate": True}


async def store(request: Request, kind: str, data: dict) -> JSONResponse:
    status, answer = await store_body(request.app.state.journal, kind, data)
    return JSONResponse(answer, status_code=status)


def _body_schema(schema_name: str) -> dict:
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema_name}"}}}}}


_STORED = {**ok(Stored, 201, "durably stored"), **ok(Stored, 200, "a duplicate: nothing stored"),
           422: {"description": "invalid: `error.field` names the field"}}


def _route(path: str, kind: str):
    schema_name = TRACE_KINDS[kind].schema.__name__

    async def endpoint(request: Request) -> JSONResponse:
        return await store(request, kind, _decode(await request.body()))

    endpoint.__name__ = f"post_{kind}"
    router.add_api_route(path, endpoint, methods=["POST"], status_code=201, responses=_STORED,
                         openapi_extra=_body_schema(schema_name), summary=f"Store a {kind.replace('_', ' ')}")


CAPTURE_PATHS = {"/traces/decision": "decision", "/traces/code": "code_artifact", "/traces/design": "design_choice",
                 "/traces/error": "error_recovery", "/feedback/pattern-usage": "pattern_usage",
                 "/feedback/strategy-outcome": "strategy_outcome", "/feedback/build": "build_summary"}
for _path, _kind in CAPTURE_PATHS.items():
    _route(_path, _kind)


class CaptureFastPath:
    """The trace and feedback POSTs above, answered without FastAPI's routing, dependency and
    response machinery: they are the API's hot path (every step of every build), and that
    machinery cost more CPU than validating, redacting and journaling a trace together. Same
    functions (`prepare`, `store_body`), same answers and errors; the FastAPI routes above stay
    what the OpenAPI schema documents (and answer when this is not installed). Pure ASGI,
    installed inside `Guard`, so auth and the size limit have run already."""

    def __init__(self, app, prefix: str):
        self.app = app
        self.kinds = {prefix + path: kind for path, kind in CAPTURE_PATHS.items()}

    async def __call__(self, scope, receive, send):
        kind = self.kinds.get(scope["path"]) if scope["type"] == "http" and scope["method"] == "POST" else None
        if kind is None:
            return await self.app(scope, receive, send)
        chunks, more = [], True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        try:
            status, answer = await store_body(scope["app"].state.journal, kind, _decode(b"".join(chunks)))
        except ApiError as err:
            status, answer = err.status, error_body(err.message, err.field)
        body = msgspec.json.encode(answer)
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


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
