"""Bearer-token auth and the request size limit, before any route runs (pure ASGI: the body is
read once, counted, and replayed to the route)."""

from __future__ import annotations

import hmac
import json

from learning_pipeline.api import dashboard_login

# Open without a token: the health check, and the dashboard's sign-in form (it checks the token
# itself, from the form).
OPEN_PATHS = ("/api/learning/health", dashboard_login.LOGIN_PATH)


async def _send(send, status: int, body: bytes, content_type: bytes, headers: list | None = None) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", content_type), (b"content-length", str(len(body)).encode()), *(headers or [])]})
    await send({"type": "http.response.body", "body": body})


async def _send_error(send, status: int, message: str, headers: list | None = None) -> None:
    body = json.dumps({"error": {"message": message, "field": None}}).encode()
    await _send(send, status, body, b"application/json", headers)


class Guard:
    def __init__(self, app, token: str | None, max_body_bytes: int):
        self.app = app
        self.expected = f"Bearer {token}".encode() if token else None
        self.session = dashboard_login.session_value(token) if token else None
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope["headers"])
        if self.expected is not None and scope["path"] not in OPEN_PATHS:
            # constant-time: the comparison's duration tells nothing about the token
            if not hmac.compare_digest(headers.get(b"authorization", b""), self.expected):
                page = scope["path"] in dashboard_login.PAGES and scope["method"] in ("GET", "HEAD")
                if page and dashboard_login.has_session(headers, self.session):
                    pass  # a person's browser, signed in through the form
                elif page:  # a person's browser without a session: the sign-in form
                    return await _send(send, 401, dashboard_login.login_page(), b"text/html; charset=utf-8",
                                       [(b"cache-control", b"no-store")])
                else:
                    return await _send_error(send, 401, "missing or wrong bearer token (Authorization: Bearer <LEARNING_API_TOKEN>)",
                                             [(b"www-authenticate", b"Bearer")])
        declared = headers.get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_body_bytes):
            return await _send_error(send, 413, f"request body over the {self.max_body_bytes}-byte limit")
        chunks, size = [], 0
        more = scope["method"] in ("POST", "PUT", "PATCH")
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > self.max_body_bytes:
                return await _send_error(send, 413, f"request body over the {self.max_body_bytes}-byte limit")
            more = message.get("more_body", False)
        body, replayed = b"".join(chunks), False

        async def replay():
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return await self.app(scope, replay, send)
