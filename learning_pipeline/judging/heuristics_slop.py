"""The heuristic `anti_slop` judge: the tells of a generic AI-generated look.

Seven tells, each one a reviewer can point at: generic font stacks as the only fonts, the
default purple/blue gradient, emoji standing in for icons, placeholder copy, everything
centered, no motion, no depth. It reads a design choice (fonts, palette, motion, layout) or
the text of a UI file (classes, CSS, JSX copy). 100 = none of the tells.
"""

from __future__ import annotations

import json
import re

from learning_pipeline.judging.heuristics_scoring import Evidence, agreement_confidence, blend, clamp, lines_label, number
from learning_pipeline.judging.rubrics import Rubric
from learning_pipeline.judging.verdicts import Verdict

# The fonts every template ships with; alone they are the typographic default, not a choice.
GENERIC_FONTS = {
    "inter", "roboto", "arial", "helvetica", "helvetica neue", "system-ui", "-apple-system", "blinkmacsystemfont",
    "sans-serif", "serif", "segoe ui", "open sans", "ui-sans-serif", "font-sans", "sans",
}
# Tailwind's indigo/violet/purple/blue 500-600: the stock "AI gradient".
DEFAULT_GRADIENT_HEXES = {"#6366f1", "#8b5cf6", "#3b82f6", "#a855f7", "#7c3aed", "#4f46e5", "#9333ea", "#2563eb"}
_GRADIENT_CLASS = re.compile(r"\b(?:from|via|to)-(?:purple|indigo|violet|blue|fuchsia)-\d{3}\b")
_EMOJI = re.compile("[\U0001F300-\U0001FAFF\U00002600-\U000027BF\U0001F000-\U0001F2FF]")
_PLACEHOLDER = re.compile(
    r"(?i)lorem ipsum|dolor sit amet|your (?:title|text|tagline|headline|company) here|john doe|jane doe"
    r"|placeholder text|acme (?:inc|corp)|insert (?:text|content) here|sample text"
)
_CENTERING = re.compile(r"\b(?:text-center|justify-center|items-center|mx-auto|place-items-center|place-content-center)\b"
                        r"|text-align:\s*center|justify-content:\s*center|align-items:\s*center|margin:\s*0 auto")
_MOTION = re.compile(r"transition|animation|@keyframes|\banimate-|\bmotion\.|framer-motion|useSpring|duration-\d")
_DEPTH = re.compile(r"shadow|backdrop-|z-index|\bz-\d|elevation|translateZ|perspective|--depth|layer|surface")
# Styling this file itself decides: utility classes, inline styles, CSS rules. Semantic class
# names alone leave the look to a stylesheet, where motion and depth are judged instead.
_STYLING = re.compile(r"style=\{\{|@apply|styled\.|<style\b"
                      r"|class(?:Name)?=[\"'{`][^\"'}`]*\b(?:bg|text|p[xy]?|m[xy]?|rounded|shadow|gap|w|h|flex|grid)-[\w\[]")
_FONT_DECLARATION = re.compile(r"font-family:\s*([^;}\n]+)|fontFamily:\s*['\"]([^'\"]+)['\"]|\bfont-(sans|serif|mono)\b")


def font_names(value: str) -> list[str]:
    return [f.strip().strip("'\"").lower() for f in value.split(",") if f.strip()]


def default_gradient_hits(text: str) -> list[str]:
    """The stock purple/blue colors a text uses (hexes or Tailwind gradient classes)."""
    lowered = text.lower()
    hexes = sorted({h for h in re.findall(r"#[0-9a-f]{6}\b", lowered) if h in DEFAULT_GRADIENT_HEXES})
    return hexes + sorted(set(_GRADIENT_CLASS.findall(lowered)))


def _palette_slop(palette: dict) -> tuple[float, str | None]:
    values = " ".join(str(v) for v in palette.values())
    hits = default_gradient_hits(values)
    gradient = "gradient" in values.lower()
    if len(hits) >= 2 or (hits and gradient):
        return 10.0, f"default purple/blue {'gradient' if gradient else 'palette'} ({', '.join(hits[:3])})"
    if hits:
        return 55.0, f"stock Tailwind accent {hits[0]}"
    return 92.0, None


def _typography_slop(fonts: list[str]) -> tuple[float, str | None]:
    if not fonts:
        return 60.0, None
    generic = [f for f in fonts if f.lower() in GENERIC_FONTS]
    if len(generic) == len(fonts):
        return 12.0, f"only generic fonts ({', '.join(fonts)})"
    if generic:
        return 60.0, f"a generic font ({', '.join(generic)}) beside a chosen one"
    return 94.0, None


