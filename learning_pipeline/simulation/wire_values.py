"""Wire-level details: ISO dates (or the client's SQLite style), JSON text, optional and extra fields."""

from __future__ import annotations

import json
import random
import time
from typing import Any

from learning_pipeline.simulation.vocabulary import EXTRA_FIELD_SHARE


EXTRA_FIELDS = (
    ("builderVersion", "4.2.1"),
    ("builderVersion", "4.3.0-beta.2"),
    ("agentId", "build-agent-3"),
    ("traceSchemaVersion", 2),
    ("_meta", {"host": "builder-7f9c", "region": "us-east-1"}),
)



def iso(ms: int, alt: bool = False) -> str:
    """ISO-8601 with milliseconds and Z; or the client's SQLite style for `alt` records."""
    sec, milli = divmod(ms, 1000)
    t = time.gmtime(sec)
    if alt:
        return f"{t.tm_year:04d}-{t.tm_mon:02d}-{t.tm_mday:02d} {t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}"
    return (f"{t.tm_year:04d}-{t.tm_mon:02d}-{t.tm_mday:02d}T{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}"
            f".{milli:03d}Z")


def day_of(ms: int) -> str:
    t = time.gmtime(ms // 1000)
    return f"{t.tm_year:04d}-{t.tm_mon:02d}-{t.tm_mday:02d}"


def dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def set_optional(record: dict, key: str, value: Any, rng: random.Random, missing: float = 0.1,
                  null: float = 0.05) -> None:
    """Optional wire fields are sometimes left out and sometimes sent as null."""
    u = rng.random()
    if u < missing:
        return
    record[key] = None if u < missing + null else value


def maybe_extra_field(record: dict, rng: random.Random) -> None:
    """Now and then the builder adds a field the wire format does not know; it must be tolerated."""
    if rng.random() < EXTRA_FIELD_SHARE:
        key, value = EXTRA_FIELDS[int(rng.random() * len(EXTRA_FIELDS))]
        record[key] = value
