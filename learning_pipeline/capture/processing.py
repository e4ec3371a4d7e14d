"""Landing files of one day -> validated, redacted trace tables + a quarantine.

The hot path of the capture layer, kept free of Dagster so tests and the benchmark call it
directly. Per chunk of lines: redact the lines the landing zone did not already redact under
the current rules (files dropped in by hand, or landed before a rule change; Polars prefilter,
Python only for the few flagged lines), decode and validate each line against its kind's schema (msgspec in C:
enums, ranges, sizes, dates; errors carry the field path), then build typed columns. Chunks
are validated one ahead on a thread and streamed to Parquet row groups on another, so a day
of any size is processed in bounded memory; nothing reaches the lake's final paths until the
whole partition is done, then every table is replaced at once.

Accounting: every non-empty line read ends up accepted (a row of its kind's table), superseded
(a newer copy of the same record won, on this day or another), in the quarantine with a reason
naming the field, or dropped as an exact duplicate of a line already quarantined:
lines_read = accepted + superseded + quarantined + duplicates. `CaptureStats` carries the counts the asset checks verify.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import uuid
from collections import Counter
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Union

import msgspec
import msgspec.inspect as mi
from msgspec.structs import astuple
import polars as pl
import pyarrow.parquet as pq

from learning_pipeline.capture.landing import REDACTION_VERSION, REJECTED_PREFIX, LandingFileMeta, field_of_error
from learning_pipeline.capture.redaction import SECRET_KINDS, redaction_changes
from learning_pipeline.capture.wire import ENVELOPES, TRACE_KINDS, WIRE_ID_FIELDS, TraceKind
from learning_pipeline.config import CaptureLimits
from learning_pipeline.lake import Lake, publish

QUARANTINE_TABLE = "trace_quarantine"
STATS_TABLE = "capture_stats"
CHUNK_BYTES = 16 * 1024 * 1024

PROVENANCE_SCHEMA = {
    "source_file": pl.String,
    "source_line": pl.Int64,
    "received_at": pl.Datetime("us", "UTC"),
    "redactions": pl.UInt32,
    "payload": pl.String,  # the whole redacted record: unknown fields are kept here
}
QUARANTINE_SCHEMA = {
    "source_file": pl.String,
    "source_line": pl.Int64,
    "landing_file": pl.String,
    "kind": pl.String,
    "record_id": pl.String,
    "field": pl.String,
    "reason": pl.String,
    "raw": pl.String,
    "received_at": pl.Datetime("us", "UTC"),
}


# -- table schemas derived from the wire schemas -------------------------------------------------
@dataclass(frozen=True)
class Column:
    name: str
    dtype: pl.DataType
    nested: bool  # stored as JSON text (camelCase keys inside, as the builder's own database)
    timestamp: bool
    wire_name: str


def _unwrap(info: mi.Type) -> mi.Type:
    if isinstance(info, mi.UnionType):
        members = [t for t in info.types if not isinstance(t, mi.NoneType)]
        return members[0] if len(members) == 1 else info
    return info


def _column(f: mi.Field) -> Column:
    info = _unwrap(f.type)
    if isinstance(info, mi.DateTimeType):
        return Column(f.name, pl.Datetime("us", "UTC"), False, True, f.encode_name)
    scalar = {mi.StrType: pl.String, mi.LiteralType: pl.String, mi.IntType: pl.Int64,
              mi.FloatType: pl.Float64, mi.BoolType: pl.Boolean}
    for kind, dtype in scalar.items():
        if isinstance(info, kind):
            return Column(f.name, dtype, False, False, f.encode_name)
    return Column(f.name, pl.String, True, False, f.encode_name)


def columns_of(spec: TraceKind) -> list[Column]:
    return [_column(f) for f in mi.type_info(spec.schema).fields]


def stored_schema(spec: TraceKind) -> dict[str, pl.DataType]:
    """What a raw table's Parquet holds: the scalar fields as typed columns, provenance, and the
    whole redacted line as `payload`. Nested objects are not stored twice: they are in `payload`."""
    schema: dict[str, pl.DataType] = {}
    if spec.id_field is None:
        schema["event_id"] = pl.String
    schema.update({c.name: c.dtype for c in columns_of(spec) if not c.nested})
    schema.update(PROVENANCE_SCHEMA)
    return schema


def table_schema(spec: TraceKind) -> dict[str, pl.DataType]:
    """What `read_traces` returns: the stored columns plus each nested object as JSON text
    (camelCase keys inside, as in the builder's own database)."""
    schema = stored_schema(spec)
    nested = {c.name: pl.String for c in columns_of(spec) if c.nested}
    payload_at = list(schema).index("source_file")
    names = list(schema)
    return {**{n: schema[n] for n in names[:payload_at]}, **nested, **{n: schema[n] for n in names[payload_at:]}}


def with_nested_columns(kind: str, frame: pl.DataFrame) -> pl.DataFrame:
    """Add the nested objects of a raw table's rows as JSON text columns, decoded from `payload`."""
    spec = TRACE_KINDS[kind]
    nested = [c for c in _COLUMNS[kind] if c.nested]
    if frame.height == 0:
        return frame.with_columns(pl.lit(None, pl.String).alias(c.name) for c in nested).select(list(table_schema(spec)))
    records = [_DECODER.decode(line).data for line in frame.get_column("payload").to_list()]
    columns = [
        pl.Series(c.name, [None if (v := getattr(r, c.name)) is None else _ENCODE.encode(v).decode() for r in records], dtype=pl.String)
        for c in nested
    ]
    return frame.with_columns(columns).select(list(table_schema(spec)))


def read_traces(lake: Lake, kind: str, partitions: list[str] | None = None) -> pl.DataFrame:
    """A raw trace table as consumers use it: stored columns plus nested objects as JSON text."""
    spec = TRACE_KINDS[kind]
    return with_nested_columns(kind, lake.read(spec.table, partitions, schema=stored_schema(spec)))


def record_key(spec: TraceKind) -> str:
    return spec.id_field or "event_id"


_COLUMNS = {kind: columns_of(spec) for kind, spec in TRACE_KINDS.items()}
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
_NAIVE_EPOCH = dt.datetime(1970, 1, 1)
_MICROSECOND = dt.timedelta(microseconds=1)
_EXTRA_DTYPES = {"event_id": pl.String, "_index": pl.Int64, **PROVENANCE_SCHEMA}
_DECODER = msgspec.json.Decoder(Union[tuple(ENVELOPES.values())])
_KIND_OF = {envelope: kind for kind, envelope in ENVELOPES.items()}
_ENCODE = msgspec.json.Encoder()
# The id field of each kind's own record: a quarantined line is named by its own id, never by
# another id it happens to carry (an empty `traceId` must not borrow the `buildId`).
_OWN_ID = {
    "decision": "traceId", "decision_outcome": "traceId", "code_artifact": "artifactId", "design_choice": "choiceId",
    "error_recovery": "errorId", "build_summary": "buildId", "pattern_usage": "patternId", "strategy_outcome": "strategyId",
}
_ID_IN_RAW = {kind: re.compile(r'"' + name + r'"\s*:\s*"([^"\\]{1,256})"') for kind, name in _OWN_ID.items()}


def record_id_of(raw: str, kind: str | None) -> str | None:
    """The record's own id, when the line names its kind and carries a non-empty one."""
    pattern = _ID_IN_RAW.get(kind)
    match = pattern.search(raw[:65536]) if pattern else None
    return match.group(1) if match else None


# -- statistics ---------------------------------------------------------------------------------
@dataclass
class CaptureStats:
    partition: str
    lines_read: int = 0
    accepted: int = 0
    quarantined: int = 0
    superseded: int = 0
    duplicates: int = 0  # exact copies of a quarantined line already counted once
    rows_by_table: dict[str, int] = field(default_factory=dict)
    quarantine_reasons: Counter = field(default_factory=Counter)
    redactions: Counter = field(default_factory=Counter)
    landing_files: int = 0

    def as_row(self) -> dict:
        return {
            "partition": self.partition,
            "lines_read": self.lines_read,
            "accepted": self.accepted,
            "quarantined": self.quarantined,
            "superseded": self.superseded,
            "duplicates": self.duplicates,
            "landing_files": self.landing_files,
            "redactions_total": sum(self.redactions.values()),
            **{f"redacted_{k}": self.redactions.get(k, 0) for k in SECRET_KINDS},
            **{f"rows_{t}": n for t, n in sorted(self.rows_by_table.items())},
        }


# -- streaming parquet staging --------------------------------------------------------------------
class _StagedTable:
    """Row groups appended to a temporary file beside the final one; committed at the end."""

    def __init__(self, lake: Lake, table: str, partition: str, schema: dict[str, pl.DataType], pool: ThreadPoolExecutor):
        self.final = lake.partition_path(table, partition)
        self.final.parent.mkdir(parents=True, exist_ok=True)
        # Unique per writer: two runs on one partition must not share a staging file.
        self.staging = self.final.with_name(f".staging-{uuid.uuid4().hex}.parquet.tmp")
        self.schema = schema
        self.writer: pq.ParquetWriter | None = None
        self.rows = 0
        # Encoding and compressing Parquet releases the GIL: it runs on a writer thread while
        # the next chunk is decoded. One thread for all tables keeps each table's groups in order.
        self.pool = pool
        self.pending: list[Future] = []

    def append(self, frame: pl.DataFrame) -> None:
        self.rows += frame.height
        self.pending.append(self.pool.submit(self._write, frame))

    def _write(self, frame: pl.DataFrame) -> None:
        table = frame.select([pl.col(c).cast(t) for c, t in self.schema.items()]).to_arrow()
        if self.writer is None:
            self.writer = pq.ParquetWriter(self.staging, table.schema, compression="zstd")
        self.writer.write_table(table)

    def flush(self) -> None:
        pending, self.pending = self.pending, []
        for future in pending:
            future.result()

    def commit(self, lake: Lake, table_name: str, partition: str, keep: list[bool] | None) -> int:
        self.flush()
        if self.writer is None:
            lake.write(table_name, pl.DataFrame(schema=self.schema), partition)
            return 0
        self.writer.close()
        if keep is not None and not all(keep):
            self._drop_rows(keep)
        kept = pq.ParquetFile(self.staging).metadata.num_rows
        publish(self.staging, self.final)
        return kept

    def _drop_rows(self, keep: list[bool]) -> None:
        """Rewrite row group by row group, so memory stays bounded by one group."""
        import pyarrow as pa

        source = pq.ParquetFile(self.staging)
        rewritten = self.staging.with_name(self.staging.name + ".dedup")
        writer = pq.ParquetWriter(rewritten, source.schema_arrow, compression="zstd")
        offset = 0
        for index in range(source.num_row_groups):
            group = source.read_row_group(index)
            mask = pa.array(keep[offset : offset + group.num_rows])
            writer.write_table(group.filter(mask))
            offset += group.num_rows
        writer.close()
        rewritten.replace(self.staging)

    def abort(self) -> None:
        for future in self.pending:
            future.exception()  # wait; the error that matters is already propagating
        if self.writer is not None:
            self.writer.close()
        self.staging.unlink(missing_ok=True)


# -- the processing of one partition -----------------------------------------------------------
@dataclass
class _Chunk:
    lines: list[str] = field(default_factory=list)
    source_file: list[str] = field(default_factory=list)
    source_line: list[int] = field(default_factory=list)
    landing_file: list[str] = field(default_factory=list)
    received_at: list[dt.datetime] = field(default_factory=list)
    # Lines landed under the current redaction rules are not redacted again; what was found then:
    redacted: list[bool] = field(default_factory=list)
    prior_redactions: list[dict | None] = field(default_factory=list)
    size: int = 0


def _iter_chunks(files: list[Path], chunk_bytes: int):
    """Chunks of about `chunk_bytes` of non-blank lines with their provenance. A landing file is
    read whole (the landing zone writes them in bounded batches) and split at once, which is
    far cheaper than a Python loop per line."""
    chunk = _Chunk()
    for path in files:
        meta = LandingFileMeta.read(path)
        text = path.read_bytes().decode("utf-8", errors="replace")
        if "\r" in text:
            text = text.replace("\r\n", "\n")
        lines = text.split("\n")
        if lines and not lines[-1]:
            lines.pop()  # the final newline
        numbers = range(len(lines))
        # Empty lines do not count as lines read (the landing zone never writes one; a file dropped
        # in by hand may hold some). A line of only spaces is read, and quarantined as invalid JSON.
        if "" in lines:
            kept = [i for i, line in enumerate(lines) if line]
            lines, numbers = [lines[i] for i in kept], kept
        origin = meta.lines
        source_lines = [origin[i] if i < len(origin) else i + 1 for i in numbers]
        redacted = meta.redaction_version == REDACTION_VERSION
        prior = [meta.redactions.get(i) for i in numbers] if meta.redactions else [None] * len(lines)
        start = 0
        while start < len(lines):
            # Take lines until the chunk is full (at least one line, so any line fits somewhere).
            room = budget = chunk_bytes - chunk.size
            end = start
            while end < len(lines) and (budget > 0 or end == start):
                budget -= len(lines[end])
                end += 1
            count = end - start
            chunk.lines += lines[start:end]
            chunk.source_line += source_lines[start:end]
            chunk.source_file += [meta.source] * count
            chunk.landing_file += [path.name] * count
            chunk.received_at += [meta.received_at] * count
            chunk.redacted += [redacted] * count
            chunk.prior_redactions += prior[start:end]
            chunk.size += room - budget
            start = end
            if chunk.size >= chunk_bytes:
                yield chunk
                chunk = _Chunk()
    if chunk.lines:
        yield chunk


def process_partition(
    files: list[Path],
    partition: str,
    partition_start: dt.date,
    lake: Lake,
    limits: CaptureLimits = CaptureLimits(),
    chunk_bytes: int = CHUNK_BYTES,
    log=None,
    landing_fingerprint: str | None = None,
    superseded_elsewhere: dict[str, set[str]] | None = None,
) -> CaptureStats:
    """Validate (and, for lines landed under other rules, redact) the landing files of one day
    and replace its lake partitions. `superseded_elsewhere` (kind -> ids, from the landing index)
    names the records whose newest copy landed on another day: this day drops its copies, so one
    id is one row across the lake. The stats row remembers `landing_fingerprint`, which files
    produced it (the sensor's change test)."""
    stats = CaptureStats(partition=partition, landing_files=len(files))
    day = dt.date.fromisoformat(partition)
    elsewhere = superseded_elsewhere or {}
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="parquet-writer")
    staged = {kind: _StagedTable(lake, spec.table, partition, stored_schema(spec), pool) for kind, spec in TRACE_KINDS.items()}
    quarantine = _StagedTable(lake, QUARANTINE_TABLE, partition, QUARANTINE_SCHEMA, pool)
    # Small per-row keys kept across chunks to pick the newest copy of each record.
    dedup_keys: dict[str, list[tuple]] = {kind: [] for kind in TRACE_KINDS}
    seen_bad: set[int] = set()  # hashes of quarantined lines: one row per distinct bad line
    try:
        results = _validated_ahead(_iter_chunks(files, chunk_bytes), day, partition_start, limits)
        for number, result in enumerate(results, start=1):
            _collect(result, staged, quarantine, dedup_keys, stats, seen_bad)
            if log:
                log(f"partition {partition}: chunk {number} done, {stats.lines_read} lines read, "
                    f"{stats.quarantined} quarantined so far")
        for kind, spec in TRACE_KINDS.items():
            keep = _newest_copies(dedup_keys[kind])
            if elsewhere.get(kind):
                gone = elsewhere[kind]
                keep = [k and key[0] not in gone for k, key in zip(keep, dedup_keys[kind])]
            kept = staged[kind].commit(lake, spec.table, partition, keep)
            stats.rows_by_table[spec.table] = kept
            stats.superseded += staged[kind].rows - kept
        stats.accepted -= stats.superseded  # accepted = rows stored; superseded copies are counted apart
        quarantine.commit(lake, QUARANTINE_TABLE, partition, None)
    except BaseException:
        for table in [*staged.values(), quarantine]:
            table.abort()
        raise
    finally:
        pool.shutdown(wait=True)
    lake.write(STATS_TABLE, pl.DataFrame([{**stats.as_row(), "landing_fingerprint": landing_fingerprint}],
                                         schema_overrides={"landing_fingerprint": pl.String}), partition)
    return stats


