"""The landing zone: append-only, redacted trace lines, routed to the UTC day they belong to.

Every line the API, the CLI or an importer receives is redacted first (nothing unredacted is
ever written), then written into ``landing/date=YYYY-MM-DD/<arrival>-<digest>.jsonl``
(temp file + fsync + rename), with a ``.meta.json`` sidecar naming the source, the original
line numbers and what was redacted, so a quarantined record can be traced back to
``file:line``. The day is the event's own UTC date (``createdAt``, ``outcomeRecordedAt``
converted to UTC, as validation reads it), so a partition holds the traces *of* that day
whenever they arrived. Lines without a usable date (invalid JSON, no date) and lines that
claim a day after their arrival land on their arrival day, where validation quarantines them.

A line that cannot even be read as text (invalid UTF-8, a corrupt compressed tail, a SQLite
value with no JSON form) is landed as a *rejection envelope* (kind ``_rejected``) that keeps
the reason, the field and the readable part of the line: validation quarantines it like any
bad line, so every rejection shows up in one place, counted.

The landing index (``_index.sqlite`` beside the day folders) makes landing idempotent and
safe under concurrent writers:
  * ``lines``: the digest of every landed (redacted) line. A line already landed is not landed
    again, so re-ingesting a file that gained lines lands only the new ones. The check and the
    write happen under one SQLite write transaction (``BEGIN IMMEDIATE``), so two concurrent
    ingests of the same content land it once.
  * ``records``: every schema-valid copy of an identified record (kind, id, day, ordering time,
    arrival sequence). One id is one row in the lake: processing a day drops the copies whose
    newest copy landed on another day (`superseded_elsewhere`), and a day's fingerprint changes
    when that happens, so the sensor reprocesses it.
The landing files are written before the index commits: a crash in between can only land a
line twice (processing drops exact duplicates), never lose one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import sqlite3
from collections import Counter, defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator, NamedTuple, Union

import msgspec
import polars as pl

from learning_pipeline.capture import redaction
from learning_pipeline.capture.redaction import redaction_changes
from learning_pipeline.capture.wire import ENVELOPES, TRACE_KINDS
from learning_pipeline.config import PARTITION_START_FILE, CaptureLimits
from learning_pipeline.lake import atomic_write_bytes

PARTITION_PREFIX = "date="
INDEX_FILE = "_index.sqlite"
REJECTED_KIND = "_rejected"
REJECTED_PREFIX = '{"kind":"' + REJECTED_KIND + '"'
BOM = "\ufeff"
_BOM_BYTES = BOM.encode()
_REJECTED_BYTES = REJECTED_PREFIX.encode()
MAX_PROBLEMS = 1000
_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})")
# Wire name of the date that picks each kind's partition.
_DATE_KEYS = {
    kind: "".join(w.capitalize() if i else w for i, w in enumerate(spec.date_field.split("_")))
    for kind, spec in TRACE_KINDS.items()
}
_DECODER = msgspec.json.Decoder(Union[tuple(ENVELOPES.values())])
_KIND_OF = {envelope: kind for kind, envelope in ENVELOPES.items()}
_UTC = dt.timezone.utc
# Which rules redacted a landing file: processing redacts again only files landed under other
# rules (or dropped in by hand), so the work is done once per line and rule change.
REDACTION_VERSION = redaction.RULES_VERSION  # a hash over every rule source (redaction, named values, gitleaks, ...)


_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS lines (digest BLOB PRIMARY KEY) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS records (seq INTEGER PRIMARY KEY, kind TEXT NOT NULL,"
    " record_id TEXT NOT NULL, day TEXT NOT NULL, ordering INTEGER NOT NULL)",
    "CREATE INDEX IF NOT EXISTS records_by_id ON records (kind, record_id)",
    "CREATE INDEX IF NOT EXISTS records_by_day ON records (day)",
)


def rejection_line(field_name: str, reason: str, raw: str) -> str:
    """A line that could not be landed as it came, wrapped so validation quarantines it with
    its reason; `raw` keeps what could be read of it."""
    return json.dumps({"kind": REJECTED_KIND, "field": field_name, "reason": reason, "raw": raw},
                      separators=(",", ":"), ensure_ascii=False)


def utc(value: dt.datetime) -> dt.datetime:
    """No offset means UTC, as the validator reads it."""
    return value.replace(tzinfo=_UTC) if value.tzinfo is None else value.astimezone(_UTC)


def _day_of_value(value) -> dt.date | None:
    if not isinstance(value, str):
        return None
    try:
        return utc(msgspec.convert(value, dt.datetime)).date()
    except (msgspec.ValidationError, ValueError, OverflowError):
        match = _DATE.match(value)  # not a timestamp validation accepts: its date, for routing only
        try:
            return dt.date.fromisoformat(match.group(1)) if match else None
        except ValueError:
            return None


def event_day(line: bytes | str) -> dt.date | None:
    """The UTC day an event claims for itself, or None when the line does not say (or is not
    JSON, or is nested too deep to read)."""
    try:
        envelope = msgspec.json.decode(line)
    except (msgspec.DecodeError, RecursionError, UnicodeDecodeError):
        return None
    if not isinstance(envelope, dict) or not isinstance(envelope.get("data"), dict):
        return None
    return _day_of_value(envelope["data"].get(_DATE_KEYS.get(envelope.get("kind"), "createdAt")))


def route(claimed: dt.date | None, received_at: dt.datetime) -> dt.date:
    """The landing day of a line: its own UTC date, unless it has none or claims a day after its
    arrival (a clock error or a future date: quarantined on the arrival day, with that reason)."""
    arrival = received_at.astimezone(_UTC).date()
    if claimed is None or claimed > arrival:
        return arrival
    return claimed


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=_UTC)
_NAIVE_EPOCH = dt.datetime(1970, 1, 1)
_MICROSECOND = dt.timedelta(microseconds=1)


def ordering_key(when: dt.datetime) -> int:
    """Microseconds since the epoch, UTC (no offset means UTC): which copy of a record is newer."""
    return (when - (_EPOCH if when.tzinfo else _NAIVE_EPOCH)) // _MICROSECOND


class _Record(NamedTuple):
    kind: str
    record_id: str
    ordering: int


_FIELD_IN_MESSAGE = re.compile(r"field `([^`]+)`")
_PATH_IN_MESSAGE = re.compile(r" - at `\$\.?([^`]*)`")


def field_of_error(message: str) -> str:
    """`Expected int, got str - at $.data.context.previousAttempts` -> `context.previousAttempts`
    (paths are reported relative to the record, i.e. inside the envelope's `data`)."""
    path = _PATH_IN_MESSAGE.search(message)
    prefix = path.group(1) if path else ""
    prefix = "" if prefix == "data" else prefix.removeprefix("data.")
    named = _FIELD_IN_MESSAGE.search(message)
    if named:
        return f"{prefix}.{named.group(1)}" if prefix else named.group(1)
    return prefix or "(record)"


def _problem_of(line: bytes, err: Exception) -> tuple[str, str]:
    """(field, reason) of a line the typed decoder refused, for the ingest report."""
    if line.startswith(_REJECTED_BYTES):
        try:
            rejected = json.loads(line)
            return rejected["field"], rejected["reason"]
        except (ValueError, KeyError, TypeError):
            pass
    if isinstance(err, RecursionError):
        return "(line)", "JSON nested too deep to read"
    if isinstance(err, msgspec.ValidationError):
        message = str(err)
        return field_of_error(message), message.replace("`$.data.", "`$.").replace("`$.data`", "`$`")
    return "(line)", f"invalid JSON: {err}"


def _classify(line: bytes, received_at: dt.datetime, limits: CaptureLimits):
    """(landing day, the record it is if a schema-valid copy of an identified record, the
    (field, reason) validation will quarantine it for, if it can tell now)."""
    arrival = received_at.astimezone(_UTC).date()
    try:
        envelope = _DECODER.decode(line)
    except (msgspec.DecodeError, RecursionError) as err:
        return route(event_day(line), received_at), None, _problem_of(line, err)
    kind = _KIND_OF[type(envelope)]
    spec = TRACE_KINDS[kind]
    data = envelope.data
    when = getattr(data, spec.date_field)
    claimed = None if when is None else when.date() if when.tzinfo is None else when.astimezone(_UTC).date()
    day = route(claimed, received_at)
    if claimed is not None and claimed > arrival:
        wire = _DATE_KEYS[kind]
        return day, None, (wire, f"`{wire}` {claimed} is after the day the trace arrived ({arrival}): a date in the future")
    if len(line) > limits.max_line_bytes:
        return day, None, ("(line)", f"line of {len(line)} bytes exceeds the {limits.max_line_bytes}-byte limit")
    if spec.id_field is None:
        return day, None, None
    order = getattr(data, "updated_at", None) or when or received_at
    return day, _Record(kind, getattr(data, spec.id_field), ordering_key(order)), None


@dataclass
class LandingReceipt:
    lines: int = 0
    files_written: list[Path] = field(default_factory=list)
    duplicate_lines: int = 0  # already in the landing zone (same redacted content): not landed again
    rejected_lines: int = 0  # landed as rejection envelopes: unreadable as text or as a row
    lines_by_partition: dict[str, int] = field(default_factory=dict)
    redactions: Counter = field(default_factory=Counter)
    # Newly landed lines validation will quarantine, as far as landing can tell (schema, date):
    invalid_lines: int = 0
    problems: list[tuple[int, str, str]] = field(default_factory=list)  # (line, field, reason), the first ones

    def merge(self, other: "LandingReceipt") -> None:
        self.lines += other.lines
        self.invalid_lines += other.invalid_lines
        self.problems += other.problems[: max(0, MAX_PROBLEMS - len(self.problems))]
        self.files_written += other.files_written
        self.duplicate_lines += other.duplicate_lines
        self.rejected_lines += other.rejected_lines
        self.redactions.update(other.redactions)
        for key, n in other.lines_by_partition.items():
            self.lines_by_partition[key] = self.lines_by_partition.get(key, 0) + n


def _utf8_rejection(raw: bytes) -> bytes:
    """A line that is not UTF-8, as a rejection envelope naming the first bad byte and keeping
    the readable rest."""
    try:
        raw.decode("utf-8")
        return raw
    except UnicodeDecodeError as err:
        readable = raw.decode("utf-8", errors="replace")
        return rejection_line("(line)", f"invalid UTF-8 at byte {err.start} ({err.reason})", readable).encode()


class LandingZone:
    def __init__(self, root: Path | str, limits: CaptureLimits = CaptureLimits()):
        self.root = Path(root)
        self.limits = limits

    def partition_dir(self, partition: str) -> Path:
        return self.root / f"{PARTITION_PREFIX}{partition}"

    # -- the index -----------------------------------------------------------------------------
    @contextmanager
    def _index(self, write: bool) -> Iterator[sqlite3.Connection]:
        self.root.mkdir(parents=True, exist_ok=True)
        # Rollback journal, not WAL: it works on shared file systems too. Writers queue on the lock.
        con = sqlite3.connect(self.root / INDEX_FILE, timeout=300, isolation_level=None)
        try:
            # The landing files are fsynced before the index commits; losing the index's last
            # commit in a power cut can only make a line land twice, which processing absorbs.
            con.execute("PRAGMA synchronous = NORMAL")
            for statement in _SCHEMA:
                con.execute(statement)
            con.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            yield con
            con.execute("COMMIT")
        except BaseException:
            if con.in_transaction:
                con.execute("ROLLBACK")
            raise
        finally:
            con.close()

    def _has_index(self) -> bool:
        return (self.root / INDEX_FILE).exists()

    def ensure_index(self) -> None:
        """Create the index with its tables now (a reader that opens it read-only, as the API's
        journal does, must never find the file without its tables)."""
        with self._index(write=True):
            pass

    def has_record(self, kind: str, record_id: str) -> bool:
        """Whether a valid copy of this record was landed (the API's duplicate answer)."""
        if not self._has_index():
            return False
        with self._index(write=False) as con:
            return con.execute("SELECT 1 FROM records WHERE kind = ? AND record_id = ? LIMIT 1", (kind, record_id)).fetchone() is not None

    def superseded_elsewhere(self, partition: str, partition_start: dt.date | None = None) -> dict[str, set[str]]:
        """kind -> ids with a copy on `partition` whose newest copy (latest ordering time, then
        latest arrival) landed on another day: that day keeps the record, this one drops it.
        Copies before the partition start are quarantined, so they never win."""
        if not self._has_index():
            return {}
        start = (partition_start or dt.date.min).isoformat()
        with self._index(write=False) as con:
            rows = con.execute(
                """
                WITH here AS (SELECT DISTINCT kind, record_id FROM records WHERE day = :p),
                ranked AS (
                    SELECT r.kind, r.record_id, r.day,
                           ROW_NUMBER() OVER (PARTITION BY r.kind, r.record_id ORDER BY r.ordering DESC, r.seq DESC) AS rank
                    FROM records r JOIN here USING (kind, record_id) WHERE r.day >= :start)
                SELECT kind, record_id, day FROM ranked WHERE rank = 1 AND day != :p
                """,
                {"p": partition, "start": start},
            ).fetchall()
        out: dict[str, set[str]] = defaultdict(set)
        for kind, record_id, _ in rows:
            out[kind].add(record_id)
        return dict(out)

    # -- landing -------------------------------------------------------------------------------
    def land(
        self,
        lines: Iterable[tuple[int, bytes | str]],
        source: str,
        received_at: dt.datetime | None = None,
    ) -> LandingReceipt:
        """Land (original line number, raw line) pairs from one source: redacted, routed, not
        landed twice. Durable on return. This is the one write path into the landing zone."""
        received_at = received_at or dt.datetime.now(_UTC)
        numbers: list[int] = []
        raws: list[bytes] = []
        for number, raw in lines:
            if isinstance(raw, str):
                raw = raw.encode("utf-8", errors="replace")
            raw = raw.rstrip(b"\r\n").removeprefix(_BOM_BYTES)
            if raw.strip():
                numbers.append(number)
                raws.append(raw)
        receipt = LandingReceipt()
        if not raws:
            return receipt
        # UTF-8 is checked by Polars, in Rust, for the whole batch; only a batch that fails is
        # checked line by line, and a line that is not UTF-8 becomes a rejection.
        try:
            texts = pl.Series("line", raws, dtype=pl.Binary).cast(pl.String)
        except pl.exceptions.ComputeError:
            raws = [_utf8_rejection(raw) for raw in raws]
            texts = pl.Series("line", raws, dtype=pl.Binary).cast(pl.String)
        receipt.rejected_lines = sum(1 for raw in raws if raw.startswith(_REJECTED_BYTES))
        # Redact before anything is stored: from here on only the redacted lines exist.
        changed, counts = redaction_changes(texts)
        for row, redacted in changed.items():
            raws[row] = redacted.encode()
        found: dict[int, dict[str, int]] = {}
        if changed:
            kinds = counts.columns
            for row in changed:
                found[row] = {k: int(v) for k, v in zip(kinds, counts.row(row)) if v}
            receipt.redactions.update({k: int(v) for k, v in counts.sum().row(0, named=True).items() if v})

        digests = [hashlib.sha256(raw).digest()[:16] for raw in raws]
        # Lines already landed are skipped before the work of classifying them (a re-ingested
        # file that grew); the check is repeated under the write lock, where it decides.
        landed_before = set()
        if self._has_index():
            with self._index(write=False) as con:
                landed_before = self._known(con, digests)
        classified = [None if d in landed_before else _classify(raw, received_at, self.limits) for raw, d in zip(raws, digests)]

        with self._index(write=True) as con:
            known = self._known(con, digests)
            groups: dict[dt.date, list[int]] = defaultdict(list)
            for position, digest in enumerate(digests):
                if digest in known:
                    receipt.duplicate_lines += 1
                    continue
                known.add(digest)  # a line repeated within the batch lands once
                groups[classified[position][0]].append(position)
                if (problem := classified[position][2]) is not None:
                    receipt.invalid_lines += 1
                    if len(receipt.problems) < MAX_PROBLEMS:
                        receipt.problems.append((numbers[position], *problem))
            if groups:
                self.record_first_day(min(groups))
            for day, members in sorted(groups.items()):
                path = self._write_batch(day.isoformat(), members, numbers, raws, found, source, received_at)
                receipt.files_written.append(path)
                receipt.lines += len(members)
                receipt.lines_by_partition[day.isoformat()] = len(members)
            landed = [p for members in groups.values() for p in members]
            # in key order: appending to the B-tree is far cheaper than random inserts
            con.executemany("INSERT OR IGNORE INTO lines (digest) VALUES (?)", [(d,) for d in sorted(digests[p] for p in landed)])
            day_text = {day: day.isoformat() for day in groups}
            con.executemany(
                "INSERT INTO records (kind, record_id, day, ordering) VALUES (?, ?, ?, ?)",
                [(r.kind, r.record_id, day_text[classified[p][0]], r.ordering)
                 for p in sorted(landed) if (r := classified[p][1]) is not None],
            )
        return receipt

    @staticmethod
    def _known(con: sqlite3.Connection, digests: list[bytes]) -> set[bytes]:
        """The digests already landed, in one join (a temporary in-memory table of the batch)."""
        con.execute("CREATE TEMP TABLE IF NOT EXISTS incoming (digest BLOB)")
        con.execute("DELETE FROM incoming")
        con.executemany("INSERT INTO incoming (digest) VALUES (?)", [(d,) for d in digests])
        return {row[0] for row in con.execute("SELECT i.digest FROM incoming i JOIN lines l ON l.digest = i.digest")}

    def _write_batch(self, partition, members, numbers, raws, found, source, received_at) -> Path:
        content = b"\n".join(raws[p] for p in members) + b"\n"
        digest = hashlib.sha256(content).hexdigest()[:24]
        folder = self.partition_dir(partition)
        stem = f"{received_at.astimezone(_UTC):%Y%m%dT%H%M%S%f}-{digest}"
        meta = {
            "source": source,
            "received_at": received_at.astimezone(_UTC).isoformat(),
            "lines": [numbers[p] for p in members],
            "redaction_version": REDACTION_VERSION,
            # line index in this file -> {secret kind: count}, for the lines that had secrets
            "redactions": {str(i): found[p] for i, p in enumerate(members) if p in found},
        }
        # Sidecar first: a landing file is only ever visible with its provenance beside it.
        atomic_write_bytes(folder / f"{stem}.meta.json", json.dumps(meta).encode())
        path = folder / f"{stem}.jsonl"
        atomic_write_bytes(path, content)
        return path

    def record_first_day(self, day: dt.date) -> None:
        """The first ingest fixes where the daily partitions start (config.partition_start_from_env)."""
        self.root.mkdir(parents=True, exist_ok=True)
        try:
            with open(self.root / PARTITION_START_FILE, "x") as marker:
                marker.write(day.isoformat())
        except FileExistsError:
            pass

    # -- reading -------------------------------------------------------------------------------
    def partitions(self) -> list[str]:
        if not self.root.exists():
            return []
        return sorted(
            p.name[len(PARTITION_PREFIX):]
            for p in self.root.iterdir()
            if p.is_dir() and p.name.startswith(PARTITION_PREFIX) and any(p.glob("*.jsonl"))
        )

    def files(self, partition: str) -> list[Path]:
        folder = self.partition_dir(partition)
        return sorted(folder.glob("*.jsonl")) if folder.exists() else []

    def files_for(self, partition: str, first_partition: str) -> list[Path]:
        """The files a partition processes. The first partition also sweeps every earlier day,
        so traces older than the partition start are quarantined there instead of never seen."""
        files = self.files(partition)
        if partition == first_partition:
            for earlier in self.partitions():
                if earlier < first_partition:
                    files = self.files(earlier) + files
        return files

    def fingerprint(self, files: list[Path]) -> str:
        """A digest of what a partition's output depends on: which files it holds, and which of
        its records have a newer copy on another day. The sensor's run key and change detector."""
        names = sorted(p.name for p in files)
        days = sorted({p.parent.name[len(PARTITION_PREFIX):] for p in files if p.parent.name.startswith(PARTITION_PREFIX)})
        for day in days:
            for kind, ids in sorted(self.superseded_elsewhere(day).items()):
                names += [f"superseded:{kind}:{i}" for i in sorted(ids)]
        return hashlib.sha256("\n".join(names).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class LandingFileMeta:
    source: str
    received_at: dt.datetime
    lines: list[int]
    redaction_version: str | None = None  # None: never redacted (a file dropped in by hand)
    redactions: dict[int, dict[str, int]] = field(default_factory=dict)

    @classmethod
    def read(cls, landing_file: Path) -> "LandingFileMeta":
        meta_path = landing_file.with_name(landing_file.name[: -len(".jsonl")] + ".meta.json")
        if meta_path.exists():
            meta = json.loads(meta_path.read_text())
            return cls(
                meta["source"],
                dt.datetime.fromisoformat(meta["received_at"]),
                meta["lines"],
                meta.get("redaction_version"),
                {int(k): v for k, v in meta.get("redactions", {}).items()},
            )
        # A file dropped into the landing zone by hand: it is its own source.
        stat = landing_file.stat()
        received = dt.datetime.fromtimestamp(stat.st_mtime, _UTC)
        return cls(str(landing_file), received, [])
