"""A build's error recoveries: the journey of attempts, escalation, and the fix that worked."""

from __future__ import annotations

import random
from pathlib import Path

from learning_pipeline.simulation.catalog_errors import ATTEMPT_CHARS, DIFF_CONTEXT, ERROR_TYPES, LEADS
from learning_pipeline.simulation.catalog_practice import MODELS_BY_LEVEL
from learning_pipeline.simulation.sampling import clip, poisson
from learning_pipeline.simulation.vocabulary import ALT_DATE_SHARE
from learning_pipeline.simulation.wire_values import iso, maybe_extra_field, set_optional


class ErrorRecoverySteps:
    """Mixed into BuildSim: the error recovery traces of one build."""

    def _errors(self, first_attempt_success: bool) -> tuple[list[int], int]:
        rng = self.rng
        # Type checks and runtime errors are routine in a build; complex projects and a less
        # skilled builder hit more of them, and a build that fails its first attempt at least one.
        lam = 1.6 + 2.8 * self.complexity * (1 - self.skill)
        count = (0 if first_attempt_success else 1) + poisson(rng, lam * (0.7 if first_attempt_success else 1.0))
        attempts: list[int] = []
        unresolved = 0
        lang_paths = self.paths or [("src/App.tsx", "tsx")]
        for _ in range(count):
            path, lang = lang_paths[int(rng.random() * len(lang_paths))]
            candidates = [e for e, spec in ERROR_TYPES.items() if lang in spec["languages"]] or list(ERROR_TYPES)
            etype = candidates[int(rng.random() * len(candidates))]
            n, fixed = self._error(etype, path)
            attempts.append(n)
            unresolved += not fixed
        return attempts, unresolved

    def _with_context(self, diff: str, path: str, size: int) -> str:
        """Unchanged lines before and after the change, until the whole attempt (`size` so far)
        reaches a length drawn the same way for right and wrong fixes."""
        pool = DIFF_CONTEXT["py" if path.endswith(".py") else "ts"]
        before, after = [], []
        size += len(diff)
        target = self.rng.uniform(*ATTEMPT_CHARS)
        while size < target:
            line = " " + pool[int(self.rng.random() * len(pool))]
            (before if self.rng.random() < 0.5 else after).append(line)
            size += len(line) + 1
        return "\n".join(before + [diff] + after)

    def _error(self, etype: str, path: str) -> tuple[int, bool]:
        rng, spec = self.rng, ERROR_TYPES[etype]
        t0 = self._at(("build", "integration", "verification")[int(rng.random() * 3)])
        alt = rng.random() < ALT_DATE_SHARE
        line, col = 1 + int(rng.random() * 180), 1 + int(rng.random() * 40)
        stack = stack_trace(rng, spec["message"], path, line, col) if rng.random() < 0.8 else ""
        error = {"type": etype, "message": spec["message"], "stackTrace": stack,
                 "fileLocation": f"{path}:{line}:{col}"}
        set_optional(error, "firstOccurrence", iso(t0, alt), rng, 0.2, 0.05)

        hunk = f"--- a/{path}\n+++ b/{path}\n@@ -{line},6 +{line},8 @@\n"
        journey: list[dict] = []
        level = 1
        # A more skilled builder escalates straight to the level the error needs more often.
        if rng.random() < 0.5 * self.skill:
            level = spec["level"]
        t = t0
        fixed_at: int | None = None
        wrongs = spec["wrong"]
        for attempt in range(1, 6):
            p_correct = clip(0.2 + 0.5 * self.skill + 0.08 * (level - 1), 0.05, 0.95)
            correct = rng.random() < p_correct
            taken = int(rng.uniform(4, 30 + 60 * level) * 1000)
            t += taken
            if correct and level >= spec["level"]:
                result = "fixed"
            elif correct:
                result = "partial"  # the right idea at too low a level: incomplete
            else:
                result = "failed" if rng.random() < 0.7 else "new_error"
            step = {"attempt": attempt, "level": level, "modelUsed": MODELS_BY_LEVEL[level]}
            if rng.random() < 0.6:
                step["thinkingTrace"] = (f"{etype} in {path}. "
                                         + ("Root cause looks like " + spec["fix"].split(" and ")[0] + "."
                                            if correct else "Trying the quick workaround first."))
            if correct:
                description, diff = spec["fix"], spec["diff"]
            else:
                w = int(rng.random() * len(wrongs))
                description, diff = wrongs[w], spec["wrong_diffs"][w]
            # Every attempt is recorded the same way (what was done, in words, then the diff), so
            # a right fix and a wrong one differ in what they do, not in their form.
            lead = LEADS[int(rng.random() * len(LEADS))].format(file=Path(path).name, entity=self.entity.lower(),
                                                              level=level)
            diff = self._with_context(diff, path, len(lead) + len(description) + 1 + len(hunk))
            step["fixApplied"] = f"{lead}{description}\n{hunk}{diff}"
            step["result"] = result
            step["timeTakenMs"] = taken
            journey.append(step)
            if result == "fixed":
                fixed_at = t
                fixed_text = (f"{lead}{description}", f"{hunk}{diff}")
                break
            if rng.random() < 0.75:
                level = min(4, level + 1)

        record = self._base("errorId", "err")
        record["error"] = error
        record["recoveryJourney"] = journey
        if fixed_at is not None:
            record["successfulFix"] = {
                "levelRequired": journey[-1]["level"],
                "fixDescription": fixed_text[0],
                "codeDiff": fixed_text[1],
                "generalizablePattern": spec["pattern"] if rng.random() < 0.5 else None,
            }
        elif rng.random() < 0.7:
            record["successfulFix"] = None  # unresolved: sometimes null, sometimes left out
        record["createdAt"] = iso(t0, alt)
        if fixed_at is not None:
            record["resolvedAt"] = iso(fixed_at, alt)
        elif rng.random() < 0.5:
            record["resolvedAt"] = None
        maybe_extra_field(record, rng)
        places = [("error.message", "text"), ("recoveryJourney[0].fixApplied", "text")]
        if stack:
            places.append(("error.stackTrace", "text"))
        secrets = self._plant(record, places)
        self._emit(t, "error_recovery", record, secrets)
        self.error_times.append(t0)
        self.truth.error_recoveries.append({
            "errorId": record["errorId"], "buildId": self.build_id, "type": etype,
            "level_required": spec["level"], "attempts": len(journey), "resolved": fixed_at is not None,
        })
        return len(journey), fixed_at is not None

    # -- code artifacts -------------------------------------------------------------------------