def _design_slop(content: dict, ev: Evidence) -> dict[str, float]:
    typography = content.get("typography") or {}
    fonts = [str(f) for f in (typography.get("fontsChosen") or [])] if isinstance(typography, dict) else []
    scores: dict[str, float] = {}
    scores["typography"], tell = _typography_slop(fonts)
    if tell:
        ev.fault("typography", "major" if scores["typography"] < 30 else "minor", f"slop tell: {tell}",
                 "typography.fontsChosen", "Pick a typeface with a voice that fits the app's soul.")
    color = content.get("colorSystem") or {}
    palette = color.get("paletteChosen") if isinstance(color, dict) else None
    if isinstance(palette, dict) and palette:
        scores["color"], tell = _palette_slop(palette)
        if tell:
            ev.fault("color", "major" if scores["color"] < 30 else "minor", f"slop tell: {tell}",
                     "colorSystem.paletteChosen", "Derive the palette from the soul instead of the stock indigo/violet.")
    else:
        scores["color"] = 60.0
    text = json.dumps(content, ensure_ascii=False)
    emoji = _EMOJI.findall(text)
    scores["iconography"] = 30.0 if emoji else 88.0
    if emoji:
        ev.fault("iconography", "major", f"slop tell: emoji used as icons ({''.join(emoji[:3])})", None, "Use a consistent icon set.")
    placeholder = _PLACEHOLDER.findall(text)
    scores["copy"] = 20.0 if placeholder else 88.0
    if placeholder:
        ev.fault("copy", "major", f"slop tell: placeholder copy ({placeholder[0]})", None, "Write real copy for the audience.")
    layout = content.get("layoutDecisions") or {}
    if isinstance(layout, dict) and layout:
        described = f"{layout.get('gridSystem') or ''} {layout.get('spacingRationale') or ''}".lower()
        # a centered column is the template default; centering inside an asymmetric grid is a choice
        centered = bool(re.search(r"\b(?:center|centre)(?:ed|d)?\b", described)) and not layout.get("asymmetryUsed")
        template = bool(re.search(r"default tailwind|template|rounded-2xl|shadow-lg", described))
        score = 85.0 - 50.0 * centered - 15.0 * template + 10.0 * bool(layout.get("asymmetryUsed"))
        scores["layout"] = clamp(score)
        if centered:
            ev.fault("layout", "major", "slop tell: everything centered in one column", "layoutDecisions.gridSystem",
                     "Use a grid with a rationale (asymmetry, rhythm) instead of centering everything.")
        if template:
            ev.fault("layout", "minor", "slop tell: default template spacing and cards", "layoutDecisions.spacingRationale",
                     "Set spacing and radius from the soul's tokens.")
    else:
        scores["layout"] = 60.0
    motion = content.get("motionLanguage") or {}
    animations = motion.get("animationsUsed") if isinstance(motion, dict) else None
    if isinstance(motion, dict) and motion:
        custom = any("cubic-bezier" in str(a.get("easing", "")) or "steps(" in str(a.get("easing", ""))
                     for a in animations or [] if isinstance(a, dict))
        motion_score = 20.0 if not animations else 92.0 if custom else 72.0
        if not animations:
            ev.fault("motion_depth", "major", "slop tell: no motion at all", "motionLanguage.animationsUsed",
                     "Add a few purposeful transitions that match the soul.")
    else:
        motion_score = 55.0
    depth_score = 60.0
    if isinstance(palette, dict) and palette.get("surface") and palette.get("background"):
        depth_score = 85.0 if str(palette["surface"]).lower() != str(palette["background"]).lower() else 40.0
    scores["motion_depth"] = 0.6 * motion_score + 0.4 * depth_score
    return scores


