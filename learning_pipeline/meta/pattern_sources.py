"""Where patterns come from: only work that was verified to succeed.

- error-fix: the error's signature -> the fix that worked (`successfulFix`, and the journey's
  last attempt must say `fixed`); failed attempts never become a pattern or part of one.
- code: patterns used by artifacts whose latest version the code-quality judge scored high.
- design: typography / colour / motion systems of designs with high visual scores, per app soul.
- architecture: decisions that succeeded and stayed in production.

Each function returns candidates; support is counted once near-duplicates have merged.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from pathlib import PurePosixPath

import polars as pl

from learning_pipeline.config import MetaConfig
from learning_pipeline.meta.patterns import Candidate


def _json(value, default):
    return json.loads(value) if value else default


def _words(name: str) -> str:
    return re.sub(r"[-_]+", " ", name).strip()


# -- error-fix patterns ----------------------------------------------------------------------
_URL = re.compile(r"\b\w+://\S+")
_PATH = re.compile(r"(?:[\w@.~-]*/)+[\w.@-]+(?::\d+)*")
_LINE_COL = re.compile(r":\d+(?::\d+)?\b")
_HEX = re.compile(r"\b0x[0-9a-f]+\b|\b[0-9a-f]{12,}\b", re.I)
_SPACES = re.compile(r"\s+")


def error_signature(error_type: str | None, message: str) -> str:
    """The error without what is specific to one occurrence (URLs, file paths, positions, ids)."""
    text = _URL.sub("<url>", message or "")
    text = _PATH.sub("<path>", text)
    text = _LINE_COL.sub("", text)
    text = _HEX.sub("<id>", text)
    text = _SPACES.sub(" ", text).strip()
    if error_type and not text.lower().startswith(error_type.lower()):
        text = f"{error_type}: {text}"
    return text


def _diff_body(diff: str) -> str:
    """A fix's diff without the headers naming one trace's file and lines."""
    lines = [l for l in (diff or "").splitlines() if not l.startswith(("--- ", "+++ ", "@@"))]
    return "\n".join(lines)


def error_fix_candidates(errors: pl.DataFrame) -> list[Candidate]:
    """One candidate per (error type, fix that worked), from verified recoveries only."""
    groups: dict[str, Candidate] = {}
    messages: dict[str, Counter] = defaultdict(Counter)
    for row in errors.iter_rows(named=True):
        fix = _json(row.get("successful_fix"), None)
        journey = _json(row.get("recovery_journey"), [])
        if not fix or not fix.get("fixDescription") or not journey or journey[-1].get("result") != "fixed":
            continue  # not verified: no fix, or the journey does not end in a fixed attempt
        error = _json(row.get("error"), {})
        etype = error.get("type") or "Error"
        description = fix["fixDescription"].strip()
        key = f"{etype}\x1f{description.lower()}"
        candidate = groups.get(key)
        if candidate is None:
            general = fix.get("generalizablePattern")
            candidate = groups[key] = Candidate(
                category="error_fix", key=key, name=f"{etype}: {general or description}"[:160],
                problem="", solution_template=description + (f"\nGeneral rule: {general}" if general else ""),
                code_template=_diff_body(fix.get("codeDiff", "")), conditions={f"errorType={etype}"},
            )
        elif fix.get("generalizablePattern") and "General rule" not in candidate.solution_template:
            candidate.solution_template += f"\nGeneral rule: {fix['generalizablePattern']}"
            candidate.name = f"{etype}: {fix['generalizablePattern']}"[:160]
        messages[key][error_signature(etype, error.get("message", ""))] += 1
        candidate.sources.append(row["error_id"])
        candidate.seen.append(row.get("created_at"))
    for key, candidate in groups.items():
        candidate.problem = messages[key].most_common(1)[0][0]
    return list(groups.values())


# -- code patterns ---------------------------------------------------------------------------
def code_candidates(artifacts: pl.DataFrame, judgments: pl.DataFrame, config: MetaConfig) -> list[Candidate]:
    """Patterns used by artifacts whose latest version scored >= `code_pattern_min_score`; every
    artifact's first-attempt result for the pattern counts as a usage outcome."""
    scores: dict[str, float] = {}
    if judgments.height:
        ok = judgments.filter((pl.col("judge_type") == "code_quality") & (pl.col("status") == "ok"))
        scores = dict(zip(ok.get_column("item_id").to_list(), ok.get_column("overall").to_list()))
    groups: dict[str, Candidate] = {}
    outcomes: dict[str, list[bool]] = defaultdict(list)
    best_code: dict[str, tuple[float, str]] = {}
    for row in artifacts.iter_rows(named=True):
        patterns = _json(row.get("patterns_used"), [])
        versions = _json(row.get("versions"), [])
        for used in patterns:
            outcomes[f"{used['patternCategory']}\x1f{used['patternName']}"].append(bool(used.get("firstAttemptSuccess")))
        if not versions:
            continue
        latest = versions[-1]
        score = scores.get(f"{row['artifact_id']}@v{latest.get('version')}")
        if score is None or score < config.code_pattern_min_score:
            continue
        language = PurePosixPath(row.get("file_path") or "").suffix.lstrip(".")
        for used in patterns:
            key = f"{used['patternCategory']}\x1f{used['patternName']}"
            candidate = groups.setdefault(key, Candidate(
                category="code", key=key, name=used["patternName"],
                problem=f"{used['patternCategory']} code: {_words(used['patternName'])}",
                solution_template="",
            ))
            if language:
                candidate.conditions.add(f"language={language}")
            candidate.sources.append(row["artifact_id"])
            candidate.seen.append(row.get("updated_at") or row.get("created_at"))
            if score > best_code.get(key, (-1.0, ""))[0]:
                best_code[key] = (score, latest.get("code", ""))
    out = []
    for key, candidate in groups.items():
        category, name = key.split("\x1f")
        results = outcomes[key]
        candidate.trials, candidate.successes = float(len(results)), float(sum(results))
        candidate.solution_template = (
            f"Use the {_words(name)} pattern for {category} code; it appears in {len(candidate.sources)} artifacts "
            f"whose code the judge scored >= {config.code_pattern_min_score:g}."
        )
        candidate.code_template = best_code[key][1][:4000]
        out.append(candidate)
    return out


