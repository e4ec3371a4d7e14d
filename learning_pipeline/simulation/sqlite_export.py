"""The builder's own SQLite form of the traces (what `ingest` reads from a client database)."""

from __future__ import annotations

import re
import sqlite3
import uuid
from pathlib import Path
from typing import Any, Iterable

from learning_pipeline.simulation.vocabulary import DECISION_TYPES, MAX_TEXT_CHARS, PHASES
from learning_pipeline.simulation.wire_values import dumps


BUILDER_SCHEMA = {
    "learning_decision_traces": ("trace_id", [
        "id", "trace_id", "build_id", "project_id", "user_id", "phase", "decision_type", "context", "decision",
        "outcome", "created_at", "outcome_recorded_at"]),
    "learning_code_artifacts": ("artifact_id", [
        "id", "artifact_id", "build_id", "project_id", "user_id", "file_path", "versions", "quality_trajectory",
        "patterns_used", "created_at", "updated_at"]),
    "learning_design_choices": ("choice_id", [
        "id", "choice_id", "build_id", "project_id", "user_id", "app_soul", "typography", "color_system",
        "motion_language", "layout_decisions", "visual_scores", "screenshots", "created_at"]),
    "learning_error_recoveries": ("error_id", [
        "id", "error_id", "build_id", "project_id", "user_id", "error", "recovery_journey", "successful_fix",
        "created_at", "resolved_at"]),
}
_KIND_TABLES = {
    "decision": "learning_decision_traces",
    "code_artifact": "learning_code_artifacts",
    "design_choice": "learning_design_choices",
    "error_recovery": "learning_error_recoveries",
}
_DATE_COLUMNS = ("created_at", "updated_at", "outcome_recorded_at", "resolved_at")
_JSON_COLUMNS = ("context", "decision", "outcome", "versions", "quality_trajectory", "patterns_used", "typography",
                 "color_system", "motion_language", "layout_decisions", "visual_scores", "screenshots", "error",
                 "recovery_journey", "successful_fix")
_SQLITE_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})")


def _sqlite_date(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    match = _SQLITE_DATE.match(value)
    return f"{match.group(1)} {match.group(2)}" if match else None


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def _row_ok(kind: str, data: Any) -> bool:
    """Just enough checking to keep obviously bad records out of the client's tables."""
    if not isinstance(data, dict) or not isinstance(data.get("userId"), str):
        return False
    id_key = BUILDER_SCHEMA[_KIND_TABLES[kind]][0]
    if not isinstance(data.get(_camel(id_key)), str) or not isinstance(data.get("createdAt"), str):
        return False
    if kind == "decision":
        context, decision = data.get("context"), data.get("decision")
        return (data.get("phase") in PHASES and data.get("decisionType") in DECISION_TYPES
                and isinstance(context, dict) and type(context.get("previousAttempts")) is int
                and isinstance(decision, dict) and isinstance(decision.get("rejectedOptions"), list)
                and type(decision.get("confidence")) in (int, float))
    if kind == "code_artifact":
        versions = data.get("versions")
        return isinstance(versions, list) and all(
            isinstance(v, dict) and isinstance(v.get("code"), str) and len(v["code"]) <= MAX_TEXT_CHARS
            for v in versions)
    return True


def write_builder_sqlite(envelopes: Iterable[dict], path: Path | str) -> int:
    """Store the four trace kinds the way the builder keeps them (tables ``learning_*``,
    snake_case columns, JSON text with camelCase keys, dates as ``YYYY-MM-DD HH:MM:SS``);
    ``decision_outcome`` events are merged into their decision's ``outcome``. Returns the
    number of rows written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(path)
    rows = 0
    try:
        for table, (key, columns) in BUILDER_SCHEMA.items():
            cols = ", ".join(
                "id TEXT PRIMARY KEY" if c == "id" else f"{c} TEXT NOT NULL UNIQUE" if c == key else f"{c} TEXT"
                for c in columns)
            con.execute(f"CREATE TABLE IF NOT EXISTS {table} ({cols})")
        pending_outcomes: dict[str, tuple[Any, Any]] = {}
        for envelope in envelopes:
            if not isinstance(envelope, dict):
                continue
            kind, data = envelope.get("kind"), envelope.get("data")
            if kind == "decision_outcome":
                if isinstance(data, dict) and isinstance(data.get("traceId"), str) and isinstance(data.get("outcome"), dict):
                    outcome = dumps(data["outcome"])
                    recorded = _sqlite_date(data.get("outcomeRecordedAt"))
                    updated = con.execute(
                        "UPDATE learning_decision_traces SET outcome = ?, outcome_recorded_at = ? WHERE trace_id = ?",
                        (outcome, recorded, data["traceId"])).rowcount
                    if not updated:
                        pending_outcomes[data["traceId"]] = (outcome, recorded)
                continue
            if kind not in _KIND_TABLES or not _row_ok(kind, data):
                continue
            table = _KIND_TABLES[kind]
            key, columns = BUILDER_SCHEMA[table]
            values = []
            for column in columns:
                if column == "id":
                    values.append(str(uuid.uuid5(uuid.NAMESPACE_URL, f"{table}/{data[_camel(key)]}")))
                    continue
                value = data.get(_camel(column))
                if column in _DATE_COLUMNS:
                    value = _sqlite_date(value)
                elif column in _JSON_COLUMNS:
                    value = None if value is None else dumps(value)
                values.append(value)
            if kind == "decision" and data["traceId"] in pending_outcomes:
                outcome, recorded = pending_outcomes.pop(data["traceId"])
                values[columns.index("outcome")] = outcome
                values[columns.index("outcome_recorded_at")] = recorded
            placeholders = ", ".join("?" for _ in columns)
            con.execute(f"INSERT OR REPLACE INTO {table} ({', '.join(columns)}) VALUES ({placeholders})", values)
            rows += 1
        con.commit()
    finally:
        con.close()
    return rows
