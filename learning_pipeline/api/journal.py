"""The API's write-ahead journal: how a trace POST is durable before its 201 without paying a
landing file (two fsynced files and an index commit) per request.

Concurrent requests are grouped on the event loop: the first request to arrive starts a commit
at once; every request that arrives while a commit is on its way waits for the next one, which
takes all of them together. A commit (one worker thread, one hop per group, not per request)
answers duplicates, appends the new lines to this server's journal file and fdatasyncs once;
then every request of the group gets its answer. The route has redacted each line already,
from the decoded record: nothing unredacted is ever written. A lander thread moves journaled
lines into the landing zone with `LandingZone.land` (redacted again, routed, indexed) in large
batches, and empties the journal once everything in it has landed.

The journal lives beside the landing days (`landing/_journal/journal-<pid>.jsonl`) and is held
under an exclusive `flock` while its server lives. A server that starts lands every journal no
live server holds (`recover`), so a trace answered 201 by a server killed before its lander ran
lands then; landing is idempotent by line digest, so a line landed twice stays one. A killed
write can leave a partial last line; it was never answered 201 and is dropped.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as dt
import fcntl
import hashlib
import os
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from learning_pipeline.capture.landing import INDEX_FILE, LandingZone

JOURNAL_DIR = "_journal"
SOURCE = "api"
# Once everything journaled has landed and the file is this big, it is emptied.
EMPTY_ABOVE_BYTES = 4 * 1024 * 1024
# The longest a commit waits for more requests to join it (see TraceJournal._gather).
MAX_GATHER_S = 0.002


def digest(line: bytes) -> bytes:
    """The landing index's digest of a line (LandingZone.land)."""
    return hashlib.sha256(line).digest()[:16]


@dataclass
class Submission:
    kind: str
    record_id: str | None  # None: an event without an id, identified by its content digest
    line: bytes


def _chunks(values: list, size: int = 500) -> list[list]:
    """At most `size` values per query: SQLite bounds the parameters of one statement."""
    return [values[i:i + size] for i in range(0, len(values), size)]


def _complete_lines(path: Path) -> list[bytes]:
    """The journal's complete lines; a torn last line (a killed write) is left out."""
    data = path.read_bytes()
    end = data.rfind(b"\n")
    return [line for line in data[: end + 1].split(b"\n") if line] if end >= 0 else []


def recover(landing: LandingZone) -> int:
    """Land what any journal not held by a live server still holds, then delete it."""
    folder = landing.root / JOURNAL_DIR
    landed = 0
    for path in sorted(folder.glob("journal-*.jsonl")) if folder.exists() else []:
        with open(path, "rb+") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # a live server's journal: its own lander moves it
            lines = _complete_lines(path)
            if lines:
                landed += landing.land(enumerate(lines, 1), SOURCE).lines
            path.unlink()
    return landed


