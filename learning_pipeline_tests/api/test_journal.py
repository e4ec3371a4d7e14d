"""The journal's group commit, in process: concurrent requests share one fdatasync, duplicates
are answered without being stored, and everything journaled lands."""

from __future__ import annotations

import asyncio
import json
import os

from learning_pipeline.api import journal as journal_module
from learning_pipeline.api.journal import TraceJournal
from learning_pipeline.capture.landing import LandingZone


def line(trace_id: str) -> bytes:
    data = {"traceId": trace_id, "userId": "u", "buildId": "b", "phase": "build", "decisionType": "api_design",
            "context": {"previousAttempts": 0}, "decision": {"chosenOption": "a", "rejectedOptions": ["b"], "reasoning": "r", "confidence": 0.5},
            "createdAt": "2026-11-30T10:00:00Z"}
    return json.dumps({"kind": "decision", "data": data}).encode()


def test_concurrent_stores_share_fdatasyncs_and_duplicates_store_nothing(tmp_path, monkeypatch):
    syncs = []
    real = os.fdatasync
    monkeypatch.setattr(journal_module.os, "fdatasync", lambda fd: (syncs.append(fd), real(fd))[1])
    landing = LandingZone(tmp_path / "landing")
    journal = TraceJournal(landing, land_every_s=3600)

    async def post_all():
        ids = [f"t-{i}" for i in range(40)] + ["t-1", "t-2"]  # two duplicates of the same burst
        return await asyncio.gather(*(journal.store("decision", i, line(i)) for i in ids))

    try:
        answers = asyncio.run(post_all())
        assert answers == [True] * 40 + [False, False]
        # 40 requests at once: the first commits alone, the rest wait for it and share the next
        assert 1 <= len(syncs) <= 3
        on_disk = journal.path.read_bytes().splitlines()
        assert len(on_disk) == 40 and b'"t-1"' in on_disk[1]
        # a record already in the journal (not landed yet) is a duplicate too
        assert asyncio.run(journal.store("decision", "t-3", line("t-3"))) is False
        assert journal.land_now() == 40
        # and so is one that has landed
        assert asyncio.run(journal.store("decision", "t-4", line("t-4"))) is False
    finally:
        journal.close()
    assert landing.has_record("decision", "t-39")
    assert not journal.path.exists()


def test_an_event_without_an_id_is_a_duplicate_by_content(tmp_path):
    landing = LandingZone(tmp_path / "landing")
    journal = TraceJournal(landing, land_every_s=3600)
    usage = json.dumps({"kind": "pattern_usage", "data": {"patternId": "p", "buildId": "b", "success": True}}).encode()
    try:
        first, again = asyncio.run(_twice(journal, usage))
        assert (first, again) == (True, False)
    finally:
        journal.close()


async def _twice(journal: TraceJournal, data: bytes):
    return await asyncio.gather(journal.store("pattern_usage", None, data), journal.store("pattern_usage", None, data))
