"""What gets judged: JudgeItems built from the capture tables of one day.

Content passed to a judge is the (already redacted) trace data in the wire's camelCase, so a
heuristic rule and an LLM prompt see the same thing, and the content hash that keys the
judgment ledger changes exactly when what a judge would see changes.
"""

from __future__ import annotations

import json
from pathlib import PurePosixPath

import polars as pl

from learning_pipeline.judging.verdicts import JudgeItem

UI_CODE_SUFFIXES = {".tsx", ".jsx", ".css", ".scss", ".html", ".vue", ".svelte"}
EARLY_PHASES = ("intent_lock", "initialization", "build")


def _json(value: str | None, default):
    return json.loads(value) if value else default


def code_version_items(artifacts: pl.DataFrame) -> list[JudgeItem]:
    """One code_quality item per version of every artifact; UI files' latest version also gets
    an anti_slop item."""
    items: list[JudgeItem] = []
    for row in artifacts.iter_rows(named=True):
        versions = _json(row["versions"], [])
        trajectory = _json(row["quality_trajectory"], [])
        patterns = _json(row["patterns_used"], [])
        for position, version in enumerate(versions):
            # The builder records one quality point per version, in order; a missing point is
            # simply absent signal, not a zero.
            quality = trajectory[position] if position < len(trajectory) else None
            content = {
                "filePath": row["file_path"],
                "version": version.get("version"),
                "trigger": version.get("trigger"),
                "code": version.get("code", ""),
                "quality": quality,
                "patternsUsed": patterns,
            }
            item_id = f"{row['artifact_id']}@v{version.get('version')}"
            items.append(JudgeItem(item_id, "code_version", "code_quality", content, build_id=row["build_id"]))
            is_latest = position == len(versions) - 1
            if is_latest and PurePosixPath(row["file_path"] or "").suffix in UI_CODE_SUFFIXES:
                items.append(JudgeItem(item_id, "code_version", "anti_slop", content, build_id=row["build_id"]))
    return items


def design_items(designs: pl.DataFrame) -> list[JudgeItem]:
    """design_quality (with screenshots as vision input) and anti_slop for every design choice."""
    items: list[JudgeItem] = []
    for row in designs.iter_rows(named=True):
        content = {
            "appSoul": row["app_soul"],
            "typography": _json(row["typography"], None),
            "colorSystem": _json(row["color_system"], None),
            "motionLanguage": _json(row["motion_language"], None),
            "layoutDecisions": _json(row["layout_decisions"], None),
            "visualScores": _json(row["visual_scores"], None),
        }
        images = tuple(_json(row["screenshots"], []) or ())
        for judge_type in ("design_quality", "anti_slop"):
            items.append(JudgeItem(row["choice_id"], "design_choice", judge_type, content, build_id=row["build_id"], images=images))
    return items


def build_items(decisions: pl.DataFrame, artifacts: pl.DataFrame) -> list[JudgeItem]:
    """One success_predictor item per build, from its early signals only: first-attempt decisions
    of the early phases, the errors they met, and the first quality point of each file."""
    early = decisions.filter(pl.col("phase").is_in(EARLY_PHASES) & pl.col("build_id").is_not_null())
    first_points: dict[str, list[dict]] = {}
    for row in artifacts.filter(pl.col("build_id").is_not_null()).iter_rows(named=True):
        trajectory = _json(row["quality_trajectory"], [])
        if trajectory:
            first_points.setdefault(row["build_id"], []).append(
                {"filePath": row["file_path"], **{k: trajectory[0].get(k) for k in ("errorCount", "codeQualityScore")}}
            )
    items: list[JudgeItem] = []
    for (build_id,), group in early.sort("created_at").group_by(["build_id"], maintain_order=True):
        signals = []
        for row in group.iter_rows(named=True):
            context, decision = _json(row["context"], {}), _json(row["decision"], {})
            signals.append(
                {
                    "phase": row["phase"],
                    "decisionType": row["decision_type"],
                    "confidence": decision.get("confidence"),
                    "previousAttempts": context.get("previousAttempts"),
                    "errorIfAny": context.get("errorIfAny"),
                    "intentSnippet": context.get("intentSnippet"),
                }
            )
        content = {
            "decisions": signals,
            "earlyErrors": sum(1 for s in signals if s["errorIfAny"]),
            "firstQualityPoints": sorted(first_points.get(build_id, []), key=lambda p: p["filePath"] or ""),
        }
        items.append(JudgeItem(build_id, "build", "success_predictor", content, build_id=build_id))
    return items
