"""Simulating one build: its plan, its steps (decisions, errors, code, design) and its summary."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from learning_pipeline.simulation.build_code import CodeArtifactSteps
from learning_pipeline.simulation.build_decisions import DecisionSteps
from learning_pipeline.simulation.build_design import DesignChoiceSteps
from learning_pipeline.simulation.build_errors import ErrorRecoverySteps
from learning_pipeline.simulation.catalog_apps import CONSTRAINTS
from learning_pipeline.simulation.catalog_decisions import PHASE_WINDOWS
from learning_pipeline.simulation.code_generators import COMPONENT_SUFFIXES, LANGUAGE_WEIGHTS, PATH_TEMPLATES
from learning_pipeline.simulation.code_text import fill_names
from learning_pipeline.simulation.planted_secrets import plant_secret
from learning_pipeline.simulation.sampling import clip, hex_id, poisson, sigmoid
from learning_pipeline.simulation.truth import TruthRecord
from learning_pipeline.simulation.vocabulary import ALT_DATE_SHARE, MINUTE_MS
from learning_pipeline.simulation.wire_values import day_of, iso, maybe_extra_field
from learning_pipeline.simulation.world import SUCCESS_MODEL, World, strategy_id


@dataclass
class Project:
    project_id: str
    user_id: str
    kind: tuple
    soul: str
    context: str
    tags: list[str]
    features: list[tuple[str, bool]]
    complexity: float


@dataclass
class User:
    user_id: str
    clarity: float  # how clearly this user tends to write intents
    projects: list[Project] = field(default_factory=list)


@dataclass
class Event:
    ts: int
    kind: str
    data: dict
    secrets: list[dict] | None = None



class BuildSim(DecisionSteps, ErrorRecoverySteps, CodeArtifactSteps, DesignChoiceSteps):
    """Simulates one build into a list of timestamped events (and appends its truth)."""

    def __init__(self, world: World, truth: TruthRecord, seed: int, index: int, start_ms: int, progress: float,
                 project: Project, user: User, secret_rate: float, window_end: int):
        self.world = world
        self.truth = truth
        self.rng = random.Random(f"learning-sim/{seed}/build/{index}")
        # Secrets draw from their own stream so the secret rate does not reshuffle the builds.
        self.secret_rng = random.Random(f"learning-sim/{seed}/secrets/{index}")
        self.secret_rate = secret_rate
        self.start = start_ms
        self.progress = progress
        self.project = project
        self.user = user
        self.window_end = window_end  # late outcomes are not dated after the window
        self.events: list[Event] = []
        self.error_times: list[int] = []
        rng = self.rng
        self.build_id = hex_id(rng, "bld")
        # The builder's competence at this point of the window (it learns from earlier builds).
        self.skill = clip(0.22 + 0.62 * progress + rng.gauss(0, 0.07), 0.02, 0.98)
        self.clarity = clip(user.clarity + rng.gauss(0, 0.15), 0.0, 1.0)
        self.complexity = project.complexity
        self.entity = project.kind[3]
        # Planned duration: minutes to hours, longer when complex, shorter as the builder learns.
        median_min = 11.0 * (1.0 - 0.4 * progress) * (1.0 + 1.4 * self.complexity)
        self.duration = int(clip(math.exp(math.log(median_min) + rng.gauss(0, 0.55)), 3.0, 230.0) * MINUTE_MS)
        self.intent = self._intent()

    # -- helpers --------------------------------------------------------------------------------
    def _at(self, phase: str) -> int:
        lo, hi = PHASE_WINDOWS[phase]
        return self.start + int(self.duration * self.rng.uniform(lo, hi))

    def _base(self, id_key: str, prefix: str) -> dict:
        record = {id_key: hex_id(self.rng, prefix), "buildId": self.build_id}
        u = self.rng.random()
        if u < 0.94:
            record["projectId"] = self.project.project_id
        elif u < 0.97:
            record["projectId"] = None
        record["userId"] = self.user.user_id
        return record

    def _emit(self, ts: int, kind: str, data: dict, secrets: list[dict] | None = None) -> None:
        self.events.append(Event(ts, kind, data, secrets))

    def _intent(self) -> str:
        rng, kind = self.rng, self.project.kind
        name, _, _, entity, audience, famous = kind
        article = "an" if name[0] in "aeiouAEIOU" else "a"
        if self.clarity < 0.33:
            return (f"make me {article} {name} like {famous} but better",
                    f"i need an app for {audience}, should look cool",
                    f"something like {famous} for {audience}?? with {self.project.features[0][0]} maybe")[
                int(rng.random() * 3)]
        count = 1 + round(self.clarity * 3)
        feats = [f for f, _ in self.project.features[:count]]
        listed = ", ".join(feats[:-1]) + (" and " if len(feats) > 1 else "") + feats[-1]
        text = f"Build {article} {name} for {audience} with {listed}."
        if self.clarity > 0.6:
            text += f" Use {', '.join(self.project.tags[1:3]) or 'react'}; {CONSTRAINTS[int(rng.random() * 5)]}."
        if self.clarity > 0.85:
            text += f" Done means: a {entity.lower()} can be created, edited and shared end to end."
        return text

    def _plant(self, record: dict, places: list[tuple[str, str]]) -> list[dict] | None:
        """Maybe hide a secret in one of `places` ((field path, style)); returns what was planted."""
        return plant_secret(self.secret_rng, self.secret_rate, record, places)

    # -- the build ------------------------------------------------------------------------------
    def run(self) -> list[Event]:
        rng = self.rng
        self.paths = self._plan_artifacts()
        early_good, early_total, early_errors = self._decisions()
        plan_quality = early_good / early_total if early_total else 0.5
        m = SUCCESS_MODEL
        logit = (m["intercept"] + m["intentClarity"] * self.clarity + m["complexity"] * self.complexity
                 + m["planQuality"] * plan_quality + m["earlyErrors"] * early_errors + m["skill"] * self.skill)
        p_success = sigmoid(logit)
        first_attempt_success = rng.random() < p_success

        errors_attempts, unresolved = self._errors(first_attempt_success)
        self._code_artifacts(first_attempt_success)
        design = self._designs()
        self._patterns_feedback()
        self._strategies(bool(errors_attempts), design is not None)

        # The build ends after its last own event (late outcomes arrive days later and do not count).
        end = max([self.start + self.duration] + [e.ts for e in self.events if e.kind != "decision_outcome"])
        end += int(rng.uniform(5, 90) * 1000)
        if design is not None:
            anti_slop = design["anti_slop"]
        else:
            anti_slop = clip(rng.gauss(66 + 25 * self.skill, 7), 0, 100)
        attempts = sum(errors_attempts)
        satisfaction = (7.0 + 1.0 * first_attempt_success + 0.04 * (anti_slop - 70) + 1.2 * self.skill
                        - 0.12 * min(attempts, 8) - 0.6 * unresolved + rng.gauss(0, 0.7))
        satisfaction = int(round(clip(satisfaction, 1, 10)))
        summary = {
            "buildId": self.build_id,
            "firstAttemptSuccess": first_attempt_success,
            "errorFixAttempts": attempts,
            "buildTimeMs": end - self.start,
            "userSatisfaction": satisfaction,
            "antiSlopScore": round(anti_slop, 1),
            "createdAt": iso(end, rng.random() < ALT_DATE_SHARE),
        }
        maybe_extra_field(summary, rng)
        self._emit(end, "build_summary", summary)
        self.truth.builds.append({
            "buildId": self.build_id,
            "projectId": self.project.project_id,
            "userId": self.user.user_id,
            "day": day_of(self.start),
            "started_at": iso(self.start),
            "progress": round(self.progress, 4),
            "skill": round(self.skill, 4),
            "primary_context": self.project.context,
            "app_soul": self.project.soul,
            "signals": {
                "intentClarity": round(self.clarity, 4),
                "complexity": round(self.complexity, 4),
                "planQuality": round(plan_quality, 4),
                "earlyErrors": early_errors,
                "skill": round(self.skill, 4),
            },
            "success_probability": round(p_success, 4),
            "first_attempt_success": first_attempt_success,
            "error_fix_attempts": attempts,
            "unresolved_errors": unresolved,
            "anti_slop_score": round(anti_slop, 1),
            "user_satisfaction": satisfaction,
            "build_time_ms": end - self.start,
        })
        return self.events

    def _plan_artifacts(self) -> list[tuple[str, str]]:
        rng = self.rng
        count = min(6, 2 + poisson(rng, 0.6 + 1.6 * self.complexity))
        entity = self.entity
        paths: list[tuple[str, str]] = []
        seen: list[str] = []
        for _ in range(count * 3):
            if len(paths) == count:
                break
            u, acc, lang = rng.random(), 0.0, "tsx"
            for lang_name, weight in LANGUAGE_WEIGHTS:
                acc += weight
                if u < acc:
                    lang = lang_name
                    break
            comp = entity + COMPONENT_SUFFIXES[int(rng.random() * len(COMPONENT_SUFFIXES))]
            template = PATH_TEMPLATES[lang][int(rng.random() * len(PATH_TEMPLATES[lang]))]
            path = fill_names(template, {"$C": comp, "$E": entity, "$e": entity.lower()})
            if path not in seen:
                seen.append(path)
                paths.append((path, lang))
        return paths

    # -- decisions ------------------------------------------------------------------------------
    def _patterns_feedback(self) -> None:
        rng = self.rng
        for pattern, success in self.used_patterns:
            ts = self._at(("build", "integration", "verification")[int(rng.random() * 3)])
            data = {"patternId": pattern["patternId"], "buildId": self.build_id, "success": success,
                    "createdAt": iso(ts, rng.random() < ALT_DATE_SHARE)}
            maybe_extra_field(data, rng)
            self._emit(ts, "pattern_usage", data)

    # -- design ---------------------------------------------------------------------------------
    # -- strategies -----------------------------------------------------------------------------
    def _strategies(self, had_errors: bool, had_design: bool) -> None:
        rng = self.rng
        domains = ["component_build"] + (["error_fix"] if had_errors else []) + (["design"] if had_design else [])
        ctx = self.project.context
        for domain in domains:
            options = self.world.strategies[domain]
            best = max(options, key=lambda name: options[name][ctx])
            # The builder learns which strategy fits which context.
            if rng.random() < clip(0.35 + 0.6 * self.skill, 0.05, 0.95):
                strategy = best
            else:
                strategy = [name for name in options if name != best][0]
            success = rng.random() < options[strategy][ctx]
            ts = self.start + self.duration + int(rng.uniform(1, 30) * 1000)
            context = [ctx] + [t for t in self.project.tags[1:] if rng.random() < 0.6]
            data = {"strategyId": strategy_id(domain, strategy), "domain": domain, "strategy": strategy,
                    "context": context, "success": success, "buildId": self.build_id,
                    "createdAt": iso(ts, rng.random() < ALT_DATE_SHARE)}
            maybe_extra_field(data, rng)
            self._emit(ts, "strategy_outcome", data)
