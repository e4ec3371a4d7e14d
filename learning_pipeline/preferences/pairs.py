"""Preference-pair rules, one function per domain, over the capture and judgment tables.

Every rule only states a preference that was observed (an outcome, a judged quality gap, a
fix that worked after attempts that did not); none invents a winner. Each candidate pair goes
through the same gates (judgment confidence, minimum margin, near-identical sides), and every
drop is counted by reason so the UI shows why a pair is missing.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
from collections import Counter
from dataclasses import dataclass, field

import polars as pl

PAIR_SCHEMA: dict[str, pl.DataType] = {
    "pair_id": pl.String,
    "domain": pl.String,
    "prompt": pl.String,
    "chosen": pl.String,
    "rejected": pl.String,
    "judgment_reasoning": pl.String,
    "margin": pl.Float64,
    "source_ids": pl.String,  # JSON list of trace ids the pair comes from
    "judgment_ids": pl.String,  # JSON list of "content_hash:judge_version"
    "judge_version": pl.String,
    "build_id": pl.String,  # the build that decides the held-out split
    "created_at": pl.Datetime("us", "UTC"),
    "near_key": pl.String,  # same prompt + near-identical sides -> same key
}


@dataclass(frozen=True)
class PairRules:
    min_judgment_confidence: float = 0.7
    min_margin: float = 5.0
    near_identical_ratio: float = 0.97  # sides at least this similar are not a preference
    held_out_share: float = 0.10
    # An option preference must be observed this many times as often as its reverse to count.
    min_option_evidence_ratio: float = 2.0


@dataclass
class PairBatch:
    rows: list[dict] = field(default_factory=list)
    dropped: Counter = field(default_factory=Counter)

    def frame(self) -> pl.DataFrame:
        return pl.DataFrame(self.rows, schema=PAIR_SCHEMA)


_SPACE = re.compile(r"\s+")


def normalise(text: str) -> str:
    return _SPACE.sub(" ", text or "").strip().lower()


def nearly_identical(a: str, b: str, ratio: float) -> bool:
    a, b = normalise(a), normalise(b)
    if a == b:
        return True
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    # quick_ratio is an upper bound: most pairs are decided without the quadratic ratio().
    return matcher.quick_ratio() >= ratio and matcher.ratio() >= ratio


def _hash(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:24]


def _add(batch: PairBatch, rules: PairRules, *, domain, prompt, chosen, rejected, reasoning, margin,
         sources, judgments=(), judge_version=None, build_id, created_at) -> None:
    if not chosen or not rejected:
        batch.dropped["empty_side"] += 1
        return
    if margin < rules.min_margin:
        batch.dropped["margin_below_minimum"] += 1
        return
    if nearly_identical(chosen, rejected, rules.near_identical_ratio):
        batch.dropped["sides_near_identical"] += 1
        return
    batch.rows.append(
        {
            "pair_id": _hash(domain, prompt, chosen, rejected),
            "domain": domain,
            "prompt": prompt,
            "chosen": chosen,
            "rejected": rejected,
            "judgment_reasoning": reasoning,
            "margin": round(min(100.0, margin), 3),
            "source_ids": json.dumps(list(sources)),
            "judgment_ids": json.dumps(list(judgments)),
            "judge_version": judge_version,
            "build_id": build_id,
            "created_at": created_at,
            "near_key": _hash(domain, normalise(prompt), normalise(chosen), normalise(rejected)),
        }
    )


def _j(value, default):
    return json.loads(value) if value else default


# -- architecture: decisions with outcomes -------------------------------------------------------
def decision_prompt(decision_type: str, phase: str, context: dict) -> str:
    parts = [f"Build decision ({decision_type.replace('_', ' ')}, {phase} phase)."]
    if context.get("intentSnippet"):
        parts.append(f"Intent: {context['intentSnippet']}")
    if context.get("errorIfAny"):
        parts.append(f"Current error: {context['errorIfAny']}")
    parts.append("Which approach should the builder take?")
    return "\n".join(parts)


def architecture_pairs(decisions: pl.DataFrame, rules: PairRules, batch: PairBatch) -> None:
    """Success: the chosen option beats each rejected one. Failure/partial: only if a later
    decision of the same type in the same build succeeded with a different option.

    One outcome is a noisy witness (a poor option sometimes works out), and the same options
    recur across builds, so every observed preference is weighed against the others: a pair
    is kept only when its direction was observed clearly more often than the reverse."""
    rows = decisions.filter(pl.col("outcome").is_not_null()).sort("created_at").to_dicts()
    successes: dict[tuple, list[dict]] = {}
    for row in rows:
        if _j(row["outcome"], {}).get("immediateResult") == "success":
            successes.setdefault((row["build_id"], row["decision_type"]), []).append(row)
    observed: list[dict] = []
    for row in rows:
        outcome, context, decision = _j(row["outcome"], {}), _j(row["context"], {}), _j(row["decision"], {})
        prompt = decision_prompt(row["decision_type"], row["phase"], context)
        chosen_option = decision.get("chosenOption", "")
        result = outcome.get("immediateResult")
        if result == "success":
            # A clean success (no fixes, shipped) is a stronger preference than a fixed-up one.
            margin = 40 + (20 if outcome.get("finalInProduction") else 0) - 5 * min(4, outcome.get("requiredFixes") or 0)
            rejected_options = decision.get("rejectedOptions") or []
            if not rejected_options:
                batch.dropped["no_rejected_options"] += 1
            for rejected in rejected_options:
                observed.append(dict(
                    decision_type=row["decision_type"], prompt=prompt, chosen=chosen_option, rejected=rejected,
                    reasoning=f"'{chosen_option}' succeeded ({outcome.get('requiredFixes', 0)} fixes); "
                              f"'{rejected}' was considered and rejected.",
                    margin=margin, sources=[row["trace_id"]], build_id=row["build_id"], created_at=row["created_at"]))
            continue
        later = [s for s in successes.get((row["build_id"], row["decision_type"]), [])
                 if s["created_at"] > row["created_at"] and _j(s["decision"], {}).get("chosenOption") != chosen_option]
        if not later:
            batch.dropped["failed_without_observed_winner"] += 1
            continue
        winner = later[0]
        winner_option = _j(winner["decision"], {}).get("chosenOption", "")
        observed.append(dict(
            decision_type=row["decision_type"], prompt=prompt, chosen=winner_option, rejected=chosen_option,
            reasoning=f"'{chosen_option}' ended in {result}; a later decision in the same build chose "
                      f"'{winner_option}' and succeeded.",
            margin=50, sources=[row["trace_id"], winner["trace_id"]], build_id=row["build_id"], created_at=winner["created_at"]))

    evidence = Counter((o["decision_type"], normalise(o["chosen"]), normalise(o["rejected"])) for o in observed)
    for o in observed:
        kind, chosen, rejected = o.pop("decision_type"), normalise(o["chosen"]), normalise(o["rejected"])
        forward, reverse = evidence[(kind, chosen, rejected)], evidence[(kind, rejected, chosen)]
        if forward < rules.min_option_evidence_ratio * reverse:
            batch.dropped["contradicted_by_other_outcomes"] += 1
            continue
        _add(batch, rules, domain="architecture", **o)


# -- code: consecutive versions whose judged quality differs ------------------------------------
def code_pairs(artifacts: pl.DataFrame, judgments: pl.DataFrame, intents: dict[str, str], rules: PairRules, batch: PairBatch) -> None:
    judged = {
        row["item_id"]: row
        for row in judgments.filter(pl.col("judge_type") == "code_quality").iter_rows(named=True)
    }
    for row in artifacts.iter_rows(named=True):
        versions = _j(row["versions"], [])
        trajectory = _j(row["quality_trajectory"], [])
        for position, (before, after) in enumerate(zip(versions, versions[1:])):
            a = judged.get(f"{row['artifact_id']}@v{before.get('version')}")
            b = judged.get(f"{row['artifact_id']}@v{after.get('version')}")
            if a is None or b is None or a["status"] != "ok" or b["status"] != "ok":
                batch.dropped["version_not_judged"] += 1
                continue
            if min(a["confidence"], b["confidence"]) < rules.min_judgment_confidence:
                batch.dropped["judgment_confidence_below_minimum"] += 1
                continue
            better, worse = (b, a) if b["overall"] >= a["overall"] else (a, b)
            better_code = after["code"] if better is b else before["code"]
            worse_code = before["code"] if better is b else after["code"]
            errors = trajectory[position].get("errorCount") if position < len(trajectory) else None
            prompt = "\n".join(
                p for p in (
                    f"Write the file {row['file_path']}.",
                    f"Intent: {intents[row['build_id']]}" if intents.get(row["build_id"]) else "",
                    f"Context: the previous version had {errors} errors and this one was written as a {after.get('trigger')}."
                    if errors is not None else "",
                ) if p
            )
            _add(batch, rules, domain="code", prompt=prompt, chosen=better_code, rejected=worse_code,
                 reasoning=f"judged {better['overall']:.0f} vs {worse['overall']:.0f}: {better['reasoning'] or ''}"[:2000],
                 margin=better["overall"] - worse["overall"], sources=[row["artifact_id"]],
                 judgments=[f"{a['content_hash']}:{a['judge_version']}", f"{b['content_hash']}:{b['judge_version']}"],
                 judge_version=b["judge_version"], build_id=row["build_id"], created_at=row["updated_at"] or row["created_at"])


# -- design: choices for the same app soul with different judged scores ---------------------
def design_text(row: dict) -> str:
    typography = _j(row["typography"], {}) or {}
    colors = _j(row["color_system"], {}) or {}
    motion = _j(row["motion_language"], {}) or {}
    layout = _j(row["layout_decisions"], {}) or {}
    return "\n".join(
        [
            f"Fonts: {', '.join(typography.get('fontsChosen') or []) or 'none'}",
            f"Palette: {json.dumps(colors.get('paletteChosen') or {}, sort_keys=True)}",
            f"Motion: {', '.join(a.get('name', '') for a in motion.get('animationsUsed') or []) or 'none'}",
            f"Layout: {layout.get('gridSystem') or 'unspecified'}; asymmetry: {bool(layout.get('asymmetryUsed'))}",
        ]
    )


def design_pairs(designs: pl.DataFrame, judgments: pl.DataFrame, held_out_builds: set[str], rules: PairRules, batch: PairBatch) -> None:
    """Within one app soul and one side of the split (so a build never sits on both sides), the
    best-judged half is paired against the worst-judged half, strongest contrasts first."""
    judged = {r["item_id"]: r for r in judgments.filter(pl.col("judge_type") == "design_quality").iter_rows(named=True)}
    groups: dict[tuple, list[tuple[dict, dict]]] = {}
    for row in designs.filter(pl.col("app_soul").is_not_null()).iter_rows(named=True):
        j = judged.get(row["choice_id"])
        if j is None or j["status"] != "ok":
            batch.dropped["design_not_judged"] += 1
            continue
        if j["confidence"] < rules.min_judgment_confidence:
            batch.dropped["judgment_confidence_below_minimum"] += 1
            continue
        groups.setdefault((row["app_soul"], row["build_id"] in held_out_builds), []).append((row, j))
    for (soul, _), members in sorted(groups.items()):
        members.sort(key=lambda m: (-m[1]["overall"], m[0]["choice_id"]))
        half = len(members) // 2
        for (good, gj), (bad, bj) in zip(members[:half], reversed(members[len(members) - half:])):
            _add(batch, rules, domain="design", prompt=f"Design the visual system for an app whose soul is {soul.replace('_', ' ')}.",
                 chosen=design_text(good), rejected=design_text(bad),
                 reasoning=f"judged {gj['overall']:.0f} vs {bj['overall']:.0f} for {soul}: {gj['reasoning'] or ''}"[:2000],
                 margin=gj["overall"] - bj["overall"], sources=[good["choice_id"], bad["choice_id"]],
                 judgments=[f"{gj['content_hash']}:{gj['judge_version']}", f"{bj['content_hash']}:{bj['judge_version']}"],
                 judge_version=gj["judge_version"], build_id=good["build_id"], created_at=max(good["created_at"], bad["created_at"]))


# -- error_fix: within one recovery journey ---------------------------------------------------
def error_fix_pairs(errors: pl.DataFrame, rules: PairRules, batch: PairBatch) -> None:
    """The fix that worked is chosen over each attempt that failed or made a new error."""
    for row in errors.iter_rows(named=True):
        fix = _j(row["successful_fix"], None)
        if not fix:
            batch.dropped["error_never_fixed"] += 1
            continue
        error = _j(row["error"], {})
        prompt = "\n".join(
            p for p in (
                f"Fix this {error.get('type', 'error')}" + (f" in {error['fileLocation']}" if error.get("fileLocation") else "") + ":",
                error.get("message", ""),
            ) if p
        )
        chosen = fix.get("fixDescription", "") + (f"\n{fix['codeDiff']}" if fix.get("codeDiff") else "")
        failed = [a for a in _j(row["recovery_journey"], []) if a.get("result") in ("failed", "new_error")]
        if not failed:
            batch.dropped["no_failed_attempt"] += 1
        for attempt in failed:
            # A wrong fix that also broke something else is a stronger negative.
            margin = 50 + (20 if attempt.get("result") == "new_error" else 0)
            _add(batch, rules, domain="error_fix", prompt=prompt, chosen=chosen, rejected=attempt.get("fixApplied", ""),
                 reasoning=f"attempt {attempt.get('attempt')} ({attempt.get('result')}) did not fix it; "
                           f"the level-{fix.get('levelRequired')} fix did.",
                 margin=margin, sources=[row["error_id"]], build_id=row["build_id"], created_at=row["created_at"])


# -- split and dedup -----------------------------------------------------------------------------
def is_held_out(build_id: str | None, share: float) -> bool:
    """Deterministic by build: the same build always lands on the same side."""
    digest = hashlib.sha256(f"split:{build_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < share


def build_intents(decisions: pl.DataFrame) -> dict[str, str]:
    intents: dict[str, str] = {}
    for row in decisions.sort("created_at").iter_rows(named=True):
        snippet = _j(row["context"], {}).get("intentSnippet")
        if snippet and row["build_id"] and row["build_id"] not in intents:
            intents[row["build_id"]] = snippet
    return intents


def generate_pairs(
    decisions: pl.DataFrame,
    artifacts: pl.DataFrame,
    designs: pl.DataFrame,
    errors: pl.DataFrame,
    judgments: pl.DataFrame,
    rules: PairRules = PairRules(),
) -> tuple[pl.DataFrame, Counter]:
    """All pairs from the current tables, deduplicated and split. Pure: the same inputs always
    give the same pairs, so a judge change replaces the pairs built on its old judgments."""
    batch = PairBatch()
    held_out_builds = {b for b in set(artifacts["build_id"]) | set(designs["build_id"]) | set(decisions["build_id"])
                       | set(errors["build_id"]) if b and is_held_out(b, rules.held_out_share)}
    architecture_pairs(decisions, rules, batch)
    code_pairs(artifacts, judgments, build_intents(decisions), rules, batch)
    design_pairs(designs, judgments, held_out_builds, rules, batch)
    error_fix_pairs(errors, rules, batch)
    frame = batch.frame().sort(["created_at", "pair_id"])
    before = frame.height
    frame = frame.unique("pair_id", keep="first", maintain_order=True)
    batch.dropped["duplicate_pair"] += before - frame.height
    before = frame.height
    frame = frame.unique("near_key", keep="first", maintain_order=True)
    batch.dropped["near_duplicate_pair"] += before - frame.height
    frame = frame.with_columns(
        pl.col("build_id").map_elements(lambda b: "held_out" if b in held_out_builds else "train", return_dtype=pl.String).alias("split")
    )
    return frame, +batch.dropped
