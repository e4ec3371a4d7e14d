"""Every 4xx as `{"error": {"message", "field"}}` (WIRE_FORMAT.md), naming the field at fault."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from learning_pipeline.capture.landing import field_of_error


class ApiError(Exception):
    def __init__(self, status: int, message: str, field: str | None = None):
        super().__init__(message)
        self.status, self.message, self.field = status, message, field


def error_body(message: str, field: str | None = None) -> dict:
    return {"error": {"message": message, "field": field}}


def from_msgspec(err: Exception, prefix: str = "") -> ApiError:
    """A msgspec ValidationError/DecodeError as a 422 naming the field (paths relative to the record)."""
    message = str(err)
    field = field_of_error(message) if " - at `$" in message or "field `" in message else None
    if field == "(record)":
        field = None
    return ApiError(422, message.replace("`$.", "`").replace("`$`", "the body"), f"{prefix}{field}" if field and prefix else field)


def _location(loc: tuple) -> str | None:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or None


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(_: Request, err: ApiError):
        return JSONResponse(error_body(err.message, err.field), status_code=err.status)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, err: RequestValidationError):
        first = err.errors()[0] if err.errors() else {}
        field = _location(tuple(first.get("loc", ())))
        message = f"{field}: {first.get('msg', 'invalid')}" if field else str(first.get("msg", "invalid request"))
        return JSONResponse(error_body(message, field), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, err: StarletteHTTPException):
        return JSONResponse(error_body(str(err.detail)), status_code=err.status_code, headers=getattr(err, "headers", None))
