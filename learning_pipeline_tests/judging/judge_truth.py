"""Judges against the simulator's hidden truth and against the builder's own numbers.

Shared by `test_judges_add_information.py` and `bench/bench_judges_vs_reported.py`: for each
heuristic judge, its Spearman with the hidden truth, the Spearman of each single
builder-reported field the judge can see (a field is a judge too: the one that trusts the
builder), and the judge's Spearman with every reported field removed (rules only)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path
from statistics import mean
from typing import Callable

import numpy as np
import polars as pl

from learning_pipeline.capture.redaction import redact_obj
from learning_pipeline.judging.heuristics import HeuristicJudge
from learning_pipeline.judging.items import build_items, code_version_items, design_items
from learning_pipeline.judging.verdicts import JudgeItem
from learning_pipeline.simulation import simulate

END_DATE = dt.date(2026, 3, 31)
# Seeds the heuristic rules were tuned on; tests and the bench report on others.
TUNING_SEEDS = (1, 2, 3)
REPORT_SEEDS = (7, 11, 23)


@dataclasses.dataclass
class Simulated:
    truth: dict
    artifacts: pl.DataFrame
    designs: pl.DataFrame
    decisions: pl.DataFrame
    first_attempt_success: dict[str, bool]


def _json_text(value):
    return None if value is None else json.dumps(value)


def simulate_tables(out: Path, seed: int, builds: int) -> Simulated:
    """Simulated traces, redacted as capture does, shaped like the lake tables."""
    summary = simulate(builds, seed=seed, days=30, out=out, end_date=END_DATE, bad_line_rate=0.0, secret_rate=0.05)
    records: dict[str, list[dict]] = {"code_artifact": [], "design_choice": [], "decision": [], "build_summary": []}
    for line in out.read_text().splitlines():
        envelope = json.loads(line)
        if envelope["kind"] in records:
            data, _ = redact_obj(envelope["data"])
            records[envelope["kind"]].append(data)
    artifacts = pl.DataFrame([
        {"artifact_id": d["artifactId"], "build_id": d.get("buildId"), "file_path": d.get("filePath"),
         "versions": _json_text(d.get("versions")), "quality_trajectory": _json_text(d.get("qualityTrajectory")),
         "patterns_used": _json_text(d.get("patternsUsed"))}
        for d in records["code_artifact"]
    ])
    designs = pl.DataFrame([
        {"choice_id": d["choiceId"], "build_id": d.get("buildId"), "app_soul": d.get("appSoul"),
         "typography": _json_text(d.get("typography")), "color_system": _json_text(d.get("colorSystem")),
         "motion_language": _json_text(d.get("motionLanguage")), "layout_decisions": _json_text(d.get("layoutDecisions")),
         "visual_scores": _json_text(d.get("visualScores")), "screenshots": _json_text(d.get("screenshots"))}
        for d in records["design_choice"]
    ])
    decisions = pl.DataFrame([
        {"build_id": d.get("buildId"), "phase": d["phase"], "decision_type": d["decisionType"],
         "context": _json_text(d["context"]), "decision": _json_text(d["decision"]), "created_at": d["createdAt"]}
        for d in records["decision"]
    ])
    success = {d["buildId"]: d["firstAttemptSuccess"] for d in records["build_summary"]}
    return Simulated(json.loads(summary.truth_path.read_text()), artifacts, designs, decisions, success)


def spearman(x, y) -> float:
    rx = pl.Series([float(v) for v in x]).rank("average").to_numpy()
    ry = pl.Series([float(v) for v in y]).rank("average").to_numpy()
    if rx.std() == 0 or ry.std() == 0:
        return 0.0
    return float(np.corrcoef(rx, ry)[0, 1])


def _num(value):
    if isinstance(value, bool):
        return float(value)
    return float(value) if isinstance(value, (int, float)) else None


def _get(content: dict, block: str, key: str):
    value = content.get(block)
    return _num(value.get(key)) if isinstance(value, dict) else None


def _mean_of(values):
    values = [v for v in values if v is not None]
    return mean(values) if values else None


# Every builder-reported field a judge sees, oriented so that higher means better.
_DESIGN_FIELDS: dict[str, Callable[[dict], float | None]] = {
    **{f"visualScores.{k}": (lambda c, k=k: _get(c, "visualScores", k))
       for k in ("overall", "depthScore", "motionScore", "typographyScore", "soulMatchScore")},
    "colorSystem.soulAppropriatenessScore": lambda c: _get(c, "colorSystem", "soulAppropriatenessScore"),
    "motionLanguage.matchesSoul": lambda c: _get(c, "motionLanguage", "matchesSoul"),
    "typography.antiSlopCompliant": lambda c: _get(c, "typography", "antiSlopCompliant"),
}
REPORTED_FIELDS: dict[str, dict[str, Callable[[dict], float | None]]] = {
    "code_quality": {
        "codeQualityScore": lambda c: _get(c, "quality", "codeQualityScore"),
        "-errorCount": lambda c: None if _get(c, "quality", "errorCount") is None else -_get(c, "quality", "errorCount"),
        "visualQualityScore": lambda c: _get(c, "quality", "visualQualityScore"),
        "antiSlopScore": lambda c: _get(c, "quality", "antiSlopScore"),
    },
    "design_quality": _DESIGN_FIELDS,
    "anti_slop": _DESIGN_FIELDS,
    "success_predictor": {
        "mean decision confidence": lambda c: _mean_of(_num(d.get("confidence")) for d in c.get("decisions") or []),
        "mean first codeQualityScore": lambda c: _mean_of(_num(p.get("codeQualityScore"))
                                                          for p in c.get("firstQualityPoints") or []),
        "-mean first errorCount": lambda c: (lambda m: None if m is None else -m)(
            _mean_of(_num(p.get("errorCount")) for p in c.get("firstQualityPoints") or [])),
    },
}


def without_reported(item: JudgeItem) -> JudgeItem:
    """The item with every builder-reported number and flag removed (what the rules alone see)."""
    content = json.loads(json.dumps(item.content))
    if item.judge_type == "code_quality" or item.item_kind == "code_version":
        content["quality"] = None
    elif item.item_kind == "design_choice":
        content["visualScores"] = None
        for block, key in (("colorSystem", "soulAppropriatenessScore"), ("motionLanguage", "matchesSoul"),
                           ("typography", "antiSlopCompliant")):
            if isinstance(content.get(block), dict):
                content[block].pop(key, None)
    elif item.judge_type == "success_predictor":
        for d in content.get("decisions") or []:
            d["confidence"] = None
        content["firstQualityPoints"] = [{"filePath": p.get("filePath")} for p in content.get("firstQualityPoints") or []]
    return dataclasses.replace(item, content=content)


def truth_of(sim: Simulated, judge_type: str) -> dict[str, float]:
    if judge_type == "code_quality":
        return {f"{v['artifactId']}@v{v['version']}": v["quality"] for v in sim.truth["code_versions"]}
    if judge_type == "design_quality":
        return {d["choiceId"]: d["true_scores"]["overall"] for d in sim.truth["design_choices"]}
    if judge_type == "anti_slop":
        return {d["choiceId"]: d["anti_slop_score"] for d in sim.truth["design_choices"]}
    return {b["buildId"]: b["success_probability"] for b in sim.truth["builds"]}


def items_of(sim: Simulated) -> dict[str, list[JudgeItem]]:
    items = code_version_items(sim.artifacts) + design_items(sim.designs) + build_items(sim.decisions, sim.artifacts)
    by_type: dict[str, list[JudgeItem]] = {}
    for item in items:
        if item.judge_type == "anti_slop" and item.item_kind != "design_choice":
            continue  # the hidden anti-slop score belongs to designs
        by_type.setdefault(item.judge_type, []).append(item)
    return by_type


def compare(sim: Simulated, judge: HeuristicJudge | None = None) -> dict[str, dict]:
    """Per judge type: judge and rules-only Spearman, and per reported field its Spearman next
    to the judge's on the same items (those where the field is present)."""
    judge = judge or HeuristicJudge()
    report: dict[str, dict] = {}
    for judge_type, items in items_of(sim).items():
        truth = truth_of(sim, judge_type)
        items = [i for i in items if i.item_id in truth]
        scores = [j.verdict.overall for j in judge.judge_many(items)]
        rules = [j.verdict.overall for j in judge.judge_many([without_reported(i) for i in items])]
        y = [truth[i.item_id] for i in items]
        fields = {}
        for name, read in REPORTED_FIELDS[judge_type].items():
            present = [(k, v) for k, v in enumerate(read(i.content) for i in items) if v is not None]
            if len(present) < 20:
                continue
            idx = [k for k, _ in present]
            fields[name] = {"field": spearman([v for _, v in present], [y[k] for k in idx]),
                            "judge": spearman([scores[k] for k in idx], [y[k] for k in idx]), "n": len(idx)}
        best = max(fields, key=lambda f: fields[f]["field"])
        report[judge_type] = {"n": len(items), "judge": spearman(scores, y), "rules_only": spearman(rules, y),
                              "best_field": best, "fields": fields,
                              "margin": min(f["judge"] - f["field"] for f in fields.values())}
    return report