def _newest_copies(keys: list[tuple]) -> list[bool]:
    """keys: (record id, order timestamp, arrival position). Keep the last copy of each id: the
    newest by its own timestamp, the later arrival on a tie."""
    oldest = dt.datetime.min.replace(tzinfo=dt.timezone.utc)
    winner: dict[str, int] = {}
    for position, (record_id, order, _) in enumerate(keys):
        current = winner.get(record_id)
        if current is None or (order or oldest) >= (keys[current][1] or oldest):
            winner[record_id] = position
    chosen = set(winner.values())
    return [position in chosen for position in range(len(keys))]


def _redact(lines: list[str]) -> tuple[dict[int, str], pl.DataFrame]:
    return redaction_changes(pl.Series("line", lines, dtype=pl.String))


@dataclass
class _ChunkResult:
    """What validating one chunk produced; plain frames and counters, so it crosses processes."""

    lines_read: int
    frames: dict[str, pl.DataFrame]
    quarantine: pl.DataFrame | None
    redactions: Counter


def _redact_where_needed(chunk: _Chunk) -> tuple[list[int], Counter]:
    """Redact the lines not landed under the current rules (in place); per-line counts and the
    totals by kind, including what the landing zone found when it redacted the others."""
    lines = chunk.lines  # from here on the redacted lines: nothing else keeps the originals
    per_line = [sum(p.values()) if p else 0 for p in chunk.prior_redactions]
    totals: Counter = Counter()
    for prior in chunk.prior_redactions:
        if prior:
            totals.update(prior)
    todo = [i for i, done in enumerate(chunk.redacted) if not done]
    if todo:
        subset = lines if len(todo) == len(lines) else [lines[i] for i in todo]
        changed, counts = _redact(subset)
        for row, redacted_line in changed.items():
            lines[todo[row]] = redacted_line
        if changed:
            found = counts.sum_horizontal().to_list()
            for row in changed:
                per_line[todo[row]] += found[row]
            totals.update({k: int(v) for k, v in counts.sum().row(0, named=True).items() if v})
    return per_line, totals


