"""Deliberately bad lines, inserted between good ones; the quarantine must catch every one."""

from __future__ import annotations

import json
import random

from learning_pipeline.simulation.sampling import hex_id
from learning_pipeline.simulation.vocabulary import MAX_OVERSIZE_LINES, OVERSIZE_CODE_CHARS
from learning_pipeline.simulation.wire_values import dumps


BAD_LINE_TYPES = (
    "invalid_json",
    "missing_required_field",
    "wrong_type",
    "enum_out_of_range",
    "oversize_field",
    "unknown_kind",
)


class BadLines:
    """Inserts corrupt lines between good ones; each is built from a recent good record of the
    right kind, given a fresh id so that nothing in the good stream or the truth refers to it."""

    def __init__(self, seed: int, rate: float):
        self.rng = random.Random(f"learning-sim/{seed}/bad-lines")
        self.insert_p = rate / (1.0 - rate) if 0 < rate < 1 else (1.0 if rate >= 1 else 0.0)
        order = list(BAD_LINE_TYPES)
        self.rng.shuffle(order)
        # Round-robin over a shuffled order so every type shows up even in small files; the
        # oversize one is kept away from the first slot so a tiny file stays tiny.
        if order[0] == "oversize_field":
            order[0], order[2] = order[2], order[0]
        self.order = order
        self.count = 0
        self.oversize = 0
        self.latest: dict[str, dict] = {}

    def remember(self, kind: str, data: dict, has_secret: bool) -> None:
        if not has_secret:
            self.latest[kind] = data

    def maybe(self) -> tuple[str, dict] | None:
        if self.insert_p <= 0 or self.rng.random() >= self.insert_p or "decision" not in self.latest:
            return None
        for _ in range(len(self.order)):
            bad_type = self.order[self.count % len(self.order)]
            self.count += 1
            if bad_type == "oversize_field" and (self.oversize >= MAX_OVERSIZE_LINES or "code_artifact" not in self.latest):
                continue
            return self._make(bad_type)
        return None

    def _fresh(self, kind: str) -> dict:
        data = json.loads(dumps(self.latest[kind]))
        for key, prefix in (("traceId", "dec"), ("artifactId", "art"), ("choiceId", "dsn"), ("errorId", "err")):
            if key in data:
                data[key] = hex_id(self.rng, prefix)
        return data

    def _make(self, bad_type: str) -> tuple[str, dict]:
        rng = self.rng
        if bad_type == "invalid_json":
            kind = ("decision", "design_choice", "error_recovery")[int(rng.random() * 3)]
            kind = kind if kind in self.latest else "decision"
            data = self._fresh(kind)
            text = dumps({"kind": kind, "data": data})
            cut = int(len(text) * rng.uniform(0.3, 0.8))
            return text[:cut], {"type": bad_type, "kind": kind, "field": None,
                                "detail": f"truncated at byte {cut} of {len(text)}"}
        if bad_type == "missing_required_field":
            options = [("decision", "userId"), ("decision", "traceId"), ("code_artifact", "artifactId"),
                       ("error_recovery", "errorId"), ("design_choice", "choiceId"), ("code_artifact", "userId")]
            options = [o for o in options if o[0] in self.latest]
            kind, missing = options[int(rng.random() * len(options))]
            data = self._fresh(kind)
            data.pop(missing, None)
            return dumps({"kind": kind, "data": data}), {"type": bad_type, "kind": kind, "field": missing,
                                                          "detail": f"no {missing}"}
        if bad_type == "wrong_type":
            data = self._fresh("decision")
            choice = int(rng.random() * 3)
            if choice == 0:
                data["context"]["previousAttempts"] = "two"
                where, detail = "context.previousAttempts", 'previousAttempts is the string "two"'
            elif choice == 1:
                data["decision"]["confidence"] = "high"
                where, detail = "decision.confidence", 'confidence is the string "high"'
            else:
                data["decision"]["rejectedOptions"] = "none"
                where, detail = "decision.rejectedOptions", 'rejectedOptions is the string "none"'
            return dumps({"kind": "decision", "data": data}), {"type": bad_type, "kind": "decision",
                                                                "field": where, "detail": detail}
        if bad_type == "enum_out_of_range":
            data = self._fresh("decision")
            if rng.random() < 0.6:
                data["phase"] = "deploy"
                where, detail = "phase", 'phase "deploy"'
            else:
                data["decisionType"] = "database_choice"
                where, detail = "decisionType", 'decisionType "database_choice"'
            return dumps({"kind": "decision", "data": data}), {"type": bad_type, "kind": "decision",
                                                                "field": where, "detail": detail}
        if bad_type == "oversize_field":
            self.oversize += 1
            data = self._fresh("code_artifact")
            chunk = "export const chunk_%d = [" + ",".join(str(i) for i in range(40)) + "];\n"
            blob = "".join(chunk % i for i in range(OVERSIZE_CODE_CHARS // len(chunk) + 1))[:OVERSIZE_CODE_CHARS]
            data["versions"][0]["code"] = blob
            return dumps({"kind": "code_artifact", "data": data}), {
                "type": bad_type, "kind": "code_artifact", "field": "versions[0].code",
                "detail": f"code of {len(blob)} characters"}
        # unknown kind
        kind = ("deployment_event", "decisoin", "telemetry")[int(rng.random() * 3)]
        data = self._fresh("decision") if kind == "decisoin" else {
            "deploymentId": hex_id(rng, "dep"), "status": "ok", "createdAt": self.latest["decision"]["createdAt"]}
        return dumps({"kind": kind, "data": data}), {"type": "unknown_kind", "kind": kind, "field": "kind",
                                                      "detail": f"kind {kind!r}"}
