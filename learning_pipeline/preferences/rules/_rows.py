"""Small readers shared by the domain rules."""

from __future__ import annotations

import json


def json_of(value, default):
    return json.loads(value) if value else default


def seen(row: dict) -> tuple:
    """(received_at, created_at) of a trace row: when the pipeline first got it, and when it says it happened."""
    return row.get("received_at"), row.get("created_at")
