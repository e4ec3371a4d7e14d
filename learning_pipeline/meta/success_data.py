"""The success predictor's training data from the lake: each build's traces back in the wire
format (only the fields the early signals read), labelled by its build summary."""

from __future__ import annotations

import json
from collections import defaultdict

import polars as pl

from learning_pipeline.capture.processing import read_traces
from learning_pipeline.config import MetaConfig
from learning_pipeline.lake import Lake
from learning_pipeline.meta.success import LabelledBuild
from learning_pipeline.meta.success_signals import early_view, parse_time

# lake table kind -> (wire kind, nested JSON columns -> wire names, plain columns -> wire names)
_KINDS = {
    "decision": ({"context": "context", "decision": "decision"}, {"phase": "phase", "decision_type": "decisionType"}),
    "error_recovery": ({"error": "error"}, {}),
    "code_artifact": ({"quality_trajectory": "qualityTrajectory"}, {}),
}


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def wire_records_by_build(lake: Lake, build_ids: set[str] | None = None) -> dict[str, list[dict]]:
    """Every build's decision, error and code-artifact traces as wire records. Outcome columns are
    not even carried over: the early signals must not be able to see them."""
    by_build: dict[str, list[dict]] = defaultdict(list)
    for kind, (nested, plain) in _KINDS.items():
        frame = read_traces(lake, kind)
        if not frame.height:
            continue
        if build_ids is not None:
            frame = frame.filter(pl.col("build_id").is_in(list(build_ids)))
        columns = ["build_id", "created_at", *nested, *plain]
        for row in frame.select(columns).iter_rows(named=True):
            if not row["build_id"]:
                continue
            data = {"buildId": row["build_id"], "createdAt": _iso(row["created_at"])}
            data.update({wire: row[col] for col, wire in plain.items()})
            for col, wire in nested.items():
                data[wire] = json.loads(row[col]) if row[col] else None
            by_build[row["build_id"]].append({"kind": kind, "data": data})
    return by_build


def build_outcomes(lake: Lake) -> pl.DataFrame:
    """One label per build (the latest summary wins), with when it landed."""
    summaries = read_traces(lake, "build_summary")
    if not summaries.height:
        return pl.DataFrame(schema={"build_id": pl.String, "first_attempt_success": pl.Boolean, "received_at": pl.Datetime("us", "UTC")})
    return (summaries.filter(pl.col("first_attempt_success").is_not_null())
            .sort("received_at").unique("build_id", keep="last")
            .select("build_id", "first_attempt_success", "received_at"))


def labelled_builds(lake: Lake, config: MetaConfig, only: set[str] | None = None) -> list[LabelledBuild]:
    outcomes = build_outcomes(lake)
    if only is not None:
        outcomes = outcomes.filter(pl.col("build_id").is_in(list(only)))
    labels = dict(outcomes.select("build_id", "first_attempt_success").iter_rows())
    records = wire_records_by_build(lake, set(labels))
    builds = []
    for build_id, success in labels.items():
        traces = records.get(build_id)
        if not traces:
            continue  # a summary without traces has no early signals to learn from
        view = early_view(traces, config.early_phases)
        started = min(r["data"]["createdAt"] for r in traces if r["data"]["createdAt"])
        builds.append(LabelledBuild(build_id, parse_time(started), view, bool(success)))
    return builds


def labelled_from_records(records, config: MetaConfig) -> list[LabelledBuild]:
    """Labelled builds straight from wire records (a trace file): each build's traces, labelled by
    its build summary. The same early signals as from the lake, without a lake."""
    by_build: dict[str, list[dict]] = defaultdict(list)
    labels: dict[str, bool] = {}
    for record in records:
        data = record.get("data") or {}
        build_id = data.get("buildId")
        if not build_id:
            continue
        if record.get("kind") == "build_summary":
            if data.get("firstAttemptSuccess") is not None:
                labels[build_id] = bool(data["firstAttemptSuccess"])
        else:
            by_build[build_id].append(record)
    builds = []
    for build_id, success in labels.items():
        traces = by_build.get(build_id)
        started = [parse_time(r["data"].get("createdAt")) for r in traces or []]
        started = [t for t in started if t is not None]
        if started:
            builds.append(LabelledBuild(build_id, min(started), early_view(traces, config.early_phases), success))
    return builds
