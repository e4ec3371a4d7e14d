"""`learning-pipeline serve`: uvicorn over the app, refusing to expose an unauthenticated API."""

from __future__ import annotations

import ipaddress
import os

from learning_pipeline.api.app import TOKEN_ENV
from learning_pipeline.config import ConfigError


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_bind(host: str, token: str | None) -> None:
    if not token and not is_loopback(host):
        raise ConfigError(f"refusing to serve on {host} without {TOKEN_ENV}: set a token, or bind to 127.0.0.1")


def serve(host: str = "127.0.0.1", port: int = 8000) -> None:
    import uvicorn

    from learning_pipeline.api.app import create_app

    check_bind(host, os.environ.get(TOKEN_ENV) or None)
    uvicorn.run(create_app(), host=host, port=port, log_level=os.environ.get("LEARNING_API_LOG_LEVEL", "warning"),
                access_log=False)
