"""Opening the dashboard in a browser when the API has a token (`LEARNING_API_TOKEN`).

A browser cannot send `Authorization: Bearer` when a person types the address, so `GET
/dashboard` also accepts a session cookie, which a small login form sets: the person pastes the
token once into `/dashboard/login`, the server compares it (constant time) and answers with an
HttpOnly, SameSite=Strict cookie scoped to `/dashboard`, then redirects to the page.

Why a form and a cookie, not `?token=` in the address: an address is kept in the browser's
history, shown on screen, written to the access logs of the server and of any proxy in front,
and sent on in `Referer`; a form's body is none of these. The cookie holds an HMAC of the token,
not the token, so a copied cookie opens the dashboard only (no other route takes it) and tells
nothing about the token. HttpOnly keeps it from scripts; SameSite=Strict keeps other sites from
using it; `Secure` is added when the request came over HTTPS.
"""

from __future__ import annotations

import hashlib
import hmac
from html import escape
from urllib.parse import parse_qs

COOKIE = "lp_dashboard"
LOGIN_PATH = "/dashboard/login"
PAGES = ("/dashboard",)  # what a dashboard session opens, and only with GET / HEAD
SESSION_HOURS = 12


def session_value(token: str) -> str:
    """The cookie's value for a token: an HMAC keyed by the token (not the token itself)."""
    return hmac.new(token.encode(), b"learning-pipeline dashboard session v1", hashlib.sha256).hexdigest()


def cookie_from(header: bytes) -> str | None:
    """This dashboard's cookie in a `Cookie:` header, or None."""
    for part in header.decode("latin-1").split(";"):
        name, _, value = part.strip().partition("=")
        if name == COOKIE:
            return value
    return None


def has_session(headers: dict, expected: str) -> bool:
    value = cookie_from(headers.get(b"cookie", b""))
    return value is not None and hmac.compare_digest(value.encode(), expected.encode())


def set_cookie(value: str, secure: bool) -> bytes:
    attributes = f"{COOKIE}={value}; Path=/dashboard; HttpOnly; SameSite=Strict; Max-Age={SESSION_HOURS * 3600}"
    return (attributes + ("; Secure" if secure else "")).encode()


def token_in_form(body: bytes) -> str | None:
    """The `token` field of an `application/x-www-form-urlencoded` body (None when absent)."""
    values = parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True).get("token")
    return values[0] if values else None


def login_page(message: str | None = None) -> bytes:
    note = f'<p class="error">{escape(message)}</p>' if message else ""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Learning dashboard: sign in</title>
<meta name="referrer" content="no-referrer">
<style>body{{font-family:system-ui,sans-serif;background:#f6f7f9;color:#1d2630;display:flex;justify-content:center;padding-top:12vh}}
form{{background:#fff;padding:22px 26px;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.12);width:340px}}
h1{{font-size:18px;margin:0 0 12px}}label{{font-size:13px;color:#5a6b7b}}input{{width:100%;box-sizing:border-box;padding:7px;margin:6px 0 14px}}
button{{padding:7px 16px}}.error{{color:#c62828;font-size:13px}}</style></head>
<body><form method="post" action="{LOGIN_PATH}"><h1>Learning dashboard</h1>{note}
<label for="token">API token (LEARNING_API_TOKEN)</label>
<input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
<button type="submit">Open the dashboard</button></form></body></html>
""".encode()
