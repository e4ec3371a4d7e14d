"""Bring trace files into the landing zone: JSONL, JSONL.gz, and the builder's SQLite database.

Lines are landed unchanged (validation happens in the partition assets), in bounded batches
so a file of any size streams through. Batching is deterministic, so ingesting the same file
twice produces the same batches and the landing zone skips them the second time.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator

from learning_pipeline.capture.landing import LandingReceipt, LandingZone

BATCH_BYTES = 64 * 1024 * 1024
SQLITE_MAGIC = b"SQLite format 3\x00"

# The builder's own tables (shared/DESIGN.md) and the wire kind each row becomes.
BUILDER_TABLES = {
    "learning_decision_traces": "decision",
    "learning_code_artifacts": "code_artifact",
    "learning_design_choices": "design_choice",
    "learning_error_recoveries": "error_recovery",
}


class IngestError(ValueError):
    pass


@dataclass
class IngestReport:
    path: Path
    format: str
    receipt: LandingReceipt


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def is_sqlite(path: Path) -> bool:
    with open(path, "rb") as handle:
        return handle.read(16) == SQLITE_MAGIC


def iter_jsonl(path: Path) -> Iterator[tuple[int, bytes]]:
    opener: Callable = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rb") as handle:
        for number, raw in enumerate(handle, start=1):
            yield number, raw


def iter_builder_sqlite(path: Path) -> Iterator[tuple[str, int, bytes]]:
    """(table, rowid, envelope line) for every row of the builder's learning_* tables."""
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        present = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        tables = [t for t in BUILDER_TABLES if t in present]
        if not tables:
            raise IngestError(f"{path}: a SQLite database without any of the builder's tables {sorted(BUILDER_TABLES)}")
        for table in tables:
            cursor = con.execute(f'SELECT rowid, * FROM "{table}" ORDER BY rowid')
            names = [d[0] for d in cursor.description][1:]
            for rowid, *values in cursor:
                data = {}
                for name, value in zip(names, values):
                    if name == "id" or value is None:
                        continue  # the client's surrogate key is not part of the trace
                    if isinstance(value, str) and value[:1] in "[{":
                        try:
                            value = json.loads(value)
                        except json.JSONDecodeError:
                            pass  # left as text: validation quarantines it naming the column
                    data[_camel(name)] = value
                line = json.dumps({"kind": BUILDER_TABLES[table], "data": data}, separators=(",", ":"))
                yield table, rowid, line.encode()
    finally:
        con.close()


def _batched(items: Iterable[tuple[int, bytes]], batch_bytes: int) -> Iterator[list[tuple[int, bytes]]]:
    batch, size = [], 0
    for number, raw in items:
        batch.append((number, raw))
        size += len(raw)
        if size >= batch_bytes:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def ingest_path(
    path: Path,
    zone: LandingZone,
    received_at: dt.datetime | None = None,
    batch_bytes: int = BATCH_BYTES,
    progress: Callable[[int], None] | None = None,
) -> IngestReport:
    path = Path(path)
    if not path.exists():
        raise IngestError(f"{path}: no such file")
    received_at = received_at or dt.datetime.now(dt.timezone.utc)
    receipt = LandingReceipt()
    if is_sqlite(path):
        by_table: dict[str, list[tuple[int, bytes]]] = {}
        for table, rowid, line in iter_builder_sqlite(path):
            by_table.setdefault(table, []).append((rowid, line))
        for table, rows in by_table.items():
            for batch in _batched(rows, batch_bytes):
                receipt.merge(zone.land(batch, f"{path.resolve()}#{table}", received_at))
                if progress:
                    progress(len(batch))
        return IngestReport(path, "sqlite", receipt)
    if not (path.name.endswith(".jsonl") or path.name.endswith(".jsonl.gz") or path.name.endswith(".ndjson")):
        raise IngestError(f"{path}: not a .jsonl / .jsonl.gz trace file nor a builder SQLite database")
    for batch in _batched(iter_jsonl(path), batch_bytes):
        receipt.merge(zone.land(batch, str(path.resolve()), received_at))
        if progress:
            progress(len(batch))
    return IngestReport(path, "jsonl.gz" if path.name.endswith(".gz") else "jsonl", receipt)


def expand_paths(paths: Iterable[Path | str]) -> list[Path]:
    """Files as given; folders expand to the trace files and databases inside them."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and (
                    child.name.endswith((".jsonl", ".jsonl.gz", ".ndjson")) or child.suffix in (".db", ".sqlite", ".sqlite3")
                ):
                    found.append(child)
        else:
            found.append(path)
    return found
