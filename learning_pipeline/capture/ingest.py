"""Bring trace files into the landing zone: JSON lines (plain or gzip) and the builder's SQLite
database, recognised by their content (gzip magic, SQLite header, a JSON object on the first
line), not by their name.

Lines go through `LandingZone.land` (redacted there, validated later in the partition assets)
in bounded batches, so a file of any size streams through. Nothing in one file stops the
others, and nothing bad in a file stops its good lines: a line that is not text or not a row
the wire format can hold is landed as a rejection (quarantined with its reason), and a file
that breaks off (truncated gzip, corrupt database) keeps everything read before the break and
is reported by name with the line or row where it broke.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import sqlite3
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

from learning_pipeline.capture.landing import BOM, MAX_PROBLEMS, LandingReceipt, LandingZone, rejection_line

BATCH_BYTES = 64 * 1024 * 1024
SQLITE_MAGIC = b"SQLite format 3\x00"
GZIP_MAGIC = b"\x1f\x8b"
# Extensions a folder is searched for (files named on the command line are sniffed whatever their name).
TRACE_SUFFIXES = (".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz", ".db", ".sqlite", ".sqlite3")

# The builder's own tables (shared/DESIGN.md) and the wire kind each row becomes.
BUILDER_TABLES = {
    "learning_decision_traces": "decision",
    "learning_code_artifacts": "code_artifact",
    "learning_design_choices": "design_choice",
    "learning_error_recoveries": "error_recovery",
}


class IngestError(ValueError):
    """A file that cannot be ingested at all; the message names it."""


@dataclass(frozen=True)
class Problem:
    """Something rejected at ingest: where (line number or table#rowid), which field, why."""

    where: str
    field: str
    reason: str


@dataclass
class IngestReport:
    path: Path
    format: str
    receipt: LandingReceipt
    problems: list[Problem] = field(default_factory=list)
    broken: Problem | None = None  # the file stopped here; what came before it was landed

    def add_problems(self, prefix: str, receipt: LandingReceipt) -> None:
        room = max(0, MAX_PROBLEMS - len(self.problems))
        self.problems += [Problem(f"{prefix}{n}", f, r) for n, f, r in receipt.problems[:room]]

    @property
    def rejected(self) -> bool:
        return bool(self.broken or self.receipt.invalid_lines)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def sniff(path: Path) -> str:
    """'gzip', 'sqlite' or 'jsonl' from the first bytes; IngestError for anything else."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(4096)
    except IsADirectoryError:
        raise IngestError(f"{path}: a folder where a file was expected") from None
    except OSError as err:
        raise IngestError(f"{path}: cannot be read ({err.strerror or err})") from None
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(GZIP_MAGIC):
        return "gzip"
    text = head.removeprefix(BOM.encode()).lstrip()
    if not text or text.startswith(b"{"):
        return "jsonl"
    shown = head[:24].decode("utf-8", errors="replace")
    raise IngestError(f"{path}: not a trace file (JSON lines, gzip of JSON lines, or a builder SQLite database); it starts with {shown!r}")


def is_sqlite(path: Path) -> bool:
    with open(path, "rb") as handle:
        return handle.read(16) == SQLITE_MAGIC


class _Broken(Exception):
    def __init__(self, problem: Problem):
        super().__init__(problem.reason)
        self.problem = problem


def _gunzip(handle) -> Iterator[bytes]:
    """Decompressed pieces of a gzip stream (several members too), as they come: unlike
    `gzip.open`, what was decompressed before a break is never held back."""
    inflater = zlib.decompressobj(wbits=31)
    while chunk := handle.read(1 << 20):
        while chunk:
            if inflater.eof:
                inflater = zlib.decompressobj(wbits=31)
            yield inflater.decompress(chunk)
            chunk = inflater.unused_data if inflater.eof else b""
    if not inflater.eof:
        raise EOFError("the file ends before the gzip end-of-stream marker")


def _split_lines(pieces: Iterable[bytes]) -> Iterator[bytes]:
    pending = b""
    try:
        for piece in pieces:
            *complete, pending = (pending + piece).split(b"\n")
            yield from complete
    except (EOFError, zlib.error, OSError):
        if pending:  # the part of a line read before the break: validation quarantines it
            yield pending
        raise
    if pending:
        yield pending


def iter_jsonl(path: Path, compressed: bool) -> Iterator[tuple[int, bytes]]:
    """(line number, raw line). A compressed stream that breaks off yields what it decompressed
    up to the break (a cut last line included: validation quarantines it), then a rejection line
    for the rest of the file, then raises _Broken naming the line where it broke."""
    number = 0
    with open(path, "rb") as handle:
        try:
            if not compressed:
                for number, raw in enumerate(handle, start=1):
                    yield number, raw.removeprefix(BOM.encode()) if number == 1 else raw
                return
            pieces = _gunzip(handle)
            for number, raw in enumerate(_split_lines(pieces), start=1):
                yield number, raw.removeprefix(BOM.encode()) if number == 1 else raw
        except (EOFError, zlib.error, OSError) as err:
            what = "the file cannot be read" if isinstance(err, OSError) else "the gzip stream is truncated or corrupt"
            reason = f"{what} after line {number} ({type(err).__name__}: {err}); the lines before it were landed"
            yield number + 1, rejection_line("(file)", reason, "").encode()
            raise _Broken(Problem(f"line {number + 1}", "(file)", reason)) from None


def _row_line(kind: str, names: list[str], values: list) -> str:
    """One builder row as a wire line, or a rejection line naming the column it cannot carry."""
    data = {}
    for name, value in zip(names, values):
        if name == "id" or value is None:
            continue  # the client's surrogate key is not part of the trace
        if isinstance(value, bytes):
            try:
                value = value.decode("utf-8")
            except UnicodeDecodeError:
                readable = {_camel(n): ({"base64": base64.b64encode(v).decode()} if isinstance(v, bytes) else v)
                            for n, v in zip(names, values) if n != "id" and v is not None}
                reason = f"column `{name}` holds {len(value)} bytes of binary data, not text or JSON"
                return rejection_line(_camel(name), reason, json.dumps({"kind": kind, "data": readable}, default=str))
        if isinstance(value, str) and value[:1] in "[{":
            try:
                value = json.loads(value)
            except (json.JSONDecodeError, RecursionError):
                pass  # left as text: validation quarantines it naming the column
        data[_camel(name)] = value
    try:
        return json.dumps({"kind": kind, "data": data}, separators=(",", ":"))
    except (RecursionError, ValueError, TypeError) as err:
        return rejection_line("(record)", f"the row cannot be written as JSON ({type(err).__name__}: {err})", repr(data)[:100_000])


def iter_builder_sqlite(path: Path) -> Iterator[tuple[str, int, bytes]]:
    """(table, rowid, envelope line) for every row of the builder's learning_* tables. A database
    that breaks off mid-read raises _Broken after the rows read before it."""
    table, rowid = "(schema)", 0
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as err:
        raise IngestError(f"{path}: cannot open the SQLite database ({err})") from None
    try:
        present = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        tables = [t for t in BUILDER_TABLES if t in present]
        if not tables:
            raise IngestError(f"{path}: a SQLite database without any of the builder's tables {sorted(BUILDER_TABLES)}")
        for table in tables:
            cursor = con.execute(f'SELECT rowid, * FROM "{table}" ORDER BY rowid')
            names = [d[0] for d in cursor.description][1:]
            for rowid, *values in cursor:
                yield table, rowid, _row_line(BUILDER_TABLES[table], names, values).encode()
    except sqlite3.Error as err:
        where = f"{table} after rowid {rowid}" if rowid else table
        raise _Broken(Problem(where, "(file)", f"corrupt or unreadable SQLite database ({err}); rows read before it were landed")) from None
    finally:
        con.close()


def _batched(items: Iterable[tuple[int, bytes]], batch_bytes: int) -> Iterator[list[tuple[int, bytes]]]:
    batch, size = [], 0
    try:
        for number, raw in items:
            batch.append((number, raw))
            size += len(raw)
            if size >= batch_bytes:
                yield batch
                batch, size = [], 0
    except _Broken:
        if batch:  # what was read before the file broke off is landed
            yield batch
        raise
    if batch:
        yield batch


def _land_sqlite(path: Path, zone: LandingZone, received_at, batch_bytes, progress, report: IngestReport) -> None:
    pending: dict[str, list[tuple[int, bytes]]] = {}
    size = 0

    def flush() -> None:
        nonlocal size
        for table, rows in pending.items():
            receipt = zone.land(rows, f"{path.resolve()}#{table}", received_at)
            report.add_problems(f"{table}#", receipt)
            report.receipt.merge(receipt)
            if progress:
                progress(len(rows))
        pending.clear()
        size = 0

    try:
        for table, rowid, line in iter_builder_sqlite(path):
            pending.setdefault(table, []).append((rowid, line))
            size += len(line)
            if size >= batch_bytes:
                flush()
    except _Broken as broken:
        report.broken = broken.problem
    flush()


def ingest_path(
    path: Path,
    zone: LandingZone,
    received_at: dt.datetime | None = None,
    batch_bytes: int = BATCH_BYTES,
    progress: Callable[[int], None] | None = None,
) -> IngestReport:
    """Land one file. IngestError when it cannot be read at all; otherwise a report of what
    landed, what was rejected and where the file broke off, if it did."""
    path = Path(path)
    if not path.exists():
        raise IngestError(f"{path}: no such file")
    received_at = received_at or dt.datetime.now(dt.timezone.utc)
    kind = sniff(path)
    report = IngestReport(path, {"gzip": "jsonl.gz"}.get(kind, kind), LandingReceipt())
    if kind == "sqlite":
        _land_sqlite(path, zone, received_at, batch_bytes, progress, report)
        return report
    try:
        for batch in _batched(iter_jsonl(path, compressed=kind == "gzip"), batch_bytes):
            receipt = zone.land(batch, str(path.resolve()), received_at)
            report.add_problems("line ", receipt)
            report.receipt.merge(receipt)
            if progress:
                progress(len(batch))
    except _Broken as broken:
        report.broken = broken.problem
    return report


def expand_paths(paths: Iterable[Path | str]) -> list[Path]:
    """Files as given (their content decides how they are read); folders expand to the trace
    files and databases inside them, by name, so notes and truth files beside them stay out."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and child.name.endswith(TRACE_SUFFIXES):
                    found.append(child)
        else:
            found.append(path)
    return found