def _code_slop(content: dict, ev: Evidence) -> tuple[dict[str, float], bool]:
    code = content.get("code") or ""
    lines = code.split("\n")

    def where(pattern: re.Pattern | str) -> list[int]:
        rx = re.compile(pattern) if isinstance(pattern, str) else pattern
        return [i for i, line in enumerate(lines, start=1) if rx.search(line)]

    scores: dict[str, float] = {}
    fonts = []
    for m in _FONT_DECLARATION.finditer(code):
        fonts += font_names(m.group(1) or m.group(2) or f"font-{m.group(3)}")
    scores["typography"], tell = _typography_slop(fonts) if fonts else (80.0, None)
    if tell:
        ev.fault("typography", "major" if scores["typography"] < 30 else "minor", f"slop tell: {tell}",
                 lines_label(where(_FONT_DECLARATION)), "Declare a distinctive typeface from the design tokens.")
    hits = default_gradient_hits(code)
    gradient = bool(re.search(r"linear-gradient|bg-gradient-to-", code))
    scores["color"] = 10.0 if (len(hits) >= 2 or (hits and gradient)) else 55.0 if hits else 90.0
    if hits:
        rx = "|".join(re.escape(h) for h in hits)
        ev.fault("color", "major" if scores["color"] < 30 else "minor",
                 f"slop tell: default purple/blue {'gradient' if gradient else 'color'} ({', '.join(hits[:3])})",
                 lines_label(where(re.compile(rx, re.I))), "Use the palette tokens derived from the soul.")
    emoji_lines = where(_EMOJI)
    scores["iconography"] = 25.0 if emoji_lines else 88.0
    if emoji_lines:
        ev.fault("iconography", "major", "slop tell: emoji used as icons", lines_label(emoji_lines), "Use a consistent icon set.")
    copy_lines = where(_PLACEHOLDER)
    scores["copy"] = 15.0 if copy_lines else 88.0
    if copy_lines:
        ev.fault("copy", "major", "slop tell: placeholder copy (Lorem ipsum / 'Your title here' / John Doe)",
                 lines_label(copy_lines), "Replace placeholders with real copy or data.")
    styled = bool(_STYLING.search(code)) or str(content.get("filePath") or "").endswith((".css", ".scss"))
    centering = len(_CENTERING.findall(code))
    layout_rules = len(re.findall(r"\b(?:flex|grid|justify-|items-|text-(?:left|right)|gap-|col-span|display:)", code))
    if centering >= 3 and centering >= 0.6 * max(1, layout_rules):
        scores["layout"] = 25.0
        ev.fault("layout", "major", f"slop tell: everything centered ({centering} centering rules)",
                 lines_label(where(_CENTERING)), "Give the layout a grid and an alignment rationale.")
    else:
        scores["layout"] = 85.0 if styled else 75.0
    if styled:
        has_motion, has_depth = bool(_MOTION.search(code)), bool(_DEPTH.search(code))
        scores["motion_depth"] = 40.0 + 30.0 * has_motion + 25.0 * has_depth
        if not has_motion:
            ev.fault("motion_depth", "minor", "slop tell: no motion (no transition or animation)", None,
                     "Add purposeful transitions on interactive elements.")
        if not has_depth:
            ev.fault("motion_depth", "minor", "slop tell: no depth (no shadows or layers)", None,
                     "Use elevation tokens (shadows, layered surfaces).")
    else:
        scores["motion_depth"] = 70.0  # no styling in this file: nothing to judge either way
    return scores, styled


def judge_anti_slop(content: dict, item_kind: str, rubric: Rubric) -> Verdict:
    ev = Evidence()
    is_code = item_kind == "code_version" or "code" in content
    if is_code:
        rules, styled = _code_slop(content, ev)
        quality = content.get("quality") if isinstance(content.get("quality"), dict) else {}
        reported = number(quality.get("antiSlopScore"))
        coverage = 1.0 if styled else 0.6
    else:
        rules = _design_slop(content, ev)
        scores = content.get("visualScores") if isinstance(content.get("visualScores"), dict) else {}
        reported = number(scores.get("overall"))
        # blocks missing on the wire leave tells unseen: say so in the confidence
        blocks = ("typography", "colorSystem", "motionLanguage", "layoutDecisions")
        coverage = 0.5 + 0.5 * sum(bool(content.get(b)) for b in blocks) / len(blocks)
    fit = None
    if not is_code:
        from learning_pipeline.judging.heuristics_design import soul_fit  # design imports this module

        fit = soul_fit(content)
    # The builder's own number is one voice among three, and the weakest: it is optimistic and
    # anchored on looks (tuned on simulated seeds 1-3, checked on others).
    categories = {c: round(blend([(rules.get(c, 60.0), 0.6), (None if fit is None else 40.0 + 0.6 * fit, 0.25),
                                  (reported, 0.15)]), 2) for c in rubric.categories}
    overall = round(rubric.overall(categories), 2)
    rule_overall = rubric.overall({c: rules.get(c, 60.0) for c in rubric.categories})
    estimates = [rule_overall] + ([reported] if reported is not None else [])
    confidence = round(max(0.3, agreement_confidence(estimates, expected=2) * coverage), 4)
    issues = ev.issues()
    tells = [i.description.removeprefix("slop tell: ") for i in issues]
    reasoning = (f"{len(tells)} slop tell(s): " + "; ".join(tells) + "." if tells else "No generic-AI tells found.")
    if reported is not None:
        reasoning += f" Builder-reported score {reported:.0f} used as one signal."
    return Verdict(overall=overall, categories=categories, confidence=confidence, issues=issues,
                   recommendations=ev.suggestions(), reasoning=reasoning)
