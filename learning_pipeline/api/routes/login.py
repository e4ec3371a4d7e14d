"""The dashboard's sign-in form (see api/dashboard_login.py for why a form and a cookie)."""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from learning_pipeline.api.dashboard_login import LOGIN_PATH, login_page, session_value, set_cookie, token_in_form

router = APIRouter(tags=["dashboard"])
_NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
_FORM_BODY = {"requestBody": {"required": True, "content": {"application/x-www-form-urlencoded": {
    "schema": {"type": "object", "properties": {"token": {"type": "string"}}, "required": ["token"]}}}}}


@router.get(LOGIN_PATH, response_class=HTMLResponse)
async def login_form(request: Request) -> Response:
    """The form a person signs in to the dashboard with (a redirect when the API has no token)."""
    if request.app.state.token is None:
        return RedirectResponse("/dashboard", status_code=303)
    return HTMLResponse(login_page(), headers=_NO_STORE)


@router.post(LOGIN_PATH, response_class=HTMLResponse, openapi_extra=_FORM_BODY,
             responses={303: {"description": "signed in: the session cookie is set; on to /dashboard"},
                        401: {"description": "a wrong token: the form again"}})
async def login(request: Request) -> Response:
    """Check the token from the form (constant time); set the dashboard session cookie."""
    token = request.app.state.token
    if token is None:
        return RedirectResponse("/dashboard", status_code=303)
    given = token_in_form(await request.body())
    if given is None or not hmac.compare_digest(given.encode(), token.encode()):
        return HTMLResponse(login_page("That is not the API token."), status_code=401, headers=_NO_STORE)
    answer = RedirectResponse("/dashboard", status_code=303, headers=_NO_STORE)
    answer.raw_headers.append((b"set-cookie", set_cookie(session_value(token), secure=request.url.scheme == "https")))
    return answer
