"""Pair rules: observed preferences only, gates with drop reasons, dedup, replacement.
(The split by build and content: test_split.py; prompt injection: test_injection.py.)"""

import datetime as dt
import json

import polars as pl

from learning_pipeline.capture.processing import table_schema
from learning_pipeline.capture.wire import TRACE_KINDS
from learning_pipeline.judging.judgments import COMPARISON_SCHEMA, comparison_hash, comparison_prompt
from learning_pipeline.judging.ledger import JUDGMENT_SCHEMA
from learning_pipeline.preferences.pairs import PairRules, generate_pairs

T0 = dt.datetime(2026, 3, 9, 10, tzinfo=dt.timezone.utc)


def _empty(kind):
    return pl.DataFrame(schema=table_schema(TRACE_KINDS[kind]))


def _decision(trace_id, build, chosen, rejected, result, minutes=0, dtype="architecture_choice"):
    return {
        "trace_id": trace_id, "build_id": build, "phase": "build", "decision_type": dtype,
        "context": json.dumps({"previousAttempts": 0, "intentSnippet": "a clinic booking app"}),
        "decision": json.dumps({"chosenOption": chosen, "rejectedOptions": rejected, "reasoning": "r", "confidence": 0.7}),
        "outcome": json.dumps({"immediateResult": result, "requiredFixes": 0, "finalInProduction": result == "success"}) if result else None,
        "created_at": T0 + dt.timedelta(minutes=minutes),
    }


def _decisions(*rows):
    return pl.DataFrame(list(rows), schema={k: table_schema(TRACE_KINDS["decision"])[k] for k in rows[0]})


def _generate(decisions=None, artifacts=None, designs=None, errors=None, judgments=None, comparisons=None,
              rules=PairRules(held_out_share=0.0)):
    """(pairs, dropped counts, the batch with the split and flag counts)."""
    pairs, batch = generate_pairs(
        decisions if decisions is not None else _decisions(_decision("x", "b0", "a", [], None)),
        artifacts if artifacts is not None else _empty("code_artifact"),
        designs if designs is not None else _empty("design_choice"),
        errors if errors is not None else _empty("error_recovery"),
        judgments if judgments is not None else pl.DataFrame(schema=JUDGMENT_SCHEMA),
        comparisons if comparisons is not None else pl.DataFrame(schema=COMPARISON_SCHEMA),
        rules,
    )
    return pairs, batch.dropped


TYPED = "isolate state in a typed store with explicit error boundaries"
GLOBAL = "put everything in one global component and patch it later"
INLINE = "call fetch inline in components and ignore non-200 responses"


def test_a_success_prefers_the_chosen_option_over_each_rejected_one():
    pairs, _ = _generate(_decisions(_decision("d1", "b1", TYPED, [GLOBAL, INLINE], "success")))
    assert pairs.height == 2
    assert set(pairs["chosen"]) == {TYPED} and set(pairs["rejected"]) == {GLOBAL, INLINE}
    assert (pairs["domain"] == "architecture").all() and "clinic booking" in pairs["prompt"][0]
    assert json.loads(pairs["source_ids"][0]) == ["d1"]


def test_a_failure_gives_a_pair_only_when_a_later_different_choice_succeeded():
    pairs, dropped = _generate(_decisions(
        _decision("d1", "b1", GLOBAL, [TYPED], "failure"),
        _decision("d2", "b1", TYPED, [], "success", minutes=5),
        _decision("d3", "b2", GLOBAL, [TYPED], "failure"),  # nothing better was observed in b2
    ))
    assert pairs.select("chosen", "rejected").rows() == [(TYPED, GLOBAL)]
    assert dropped["failed_without_observed_winner"] == 1 and dropped["no_rejected_options"] == 1


def _artifact(artifact_id, build, codes):
    return {
        "artifact_id": artifact_id, "build_id": build, "file_path": "src/App.tsx", "user_id": "u",
        "versions": json.dumps([{"version": i + 1, "code": c, "timestamp": "2026-03-09T10:00:00Z", "trigger": "fix"} for i, c in enumerate(codes)]),
        "quality_trajectory": json.dumps([{"errorCount": 3 - i, "codeQualityScore": 50} for i in range(len(codes))]),
        "patterns_used": "[]", "created_at": T0, "updated_at": T0,
    }


def _judgment(item_id, overall, confidence=0.9, judge_type="code_quality", version="jv1"):
    return {"content_hash": f"h-{item_id}-{overall}", "judge_version": version, "judge_type": judge_type, "item_id": item_id,
            "item_kind": "code_version", "status": "ok", "overall": float(overall), "confidence": confidence,
            "reasoning": f"scored {overall}"}


def _frame(rows, schema):
    return pl.DataFrame(rows, schema={k: schema[k] for k in rows[0]}).select(
        [pl.col(k) if k in rows[0] else pl.lit(None, schema[k]).alias(k) for k in schema]
    )


