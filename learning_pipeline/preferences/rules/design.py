"""Design pairs: choices for the same app soul with different judged scores.

Within one app soul and one side of the split, the best-judged half is paired against the
worst-judged half, strongest contrasts first: the k-th best over the k-th worst and over the
(k+1)-th worst. The pairing is ours to make, so it is made within
a side: a choice whose build and text sit on different sides (its text was first seen in a
build of the other side) is left out and counted, and every pair made is on one side whole.
"""

from __future__ import annotations

import json
from typing import Iterator

import polars as pl

from learning_pipeline.preferences.pairs import PairBatch
from learning_pipeline.preferences.rules._rows import json_of, seen
from learning_pipeline.preferences.split import Sighting

DOMAIN = "design"


def design_text(row: dict) -> str:
    typography = json_of(row["typography"], {}) or {}
    colors = json_of(row["color_system"], {}) or {}
    motion = json_of(row["motion_language"], {}) or {}
    layout = json_of(row["layout_decisions"], {}) or {}
    return "\n".join(
        [
            f"Fonts: {', '.join(typography.get('fontsChosen') or []) or 'none'}",
            f"Palette: {json.dumps(colors.get('paletteChosen') or {}, sort_keys=True)}",
            f"Motion: {', '.join(a.get('name', '') for a in motion.get('animationsUsed') or []) or 'none'}",
            f"Layout: {layout.get('gridSystem') or 'unspecified'}; asymmetry: {bool(layout.get('asymmetryUsed'))}",
        ]
    )


def sightings(designs: pl.DataFrame) -> Iterator[Sighting]:
    for row in designs.iter_rows(named=True):
        yield Sighting(DOMAIN, design_text(row), row["build_id"], seen(row))


def pairs(designs: pl.DataFrame, judgments: pl.DataFrame, batch: PairBatch) -> None:
    judged = {r["item_id"]: r for r in judgments.filter(pl.col("judge_type") == "design_quality").iter_rows(named=True)}
    groups: dict[tuple, list[tuple[dict, dict, str]]] = {}
    for row in designs.filter(pl.col("app_soul").is_not_null()).iter_rows(named=True):
        j = judged.get(row["choice_id"])
        if j is None or j["status"] != "ok":
            batch.dropped["design_not_judged"] += 1
            continue
        if j["confidence"] < batch.rules.min_judgment_confidence:
            batch.dropped["judgment_confidence_below_minimum"] += 1
            continue
        text = design_text(row)
        side = batch.split.side(DOMAIN, row["build_id"], (text,))
        if side is None:
            batch.straddles(DOMAIN)
            continue
        groups.setdefault((row["app_soul"], side), []).append((row, j, text))
    for (soul, side), members in sorted(groups.items()):
        members.sort(key=lambda m: (-m[1]["overall"], m[0]["choice_id"]))
        half = len(members) // 2
        best, worst = members[:half], members[len(members) - half:][::-1]
        # The k-th best over the k-th worst, and over the next weaker one after it: each choice
        # takes part in at most two pairs per side, so no single design dominates the domain.
        matches = [(best[k], worst[k]) for k in range(half)] + [(best[k], worst[k + 1]) for k in range(half - 1)]
        for (good, gj, good_text), (bad, bj, bad_text) in matches:
            batch.offer(
                domain=DOMAIN, side=side, prompt=f"Design the visual system for an app whose soul is {soul.replace('_', ' ')}.",
                chosen=good_text, rejected=bad_text,
                reasoning=f"judged {gj['overall']:.0f} vs {bj['overall']:.0f} for {soul}: {gj['reasoning'] or ''}"[:2000],
                margin=gj["overall"] - bj["overall"], sources=[good["choice_id"], bad["choice_id"]],
                judgments=[f"{gj['content_hash']}:{gj['judge_version']}", f"{bj['content_hash']}:{bj['judge_version']}"],
                judge_version=gj["judge_version"], build_id=good["build_id"], created_at=max(good["created_at"], bad["created_at"]))