def stack_trace(rng: random.Random, message: str, path: str, line: int, col: int) -> str:
    """A stack trace in the style of the runtime the file runs in."""
    if path.endswith(".py"):
        fn = ("sync", "fetch_page", "handle", "main")[int(rng.random() * 4)]
        return (f'Traceback (most recent call last):\n  File "{path}", line {line}, in {fn}\n'
                f'    rows = payload["items"]\n  File "/usr/lib/python3.12/site-packages/httpx/_models.py", '
                f"line 761, in raise_for_status\n    raise HTTPStatusError(message, request=request, response=self)\n"
                f"{message}")
    if path.endswith(".tsx"):
        fn = ("render", "useEffect", "handleSubmit", "List")[int(rng.random() * 4)]
        return (f"{message}\n    at {fn} ({path}:{line}:{col})\n"
                f"    at commitHookEffectListMount (node_modules/react-dom/cjs/react-dom.development.js:23150:26)\n"
                f"    at invokePassiveEffectMountInDEV (node_modules/react-dom/cjs/react-dom.development.js:25154:13)")
    fn = ("fetchJson", "loader", "handler", "main")[int(rng.random() * 4)]
    return (f"{message}\n    at {fn} ({path}:{line}:{col})\n"
            f"    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)\n"
            f"    at async Promise.all (index 0)")