class TraceJournal:
    def __init__(self, landing: LandingZone, land_every_s: float = 2.0):
        self.landing = landing
        self.land_every_s = land_every_s
        folder = landing.root / JOURNAL_DIR
        folder.mkdir(parents=True, exist_ok=True)
        recover(landing)
        landing.ensure_index()
        self.path = folder / f"journal-{os.getpid()}.jsonl"
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        self._lock = threading.Lock()  # journal file and pending sets
        self._written = 0  # bytes durable in the journal
        self._landed = 0  # bytes of it already landed
        self._pending_records: set[tuple[str, str]] = set()
        self._pending_digests: set[bytes] = set()
        self._stop = threading.Event()
        self.landing_error: str | None = None
        self._index: sqlite3.Connection | None = None
        # the loop side of group commit: requests waiting for the next commit
        self._waiting: list[tuple[Submission, asyncio.Future]] = []
        self._committing: asyncio.Task | None = None
        # commit delay (see _gather): how many requests the last commit answered, how many the
        # next one waits for, and how long an fdatasync takes here (moving average, seconds)
        self._answered_last = 0
        self._want = 0
        self._enough: asyncio.Event | None = None
        self._sync_s = 0.0
        self._closed = False
        self._committer = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="journal-commit")
        self._lander = threading.Thread(target=self._land_loop, name="journal-lander", daemon=True)
        self._lander.start()

    # -- the write side (group commit) ---------------------------------------------------------
    async def store(self, kind: str, record_id: str | None, line: bytes) -> bool:
        """True once the line is durable in the journal; False for a duplicate (nothing stored).
        Called on the event loop."""
        if self._closed:
            raise RuntimeError("the journal is closed")
        answer = asyncio.get_running_loop().create_future()
        self._waiting.append((Submission(kind, record_id, line), answer))
        if self._enough is not None and len(self._waiting) >= self._want:
            self._enough.set()
        if self._committing is None:
            self._committing = asyncio.get_running_loop().create_task(self._commit_waiting())
        return await answer

    async def _gather(self) -> None:
        """Commit delay, as databases have it (PostgreSQL's commit_delay): the clients the last
        commit answered are likely to send again at once, so when fewer requests wait than that
        commit answered plus those waiting, wait for them a little (at most half an fdatasync,
        and never more than MAX_GATHER_S) so that they share this commit instead of the next.
        Without it, clients that each wait for their answer split into two alternating halves
        that each pay an fdatasync; a lone client never waits (it expects only itself)."""
        want = self._answered_last + len(self._waiting)
        wait_s = min(self._sync_s / 2, MAX_GATHER_S)
        if len(self._waiting) >= want or wait_s <= 0:
            return
        self._want, self._enough = want, asyncio.Event()
        try:
            await asyncio.wait_for(self._enough.wait(), wait_s)
        except asyncio.TimeoutError:
            pass
        finally:
            self._enough = None

    async def _commit_waiting(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self._waiting:
                await self._gather()
                group, self._waiting = self._waiting, []
                self._answered_last = len(group)
                try:
                    stored = await loop.run_in_executor(self._committer, self._commit, [item for item, _ in group])
                except BaseException as err:  # answer every waiting request, never leave one hanging
                    for _, answer in group:
                        if not answer.done():
                            answer.set_exception(err)
                    if isinstance(err, asyncio.CancelledError):
                        raise
                    continue
                for (_, answer), result in zip(group, stored):
                    if not answer.done():  # a client that went away cancelled its own
                        answer.set_result(result)
        finally:
            self._committing = None

    def _commit(self, group: list[Submission]) -> list[bool]:
        """Append the group's new lines and fdatasync once; which of them were stored."""
        digests = [digest(item.line) for item in group]
        records = [(item.kind, item.record_id) for item in group if item.record_id is not None]
        landed_records, landed_digests = self._already_landed(records, [d for d, i in zip(digests, group) if i.record_id is None])
        stored: list[bool] = []
        fresh: list[tuple[Submission, bytes]] = []
        with self._lock:
            seen_records, seen_digests = set(), set()
            for item, d in zip(group, digests):
                if item.record_id is not None:
                    key = (item.kind, item.record_id)
                    duplicate = key in landed_records or key in self._pending_records or key in seen_records
                    seen_records.add(key)
                else:
                    duplicate = d in landed_digests or d in self._pending_digests or d in seen_digests
                    seen_digests.add(d)
                stored.append(not duplicate)
                if not duplicate:
                    fresh.append((item, d))
            if fresh:
                payload = b"".join(item.line + b"\n" for item, _ in fresh)
                view = memoryview(payload)
                while view:
                    view = view[os.write(self._fd, view):]
                started = time.perf_counter()
                os.fdatasync(self._fd)
                took = time.perf_counter() - started
                self._sync_s = took if not self._sync_s else 0.8 * self._sync_s + 0.2 * took
                self._written += len(payload)
                for item, d in fresh:
                    if item.record_id is not None:
                        self._pending_records.add((item.kind, item.record_id))
                    else:
                        self._pending_digests.add(d)
        return stored

    def _already_landed(self, records: list[tuple[str, str]], digests: list[bytes]) -> tuple[set, set]:
        """Which records / line digests the landing index (capture/landing.py: tables `records`
        and `lines`) already holds, one query each per group. One read-only connection for the
        server's life: opening one per group would cost more than the group's fsync."""
        if self._index is None:
            path = self.landing.root / INDEX_FILE
            self._index = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=60, check_same_thread=False)
        con = self._index
        found: set = set()
        known: set = set()
        # fetchall: a statement left open would hold its shared lock and stall the lander's commit
        by_kind: dict[str, set[str]] = {}
        for kind, record_id in records:
            by_kind.setdefault(kind, set()).add(record_id)
        for kind, ids in by_kind.items():  # (kind, record_id) is the index's key
            for chunk in _chunks(sorted(ids)):
                sql = f"SELECT record_id FROM records WHERE kind = ? AND record_id IN ({','.join('?' * len(chunk))})"
                found.update((kind, row[0]) for row in con.execute(sql, [kind, *chunk]).fetchall())
        for chunk in _chunks(sorted(set(digests))):
            sql = f"SELECT digest FROM lines WHERE digest IN ({','.join('?' * len(chunk))})"
            known.update(row[0] for row in con.execute(sql, chunk).fetchall())
        return found, known

    # -- the landing side ----------------------------------------------------------------------
    def _land_loop(self) -> None:
        while not self._stop.wait(self.land_every_s):
            self.land_now()

    def land_now(self) -> int:
        """Land what is journaled and not landed yet; empty the journal when it is all landed."""
        with self._lock:
            start, end = self._landed, self._written
            pending_records, pending_digests = set(self._pending_records), set(self._pending_digests)
        if end == start:
            return 0
        data = os.pread(self._fd, end - start, start)
        lines = [line for line in data.split(b"\n") if line]
        try:
            self.landing.land(enumerate(lines, 1), SOURCE, dt.datetime.now(dt.timezone.utc))
        except Exception as err:  # kept journaled: retried on the next turn and on restart
            self.landing_error = f"{type(err).__name__}: {err}"
            return 0
        self.landing_error = None
        with self._lock:
            self._landed = end
            self._pending_records -= pending_records
            self._pending_digests -= pending_digests
            if self._landed == self._written and self._written > EMPTY_ABOVE_BYTES:
                os.ftruncate(self._fd, 0)
                os.fsync(self._fd)
                self._landed = self._written = 0
        return len(lines)

    def close(self) -> None:
        """Stop taking writes, land everything, delete the journal. Called once the server
        has stopped serving (no request is waiting for a commit any more)."""
        self._closed = True
        self._committer.shutdown(wait=True)
        self._stop.set()
        self._lander.join()
        self.land_now()
        with self._lock:
            if self._landed == self._written:
                self.path.unlink(missing_ok=True)
            os.close(self._fd)
        if self._index is not None:
            self._index.close()