def _validate_chunk(chunk: _Chunk, day: dt.date, partition_start: dt.date, limits: CaptureLimits) -> _ChunkResult:
    per_line_redactions, redactions = _redact_where_needed(chunk)
    lines = chunk.lines

    bad: list[tuple[int, str | None, str, str]] = []  # (index, kind, field, reason)
    raw_of: dict[int, str] = {}  # what a rejection envelope kept of its line
    accepted: dict[str, list[tuple[int, msgspec.Struct]]] = {kind: [] for kind in TRACE_KINDS}
    for index, line in enumerate(lines):
        if len(line) > limits.max_line_bytes:
            bad.append((index, None, "(line)", f"line of {len(line)} bytes exceeds the {limits.max_line_bytes}-byte limit"))
            continue
        try:
            envelope = _DECODER.decode(line)
        except msgspec.DecodeError as err:
            if line.startswith(REJECTED_PREFIX) and (rejected := _rejection(line)) is not None:
                bad.append((index, None, rejected["field"], rejected["reason"]))
                raw_of[index] = rejected["raw"]
            elif isinstance(err, msgspec.ValidationError):
                bad.append((index, *_explain(str(err), line)))
            else:
                bad.append((index, None, "(line)", f"invalid JSON: {err}"))
            continue
        except RecursionError:
            bad.append((index, None, "(line)", "JSON nested too deep to read (msgspec's depth limit)"))
            continue
        accepted[_KIND_OF[type(envelope)]].append((index, envelope.data))

    frames = {}
    for kind, items in accepted.items():
        if items:
            frame = _route_check(kind, _frame_for(kind, items, chunk, lines, per_line_redactions), day, partition_start, bad)
            if frame.height:
                frames[kind] = frame.drop("_index")
    quarantine = None
    if bad:
        quarantine = pl.DataFrame(
            {
                "source_file": [chunk.source_file[i] for i, *_ in bad],
                "source_line": [chunk.source_line[i] for i, *_ in bad],
                "landing_file": [chunk.landing_file[i] for i, *_ in bad],
                "kind": [kind for _, kind, _, _ in bad],
                "record_id": [record_id_of(lines[i], kind) for i, kind, _, _ in bad],
                "field": [f for _, _, f, _ in bad],
                "reason": [r for _, _, _, r in bad],
                "raw": [raw_of.get(i, lines[i]) for i, *_ in bad],
                "received_at": [chunk.received_at[i] for i, *_ in bad],
            },
            schema=QUARANTINE_SCHEMA,
        )
    return _ChunkResult(
        lines_read=len(lines),
        frames=frames,
        quarantine=quarantine,
        redactions=redactions,
    )


