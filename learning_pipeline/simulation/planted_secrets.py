"""Secrets planted in traces (the redaction layer must remove every one) and where they go."""

from __future__ import annotations

import base64
import random
import re
from typing import Any

from learning_pipeline.simulation.sampling import B62, rand_str
from learning_pipeline.simulation.wire_values import dumps


SECRET_KINDS = (
    "openai_api_key",
    "anthropic_api_key",
    "aws_access_key_id",
    "aws_secret_access_key",
    "github_token",
    "stripe_secret_key",
    "google_api_key",
    "bearer_token",
    "jwt",
    "private_key",
    "postgres_url",
    "email",
)

B64URL = B62 + "-_"
UPPER_DIGITS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_FIRST_NAMES = ("maria", "jon", "aiko", "femi", "lukas", "priya", "diego", "sara", "tomas", "lena")
_LAST_NAMES = ("gonzalez", "okafor", "tanaka", "schmidt", "patel", "rossi", "novak", "kim", "larsen", "silva")
_EMAIL_DOMAINS = ("northwind-studio.com", "acme-labs.io", "brightpath.co", "gmail.com", "fastmail.com")


def make_secret(rng: random.Random, kind: str) -> str:
    if kind == "openai_api_key":
        return "sk-proj-" + rand_str(rng, 24) + "T3BlbkFJ" + rand_str(rng, 24)
    if kind == "anthropic_api_key":
        return "sk-ant-api03-" + rand_str(rng, 93, B64URL) + "AA"
    if kind == "aws_access_key_id":
        return "AKIA" + rand_str(rng, 16, UPPER_DIGITS)
    if kind == "aws_secret_access_key":
        return rand_str(rng, 40, B62 + "/+")
    if kind == "github_token":
        return "ghp_" + rand_str(rng, 36)
    if kind == "stripe_secret_key":
        return ("sk_live_" if rng.random() < 0.8 else "rk_live_") + rand_str(rng, 48)
    if kind == "google_api_key":
        return "AIza" + rand_str(rng, 35, B64URL)
    if kind == "bearer_token":
        return rand_str(rng, 44, B64URL)
    if kind == "jwt":
        header = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').rstrip(b"=").decode()
        claims = dumps({"sub": f"usr_{rng.getrandbits(32):08x}", "role": "admin", "iat": 1767225600 + rng.randrange(10**6)})
        payload = base64.urlsafe_b64encode(claims.encode()).rstrip(b"=").decode()
        return f"{header}.{payload}.{rand_str(rng, 43, B64URL)}"
    if kind == "private_key":
        label = ("RSA PRIVATE KEY", "PRIVATE KEY", "OPENSSH PRIVATE KEY")[int(rng.random() * 3)]
        body = "\n".join(rand_str(rng, 64, B62 + "+/") for _ in range(5))
        return f"-----BEGIN {label}-----\nMIIE{body}\n-----END {label}-----"
    if kind == "postgres_url":
        user = ("app", "admin", "postgres", "builder")[int(rng.random() * 4)]
        return (f"postgres://{user}:{rand_str(rng, 18)}@db-{rng.getrandbits(16):04x}.internal.example.net:5432/"
                f"{('app', 'prod', 'main')[int(rng.random() * 3)]}")
    if kind == "email":
        return (f"{_FIRST_NAMES[int(rng.random() * 10)]}.{_LAST_NAMES[int(rng.random() * 10)]}"
                f"{rng.randrange(100)}@{_EMAIL_DOMAINS[int(rng.random() * 5)]}")
    raise ValueError(kind)


