"""A build's design choice: how well it fits the app soul, or whether it is AI slop."""

from __future__ import annotations

from learning_pipeline.simulation import design_language, self_assessment
from learning_pipeline.simulation.catalog_design import SOULS
from learning_pipeline.simulation.sampling import clip
from learning_pipeline.simulation.screenshots import screenshot_data_uri
from learning_pipeline.simulation.vocabulary import ALT_DATE_SHARE
from learning_pipeline.simulation.wire_values import iso, maybe_extra_field, set_optional


class DesignChoiceSteps:
    """Mixed into BuildSim: the design choice trace of one build."""

    def _designs(self) -> dict | None:
        """A build designs several screens (and revises some); each is one design choice."""
        rng = self.rng
        if rng.random() < 0.08:
            return None  # backend-only iterations carry no design choice
        scores = [self._design()["anti_slop"] for _ in range(3 + int(rng.random() * 4))]
        return {"anti_slop": sum(scores) / len(scores)}

    def _design(self) -> dict:
        rng = self.rng
        soul = self.project.soul
        slop = rng.random() < max(0.04, 0.44 - 0.45 * self.skill)
        p_fit = clip(0.3 + 0.6 * self.skill, 0.05, 0.95)
        font_fit = not slop and rng.random() < p_fit
        palette_fit = not slop and rng.random() < p_fit
        motion_fit = not slop and rng.random() < p_fit
        if slop:
            look = design_language.slop(rng)
            fonts, palette, palette_name = look["fonts"], look["palette"], "ai_gradient"
            animations: list[dict] = []
            grid, spacing = look["grid"], look["spacing"]
            layout_fit = False
        else:
            # A part that misses the soul is one made for another soul (for the palette, one
            # with the other canvas; for motion, one with another tempo).
            fonts = design_language.fonts(rng, soul if font_fit else design_language.other_soul(rng, soul))
            palette_name, palette = design_language.palette(
                rng, soul if palette_fit else design_language.other_soul(rng, soul, "dark"))
            animations = design_language.animations(
                rng, soul if motion_fit else design_language.other_soul(rng, soul, "tempo_ms"))
            layout_fit = rng.random() < p_fit
            grid = design_language.grid(rng, soul if layout_fit else design_language.other_soul(rng, soul))
            spacing = design_language.spacing(rng)
        # True quality (noise-free); observed scores add judge noise around it.
        if slop:
            true = {"typographyScore": 28.0, "depthScore": 30.0, "motionScore": 12.0, "soulMatchScore": 20.0}
        else:
            true = {
                "typographyScore": 50.0 + 38.0 * font_fit,
                "depthScore": 52.0 + 30.0 * palette_fit,
                "motionScore": 40.0 + 45.0 * motion_fit,
                "soulMatchScore": 20.0 + 20.0 * (font_fit + palette_fit + motion_fit) + 15.0 * layout_fit,
            }
        true_overall = (0.25 * true["typographyScore"] + 0.2 * true["depthScore"] + 0.2 * true["motionScore"]
                        + 0.35 * true["soulMatchScore"])
        # The builder's own view of it (see self_assessment): calibrated per designer, anchored.
        designer_bias = rng.gauss(5, 6)
        scores = self_assessment.design_scores(rng, true, palette, designer_bias)
        anti_slop = clip(rng.gauss(48, 7) if slop else 43 + 0.65 * true_overall + rng.gauss(0, 5), 0, 100)

        t = self._at("demo" if rng.random() < 0.5 else "verification")
        alt = rng.random() < ALT_DATE_SHARE
        record = self._base("choiceId", "dsn")
        if rng.random() < 0.93:
            record["appSoul"] = soul
        elif rng.random() < 0.5:
            record["appSoul"] = None
        rejected = (["Inter", "Roboto"] if not slop else SOULS[soul]["fonts"][:2])[: int(rng.random() * 3)]
        typography = {
            "fontsChosen": fonts,
            "fontsRejected": rejected,
            "reasoning": ("Inter is safe and readable everywhere." if slop else
                          f"{fonts[0]} gives the {soul.replace('_', ' ')} voice; {fonts[1]} keeps body text calm."),
            "antiSlopCompliant": self_assessment.flag(rng, not slop),
        }
        alternatives = [design_language.palette(rng, design_language.other_soul(rng, soul))[1]
                        for _ in range(int(rng.random() * 3))]
        color_system = {
            "paletteChosen": {"name": palette_name, **palette},
            "alternativesConsidered": alternatives,
            "soulAppropriatenessScore": self_assessment.soul_appropriateness(rng, palette_fit, palette, designer_bias),
        }
        motion = {
            "animationsUsed": animations,
            "timingFunctions": sorted({a["easing"] for a in animations}),
            "matchesSoul": self_assessment.flag(rng, motion_fit),
        }
        layout = {
            "gridSystem": grid,
            "spacingRationale": spacing,
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
            "font_fit": font_fit, "palette_fit": palette_fit, "motion_fit": motion_fit, "layout_fit": layout_fit,
            "true_scores": {**true, "overall": round(true_overall, 2)},
            "anti_slop_score": round(anti_slop, 1),
        })
        return {"anti_slop": anti_slop}