def _collect(result: _ChunkResult, staged, quarantine, dedup_keys, stats: CaptureStats, seen_bad: set[int]) -> None:
    """Stage one chunk's rows (in order) and remember the keys that pick the newest copies."""
    stats.lines_read += result.lines_read
    stats.redactions.update(result.redactions)
    for kind, frame in result.frames.items():
        spec = TRACE_KINDS[kind]
        if "updated_at" in frame.columns:
            order = frame.select(pl.coalesce("updated_at", "created_at")).to_series()
        else:
            order = frame[spec.date_field]
        dedup_keys[kind].extend(zip(frame[record_key(spec)].to_list(), order.to_list(), frame["source_line"].to_list()))
        staged[kind].append(frame)
        stats.accepted += frame.height
    if result.quarantine is not None:
        rows = result.quarantine
        fresh = []
        for raw in rows.get_column("raw").to_list():
            key = hash(raw)
            fresh.append(key not in seen_bad)
            seen_bad.add(key)
        if not all(fresh):
            rows = rows.filter(pl.Series(fresh))
            stats.duplicates += len(fresh) - rows.height
        stats.quarantined += rows.height
        stats.quarantine_reasons.update(Counter(r.split(":")[0][:80] for r in rows.get_column("reason").to_list()))
        quarantine.append(rows)


