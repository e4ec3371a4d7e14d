"""A build's decisions: which option the builder picks, what came of it, and when the outcome arrives."""

from __future__ import annotations

from typing import Any

from learning_pipeline.simulation.catalog_decisions import (
    PHASE_DECISIONS, PHASE_WINDOWS, EARLY_PHASES, REASONING_SPECIFIC, REASONING_VAGUE)
from learning_pipeline.simulation.catalog_errors import ERROR_TYPES
from learning_pipeline.simulation.options import Option, compose_options
from learning_pipeline.simulation.sampling import clip, poisson
from learning_pipeline.simulation.vocabulary import (
    ALT_DATE_SHARE, DAY_MS, LATE_OUTCOME_MAX_DAYS, MINUTE_MS, OUTCOME_INLINE_SHARE, OUTCOME_LATE_SHARE,
    OUTCOME_REPLACED_SHARE, PHASES)
from learning_pipeline.simulation.wire_values import iso, maybe_extra_field, set_optional


class DecisionSteps:
    """Mixed into BuildSim: the decision traces of one build."""

    def _decisions(self) -> tuple[int, int, int]:
        rng = self.rng
        early_good = early_total = early_errors = 0
        phases = list(PHASES) if rng.random() < 0.88 else list(PHASES[:-1])  # not every build reaches a demo
        for phase in phases:
            types, lo, hi = PHASE_DECISIONS[phase]
            count = lo + int(rng.random() * (hi - lo + 1))
            times = sorted(self._at(phase) for _ in range(count))
            for t in times:
                dtype = types[int(rng.random() * len(types))]
                good, result = self._decision(phase, dtype, t)
                if phase in EARLY_PHASES:
                    early_total += 1
                    early_good += good
                    early_errors += result != "success"
        return early_good, early_total, early_errors

    def _choose(self, dtype: str, options: list[Option], avoid: int | None) -> int:
        rng = self.rng
        goods = [i for i, o in enumerate(options) if o.quality == "good" and i != avoid]
        bads = [i for i, o in enumerate(options) if o.quality != "good" and i != avoid]
        if avoid is None:
            p_good = clip(0.18 + 0.75 * self.skill, 0.05, 0.95)
        else:
            # After a failure the builder switches option and usually reaches for a good one.
            p_good = clip(0.55 + 0.4 * self.skill, 0.05, 0.97)
        pool = goods if (rng.random() < p_good and goods) or not bads else bads
        if pool is goods and len(pool) > 1 and rng.random() < 0.6:
            # the better of the good options is the favourite
            return max(pool, key=lambda i: self.world.option_p(dtype, options[i], self.project.context))
        return pool[int(rng.random() * len(pool))]

    def _decision(self, phase: str, dtype: str, t: int, attempt: int = 0, avoid: int | None = None,
                  error_text: str | None = None, options: list[Option] | None = None) -> tuple[bool, str]:
        rng, world = self.rng, self.world
        if options is None:
            # A retry weighs the same options again; a new decision composes its own.
            topic = self.project.features[int(rng.random() * len(self.project.features))][0]
            options = compose_options(rng, dtype, self.entity, topic)
        index = self._choose(dtype, options, avoid)
        chosen = options[index]
        good = chosen.quality == "good"
        p = world.option_p(dtype, chosen, self.project.context)
        u = rng.random()
        if u < p:
            result = "success"
        else:
            result = "partial" if rng.random() < 0.35 else "failure"
        alt = rng.random() < ALT_DATE_SHARE

        others = [o.text for i, o in enumerate(options) if i != index]
        rng.shuffle(others)
        k = rng.random()
        rejected = others if k < 0.6 else others[: 1 + int(rng.random() * 2)] if k < 0.92 else []
        feature = self.project.features[int(rng.random() * len(self.project.features))][0]
        specific = rng.random() < (0.7 if good else 0.3)
        pool = REASONING_SPECIFIC if specific else REASONING_VAGUE
        reasoning = pool[int(rng.random() * len(pool))].format(feature=feature)
        confidence = clip(rng.gauss(0.76 if good else 0.64, 0.11) + (0.04 if result == "success" else -0.02), 0.05, 0.99)

        record = self._base("traceId", "dec")
        record["phase"] = phase
        record["decisionType"] = dtype
        context: dict[str, Any] = {"previousAttempts": attempt}
        set_optional(context, "intentSnippet", self.intent[:160], rng, 0.15, 0.03)
        set_optional(context, "currentCodeState", self._code_state(phase), rng, 0.3, 0.1)
        if error_text is not None:
            context["errorIfAny"] = error_text
        else:
            set_optional(context, "errorIfAny", None, rng, 0.5, 0.5)
        thinking = (f"Options for {dtype.replace('_', ' ')}: '{chosen.text}'"
                    + (f" vs '{rejected[0]}'" if rejected else "")
                    + f". {'Previous attempt failed, switching approach. ' if attempt else ''}"
                    + f"Going with the first because {reasoning[0].lower()}{reasoning[1:]}")
        set_optional(context, "thinkingTrace", thinking, rng, 0.2, 0.05)
        related = [p for p, _ in self.paths[: 1 + int(rng.random() * len(self.paths))]]
        set_optional(context, "relatedFiles", related, rng, 0.2, 0.05)
        set_optional(context, "buildPhase", phase, rng, 0.3, 0.0)
        record["context"] = context
        record["decision"] = {
            "chosenOption": chosen.text,
            "rejectedOptions": rejected,
            "reasoning": reasoning,
            "confidence": round(confidence, 2),
        }
        outcome = self._outcome(result)
        delivery = rng.random()
        record["createdAt"] = iso(t, alt)
        if delivery < OUTCOME_INLINE_SHARE:
            recorded = t + int(rng.uniform(0.5, 20) * MINUTE_MS)
            record["outcome"] = outcome
            record["outcomeRecordedAt"] = iso(recorded, alt)
            self.truth.outcomes["inline"] += 1
        else:
            if rng.random() < 0.6:
                record["outcome"] = None
        maybe_extra_field(record, rng)
        secrets = self._plant(record, [("context.thinkingTrace", "text"), ("decision.reasoning", "text"),
                                       ("context.errorIfAny", "text"), ("context.currentCodeState", "text")])
        self._emit(t, "decision", record, secrets)
        self.truth.decisions += 1
        self.truth.decision_records.append({
            "traceId": record["traceId"], "buildId": self.build_id, "decisionType": dtype,
            "chosen_quality": chosen.quality, "chosen_clauses": [list(c) for c in chosen.clauses],
            "p_success": p, "result": result,
            "rejected_qualities": {o.text: o.quality for o in options if o.text in rejected},
        })

        if OUTCOME_INLINE_SHARE <= delivery < OUTCOME_INLINE_SHARE + OUTCOME_LATE_SHARE:
            self._late_outcome(record["traceId"], t, outcome)
        elif delivery >= OUTCOME_INLINE_SHARE + OUTCOME_LATE_SHARE:
            self.truth.outcomes["never"] += 1

        # A failed decision is often retried later in the build with a different option.
        if result == "failure" and attempt < 3 and rng.random() < 0.65:
            lo, hi = PHASE_WINDOWS[phase]
            t_retry = t + int(rng.uniform(1, 10) * MINUTE_MS + self.duration * (hi - lo) * 0.2)
            self.truth.retries += 1
            self._decision(phase, dtype, t_retry, attempt + 1, index, self._failure_text(dtype), options)
        return good, result

    def _outcome(self, result: str) -> dict:
        rng = self.rng
        if result == "success":
            fixes = 0 if rng.random() < 0.85 else 1
            in_production = rng.random() < 0.95
            base = 84
        elif result == "partial":
            fixes = 1 + int(rng.random() * 2)
            in_production = rng.random() < 0.6
            base = 64
        else:
            fixes = 1 + int(rng.random() * 4)
            in_production = rng.random() < 0.15
            base = 41
        outcome: dict[str, Any] = {"immediateResult": result, "requiredFixes": fixes,
                                   "finalInProduction": in_production}
        if rng.random() < 0.7:
            outcome["verificationScores"] = {
                name: round(clip(rng.gauss(base, 9), 0, 100), 1)
                for name in ("functional", "codeQuality", "visual", "accessibility")[: 2 + int(rng.random() * 3)]
            }
        u = rng.random()
        if u < 0.45:
            sat = {"success": 4.3, "partial": 3.2, "failure": 2.0}[result] + rng.gauss(0, 0.7)
            outcome["userSatisfaction"] = int(round(clip(sat, 1, 5)))
        elif u < 0.75:
            outcome["userSatisfaction"] = None
        return outcome

    def _late_outcome(self, trace_id: str, t: int, outcome: dict) -> None:
        rng = self.rng
        window_end = self.window_end
        # Outcomes arrive 0-5 days after the decision, never after the end of the window.
        room = max(2 * MINUTE_MS, min(LATE_OUTCOME_MAX_DAYS * DAY_MS, window_end - t))
        self.truth.outcomes["late"] += 1
        if rng.random() < OUTCOME_REPLACED_SHARE:
            # A provisional outcome that a newer one replaces (the final one is the true sample);
            # both stay inside the 0-5 day window.
            recorded = t + MINUTE_MS + int(rng.random() * 0.6 * room)
            final_at = recorded + MINUTE_MS + int(rng.random() * (t + room - recorded - MINUTE_MS))
            provisional = dict(outcome)
            provisional["immediateResult"] = {"success": "partial", "partial": "failure", "failure": "partial"}[
                outcome["immediateResult"]]
            provisional.pop("verificationScores", None)
            self._emit_outcome(trace_id, recorded, provisional)
            self._emit_outcome(trace_id, final_at, outcome)
            self.truth.outcomes["replaced"].append(trace_id)
        else:
            self._emit_outcome(trace_id, t + MINUTE_MS + int(rng.random() * (room - MINUTE_MS)), outcome)

    def _emit_outcome(self, trace_id: str, ts: int, outcome: dict) -> None:
        data = {"traceId": trace_id, "outcome": outcome,
                "outcomeRecordedAt": iso(ts, self.rng.random() < ALT_DATE_SHARE)}
        maybe_extra_field(data, self.rng)
        self._emit(ts, "decision_outcome", data)

    def _code_state(self, phase: str) -> str:
        rng = self.rng
        files = len(self.paths) + int(rng.random() * 12)
        if phase in ("intent_lock", "initialization"):
            return f"scaffold: {files} files, no components yet"
        failing = poisson(rng, 1.5 * (1 - self.skill))
        return f"{files} files, type check {'passing' if not failing else f'failing ({failing} errors)'}"

    def _failure_text(self, dtype: str) -> str:
        etype = list(ERROR_TYPES)[int(self.rng.random() * len(ERROR_TYPES))]
        return f"previous {dtype.replace('_', ' ')} failed verification: {ERROR_TYPES[etype]['message'][:120]}"

    # -- errors ---------------------------------------------------------------------------------
