"""The heuristic `design_quality` judge: does a design choice have depth, motion, a typographic
voice, and fit the app's soul?

The fit rules carry a designer's rules of thumb, not a catalogue of "right answers": what
genre of typeface suits a soul (monospace for developer tools, a friendly rounded sans for
social apps), whether it wants a dark or a light canvas, and the tempo and character of its
motion (cinematic and slow for media, snappy for tools and games, springy only where play is
welcome). The builder's own visual scores and soul flags are blended in as separate signals.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import msgspec

from learning_pipeline.judging.heuristics_scoring import Evidence, agreement_confidence, blend, clamp, number
from learning_pipeline.judging.heuristics_slop import GENERIC_FONTS, default_gradient_hits, judge_anti_slop
from learning_pipeline.judging.rubrics import DEFAULT_RUBRICS, Rubric
from learning_pipeline.judging.verdicts import Verdict

FONT_GENRES: dict[str, set[str]] = {
    "mono": {"jetbrains mono", "ibm plex mono", "fira code", "source code pro", "geist mono", "sf mono", "space mono",
             "roboto mono", "menlo"},
    "techno": {"orbitron", "rajdhani", "chakra petch", "audiowide", "exo 2", "oxanium", "russo one"},
    "display": {"clash display", "satoshi", "space grotesk", "syne", "cabinet grotesk", "bricolage grotesque",
                "unbounded", "general sans"},
    "serif": {"fraunces", "instrument serif", "playfair display", "source serif 4", "source serif pro",
              "libre baskerville", "lora", "merriweather", "dm serif display", "eb garamond", "cormorant"},
    "rounded": {"nunito", "quicksand", "varela round", "dm sans", "plus jakarta sans", "fredoka", "poppins"},
    "neutral": {"ibm plex sans", "libre franklin", "public sans", "work sans", "atkinson hyperlegible", "geist",
                "manrope", "archivo", "source sans 3", "lato", "karla"},
}
GENRE_OF_FONT = {font: genre for genre, fonts in FONT_GENRES.items() for font in fonts}


@dataclass(frozen=True)
class SoulTraits:
    genres: frozenset[str]  # typeface genres that carry this soul's voice
    dark: bool  # wants a dark canvas
    tempo_ms: tuple[int, int]  # comfortable range of transition durations
    playful: bool  # overshoot/spring easing welcome


SOUL_TRAITS = {
    "immersive_media": SoulTraits(frozenset({"display", "serif"}), True, (400, 1200), False),
    "professional_trust": SoulTraits(frozenset({"neutral", "serif"}), False, (120, 300), False),
    "developer_tools": SoulTraits(frozenset({"mono", "neutral"}), True, (60, 200), False),
    "creative_canvas": SoulTraits(frozenset({"serif", "display"}), False, (250, 800), True),
    "social_connection": SoulTraits(frozenset({"rounded"}), False, (150, 450), True),
    "ecommerce_convert": SoulTraits(frozenset({"neutral", "serif"}), False, (150, 500), False),
    "utility_clarity": SoulTraits(frozenset({"neutral"}), False, (100, 250), False),
    "gaming_energy": SoulTraits(frozenset({"techno", "display"}), True, (60, 250), True),
}


def _rgb(color: object) -> tuple[float, float, float] | None:
    match = re.search(r"#([0-9A-Fa-f]{6})\b", str(color or ""))
    if not match:
        return None
    value = int(match.group(1), 16)
    return (value >> 16 & 255) / 255, (value >> 8 & 255) / 255, (value & 255) / 255


def luminance(color: object) -> float | None:
    rgb = _rgb(color)
    if rgb is None:
        return None
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: object, b: object) -> float | None:
    la, lb = luminance(a), luminance(b)
    if la is None or lb is None:
        return None
    light, dark = max(la, lb), min(la, lb)
    return (light + 0.05) / (dark + 0.05)


def duration_ms(timing: object) -> float | None:
    match = re.match(r"\s*(\d+(?:\.\d+)?)\s*(ms|s)\b", str(timing or ""))
    if not match:
        return None
    return float(match.group(1)) * (1000.0 if match.group(2) == "s" else 1.0)


def _overshoots(easing: str) -> bool:
    """A cubic-bezier whose control points leave 0..1 springs past its target."""
    match = re.search(r"cubic-bezier\(([^)]*)\)", easing)
    if not match:
        return "bounce" in easing or "spring" in easing
    try:
        points = [float(p) for p in match.group(1).split(",")]
    except ValueError:
        return False
    return len(points) == 4 and (not 0 <= points[1] <= 1 or not 0 <= points[3] <= 1)


def _typography(content: dict, traits: SoulTraits | None, ev: Evidence) -> tuple[float, float | None]:
    typography = content.get("typography") if isinstance(content.get("typography"), dict) else {}
    fonts = [str(f) for f in typography.get("fontsChosen") or []]
    if not fonts:
        ev.fault("typography", "minor", "no typography recorded", "typography", "Record the chosen typefaces and why.")
        return 45.0, None
    names = [f.lower() for f in fonts]
    generic = [f for f in names if f in GENERIC_FONTS]
    if len(generic) == len(names):
        ev.fault("typography", "major", f"only generic fonts ({', '.join(fonts)})", "typography.fontsChosen",
                 "Choose a typeface with a voice; keep the system stack as a fallback only.")
        return 20.0, None
    score = 62.0 - 12.0 * bool(generic)
    genres = [GENRE_OF_FONT.get(f) for f in names]
    if len({g for g in genres if g}) >= 2:
        score += 6.0  # a deliberate pairing (display + text) rather than one family everywhere
    fit = None
    if traits is not None and any(genres):
        fit = sum(1.0 for g in genres if g in traits.genres) / len(names)
        score += 30.0 * fit
        if fit == 0:
            ev.fault("soul_match", "minor", f"typefaces ({', '.join(fonts)}) do not carry the soul's voice",
                     "typography.fontsChosen", f"Prefer a {' or '.join(sorted(traits.genres))} face for this soul.")
    if typography.get("antiSlopCompliant") is False:
        score -= 10.0
    return clamp(score), fit


def _palette(content: dict, traits: SoulTraits | None, ev: Evidence) -> tuple[float, float | None, float | None]:
    color = content.get("colorSystem") if isinstance(content.get("colorSystem"), dict) else {}
    palette = color.get("paletteChosen") if isinstance(color.get("paletteChosen"), dict) else {}
    reported_fit = number(color.get("soulAppropriatenessScore"))
    if not palette:
        ev.fault("depth", "minor", "no palette recorded", "colorSystem", "Record the palette with its surface layers.")
        return 45.0, None, reported_fit
    score = 60.0
    background, surface, text = palette.get("background"), palette.get("surface"), palette.get("text")
    if len(default_gradient_hits(" ".join(str(v) for v in palette.values()))) >= 2:
        ev.fault("depth", "major", "stock purple/blue gradient instead of layered surfaces", "colorSystem.paletteChosen",
                 "Build depth from surface layers in the soul's palette.")
        score -= 25.0
    layers = contrast(background, surface)
    if layers is not None and layers > 1.04:
        score += 12.0  # a surface that separates from the canvas gives cards somewhere to sit
    ratio = contrast(background, text)
    if ratio is not None and ratio < 4.5:
        ev.fault("depth", "major", f"text contrast {ratio:.1f}:1 is below WCAG AA", "colorSystem.paletteChosen.text",
                 "Raise text contrast to at least 4.5:1.")
        score -= 15.0
    fit = None
    canvas = luminance(background)
    if traits is not None and canvas is not None:
        fit = 1.0 if (canvas < 0.2) == traits.dark else 0.0
        score += 20.0 * fit
        if not fit:
            ev.fault("soul_match", "minor", f"a {'light' if canvas >= 0.2 else 'dark'} canvas for a soul that wants the opposite",
                     "colorSystem.paletteChosen.background", "Match the canvas to the soul's mood.")
    return clamp(score), fit, reported_fit


def _motion(content: dict, traits: SoulTraits | None, ev: Evidence) -> tuple[float, float | None, bool | None]:
    motion = content.get("motionLanguage") if isinstance(content.get("motionLanguage"), dict) else {}
    matches = motion.get("matchesSoul") if isinstance(motion.get("matchesSoul"), bool) else None
    animations = [a for a in motion.get("animationsUsed") or [] if isinstance(a, dict)]
    if not motion:
        return 40.0, None, matches
    if not animations:
        ev.fault("motion", "major", "no motion at all", "motionLanguage.animationsUsed",
                 "Add a few transitions that express the soul (entrances, feedback).")
        return 15.0, None, matches
    easings = [str(a.get("easing") or "") for a in animations]
    score = 60.0 + 10.0 * (sum("cubic-bezier" in e or "steps(" in e for e in easings) / len(easings))
    fit = None
    if traits is not None:
        # Looping affordances (a blinking cursor: `steps()`) sit outside the transition tempo.
        timed = [(duration_ms(a.get("timing")), e) for a, e in zip(animations, easings) if "steps(" not in e]
        in_tempo = [traits.tempo_ms[0] <= d <= traits.tempo_ms[1] for d, _ in timed if d is not None]
        character = [_overshoots(e) <= traits.playful for _, e in timed]
        checks = in_tempo + character
        if checks:
            fit = sum(checks) / len(checks)
            score += 30.0 * fit
            if fit < 0.5:
                ev.fault("soul_match", "minor", "motion tempo/character does not suit the soul", "motionLanguage.animationsUsed",
                         f"Keep transitions within {traits.tempo_ms[0]}-{traits.tempo_ms[1]} ms"
                         + ("" if traits.playful else " without springy overshoot") + ".")
    return clamp(score), fit, matches


def soul_fit(content: dict) -> float | None:
    """The rules' share (0..100) of fonts, canvas and motion that fit the app soul, or None when
    the soul is unknown. The anti-slop judge reads it too: a design made for its soul is the
    opposite of a generic one."""
    soul = content.get("appSoul")
    traits = SOUL_TRAITS.get(soul) if isinstance(soul, str) else None
    if traits is None:
        return None
    ev = Evidence()
    fits = [f for f in (_typography(content, traits, ev)[1], _palette(content, traits, ev)[1],
                        _motion(content, traits, ev)[1]) if f is not None]
    return 100.0 * sum(fits) / len(fits) if fits else None


def judge_design_quality(content: dict, rubric: Rubric, slop_rubric: Rubric = DEFAULT_RUBRICS["anti_slop"]) -> Verdict:
    ev = Evidence()
    soul = content.get("appSoul")
    traits = SOUL_TRAITS.get(soul) if isinstance(soul, str) else None
    if traits is None:
        ev.fault("soul_match", "minor", f"app soul {soul!r} unknown or missing: fit cannot be judged", "appSoul",
                 "Record the app soul so the design can be checked against it.")
    typography, font_fit = _typography(content, traits, ev)
    depth, palette_fit, reported_fit = _palette(content, traits, ev)
    motion, motion_fit, matches = _motion(content, traits, ev)
    layout = content.get("layoutDecisions") if isinstance(content.get("layoutDecisions"), dict) else {}
    if layout.get("asymmetryUsed"):
        depth += 4.0  # overlapping, asymmetric layers read as depth
    visual = content.get("visualScores") if isinstance(content.get("visualScores"), dict) else {}
    slop = judge_anti_slop(content, "design_choice", slop_rubric)

    fits = [f for f in (font_fit, palette_fit, motion_fit) if f is not None]
    rule_fit = 100.0 * sum(fits) / len(fits) if fits else None
    if rule_fit is not None:
        rule_fit = 20.0 + 0.75 * rule_fit  # a perfect rule-of-thumb match is still short of certain
    matches_score = None if matches is None else (80.0 if matches else 35.0)
    categories_all = {
        "typography": blend([(typography, 0.6), (number(visual.get("typographyScore")), 0.4)]),
        "depth": blend([(clamp(depth), 0.45), (reported_fit, 0.2), (number(visual.get("depthScore")), 0.35)]),
        "motion": blend([(motion, 0.5), (matches_score, 0.15), (number(visual.get("motionScore")), 0.35)]),
        "soul_match": blend([(rule_fit, 0.45), (reported_fit, 0.15), (matches_score, 0.1),
                             (number(visual.get("soulMatchScore")), 0.3)]),
        "anti_slop": slop.overall,
    }
    categories = {c: round(clamp(categories_all.get(c, 50.0)), 2) for c in rubric.categories}
    overall = round(rubric.overall(categories), 2)
    rule_view = rubric.overall({"typography": typography, "depth": clamp(depth), "motion": motion,
                                "soul_match": rule_fit if rule_fit is not None else 50.0, "anti_slop": slop.overall}
                               | {c: 50.0 for c in rubric.categories if c not in categories_all})
    estimates = [rule_view] + [s for s in (number(visual.get("overall")), reported_fit) if s is not None]
    # the anti-slop judge's tells land in this rubric's anti_slop category
    issues = ev.issues() + [msgspec.structs.replace(i, category="anti_slop") for i in slop.issues if i.severity != "minor"]
    reasoning = [f"Soul {soul or 'unknown'}; typography {typography:.0f}, palette/depth {clamp(depth):.0f}, motion {motion:.0f}."]
    if fits:
        reasoning.append(f"Rule-of-thumb fit to the soul {sum(fits) / len(fits):.0%} (fonts, canvas, motion).")
    if visual:
        reasoning.append(f"Builder visual scores used as one signal (overall {visual.get('overall')}).")
    reasoning.append(f"Anti-slop {slop.overall:.0f}: {slop.reasoning}")
    recommendations = list(dict.fromkeys(ev.suggestions() + slop.recommendations))[:5]
    return Verdict(overall=overall, categories=categories,
                   confidence=agreement_confidence(estimates, expected=3),
                   issues=issues, recommendations=recommendations, reasoning=" ".join(reasoning))
