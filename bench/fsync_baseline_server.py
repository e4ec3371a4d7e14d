"""The baseline of bench_api_trace_posts.py: the bare way to make a POST durable before answering.

A bare ASGI app under the same uvicorn: each request's body is appended to one file and fsynced
before its 201; no validation, no redaction, no index, no grouping. Anything that beats it by 2x
does so by doing less fsync per trace, not by doing less work.

    python bench/fsync_baseline_server.py --port P --out FILE
"""

from __future__ import annotations

import argparse
import os

import uvicorn


def app_for(path: str):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)

    def append(body: bytes) -> None:
        os.write(fd, body.replace(b"\n", b" ") + b"\n")
        os.fsync(fd)

    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        body, more = b"", True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        if scope["method"] == "POST":
            # in a worker thread, as a sync framework route would: fsyncs of concurrent requests overlap
            import anyio

            await anyio.to_thread.run_sync(append, body)
            status, payload = 201, b'{"stored": true}'
        else:
            status, payload = 200, b'{"status": "ok"}'
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]})
        await send({"type": "http.response.body", "body": payload})

    return app


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    uvicorn.run(app_for(args.out), host="127.0.0.1", port=args.port, log_level="warning", access_log=False)
