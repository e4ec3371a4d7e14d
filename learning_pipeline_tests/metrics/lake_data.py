"""Lakes for the metrics tests, filled through the real capture path (landing zone -> lake)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import polars as pl

from learning_pipeline.capture.ingest import ingest_path
from learning_pipeline.capture.landing import LandingZone
from learning_pipeline.capture.processing import process_partition
from learning_pipeline.config import LearningSettings
from learning_pipeline.lake import Lake

START = dt.date(2025, 6, 1)
WEEKS = (dt.date(2026, 3, 2), dt.date(2026, 3, 9), dt.date(2026, 3, 16))  # Mondays


def capture(home: Path, trace_file: Path) -> LearningSettings:
    """Land a trace file and process every landed day into the lake, as the capture asset does."""
    settings = LearningSettings(home=home, partition_start=START)
    zone = LandingZone(settings.landing_dir)
    ingest_path(trace_file, zone)
    lake = Lake(settings.lake_dir)
    for day in zone.partitions():
        process_partition(zone.files_for(day, START.isoformat()), day, START, lake)
    return settings


def _line(kind: str, data: dict) -> str:
    return json.dumps({"kind": kind, "data": data})


def _at(day: dt.date, hour: int = 10) -> str:
    return f"{day.isoformat()}T{hour:02d}:00:00.000Z"


def known_builds(path: Path, plan: dict[dt.date, dict]) -> Path:
    """Build summaries and error traces with known figures per week. `plan[week]`: successes,
    builds, errors (a list per build of attempts per error), anti_slop, satisfaction, minutes."""
    lines = []
    for week, p in plan.items():
        for i in range(p["builds"]):
            day = week + dt.timedelta(days=i % 5)
            build = f"bld_{week:%m%d}_{i:03d}"
            lines.append(_line("build_summary", {
                "buildId": build, "firstAttemptSuccess": i < p["successes"], "errorFixAttempts": sum(p["errors"][i]) if i < len(p["errors"]) else 0,
                "buildTimeMs": int(p["minutes"][i % len(p["minutes"])] * 60_000),
                "userSatisfaction": p["satisfaction"][i % len(p["satisfaction"])], "antiSlopScore": p["anti_slop"][i % len(p["anti_slop"])],
                "createdAt": _at(day, 18)}))
            for j, attempts in enumerate(p["errors"][i] if i < len(p["errors"]) else []):
                lines.append(_line("error_recovery", {
                    "errorId": f"err_{build}_{j}", "userId": "usr_1", "buildId": build,
                    "error": {"type": "TypeError", "message": "x is undefined"},
                    "recoveryJourney": [{"attempt": a + 1, "level": 1, "modelUsed": "m", "fixApplied": "f",
                                         "result": "fixed" if a == attempts - 1 else "failed", "timeTakenMs": 1000} for a in range(attempts)],
                    "createdAt": _at(day, 12)}))
    path.write_text("\n".join(lines) + "\n")
    return path


def write_patterns(settings: LearningSettings, first_seen: list[tuple[str, dt.date]]) -> None:
    """A small pattern library (the columns the metrics read; the meta layer writes the rest)."""
    frame = pl.DataFrame({
        "pattern_id": [f"pat_{i}" for i in range(len(first_seen))],
        "category": [c for c, _ in first_seen],
        "first_seen": [dt.datetime.combine(d, dt.time(9), tzinfo=dt.timezone.utc) for _, d in first_seen],
    }, schema={"pattern_id": pl.String, "category": pl.String, "first_seen": pl.Datetime("us", "UTC")})
    Lake(settings.lake_dir).write("pattern_library", frame)


def write_judgments_and_pairs(settings: LearningSettings, days: list[dt.date], per_day: int = 4, cost: float = 0.002) -> None:
    """A few judgments per day (LLM-priced) and a pair per two judgments, in the layers' own schemas."""
    from learning_pipeline.judging.judgments import JUDGMENTS_TABLE
    from learning_pipeline.judging.ledger import JUDGMENT_SCHEMA
    from learning_pipeline.preferences.assets import PAIRS_TABLE
    from learning_pipeline.preferences.pairs import PAIR_TABLE_SCHEMA

    lake = Lake(settings.lake_dir)
    pairs = []
    for day in days:
        rows = [{c: None for c in JUDGMENT_SCHEMA} | {
            "content_hash": f"h{day:%m%d}{i}", "judge_version": "v1", "judge_type": "code", "item_id": f"art_{day:%m%d}_{i}",
            "status": "ok", "overall": 70.0 + i, "cost_usd": cost, "judged_at": dt.datetime(2026, 3, 23, tzinfo=dt.timezone.utc)}
            for i in range(per_day)]
        lake.write(JUDGMENTS_TABLE, pl.DataFrame(rows, schema=JUDGMENT_SCHEMA), day.isoformat())
        pairs += [{c: None for c in PAIR_TABLE_SCHEMA} | {
            "pair_id": f"pair_{day:%m%d}_{i}", "domain": "code", "split": "train",
            "created_at": dt.datetime.combine(day, dt.time(11), tzinfo=dt.timezone.utc)} for i in range(per_day // 2)]
    lake.write(PAIRS_TABLE, pl.DataFrame(pairs, schema=PAIR_TABLE_SCHEMA))
