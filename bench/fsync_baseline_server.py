"""The baseline of bench_api_trace_posts.py: the bare way to make a POST durable before answering.

A bare ASGI app under the same uvicorn (same event loop, same HTTP parser) as the API: each
request's body is appended to one file and fsynced before its 201; no validation, no redaction,
no index, no journal. The append and fsync run in a worker thread, as a sync framework route
would, so the event loop keeps parsing other requests meanwhile. Two modes:

* `serial` (the bar's baseline): one fsync per request, one at a time (a lock around append and
  fsync, as a bare appender that keeps its lines whole has). Every trace pays its own fsync.
* `threaded`: no lock; concurrent requests' fsyncs overlap in the kernel. ext4's journal then
  commits the overlapping appends together (jbd2 batches the fsyncs that wait on the same
  transaction), so this server already groups commits, in the kernel: reported beside the bar
  so nobody mistakes one for the other.

Anything that beats the serial baseline does so by doing fewer fsyncs per trace, not by doing
less work per request.

    python bench/fsync_baseline_server.py --port P --out FILE [--mode serial|threaded]
"""

from __future__ import annotations

import argparse
import os
import threading

import anyio
import uvicorn


def app_for(path: str, mode: str = "serial"):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    one_at_a_time = threading.Lock() if mode == "serial" else None

    def append(body: bytes) -> None:
        line = body.replace(b"\n", b" ") + b"\n"
        if one_at_a_time is None:
            os.write(fd, line)
            os.fsync(fd)
            return
        with one_at_a_time:
            os.write(fd, line)
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
    parser.add_argument("--mode", choices=("serial", "threaded"), default="serial")
    args = parser.parse_args()
    uvicorn.run(app_for(args.out, args.mode), host="127.0.0.1", port=args.port, log_level="warning", access_log=False)