BAD_CODE = "export default function App(props: any) { try { load() } catch {} console.log(props) }"
GOOD_CODE = "interface Props { id: string }\nexport function App({ id }: Props) {\n  return <Item id={id} />;\n}"


def _comparison(artifact, before, after, winner, consistent=True, confidence=0.9, status="ok", version="jv1"):
    """A code_version_comparisons row for two versions' code, keyed the way the judging layer keys it."""
    return {
        "artifact_id": artifact, "build_id": "b", "file_path": "src/App.tsx", "version_a": 1, "version_b": 2,
        "content_hash": comparison_hash(comparison_prompt("src/App.tsx"), before, after), "status": status,
        "winner": winner if status == "ok" else None, "position_consistent": consistent if status == "ok" else None,
        "confidence": confidence if status == "ok" else None, "reasoning": f"verdict {winner}", "judge_version": version,
        "error": None if status == "ok" else "HTTP 503",
    }


def _comparisons(*rows):
    return pl.DataFrame(list(rows), schema=COMPARISON_SCHEMA)


def test_code_pairs_come_from_agreed_pairwise_verdicts_only():
    other = GOOD_CODE.replace("Item", "Row")
    third = GOOD_CODE.replace("Item", "Cell")
    artifacts = _frame([_artifact("a1", "b1", [BAD_CODE, GOOD_CODE]), _artifact("a2", "b2", [BAD_CODE, other]),
                        _artifact("a3", "b3", [other, third]), _artifact("a4", "b4", [third, BAD_CODE + " "]),
                        _artifact("a5", "b5", [GOOD_CODE, BAD_CODE]), _artifact("a6", "b6", [third, GOOD_CODE])],
                       table_schema(TRACE_KINDS["code_artifact"]))
    comparisons = _comparisons(
        _comparison("a1", BAD_CODE, GOOD_CODE, "B"),  # the later version won in both orders
        _comparison("a2", BAD_CODE, other, "tie", consistent=False),  # each order picked the side shown first
        _comparison("a3", other, third, "tie"),  # both orders said tie
        _comparison("a4", third, BAD_CODE + " ", "A", status="failed"),  # no answer: asked again next run
        _comparison("a5", GOOD_CODE, BAD_CODE, "A", confidence=0.55),  # agreed, but barely
        # a6 was never compared
    )
    intent = _decisions(_decision("x", "b1", "a", [], None))
    pairs, dropped = _generate(intent, artifacts=artifacts, comparisons=comparisons)
    assert pairs.select("chosen", "rejected", "margin").rows() == [(GOOD_CODE, BAD_CODE, 90.0)]
    assert "src/App.tsx" in pairs["prompt"][0] and "clinic booking" in pairs["prompt"][0]
    assert pairs["judge_version"][0] == "jv1" and len(json.loads(pairs["judgment_ids"][0])) == 1
    assert (dropped["comparison_orders_disagree"], dropped["comparison_tie"], dropped["comparison_failed"],
            dropped["comparison_confidence_below_minimum"], dropped["versions_not_compared"]) == (1, 1, 1, 1, 1)


def test_an_earlier_version_can_win_and_a_verdict_on_other_code_is_not_borrowed():
    artifacts = _frame([_artifact("a1", "b1", [GOOD_CODE, BAD_CODE])], table_schema(TRACE_KINDS["code_artifact"]))
    pairs, _ = _generate(artifacts=artifacts, comparisons=_comparisons(_comparison("a1", GOOD_CODE, BAD_CODE, "A")))
    assert pairs.select("chosen", "rejected").rows() == [(GOOD_CODE, BAD_CODE)]
    # The artifact re-sent with other code: the old verdict is about other content.
    resent = _frame([_artifact("a1", "b1", [GOOD_CODE, BAD_CODE + "\nexport const x = 1;"])], table_schema(TRACE_KINDS["code_artifact"]))
    pairs, dropped = _generate(artifacts=resent, comparisons=_comparisons(_comparison("a1", GOOD_CODE, BAD_CODE, "A")))
    assert pairs.height == 0 and dropped["versions_not_compared"] == 1


def test_a_judge_change_replaces_the_pairs_built_on_the_old_verdicts():
    artifacts = _frame([_artifact("a1", "b1", [BAD_CODE, GOOD_CODE])], table_schema(TRACE_KINDS["code_artifact"]))
    old = _comparisons(_comparison("a1", BAD_CODE, GOOD_CODE, "B"))
    new = _comparisons(_comparison("a1", BAD_CODE, GOOD_CODE, "A", version="jv2"))
    before, _ = _generate(artifacts=artifacts, comparisons=old)
    after, _ = _generate(artifacts=artifacts, comparisons=new)
    assert before["chosen"].to_list() == [GOOD_CODE] and after["chosen"].to_list() == [BAD_CODE]
    assert after["judge_version"].to_list() == ["jv2"] and set(before["pair_id"]) != set(after["pair_id"])