# -- design patterns -------------------------------------------------------------------------
def _design_facets(row: dict) -> list[tuple[str, str, str, str]]:
    """(facet, canonical value, solution, code template) of one design choice."""
    facets = []
    typography = _json(row.get("typography"), None) or {}
    fonts = typography.get("fontsChosen") or []
    if fonts:
        solution = f"Typography: {fonts[0]} for headings" + (f", {fonts[1]} for body text" if len(fonts) > 1 else "")
        facets.append(("typography", " + ".join(fonts), solution, f"font-family: '{fonts[0]}';"))
    colour = _json(row.get("color_system"), None) or {}
    palette = dict(colour.get("paletteChosen") or {})
    if palette:
        name = palette.pop("name", "palette")
        values = ", ".join(f"{k} {v}" for k, v in sorted(palette.items()))
        css = ":root {\n" + "".join(f"  --{k}: {v};\n" for k, v in sorted(palette.items())) + "}"
        facets.append(("colour", f"{name}:{values}", f"Colour system '{name}': {values}", css))
    motion = _json(row.get("motion_language"), None) or {}
    animations = motion.get("animationsUsed") or []
    if animations:
        value = "; ".join(f"{a.get('name')} {a.get('timing') or ''} {a.get('easing') or ''}".strip() for a in animations)
        css = "\n".join(f".{re.sub(r'[^a-z0-9]+', '-', str(a.get('name')).lower())} {{ transition: all {a.get('timing') or '200ms'} {a.get('easing') or 'ease'}; }}" for a in animations)
        facets.append(("motion", value, f"Motion language: {value}", css))
    return facets


def design_candidates(designs: pl.DataFrame, config: MetaConfig) -> list[Candidate]:
    """Design systems of choices with visual `overall` >= `design_pattern_min_score`, per app soul;
    a soul where the same system scored below `anti_condition_max_score` becomes an anti-condition."""
    groups: dict[str, Candidate] = {}
    low_in: dict[tuple[str, str], set[str]] = defaultdict(set)
    for row in designs.iter_rows(named=True):
        soul = row.get("app_soul")
        overall = (_json(row.get("visual_scores"), None) or {}).get("overall")
        if not soul or overall is None:
            continue
        for facet, value, solution, code in _design_facets(row):
            if overall < config.anti_condition_max_score:
                low_in[(facet, value)].add(soul)
            if overall < config.design_pattern_min_score:
                continue
            key = f"{soul}\x1f{facet}\x1f{value}"
            candidate = groups.setdefault(key, Candidate(
                category="design", key=key, name=f"{_words(soul)} {facet}: {value}"[:160],
                problem=f"{facet} for a {_words(soul)} app", solution_template=solution, code_template=code,
                conditions={f"appSoul={soul}"},
            ))
            candidate.sources.append(row["choice_id"])
            candidate.seen.append(row.get("created_at"))
    out = []
    for key, candidate in groups.items():
        soul, facet, value = key.split("\x1f")
        candidate.anti_conditions = {f"appSoul={s}" for s in low_in[(facet, value)] if s != soul}
        out.append(candidate)
    return out


# -- architecture patterns -------------------------------------------------------------------
def architecture_candidates(decisions: pl.DataFrame, config: MetaConfig) -> list[Candidate]:
    """Decisions (decision_traces) whose outcome was a success that stayed in production; a phase
    where the same option failed more often than not becomes an anti-condition."""
    chosen = decisions.filter(pl.col("decision_type").is_in(list(config.architecture_decision_types)) & pl.col("outcome").is_not_null())
    groups: dict[str, Candidate] = {}
    by_phase: dict[str, Counter] = defaultdict(Counter)
    for row in chosen.iter_rows(named=True):
        decision, outcome = _json(row["decision"], {}), _json(row["outcome"], {})
        option = (decision.get("chosenOption") or "").strip()
        if not option:
            continue
        key = f"{row['decision_type']}\x1f{option.lower()}"
        success = outcome.get("immediateResult") == "success" and bool(outcome.get("finalInProduction"))
        by_phase[key][(row["phase"], success)] += 1
        if not success:
            continue
        candidate = groups.setdefault(key, Candidate(
            category="architecture", key=key, name=option[:160], problem=_words(row["decision_type"]),
            solution_template=option + (f"\nWhy: {decision['reasoning']}" if decision.get("reasoning") else ""),
            conditions={f"decisionType={row['decision_type']}"},
        ))
        candidate.sources.append(row["trace_id"])
        candidate.seen.append(row.get("outcome_recorded_at") or row.get("created_at"))
    out = []
    for key, candidate in groups.items():
        counts = by_phase[key]
        phases = {p for p, _ in counts}
        candidate.anti_conditions = {f"phase={p}" for p in phases if counts[(p, False)] >= 2 and counts[(p, False)] > counts[(p, True)]}
        out.append(candidate)
    return out


def extract_candidates(errors, artifacts, judgments, designs, decisions, config: MetaConfig) -> list[Candidate]:
    return (
        error_fix_candidates(errors)
        + code_candidates(artifacts, judgments, config)
        + design_candidates(designs, config)
        + architecture_candidates(decisions, config)
    )