def _validated_ahead(chunks, day, partition_start, limits):
    """Results in chunk order. Validation is mostly Python and holds the GIL, but redaction and
    Parquet encoding are Polars/Arrow work that releases it: a second thread validates the next
    chunk while this one is collected and written, one chunk ahead at most."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="validator") as ahead:
        pending = None
        for chunk in chunks:
            future = ahead.submit(_validate_chunk, chunk, day, partition_start, limits)
            if pending is not None:
                yield pending.result()
            pending = future
        if pending is not None:
            yield pending.result()


def _rejection(line: str) -> dict | None:
    """A rejection envelope the landing zone wrote for a line it could not read."""
    try:
        rejected = msgspec.json.decode(line)
    except (msgspec.DecodeError, RecursionError):
        return None
    if isinstance(rejected, dict) and all(isinstance(rejected.get(k), str) for k in ("field", "reason", "raw")):
        return rejected
    return None


def _explain(message: str, line: str) -> tuple[str | None, str, str]:
    """(kind, field, reason) for a line the tagged-union decoder rejected."""
    kind_match = re.search(r'"kind"\s*:\s*"([^"]*)"', line[:4096])
    kind = kind_match.group(1) if kind_match else None
    if message.endswith("- at `$.kind`") or "required field `kind`" in message:
        return kind, "kind", f"unknown kind {kind!r}; expected one of {sorted(TRACE_KINDS)}"
    field = field_of_error(message)
    if field == "(record)":
        return kind, field, f"invalid envelope: {message}"
    return (kind if kind in TRACE_KINDS else None), field, message.replace("`$.data.", "`$.").replace("`$.data`", "`$`")


def _frame_for(kind: str, items, chunk: _Chunk, lines: list[str], per_line_redactions: list[int]) -> pl.DataFrame:
    spec = TRACE_KINDS[kind]
    columns = _COLUMNS[kind]
    data: dict[str, list | pl.Series] = {}
    # One C-level tuple per record, transposed at once: far cheaper than a getattr per field.
    by_field = list(zip(*(astuple(record) for _, record in items)))
    for column, values in zip(columns, by_field):
        if column.nested:
            continue  # kept in `payload`; `read_traces` turns it into a column when asked
        if column.timestamp:
            # Epoch microseconds by timedelta arithmetic (C), then one cast: building a Datetime
            # Series from Python datetime objects converts each one in Python. No offset = UTC.
            micros = [None if v is None else (v - (_EPOCH if v.tzinfo else _NAIVE_EPOCH)) // _MICROSECOND for v in values]
            values = pl.Series(column.name, micros, dtype=pl.Int64).cast(pl.Datetime("us", "UTC"))
        data[column.name] = values
    indexes = [index for index, _ in items]
    # The whole redacted line: fields this schema does not know are kept here.
    payloads = [lines[i] for i in indexes]
    if spec.id_field is None:
        data = {"event_id": [hashlib.sha256(p.encode()).hexdigest()[:24] for p in payloads], **data}
    data["source_file"] = [chunk.source_file[i] for i in indexes]
    data["source_line"] = [chunk.source_line[i] for i in indexes]
    data["received_at"] = [chunk.received_at[i] for i in indexes]
    data["redactions"] = [per_line_redactions[i] for i in indexes]
    data["payload"] = payloads
    data["_index"] = indexes
    # Column by column with exact dtypes: msgspec already produced exactly typed values, so
    # Polars can take its fast path instead of inspecting every value.
    schema = {c.name: c.dtype for c in columns}
    return pl.DataFrame([
        values if isinstance(values, pl.Series) else pl.Series(name, values, dtype=schema.get(name) or _EXTRA_DTYPES[name])
        for name, values in data.items()
    ])


def _route_check(kind, frame, day, partition_start, bad) -> pl.DataFrame:
    """Quarantine rows that predate the partitions, claim a (UTC) day after the day they arrived
    (a future date cannot be processed: its partition does not exist yet), or sit in another
    day's partition. Days are UTC days, as the landing zone routes them. A feedback event without its own date takes its arrival time.
    (Dates that are not dates were already rejected by the decoder, naming the field.)"""
    spec = TRACE_KINDS[kind]
    wire_date = next(c.wire_name for c in _COLUMNS[kind] if c.name == spec.date_field)
    frame = frame.with_columns(pl.coalesce(spec.date_field, "received_at").alias(spec.date_field))
    start = dt.datetime.combine(partition_start, dt.time(), dt.timezone.utc)
    when = pl.col(spec.date_field)
    reasons = [
        (when < start,
         pl.format("`{}` {} is before the partition start {}", pl.lit(wire_date), when.dt.date(), pl.lit(str(partition_start)))),
        (when.dt.date() > pl.col("received_at").dt.date(),
         pl.format("`{}` {} is after the day the trace arrived ({}): a date in the future", pl.lit(wire_date), when.dt.date(), pl.col("received_at").dt.date())),
        (when.dt.date() != day,
         pl.format("`{}` {} does not belong to partition {}", pl.lit(wire_date), when.dt.date(), pl.lit(str(day)))),
    ]
    reason_expr = pl.when(reasons[0][0]).then(reasons[0][1])
    for condition, reason in reasons[1:]:
        reason_expr = reason_expr.when(condition).then(reason)
    frame = frame.with_columns(reason_expr.alias("_bad_reason"))
    rejected = frame.filter(pl.col("_bad_reason").is_not_null())
    for index, reason in rejected.select("_index", "_bad_reason").iter_rows():
        bad.append((index, kind, wire_date, reason))
    return frame.filter(pl.col("_bad_reason").is_null()).drop("_bad_reason")
