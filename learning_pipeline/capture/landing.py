"""The landing zone: append-only raw trace lines, routed to the day they belong to.

Every line the API, the CLI or an importer receives is written, unchanged, into
``landing/date=YYYY-MM-DD/<arrival>-<digest>.jsonl`` (temp file + fsync + rename), with a
``.meta.json`` sidecar naming the source and the original line numbers so a quarantined
record can be traced back to ``file:line``. The day is the event's own date (``createdAt``,
``outcomeRecordedAt``), so a partition holds the traces *of* that day whenever they arrived,
and a re-sent trace lands in the partition where its first copy is. Lines without a usable
date (invalid JSON, no date) land on their arrival day, where validation quarantines them.

A batch's file name carries a digest of its content: landing the same batch twice writes
nothing the second time, so re-ingesting a file adds nothing new.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import msgspec

from learning_pipeline.capture.wire import TRACE_KINDS
from learning_pipeline.config import PARTITION_START_FILE
from learning_pipeline.lake import atomic_write_bytes

PARTITION_PREFIX = "date="
_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})")
# Wire name of the date that picks each kind's partition.
_DATE_KEYS = {
    kind: "".join(w.capitalize() if i else w for i, w in enumerate(spec.date_field.split("_")))
    for kind, spec in TRACE_KINDS.items()
}
# How far past its arrival an event may claim to be: more is a clock error, not a future trace.
FUTURE_TOLERANCE = dt.timedelta(days=1)


def event_day(line: bytes | str) -> dt.date | None:
    """The day an event claims for itself, or None when the line does not say (or is not JSON)."""
    try:
        envelope = msgspec.json.decode(line)
    except msgspec.DecodeError:
        return None
    if not isinstance(envelope, dict) or not isinstance(envelope.get("data"), dict):
        return None
    value = envelope["data"].get(_DATE_KEYS.get(envelope.get("kind"), "createdAt"))
    if not isinstance(value, str) or not (match := _DATE.match(value)):
        return None
    try:
        return dt.date.fromisoformat(match.group(1))
    except ValueError:
        return None


def route(claimed: dt.date | None, received_at: dt.datetime) -> dt.date:
    """The landing day of a line: its own date, unless it has none or claims a future day."""
    arrival = received_at.date()
    if claimed is None or claimed > (received_at + FUTURE_TOLERANCE).date():
        return arrival
    return claimed


@dataclass
class LandingReceipt:
    lines: int = 0
    files_written: list[Path] = field(default_factory=list)
    duplicate_batches: int = 0
    lines_by_partition: dict[str, int] = field(default_factory=dict)

    def merge(self, other: "LandingReceipt") -> None:
        self.lines += other.lines
        self.files_written += other.files_written
        self.duplicate_batches += other.duplicate_batches
        for key, n in other.lines_by_partition.items():
            self.lines_by_partition[key] = self.lines_by_partition.get(key, 0) + n


class LandingZone:
    def __init__(self, root: Path | str):
        self.root = Path(root)

    def partition_dir(self, partition: str) -> Path:
        return self.root / f"{PARTITION_PREFIX}{partition}"

    def land(
        self,
        lines: Iterable[tuple[int, bytes]],
        source: str,
        received_at: dt.datetime | None = None,
    ) -> LandingReceipt:
        """Land (original line number, raw line) pairs from one source. Durable on return."""
        received_at = received_at or dt.datetime.now(dt.timezone.utc)
        groups: dict[dt.date, list[tuple[int, bytes]]] = defaultdict(list)
        for number, raw in lines:
            raw = raw.rstrip(b"\r\n")
            if not raw.strip():
                continue
            groups[route(event_day(raw), received_at)].append((number, raw))
        if groups:
            self.record_first_day(min(groups))
        receipt = LandingReceipt()
        for day, members in sorted(groups.items()):
            receipt.merge(self._write_batch(day.isoformat(), members, source, received_at))
        return receipt

    def _write_batch(
        self, partition: str, members: list[tuple[int, bytes]], source: str, received_at: dt.datetime
    ) -> LandingReceipt:
        content = b"\n".join(raw for _, raw in members) + b"\n"
        digest = hashlib.sha256(content).hexdigest()[:24]
        folder = self.partition_dir(partition)
        receipt = LandingReceipt(lines_by_partition={partition: len(members)})
        # One marker per landed batch, whatever day it went to: a batch without a date of its own
        # lands on its arrival day, and re-sending it another day must still be a duplicate.
        seen = self.root / ".digests" / digest
        if seen.exists():
            receipt.duplicate_batches = 1
            receipt.lines_by_partition = {}
            return receipt
        stem = f"{received_at.astimezone(dt.timezone.utc):%Y%m%dT%H%M%S%f}-{digest}"
        meta = {
            "source": source,
            "received_at": received_at.astimezone(dt.timezone.utc).isoformat(),
            "lines": [number for number, _ in members],
        }
        # Sidecar first: a landing file is only ever visible with its provenance beside it.
        atomic_write_bytes(folder / f"{stem}.meta.json", json.dumps(meta).encode())
        path = folder / f"{stem}.jsonl"
        atomic_write_bytes(path, content)
        atomic_write_bytes(seen, path.relative_to(self.root).as_posix().encode())
        receipt.lines = len(members)
        receipt.files_written.append(path)
        return receipt

    def record_first_day(self, day: dt.date) -> None:
        """The first ingest fixes where the daily partitions start (config.partition_start_from_env)."""
        self.root.mkdir(parents=True, exist_ok=True)
        try:
            with open(self.root / PARTITION_START_FILE, "x") as marker:
                marker.write(day.isoformat())
        except FileExistsError:
            pass

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
        """A digest of which files a partition holds: the sensor's run key and change detector."""
        names = "\n".join(sorted(p.name for p in files))
        return hashlib.sha256(names.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class LandingFileMeta:
    source: str
    received_at: dt.datetime
    lines: list[int]

    @classmethod
    def read(cls, landing_file: Path) -> "LandingFileMeta":
        meta_path = landing_file.with_name(landing_file.name[: -len(".jsonl")] + ".meta.json")
        if meta_path.exists():
            meta = json.loads(meta_path.read_text())
            return cls(meta["source"], dt.datetime.fromisoformat(meta["received_at"]), meta["lines"])
        # A file dropped into the landing zone by hand: it is its own source.
        stat = landing_file.stat()
        received = dt.datetime.fromtimestamp(stat.st_mtime, dt.timezone.utc)
        return cls(str(landing_file), received, [])
