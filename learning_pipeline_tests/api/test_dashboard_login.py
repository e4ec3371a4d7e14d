"""The dashboard with a token: a browser signs in through the form (a cookie, never the token in
an address); a wrong token gets 401; the token is in no log line and in no cookie."""

from __future__ import annotations

import httpx
import pytest

from learning_pipeline.api.dashboard_login import COOKIE, cookie_from, session_value, token_in_form
from learning_pipeline_tests.api.servers import ApiServer

TOKEN = "dash-7f3c9a1e-token-never-logged"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    # debug logging: whatever the server logs, the token must not be in it
    api = ApiServer(tmp_path_factory.mktemp("home"), token=TOKEN, extra_env={"LEARNING_API_LOG_LEVEL": "debug"}).wait_ready()
    api.root = api.url.removesuffix("/api/learning")
    yield api
    api.stop()


def test_form_sets_an_httponly_cookie_that_opens_the_dashboard_only(server):
    with httpx.Client(base_url=server.root, timeout=60) as browser:
        first = browser.get("/dashboard")
        assert first.status_code == 401 and 'action="/dashboard/login"' in first.text and 'type="password"' in first.text
        wrong = browser.post("/dashboard/login", data={"token": TOKEN + "x"})
        assert wrong.status_code == 401 and "not the API token" in wrong.text and "set-cookie" not in wrong.headers
        assert browser.get("/dashboard").status_code == 401

        signed_in = browser.post("/dashboard/login", data={"token": TOKEN})
        assert signed_in.status_code == 303 and signed_in.headers["location"] == "/dashboard"
        cookie = signed_in.headers["set-cookie"]
        for attribute in ("HttpOnly", "SameSite=Strict", "Path=/dashboard"):
            assert attribute in cookie
        assert TOKEN not in cookie and cookie_from(cookie.split(";")[0].encode()) == session_value(TOKEN)

        page = browser.get("/dashboard")  # the cookie jar sends it, as a browser does
        assert page.status_code == 200 and "<title>Learning dashboard</title>" in page.text and "Improvement over time" in page.text
        assert page.headers["cache-control"] == "no-store"
        # the session opens the page, nothing else
        assert browser.get("/api/learning/models").status_code == 401
        assert browser.get("/api/learning/metrics").status_code == 401
        assert browser.post("/dashboard", data={}).status_code in (401, 405)


def test_no_token_in_the_address_and_no_forged_cookie(server):
    assert httpx.get(f"{server.root}/dashboard", params={"token": TOKEN}).status_code == 401
    forged = {"Cookie": f"{COOKIE}={session_value(TOKEN + 'x')}"}
    assert httpx.get(f"{server.root}/dashboard", headers=forged).status_code == 401
    assert httpx.get(f"{server.root}/dashboard", headers={"Cookie": f"{COOKIE}={TOKEN}"}).status_code == 401
    # the bearer header still works for a script
    assert httpx.get(f"{server.root}/dashboard", headers=server.headers).status_code == 200


def test_the_token_never_reaches_the_log(server):
    httpx.post(f"{server.root}/dashboard/login", data={"token": TOKEN})
    httpx.post(f"{server.root}/dashboard/login", data={"token": "wrong-" + TOKEN})
    server.stop()
    log = server.proc.stdout.read().decode(errors="replace")
    assert "Uvicorn running" in log or "Started server process" in log  # the log was captured at all
    assert TOKEN not in log


def test_form_parsing():
    assert token_in_form(b"token=a%2Bb%3D") == "a+b="
    assert token_in_form(b"other=1") is None
    assert token_in_form(b"\xff\xfe") is None
