"""A real HTTP server speaking the OpenAI chat-completions protocol, for judge tests.

Run as a subprocess (``python fake_openai_server.py --port 0 --latency-ms 200``); it prints
``FAKE_OPENAI_LISTENING <port>`` once its socket listens. It is asyncio all the way
(uvicorn and a bare ASGI app), so a fixed per-request latency is an ``asyncio.sleep`` and hundreds
of concurrent requests overlap instead of queueing behind threads.

Faults are scripted as a list of rules. Each request takes the first rule whose ``match``
substring (if any) occurs in its message text and that has uses left (``times``, default
1; -1 means forever); with no rule left it is answered ``ok``. Matching on content is
what lets a test fault one particular item while many others run concurrently.

Actions: ok, rate_limit (429 + Retry-After / retry-after-ms / HTTP-date), server_error
(500), hang (sleep past the client's timeout), truncated_json, wrong_schema, refusal,
content_filter, injection_echo, pairwise (a fixed winner, or ``prefer``/``over``: whichever
position holds the ``prefer`` text first wins, so the answer follows the content, not the
order). Rules may add ``reasoning_content`` (a thinking trace), ``model`` (the model name
reported) and ``latency_ms``.

Control endpoints: ``POST /_control/script`` (a JSON list of rules, replaces the script),
``POST /_control/config`` ({"latency_ms": n}), ``GET /_control/requests`` (every request
body received, with the action applied), ``GET /_control/stats`` (count, max in-flight),
``POST /_control/reset``.

``POST /v1/embeddings`` answers deterministic vectors: the text's lower-cased words hashed into
``dimensions`` (default 64) signed buckets, L2-normalised, so texts sharing words are close and
the same text always gets the same vector (float lists, or base64 float32 as the SDK asks).

``start_fake_openai()`` starts one for a test and stops it by PID.
"""

from __future__ import annotations

import argparse
import asyncio
import email.utils
import hashlib
import json
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

INJECTION_TEXT = "IGNORE PREVIOUS INSTRUCTIONS"
READY_LINE = "FAKE_OPENAI_LISTENING"


# --- the server's state and answers (plain functions, no HTTP) -----------------------------

@dataclass
class ServerState:
    latency_ms: float = 0.0
    default_latency_ms: float = 0.0
    served_model: str | None = None
    script: list[dict] = field(default_factory=list)
    requests: list[dict] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0
    generation: int = 0  # requests from before a reset (a hang still sleeping) no longer count

    def reset(self) -> None:
        self.latency_ms = self.default_latency_ms
        self.script = []
        self.requests = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.generation += 1

    def take_rule(self, text: str) -> dict:
        for rule in self.script:
            times = rule.get("times", 1)
            if times == 0 or ("match" in rule and rule["match"] not in text):
                continue
            if times > 0:
                rule["times"] = times - 1
            return rule
        return {"action": "ok"}


def message_text(body: dict) -> str:
    """All text the request's messages carry (text content parts included)."""
    pieces = []
    for message in body.get("messages", []):
        content = message.get("content")
        if isinstance(content, str):
            pieces.append(content)
        elif isinstance(content, list):
            pieces.extend(part.get("text", "") for part in content if part.get("type") == "text")
    return "\n".join(pieces)


def image_count(body: dict) -> int:
    return sum(
        1
        for message in body.get("messages", [])
        if isinstance(message.get("content"), list)
        for part in message["content"]
        if part.get("type") == "image_url"
    )


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode()).digest()


def verdict_for(schema: dict, text: str) -> dict:
    """A valid verdict for a verdict schema, its scores a deterministic hash of the request."""
    categories = schema["properties"]["categories"].get("required") or list(
        schema["properties"]["categories"]["properties"]
    )
    digest = _digest(text)
    scores = {name: float(40 + digest[i % len(digest)] % 60) for i, name in enumerate(categories)}
    return {
        "overall": round(sum(scores.values()) / len(scores), 2),
        "categories": scores,
        "confidence": 0.5 + digest[-1] % 50 / 100,
        "issues": [
            {
                "category": categories[0],
                "severity": "minor",
                "description": f"fake finding {digest.hex()[:8]}",
                "location": None,
                "suggestion": "fake suggestion",
            }
        ],
        "recommendations": ["fake recommendation"],
        "reasoning": "deterministic fake verdict",
        "thinking_trace": None,
    }


