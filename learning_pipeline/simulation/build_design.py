"""A build's design choice: how well it fits the app soul, or whether it is AI slop."""

from __future__ import annotations

from learning_pipeline.simulation.catalog_design import SLOP_DESIGN, SOULS
from learning_pipeline.simulation.sampling import clip
from learning_pipeline.simulation.screenshots import screenshot_data_uri
from learning_pipeline.simulation.vocabulary import ALT_DATE_SHARE
from learning_pipeline.simulation.wire_values import iso, maybe_extra_field, set_optional


class DesignChoiceSteps:
    """Mixed into BuildSim: the design choice trace of one build."""

    def _design(self) -> dict | None:
        rng = self.rng
        if rng.random() < 0.08:
            return None  # backend-only iterations carry no design choice
        soul = self.project.soul
        spec = SOULS[soul]
        others = [s for s in SOULS if s != soul]
        slop = rng.random() < max(0.04, 0.44 - 0.45 * self.skill)
        p_fit = clip(0.3 + 0.6 * self.skill, 0.05, 0.95)
        font_fit = not slop and rng.random() < p_fit
        palette_fit = not slop and rng.random() < p_fit
        motion_fit = not slop and rng.random() < p_fit
        if slop:
            fonts = list(SLOP_DESIGN["fonts"])
            palette = dict(SLOP_DESIGN["palette"])
            palette_name = "ai_gradient"
            animations: list[dict] = []
        else:
            font_source = spec if font_fit else SOULS[others[int(rng.random() * len(others))]]
            fonts = font_source["fonts"][:2] if rng.random() < 0.6 else [font_source["fonts"][0],
                                                                        font_source["fonts"][2]]
            palette_soul = spec if palette_fit else SOULS[others[int(rng.random() * len(others))]]
            palette_name = list(palette_soul["palettes"])[int(rng.random() * 2)]
            palette = dict(palette_soul["palettes"][palette_name])
            motion_soul = spec if motion_fit else SOULS[others[int(rng.random() * len(others))]]
            animations = [{"name": n, "timing": tm, "easing": e}
                          for n, tm, e in motion_soul["motion"][: 1 + int(rng.random() * 2)]]
        # True quality (noise-free); observed scores add judge noise around it.
        if slop:
            true = {"typographyScore": 28.0, "depthScore": 30.0, "motionScore": 12.0, "soulMatchScore": 20.0}
        else:
            true = {
                "typographyScore": 50.0 + 38.0 * font_fit,
                "depthScore": 52.0 + 30.0 * palette_fit,
                "motionScore": 40.0 + 45.0 * motion_fit,
                "soulMatchScore": 25.0 + 22.0 * (font_fit + palette_fit + motion_fit),
            }
        true_overall = (0.25 * true["typographyScore"] + 0.2 * true["depthScore"] + 0.2 * true["motionScore"]
                        + 0.35 * true["soulMatchScore"])
        scores = {k: round(clip(v + rng.gauss(0, 6), 0, 100), 1) for k, v in true.items()}
        scores["overall"] = round(clip(true_overall + rng.gauss(0, 4), 0, 100), 1)
        anti_slop = clip(rng.gauss(48, 7) if slop else 43 + 0.65 * true_overall + rng.gauss(0, 5), 0, 100)

        t = self._at("demo" if rng.random() < 0.5 else "verification")
        alt = rng.random() < ALT_DATE_SHARE
        record = self._base("choiceId", "dsn")
        if rng.random() < 0.93:
            record["appSoul"] = soul
        elif rng.random() < 0.5:
            record["appSoul"] = None
        rejected = (["Inter", "Roboto"] if not slop else [spec["fonts"][0]])[: int(rng.random() * 3)]
        typography = {
            "fontsChosen": fonts,
            "fontsRejected": rejected,
            "reasoning": ("Inter is safe and readable everywhere." if slop else
                          f"{fonts[0]} gives the {soul.replace('_', ' ')} voice; {fonts[1]} keeps body text calm."),
            "antiSlopCompliant": not slop,
        }
        alternatives = [dict(list(SOULS[o]["palettes"].values())[0]) for o in others[: int(rng.random() * 3)]]
        color_system = {
            "paletteChosen": {"name": palette_name, **palette},
            "alternativesConsidered": alternatives,
            "soulAppropriatenessScore": round(clip((20 if slop else 45 + 40 * palette_fit) + rng.gauss(0, 7), 0, 100), 1),
        }
        motion = {
            "animationsUsed": animations,
            "timingFunctions": sorted({a["easing"] for a in animations}),
            "matchesSoul": motion_fit,
        }
        layout = {
            "gridSystem": SLOP_DESIGN["grid"] if slop else spec["grid"] if rng.random() < 0.7 else "12-column grid",
            "spacingRationale": SLOP_DESIGN["spacing"] if slop else "8pt spacing scale from tokens; density follows the soul",
            "asymmetryUsed": (not slop) and rng.random() < 0.35 + 0.4 * palette_fit,
        }
        # Optional blocks are sometimes missing or null.
        for key, value in (("typography", typography), ("colorSystem", color_system),
                           ("motionLanguage", motion), ("layoutDecisions", layout), ("visualScores", scores)):
            set_optional(record, key, value, rng, 0.04, 0.02)
        if rng.random() < 0.10:
            record["screenshots"] = [screenshot_data_uri(palette, slop, int(rng.random() * 4))]
        record["createdAt"] = iso(t, alt)
        maybe_extra_field(record, rng)
        places = [("typography.reasoning", "text")] if isinstance(record.get("typography"), dict) else []
        secrets = self._plant(record, places)
        self._emit(t, "design_choice", record, secrets)
        self.truth.design_choices.append({
            "choiceId": record["choiceId"], "buildId": self.build_id, "app_soul": soul, "slop": slop,
            "font_fit": font_fit, "palette_fit": palette_fit, "motion_fit": motion_fit,
            "true_scores": {**true, "overall": round(true_overall, 2)},
            "anti_slop_score": round(anti_slop, 1),
        })
        return {"anti_slop": anti_slop}
