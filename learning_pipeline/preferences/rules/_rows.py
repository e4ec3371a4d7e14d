"""Small readers shared by the domain rules."""

from __future__ import annotations

import json


def json_of(value, default):
    return json.loads(value) if value else default


def seen(row: dict):
    """When the pipeline got this trace row (its landing batch); None in frames without it."""
    return row.get("received_at")
