"""Composing a design choice's fonts, palette, motion and layout for an app soul.

A part that fits is drawn from the soul's own profile; one that does not, from another
soul's. Colors are generated (hue, lightness) rather than picked from a list, so palettes
rarely repeat while their canvas and hues still say which soul they suit."""

from __future__ import annotations

import colorsys
import random

from learning_pipeline.simulation.catalog_design import MOTION_TARGETS, PALETTE_WORDS, SLOP_DESIGN, SOULS, SPACING


def _pick(rng: random.Random, items):
    return items[int(rng.random() * len(items))]


def _hex(hue: float, lightness: float, saturation: float) -> str:
    r, g, b = colorsys.hls_to_rgb((hue % 360) / 360, lightness, saturation)
    return f"#{round(r * 255):02X}{round(g * 255):02X}{round(b * 255):02X}"


def other_soul(rng: random.Random, soul: str, differ_on: str | None = None) -> str:
    """Another soul, preferably one that differs from `soul` on `differ_on` (e.g. the canvas)."""
    others = [s for s in SOULS if s != soul]
    if differ_on is not None:
        others = [s for s in others if SOULS[s][differ_on] != SOULS[soul][differ_on]] or others
    return _pick(rng, others)


def fonts(rng: random.Random, soul: str) -> list[str]:
    return rng.sample(SOULS[soul]["fonts"], 2)


def palette(rng: random.Random, soul: str) -> tuple[str, dict[str, str]]:
    spec = SOULS[soul]
    hue = _pick(rng, spec["hues"]) + rng.uniform(-14, 14)
    accent = hue + rng.uniform(140, 220)
    if spec["dark"]:
        background, surface, text = rng.uniform(0.03, 0.09), rng.uniform(0.1, 0.16), rng.uniform(0.9, 0.96)
    else:
        background, surface, text = rng.uniform(0.94, 0.98), rng.uniform(0.985, 1.0), rng.uniform(0.08, 0.16)
    name = f"{_pick(rng, PALETTE_WORDS[0])}_{_pick(rng, PALETTE_WORDS[1])}"
    return name, {
        "primary": _hex(hue, rng.uniform(0.42, 0.58), rng.uniform(0.55, 0.85)),
        "accent": _hex(accent, rng.uniform(0.45, 0.62), rng.uniform(0.6, 0.9)),
        "background": _hex(hue, background, rng.uniform(0.1, 0.35)),
        "surface": _hex(hue, surface, rng.uniform(0.08, 0.25)),
        "text": _hex(hue, text, rng.uniform(0.05, 0.2)),
    }


def animations(rng: random.Random, soul: str) -> list[dict]:
    spec = SOULS[soul]
    lo, hi = spec["tempo_ms"]
    out = []
    for word in rng.sample(spec["motion"], 1 + int(rng.random() * 2)):
        target = _pick(rng, MOTION_TARGETS)
        if spec["playful"]:
            easing = _pick(rng, ("cubic-bezier(0.34, 1.56, 0.64, 1)", "cubic-bezier(0.68, -0.6, 0.32, 1.6)",
                                 "cubic-bezier(0.5, 1.8, 0.5, 0.8)"))
        else:
            easing = _pick(rng, ("cubic-bezier(0.16, 1, 0.3, 1)", "cubic-bezier(0.2, 0, 0, 1)", "ease-out",
                                 "cubic-bezier(0.65, 0, 0.35, 1)"))
        out.append({"name": f"{word}-{target}" if target else word, "timing": f"{int(rng.uniform(lo, hi))}ms",
                    "easing": easing})
    return out


def grid(rng: random.Random, soul: str) -> str:
    columns, features = SOULS[soul]["grid"]
    return f"{_pick(rng, columns)} with {_pick(rng, features)}"


def spacing(rng: random.Random) -> str:
    return _pick(rng, SPACING)


def slop(rng: random.Random) -> dict:
    """The generic AI look, in one of its many near-identical variants."""
    first, second = rng.sample(SLOP_DESIGN["gradient_hexes"], 2)
    return {
        "fonts": rng.sample(SLOP_DESIGN["fonts"][:2], 1) + rng.sample(SLOP_DESIGN["fonts"][2:], 1),
        "palette": {"primary": first, "accent": second,
                    "background": f"linear-gradient({_pick(rng, (135, 120, 90, 160))}deg, {first} 0%, {second} 100%)",
                    "surface": "#FFFFFF", "text": _pick(rng, SLOP_DESIGN["text"])},
        "grid": _pick(rng, SLOP_DESIGN["grid"]),
        "spacing": _pick(rng, SLOP_DESIGN["spacing"]),
    }