# How a secret of each kind shows up in free text (thinking traces, messages, fixes).
SECRET_TEXT = {
    "openai_api_key": "OPENAI_API_KEY={s}",
    "anthropic_api_key": "ANTHROPIC_API_KEY={s}",
    "aws_access_key_id": "AWS_ACCESS_KEY_ID={s}",
    "aws_secret_access_key": "aws_secret_access_key = {s}",
    "github_token": "GITHUB_TOKEN={s}",
    "stripe_secret_key": "STRIPE_SECRET_KEY={s}",
    "google_api_key": "GOOGLE_MAPS_API_KEY={s}",
    "bearer_token": "Authorization: Bearer {s}",
    "jwt": "session token {s}",
    "private_key": "the deploy key\n{s}\n",
    "postgres_url": "DATABASE_URL={s}",
    "email": "contact {s}",
}
# And how it shows up in code, per language family.
SECRET_CODE = {
    "ts": {"private_key": "const DEPLOY_KEY = `{s}`;", "bearer_token": 'const headers = {{ Authorization: "Bearer {s}" }};',
           "email": 'const SUPPORT_EMAIL = "{s}";', "postgres_url": 'const DATABASE_URL = "{s}";',
           "aws_secret_access_key": 'const AWS_SECRET_ACCESS_KEY = "{s}";', "jwt": 'const DEMO_TOKEN = "{s}";',
           "_": 'const API_KEY = "{s}";'},
    "py": {"private_key": 'DEPLOY_KEY = """{s}"""', "bearer_token": 'HEADERS = {{"Authorization": "Bearer {s}"}}',
           "email": 'SUPPORT_EMAIL = "{s}"', "postgres_url": 'DATABASE_URL = "{s}"',
           "aws_secret_access_key": 'AWS_SECRET_ACCESS_KEY = "{s}"', "jwt": 'DEMO_TOKEN = "{s}"',
           "_": 'API_KEY = "{s}"'},
    "css": {"_": "/* asset CDN key: {s} */"},
}
SECRET_SENTENCES = (
    "The user pasted {t} in the prompt; using it for the smoke test.",
    "Copied {t} from the staging .env to reproduce the failure.",
    "Replayed the request with {t} and it returned 200.",
    "Config dump shows {t}, so the env is loaded.",
)



def resolve_path(record: dict, path: str) -> tuple[Any, Any]:
    """The container and key a dotted path with [i] indexes points at (creating dicts on the way)."""
    parts = re.findall(r"[^.\[\]]+|\[\d+\]", path)
    node: Any = record
    for part in parts[:-1]:
        if part.startswith("["):
            node = node[int(part[1:-1])]
        else:
            if node.get(part) is None:
                node[part] = {}
            node = node[part]
    last = parts[-1]
    return (node, int(last[1:-1])) if last.startswith("[") else (node, last)


def plant_secret(srng: random.Random, rate: float, record: dict, places: list[tuple[str, str]]) -> list[dict] | None:
    """Maybe hide a secret in one of `places` ((field path, style)); returns what was planted.

    `srng` is the build's own secret stream, so the secret rate never reshuffles the builds."""
    if srng.random() >= rate or not places:
        return None
    kind = SECRET_KINDS[int(srng.random() * len(SECRET_KINDS))]
    secret = make_secret(srng, kind)
    path, style = places[int(srng.random() * len(places))]
    if style.startswith("code:"):
        family = style[5:]
        templates = SECRET_CODE.get(family, SECRET_CODE["ts"])
        snippet = templates.get(kind, templates["_"]).format(s=secret)
    else:
        snippet = SECRET_SENTENCES[int(srng.random() * len(SECRET_SENTENCES))].format(
            t=SECRET_TEXT[kind].format(s=secret))
    # Walk the path ("a.b", "versions[1].code") and append the snippet to that string.
    parent, key = resolve_path(record, path)
    current = parent.get(key) if isinstance(parent, dict) else parent[key]
    if style.startswith("code:"):
        lines = (current or "").split("\n")
        cut = min(len(lines), 3 + int(srng.random() * 4))
        new_value = "\n".join(lines[:cut] + [snippet] + lines[cut:])
    else:
        new_value = f"{current} {snippet}" if current else snippet
    parent[key] = new_value
    return [{"value": secret, "kind": kind, "field": path}]
