"""A build's code artifacts: versions whose hidden quality shows in the code, and the patterns used."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from learning_pipeline.simulation import self_assessment
from learning_pipeline.simulation.code_generators import CODE_GENERATORS
from learning_pipeline.simulation.code_text import CODE_TUNABLES, N_CODE_LATENTS, defects
from learning_pipeline.simulation.catalog_practice import LANGUAGE_PATTERN_CATEGORIES
from learning_pipeline.simulation.sampling import clip, poisson
from learning_pipeline.simulation.vocabulary import ALT_DATE_SHARE, MINUTE_MS
from learning_pipeline.simulation.wire_values import iso, maybe_extra_field, set_optional


class CodeArtifactSteps:
    """Mixed into BuildSim: the code artifact traces of one build."""

    def _code_artifacts(self, first_attempt_success: bool) -> None:
        rng = self.rng
        self.used_patterns: list[tuple[dict, bool]] = []
        for path, lang in self.paths:
            latents = [rng.random() for _ in range(N_CODE_LATENTS)]
            salt = int(rng.random() * 1000)
            comp = Path(path).stem.split(".")[0]
            if not comp[:1].isupper():
                comp = self.entity + "Panel"
            # Tunables and names a file settles once (kept across its versions); like the entity,
            # they make two builds' files differ even where both are clean.
            names = {key: str(values[int(rng.random() * len(values))]) for key, values in CODE_TUNABLES.items()}
            names.update({"$C": comp, "$Es": self.entity + "s", "$E": self.entity, "$es": self.entity.lower() + "s",
                          "$e": self.entity.lower()})
            quality = clip(rng.gauss(22 + 52 * self.skill - 12 * self.complexity, 12), 2, 98)
            n_versions = 1 + min(4, poisson(rng, 0.4 + 2.2 * (100 - quality) / 100))
            t = self._at("build")
            triggers = ["initial"]
            qualities = [quality]
            times = [t]
            for v in range(2, n_versions + 1):
                u = rng.random()
                if self.error_times and u < 0.4:
                    trigger = "fix"
                elif u < 0.65:
                    trigger = "refactor"
                else:
                    trigger = "verification_feedback"
                if rng.random() < (0.22 if trigger == "refactor" else 0.12):
                    quality = clip(quality - rng.uniform(4, 16), 2, 98)  # a regression
                else:
                    quality = clip(quality + rng.uniform(4, 22), 2, 98)
                window = "verification" if trigger == "verification_feedback" else ("integration" if trigger == "fix" else "build")
                t = max(t + int(rng.uniform(0.5, 8) * MINUTE_MS), self._at(window))
                triggers.append(trigger)
                qualities.append(quality)
                times.append(t)
            alt = rng.random() < ALT_DATE_SHARE
            generator = CODE_GENERATORS[lang]
            versions, trajectory = [], []
            for v, (q, trig, ts) in enumerate(zip(qualities, triggers, times), start=1):
                # Each version is written anew: the same file, names and defects-by-quality, but
                # its neutral style choices (code_blocks.style_bit) drawn again, as a rewrite does.
                version = {"version": v, "code": generator(defects(latents, q), names, salt * 8 + v), "timestamp": iso(ts, alt),
                           "trigger": trig}
                agent = ("build-agent-1", "build-agent-2", "build-agent-3", "verification-swarm",
                         "error-escalation")[int(rng.random() * 5)]
                set_optional(version, "changedByAgent", agent, rng, 0.2, 0.05)
                versions.append(version)
                # What the agent reports about its own version (see self_assessment).
                point: dict[str, Any] = {"timestamp": iso(ts, alt),
                                         "errorCount": poisson(rng, 0.4 + (100 - q) / 40),
                                         "codeQualityScore": self_assessment.code_quality_score(
                                             rng, q, version["code"], agent)}
                if lang in ("tsx", "css"):
                    visual, anti_slop = self_assessment.ui_scores(rng, q, self.skill, agent)
                    set_optional(point, "visualQualityScore", visual, rng, 0.2, 0.1)
                    set_optional(point, "antiSlopScore", anti_slop, rng, 0.2, 0.1)
                trajectory.append(point)
                self.truth.code_versions.append({"artifactId": None, "version": v, "quality": round(q, 2),
                                                 "trigger": trig, "language": lang})
            patterns = self._pick_patterns(lang)
            record = self._base("artifactId", "art")
            for entry in self.truth.code_versions[-len(versions):]:
                entry["artifactId"] = record["artifactId"]
            record["filePath"] = path
            record["versions"] = versions
            record["qualityTrajectory"] = trajectory
            record["patternsUsed"] = patterns
            record["createdAt"] = iso(times[0], alt)
            record["updatedAt"] = iso(times[-1], alt)
            maybe_extra_field(record, rng)
            # Hard-coded credentials belong to sloppy code: plant in the worst version most often.
            family = "py" if lang == "py" else "css" if lang == "css" else "ts"
            worst = min(range(len(versions)), key=lambda i: qualities[i])
            places = [(f"versions[{worst}].code", f"code:{family}")] * 3 + [
                (f"versions[{i}].code", f"code:{family}") for i in range(len(versions))]
            badness = (100 - min(qualities)) / 100
            secrets = self._plant(record, places) if self.secret_rng.random() < 2.0 * badness else None
            self._emit(times[-1], "code_artifact", record, secrets)

    def _pick_patterns(self, lang: str) -> list[dict]:
        rng = self.rng
        out = []
        categories = LANGUAGE_PATTERN_CATEGORIES[lang]
        for _ in range(int(rng.random() * 3.2)):
            category = categories[int(rng.random() * len(categories))]
            candidates = self.world.patterns_by_category[category]
            # A skilled builder reaches for the patterns that work; weights sharpen with skill.
            weights = [p["p"] ** (1 + 6 * self.skill) for p in candidates]
            pattern = rng.choices(candidates, weights)[0]
            if any(entry["patternName"] == pattern["name"] for entry in out):
                continue
            success = rng.random() < pattern["p"]
            iterations = 1 if success else 2 + poisson(rng, 0.8)
            out.append({"patternName": pattern["name"], "patternCategory": pattern["category"],
                        "firstAttemptSuccess": success, "iterationsToSuccess": iterations})
            self.used_patterns.append((pattern, success))
        return out