def test_error_fix_prefers_the_fix_that_worked_over_each_failed_attempt():
    errors = _frame([{
        "error_id": "e1", "build_id": "b1", "user_id": "u", "created_at": T0,
        "error": json.dumps({"type": "TypeError", "message": "Cannot read properties of undefined (reading 'map')", "fileLocation": "src/List.tsx"}),
        "recovery_journey": json.dumps([
            {"attempt": 1, "level": 1, "modelUsed": "m", "fixApplied": "wrap the call in try/catch", "result": "failed", "timeTakenMs": 1},
            {"attempt": 2, "level": 1, "modelUsed": "m", "fixApplied": "cast the value to any", "result": "new_error", "timeTakenMs": 1},
            {"attempt": 3, "level": 2, "modelUsed": "m", "fixApplied": "default items to [] until loaded", "result": "fixed", "timeTakenMs": 1},
        ]),
        "successful_fix": json.dumps({"levelRequired": 2, "fixDescription": "default items to [] until loaded", "codeDiff": "- items.map\n+ (items ?? []).map"}),
    }], table_schema(TRACE_KINDS["error_recovery"]))
    pairs, _ = _generate(errors=errors)
    assert pairs.height == 2 and pairs["prompt"][0].startswith("Fix this TypeError in src/List.tsx")
    assert set(pairs["rejected"]) == {"wrap the call in try/catch", "cast the value to any"}
    assert pairs.sort("margin")["margin"].to_list() == [50.0, 70.0]


def test_duplicates_and_near_duplicates_are_stored_once():
    pairs, dropped = _generate(_decisions(
        _decision("d1", "b1", TYPED, [GLOBAL], "success"),
        _decision("d2", "b2", TYPED, [GLOBAL], "success"),  # the same pair again
        _decision("d3", "b3", TYPED + "  ", [GLOBAL.upper()], "success"),  # the same but for case and spacing
    ))
    assert pairs.height == 1 and dropped["duplicate_pair"] == 1 and dropped["near_duplicate_pair"] == 1


def test_a_preference_contradicted_by_other_outcomes_is_dropped():
    decisions = _decisions(
        _decision("d1", "b1", TYPED, [GLOBAL], "success"),
        _decision("d2", "b2", TYPED, [GLOBAL], "success", minutes=1),
        _decision("d3", "b3", GLOBAL, [TYPED], "success", minutes=2),  # a poor option that happened to work
    )
    decisions = decisions.with_columns(  # distinct prompts, so the pairs are not plain duplicates
        pl.Series("context", [json.dumps({"previousAttempts": 0, "intentSnippet": f"app {i}"}) for i in range(3)])
    )
    pairs, dropped = _generate(decisions)
    assert pairs.select("chosen", "rejected").unique().rows() == [(TYPED, GLOBAL)] and pairs.height == 2
    assert dropped["contradicted_by_other_outcomes"] == 1


def _design(choice_id, build, font, soul="calm_focus"):
    return {"choice_id": choice_id, "build_id": build, "user_id": "u", "app_soul": soul, "created_at": T0,
            "typography": json.dumps({"fontsChosen": [font, "Inter"]}),
            "color_system": json.dumps({"paletteChosen": {"primary": f"#{abs(hash(font)) % 0xFFFFFF:06x}"}}),
            "motion_language": json.dumps({"animationsUsed": [{"name": f"fade-{font.lower()}"}]}),
            "layout_decisions": json.dumps({"gridSystem": "12-col", "asymmetryUsed": font < "M"})}


def test_design_pairs_best_half_over_worst_half_with_small_gaps_dropped():
    fonts = {"d1": ("Fraunces", 90), "d2": ("Lora", 80), "d3": ("Comic Sans", 40), "d4": ("Papyrus", 78)}
    designs = _frame([_design(c, f"b{c}", font) for c, (font, _) in fonts.items()], table_schema(TRACE_KINDS["design_choice"]))
    judgments = _frame([_judgment(c, score, judge_type="design_quality") for c, (_, score) in fonts.items()], JUDGMENT_SCHEMA)
    pairs, dropped = _generate(designs=designs, judgments=judgments)
    # best over worst (90 vs 40) and over the next weaker (90 vs 78) are kept; 80 vs 78 is no preference
    pairs = pairs.sort("margin", descending=True)
    assert pairs.height == 2 and all("Fraunces" in c for c in pairs["chosen"])
    assert "Comic Sans" in pairs["rejected"][0] and "Papyrus" in pairs["rejected"][1]
    assert pairs["margin"].to_list() == [50.0, 12.0] and dropped["margin_below_minimum"] == 1
    assert "calm focus" in pairs["prompt"][0]