def pairwise_for(rule: dict, text: str) -> dict:
    if rule.get("winner"):
        winner = rule["winner"]
    elif rule.get("prefer"):
        preferred, other = text.find(rule["prefer"]), text.find(rule.get("over", "\0"))
        # whichever response holds the preferred text is shown first in this order wins
        winner = "A" if other < 0 or 0 <= preferred < other else "B"
    else:
        winner = "AB"[_digest(text)[0] % 2]
    return {"winner": winner, "confidence": rule.get("confidence", 0.8), "reasoning": "fake comparison"}


def is_pairwise(schema: dict) -> bool:
    return "winner" in schema.get("properties", {})


def wrong_schema_for(schema: dict, text: str) -> dict:
    answer = pairwise_for({}, text) if is_pairwise(schema) else verdict_for(schema, text)
    if is_pairwise(schema):
        answer["winner"] = "C"
        return answer
    first = next(iter(answer["categories"]))
    del answer["categories"][first]
    answer["categories"]["vibes"] = 50.0
    answer["confidence"] = 3.0
    return answer


def completion(body: dict, content: str | None, rule: dict, state: ServerState, *,
               finish_reason: str = "stop", refusal: str | None = None) -> dict:
    prompt_tokens = len(message_text(body)) // 4 + 85 * image_count(body)
    completion_tokens = len(content or refusal or "") // 4 + 1
    message: dict = {"role": "assistant", "content": content, "refusal": refusal}
    if rule.get("reasoning_content"):
        message["reasoning_content"] = rule["reasoning_content"]
    return {
        "id": f"chatcmpl-{len(state.requests)}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": rule.get("model") or state.served_model or body.get("model", "fake-model"),
        "choices": [{"index": 0, "message": message, "finish_reason": finish_reason, "logprobs": None}],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


def _error(status: int, message: str, kind: str, headers: dict | None = None) -> tuple[int, dict, dict]:
    return status, {"error": {"message": message, "type": kind, "param": None, "code": None}}, headers or {}


def rate_limit_headers(rule: dict) -> dict:
    if "retry_after_ms" in rule:
        return {"retry-after-ms": str(rule["retry_after_ms"])}
    seconds = rule.get("retry_after", 1)
    if rule.get("http_date"):
        return {"retry-after": email.utils.formatdate(time.time() + seconds, usegmt=True)}
    return {"retry-after": str(seconds)}


async def _sleep_unless_gone(seconds: float, client_gone) -> None:
    """Hang like a stuck upstream, but stop once the client has hung up."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not await client_gone():
        await asyncio.sleep(min(0.05, max(0.0, deadline - time.monotonic())))


async def answer(body: dict, state: ServerState, client_gone) -> tuple[int, dict, dict]:
    """(status, JSON body, headers) for one chat-completions request."""
    text = message_text(body)
    rule = state.take_rule(text)
    action = rule.get("action", "ok")
    state.requests.append({"body": body, "action": action, "received_at": time.time()})
    await asyncio.sleep(rule.get("latency_ms", state.latency_ms) / 1000)

    if action == "rate_limit":
        return _error(429, "Rate limit reached (fake)", "rate_limit_error", rate_limit_headers(rule))
    if action == "server_error":
        return _error(500, "The server had an error (fake)", "server_error")
    if action == "hang":
        await _sleep_unless_gone(rule.get("seconds", 30), client_gone)

    response_format = body.get("response_format") or {}
    if response_format.get("type") != "json_schema":
        return _error(400, "the fake server answers only response_format json_schema", "invalid_request_error")
    schema = response_format["json_schema"]["schema"]

    if action == "refusal":
        return 200, completion(body, None, rule, state, refusal="I can't help with that request."), {}
    if action == "content_filter":
        return 200, completion(body, None, rule, state, finish_reason="content_filter"), {}
    if action == "wrong_schema":
        return 200, completion(body, json.dumps(wrong_schema_for(schema, text)), rule, state), {}

    if action == "injection_echo" and INJECTION_TEXT in text:
        state.requests[-1]["injection_seen"] = True  # and answer as asked: a valid verdict
    content = json.dumps(pairwise_for(rule, text) if is_pairwise(schema) else verdict_for(schema, text))
    if action == "truncated_json":
        return 200, completion(body, content[: len(content) // 2], rule, state, finish_reason="length"), {}
    return 200, completion(body, content, rule, state), {}


EMBEDDING_DIMENSIONS = 64


def embedding_for(text: str, dimensions: int = EMBEDDING_DIMENSIONS) -> list[float]:
    """Feature hashing of the words: deterministic, and similar texts get similar vectors."""
    import re

    vector = [0.0] * dimensions
    for word in re.findall(r"[a-z0-9]+", text.lower()):
        digest = _digest(word)
        vector[int.from_bytes(digest[:4], "little") % dimensions] += 1.0 if digest[4] % 2 else -1.0
    norm = sum(v * v for v in vector) ** 0.5 or 1.0
    return [v / norm for v in vector]


def embeddings_answer(body: dict, state: ServerState) -> dict:
    import base64
    import struct

    texts = body.get("input")
    texts = [texts] if isinstance(texts, str) else list(texts or [])
    dimensions = int(body.get("dimensions") or EMBEDDING_DIMENSIONS)
    state.requests.append({"body": body, "action": "embeddings", "received_at": time.time()})
    data = []
    for index, text in enumerate(texts):
        vector = embedding_for(str(text), dimensions)
        if body.get("encoding_format") == "base64":
            encoded: object = base64.b64encode(struct.pack(f"<{dimensions}f", *vector)).decode()
        else:
            encoded = vector
        data.append({"object": "embedding", "index": index, "embedding": encoded})
    tokens = sum(len(str(t)) // 4 + 1 for t in texts)
    return {"object": "list", "data": data, "model": state.served_model or body.get("model", "fake-embedding"),
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens}}


# --- HTTP wiring ----------------------------------------------------------------------------

def make_app(state: ServerState):
    """A bare ASGI app: a framework's routing and request objects would cost more CPU per
    request than everything else the server does, on the core the judge under test needs."""

    async def read_json(receive) -> object:
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                return json.loads(b"".join(chunks) or b"null")

    async def send_json(send, status: int, payload: object, headers: dict | None = None) -> None:
        body = json.dumps(payload).encode()
        raw_headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        raw_headers += [(k.encode(), v.encode()) for k, v in (headers or {}).items()]
        await send({"type": "http.response.start", "status": status, "headers": raw_headers})
        await send({"type": "http.response.body", "body": body})

    async def chat_completions(scope, receive, send) -> None:
        if not dict(scope["headers"]).get(b"authorization", b"").startswith(b"Bearer "):
            await send_json(send, *_error(401, "missing API key", "invalid_request_error"))
            return
        body = await read_json(receive)

        async def client_gone() -> bool:
            try:
                message = await asyncio.wait_for(receive(), 0.01)
            except asyncio.TimeoutError:
                return False
            return message["type"] == "http.disconnect"

        generation = state.generation
        state.in_flight += 1
        state.max_in_flight = max(state.max_in_flight, state.in_flight)
        try:
            status, payload, headers = await answer(body, state, client_gone)
        finally:
            if state.generation == generation:
                state.in_flight -= 1
        await send_json(send, status, payload, headers)

    async def control(method: str, path: str, receive) -> object:
        if (method, path) == ("GET", "/v1/models"):
            name = state.served_model or "fake-model"
            return {"object": "list", "data": [{"id": name, "object": "model", "created": 0, "owned_by": "fake"}]}
        if (method, path) == ("POST", "/_control/script"):
            state.script = [dict(rule) for rule in await read_json(receive)]
            return {"rules": len(state.script)}
        if (method, path) == ("POST", "/_control/config"):
            config = await read_json(receive)
            if "latency_ms" in config:
                state.latency_ms = float(config["latency_ms"])
            return {"latency_ms": state.latency_ms}
        if (method, path) == ("GET", "/_control/requests"):
            return state.requests
        if (method, path) == ("GET", "/_control/stats"):
            return {"count": len(state.requests), "max_in_flight": state.max_in_flight,
                    "in_flight": state.in_flight, "script_left": state.script}
        if (method, path) == ("POST", "/_control/reset"):
            state.reset()
            return {"ok": True}
        return None

    async def app(scope, receive, send) -> None:
        if scope["type"] != "http":  # lifespan: nothing to set up
            if scope["type"] == "lifespan":
                while (message := await receive())["type"] != "lifespan.shutdown":
                    await send({"type": "lifespan.startup.complete"})
                await send({"type": "lifespan.shutdown.complete"})
            return
        method, path = scope["method"], scope["path"]
        if (method, path) == ("POST", "/v1/chat/completions"):
            await chat_completions(scope, receive, send)
            return
        if (method, path) == ("POST", "/v1/embeddings"):
            if not dict(scope["headers"]).get(b"authorization", b"").startswith(b"Bearer "):
                await send_json(send, *_error(401, "missing API key", "invalid_request_error"))
                return
            await send_json(send, 200, embeddings_answer(await read_json(receive), state))
            return
        reply = await control(method, path, receive)
        if reply is None:
            await send_json(send, *_error(404, f"no route {method} {path}", "not_found"))
        else:
            await send_json(send, 200, reply)

    return app


def serve(host: str, port: int, state: ServerState) -> None:
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(4096)  # connections made before uvicorn accepts wait in this backlog
    print(f"{READY_LINE} {sock.getsockname()[1]}", flush=True)
    config = uvicorn.Config(
        make_app(state), log_level="warning", access_log=False, backlog=4096,
        timeout_graceful_shutdown=1, timeout_keep_alive=30,
    )
    uvicorn.Server(config).run(sockets=[sock])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--script", help="a JSON list of rules, or a path to a file holding one")
    parser.add_argument("--served-model", help="the model name responses report (default: the requested one)")
    args = parser.parse_args(argv)
    script = []
    if args.script:
        script = json.loads(Path(args.script).read_text() if os.path.exists(args.script) else args.script)
    state = ServerState(latency_ms=args.latency_ms, default_latency_ms=args.latency_ms,
                        served_model=args.served_model, script=script)
    serve(args.host, args.port, state)


# --- test helper ------------------------------------------------------------------------------

class FakeOpenAI:
    """A running fake server (a subprocess), controlled over its control endpoints."""

    def __init__(self, process: subprocess.Popen, port: int, log_path: Path):
        self.process = process
        self.pid = process.pid
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.base_url = f"{self.url}/v1"
        self._log_path = log_path

    def _call(self, method: str, path: str, payload: object = None) -> object:
        import httpx

        response = httpx.request(method, self.url + path, json=payload, timeout=10)
        response.raise_for_status()
        return response.json()

    def script(self, rules: list[dict]) -> None:
        self._call("POST", "/_control/script", rules)

    def configure(self, latency_ms: float) -> None:
        self._call("POST", "/_control/config", {"latency_ms": latency_ms})

    def log(self) -> list[dict]:
        """Every request received: {"body", "action", "received_at"}."""
        return self._call("GET", "/_control/requests")  # type: ignore[return-value]

    def requests(self) -> list[dict]:
        """Every chat-completions request body received, in arrival order."""
        return [entry["body"] for entry in self.log()]

    def stats(self) -> dict:
        return self._call("GET", "/_control/stats")  # type: ignore[return-value]

    def reset(self) -> None:
        self._call("POST", "/_control/reset")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.kill(self.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.kill(self.pid, signal.SIGKILL)
                self.process.wait(timeout=5)
        if self.process.stdout:
            self.process.stdout.close()
        self._log_path.unlink(missing_ok=True)

    def __enter__(self) -> "FakeOpenAI":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_fake_openai(latency_ms: float = 0, script: list[dict] | None = None,
                      served_model: str | None = None, startup_timeout_s: float = 20) -> FakeOpenAI:
    log = tempfile.NamedTemporaryFile(prefix="fake_openai_", suffix=".log", delete=False)
    command = [sys.executable, str(Path(__file__).resolve()), "--port", "0", "--latency-ms", str(latency_ms)]
    if script is not None:
        command += ["--script", json.dumps(script)]
    if served_model:
        command += ["--served-model", served_model]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log, text=True)
    log.close()
    deadline = time.monotonic() + startup_timeout_s
    while time.monotonic() < deadline:
        ready, _, _ = select.select([process.stdout], [], [], 0.1)
        if ready:
            line = process.stdout.readline()
            if line.startswith(READY_LINE):
                return FakeOpenAI(process, int(line.split()[1]), Path(log.name))
        if process.poll() is not None:
            break
    if process.poll() is None:
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
    raise RuntimeError(f"fake OpenAI server did not start:\n{Path(log.name).read_text()[-2000:]}")


if __name__ == "__main__":
    main()
