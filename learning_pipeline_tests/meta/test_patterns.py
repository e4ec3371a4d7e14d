import datetime as dt
import json

import numpy as np
import polars as pl
import pytest

from learning_pipeline.config import MetaConfig
from learning_pipeline.lake import Lake
from learning_pipeline.meta.embeddings import OpenAIEmbedder
from learning_pipeline.meta.pattern_search import PatternIndex, allowed, calibrate_min_relevance
from learning_pipeline.meta.pattern_sources import (
    architecture_candidates, code_candidates, design_candidates, error_fix_candidates, error_signature,
)
from learning_pipeline.meta.patterns import LIBRARY_TABLE, build_library
from learning_pipeline_tests.fake_openai_server import start_fake_openai
from learning_pipeline_tests.meta import error_families as ef

T0 = dt.datetime(2026, 3, 1, tzinfo=dt.timezone.utc)


@pytest.fixture(scope="module")
def fake_embedder():
    server = start_fake_openai()
    try:
        yield OpenAIEmbedder("fake-embedding", base_url=server.base_url, api_key="sk-test")
    finally:
        server.stop()


# -- extraction only from verified success ----------------------------------------------------------
def test_error_fix_patterns_come_only_from_verified_fixes_never_from_failed_attempts():
    errors = ef.error_traces(per_family=3, unresolved_per_family=2)
    candidates = error_fix_candidates(errors)
    assert len(candidates) == len(ef.FAMILIES)
    by_type = {c.conditions.pop(): c for c in candidates}
    for family in ef.FAMILIES:
        c = by_type[f"errorType={family.type}"]
        assert c.solution_template.startswith(family.fix)
        assert len(c.sources) == 3  # the unresolved traces of the family add nothing
        wrong = [f.fix for f in ef.FAMILIES if f is not family]
        assert not any(w in c.solution_template or w in c.code_template or w in c.problem for w in wrong)
        assert "--- a/" not in c.code_template and family.diff.splitlines()[0] in c.code_template


def test_a_successful_fix_whose_journey_did_not_end_fixed_is_not_verified():
    fix = {"levelRequired": 1, "fixDescription": "restart everything", "codeDiff": ""}
    row = {"error_id": "e1", "error": json.dumps({"type": "X", "message": "boom"}),
           "recovery_journey": json.dumps([{"attempt": 1, "result": "failed", "fixApplied": "restart everything"}]),
           "successful_fix": json.dumps(fix), "created_at": T0}
    assert error_fix_candidates(pl.DataFrame([row])) == []


def test_error_signature_drops_what_is_specific_to_one_occurrence():
    a = error_signature("CORSError", "Access to fetch at 'https://a.dev/v1/x' from origin 'http://localhost:5173' blocked at src/api/client.ts:12:4")
    b = error_signature("CORSError", "Access to fetch at 'https://b.io/y' from origin 'http://localhost:3000' blocked at lib/http.ts:99:1")
    assert a == b and a.startswith("CORSError: ")


def _artifact(aid, patterns, code="export const A = 1;", path="src/A.tsx"):
    return {"artifact_id": aid, "file_path": path, "created_at": T0, "updated_at": T0,
            "versions": json.dumps([{"version": 1, "code": "v1"}, {"version": 2, "code": code}]),
            "patterns_used": json.dumps([{"patternName": n, "patternCategory": c, "firstAttemptSuccess": ok, "iterationsToSuccess": 1}
                                         for n, c, ok in patterns])}


def test_code_patterns_come_from_high_scoring_artifacts_and_count_every_first_attempt():
    artifacts = pl.DataFrame([
        _artifact("a1", [("compound-components", "react", True)], code="good code"),
        _artifact("a2", [("compound-components", "react", False), ("prop-drilling", "react", True)]),
        _artifact("a3", [("compound-components", "react", True), ("prop-drilling", "react", True)]),
        _artifact("a4", [("prop-drilling", "react", True)]),
    ])
    judgments = pl.DataFrame({"item_id": ["a1@v2", "a2@v2", "a3@v2", "a4@v2", "a1@v1"], "judge_type": ["code_quality"] * 5,
                              "status": ["ok"] * 5, "overall": [92.0, 88.0, 40.0, 30.0, 99.0]})
    config = MetaConfig(code_pattern_min_score=75, min_support=2)
    candidates = {c.name: c for c in code_candidates(artifacts, judgments, config)}
    c = candidates["compound-components"]
    assert c.sources == ["a1", "a2"] and c.code_template == "good code"
    assert (c.trials, c.successes) == (3.0, 2.0)  # every artifact that used it, high-scoring or not
    assert c.conditions == {"language=tsx"}
    assert candidates["prop-drilling"].sources == ["a2"]  # a4 and a3 scored low


def test_code_design_and_architecture_patterns_need_support_after_merging(fake_embedder):
    artifacts = pl.DataFrame([
        _artifact("a1", [("compound-components", "react", True), ("prop-drilling", "react", True)]),
        _artifact("a2", [("compound-components", "react", True)]),
    ])
    judgments = pl.DataFrame({"item_id": ["a1@v2", "a2@v2"], "judge_type": ["code_quality"] * 2, "status": ["ok"] * 2, "overall": [90.0, 90.0]})
    config = MetaConfig(min_support=2)
    library, report = build_library(code_candidates(artifacts, judgments, config), fake_embedder, None, config)
    assert library.get_column("name").to_list() == ["compound-components"]
    assert report.unsupported == 1


def _design(cid, soul, overall, fonts):
    return {"choice_id": cid, "app_soul": soul, "created_at": T0,
            "typography": json.dumps({"fontsChosen": fonts}), "color_system": None, "motion_language": None,
            "visual_scores": json.dumps({"overall": overall})}


def test_design_patterns_per_soul_with_anti_conditions_where_the_same_system_scored_low():
    designs = pl.DataFrame([
        _design("d1", "developer_tools", 85, ["JetBrains Mono", "Inter"]),
        _design("d2", "developer_tools", 90, ["JetBrains Mono", "Inter"]),
        _design("d3", "gaming_energy", 30, ["JetBrains Mono", "Inter"]),
        _design("d4", "gaming_energy", 95, ["Orbitron", "Rajdhani"]),  # support 1: not a pattern yet
    ])
    candidates = {c.solution_template: c for c in design_candidates(designs, MetaConfig(min_support=2))}
    assert len(candidates["Typography: Orbitron for headings, Rajdhani for body text"].sources) == 1  # left out after merging
    c = candidates["Typography: JetBrains Mono for headings, Inter for body text"]
    assert c.conditions == {"appSoul=developer_tools"}
    assert c.anti_conditions == {"appSoul=gaming_energy"}


def test_architecture_patterns_from_successful_decisions_only():
    def decision(tid, option, result, prod=True, phase="build"):
        return {"trace_id": tid, "phase": phase, "decision_type": "architecture_choice", "created_at": T0, "outcome_recorded_at": T0,
                "decision": json.dumps({"chosenOption": option, "reasoning": "small typed units"}),
                "outcome": json.dumps({"immediateResult": result, "requiredFixes": 0, "finalInProduction": prod})}
    decisions = pl.DataFrame([
        decision("t1", "typed store slices", "success"), decision("t2", "typed store slices", "success"),
        decision("t3", "one global component", "success", prod=False), decision("t4", "one global component", "failure"),
        decision("t5", "typed store slices", "failure", phase="integration"), decision("t6", "typed store slices", "failure", phase="integration"),
    ])
    [c] = architecture_candidates(decisions, MetaConfig(min_support=2))  # the other option never succeeded in production
    assert c.name == "typed store slices" and sorted(c.sources) == ["t1", "t2"]
    assert c.anti_conditions == {"phase=integration"}


# -- the library: embeddings, merging, feedback, one atomic table ------------------------------------
def test_near_duplicates_merge_and_usage_feedback_updates_the_rate_under_a_prior(fake_embedder, tmp_path):
    errors = ef.error_traces(per_family=2, unresolved_per_family=0)
    candidates = error_fix_candidates(errors)
    # The same fix described twice (another casing/wording of one family) is one pattern.
    twin = error_fix_candidates(errors.filter(pl.col("error_id").str.starts_with("err_cors")).with_columns(
        pl.col("successful_fix").str.replace("configure the API's CORS", "Configure the API's CORS"),
        pl.col("error_id") + "_twin"))
    twin[0].key += "-reworded"
    config = MetaConfig(prior_success=0.7, prior_strength=4)
    cors_id = next(c.pattern_id for c in candidates if "errorType=CORSError" in c.conditions)
    usage = pl.DataFrame({"pattern_id": [cors_id, twin[0].pattern_id, "pat_unknown"], "success": [True, True, False]})
    library, report = build_library(candidates + twin, fake_embedder, usage, config)
    assert report.merged == 1 and report.patterns == len(ef.FAMILIES)
    cors = library.filter(pl.col("merged_ids").list.len() > 0).row(0, named=True)
    assert cors["source_count"] == 4 and len(cors["source_trace_ids"]) == 4
    assert cors["usage_count"] == 2  # feedback on either id lands on the merged pattern
    assert cors["success_rate"] == pytest.approx((0.7 * 4 + 2) / (4 + 2))
    untried = library.filter(pl.col("usage_count") == 0).get_column("success_rate").unique().to_list()
    assert untried == [pytest.approx(0.7)]  # no feedback yet: the prior, not 100%
    assert report.usage_events == 3 and report.usage_matched == 2

    lake = Lake(tmp_path)
    lake.write(LIBRARY_TABLE, library)
    back = lake.read(LIBRARY_TABLE)
    assert back.schema["embedding"] == pl.Array(pl.Float32, 64)
    assert back.get_column("pattern_id").to_list() == library.get_column("pattern_id").to_list()
    assert list(tmp_path.joinpath(LIBRARY_TABLE).iterdir()) == [lake.partition_path(LIBRARY_TABLE)]  # one file: nothing to drift


def test_search_honours_category_conditions_and_anti_conditions(fake_embedder):
    rows = []
    for i, (category, conditions, anti) in enumerate([
        ("design", ["appSoul=developer_tools"], ["appSoul=gaming_energy"]),
        ("design", [], []),
        ("code", ["language=tsx"], []),
    ]):
        rows.append({"pattern_id": f"p{i}", "category": category, "name": f"dark dense typography {i}", "problem": "typography",
                     "solution_template": "", "conditions": conditions, "anti_conditions": anti, "code_template": "",
                     "embedding": fake_embedder.embed(["dark dense typography"])[0].tolist(), "embedder": fake_embedder.name,
                     "usage_count": 0, "success_rate": 0.9 - 0.1 * i})
    index = PatternIndex(pl.DataFrame(rows), MetaConfig(min_relevance=0.5))
    query = fake_embedder.embed(["dark dense typography"])[0]
    ids = lambda hits: [index.library["pattern_id"][h.row] for h in hits]  # noqa: E731
    assert ids(index.search(query, k=3)) == ["p0", "p1", "p2"]  # equal similarity: the better outcome first
    assert ids(index.search(query, category="design")) == ["p0", "p1"]
    assert ids(index.search(query, context={"appSoul": "gaming_energy"})) == ["p1", "p2"]
    assert ids(index.search(query, context={"appSoul": "creative_canvas"})) == ["p1", "p2"]
    assert ids(index.search(query, context={"language": "py"}, k=5)) == ["p0", "p1"]
    assert index.search(fake_embedder.embed(["kubernetes pod eviction"])[0]) == []  # nothing relevant: nothing
    assert allowed(["appSoul=a", "appSoul=b"], [], {"appSoul": "b"})


def test_min_relevance_calibration_separates_the_two_sets():
    assert calibrate_min_relevance([0.6, 0.7, 0.8], [0.2, 0.3, 0.4]) == pytest.approx(0.5)
    cut = calibrate_min_relevance([0.35, 0.6, 0.7], [0.2, 0.3, 0.5])
    assert 0.3 < cut <= 0.6


def test_ivf_index_agrees_with_exact_search_on_clustered_vectors():
    rng = np.random.default_rng(0)
    centres = rng.standard_normal((50, 32)).astype(np.float32)
    vectors = centres[rng.integers(0, 50, 4000)] + 0.3 * rng.standard_normal((4000, 32)).astype(np.float32)
    library = pl.DataFrame({"pattern_id": [str(i) for i in range(4000)], "category": ["code"] * 4000,
                            "embedding": vectors.tolist(), "embedder": ["x"] * 4000, "success_rate": [0.7] * 4000,
                            "conditions": [[]] * 4000, "anti_conditions": [[]] * 4000},
                           schema_overrides={"embedding": pl.Array(pl.Float32, 32)})
    exact = PatternIndex(library, MetaConfig(exact_search_below=10**9))
    ivf = PatternIndex(library, MetaConfig(exact_search_below=1000), nprobe=16)
    assert ivf.ivf is not None and exact.ivf is None
    recall = []
    for q in vectors[:50] + 0.1:
        q = q / np.linalg.norm(q)
        recall.append(len(set(exact.nearest(q, 5)[0]) & set(ivf.nearest(q, 5)[0])) / 5)
    assert np.mean(recall) > 0.9


def test_openai_embedder_speaks_to_an_openai_compatible_endpoint(fake_embedder):
    vectors = fake_embedder.embed(["CORS policy blocked the fetch", "CORS policy blocked the fetch", "database migration drift",
                                   "the fetch was blocked by the CORS policy"])
    assert vectors.shape == (4, 64) and np.allclose(vectors[0], vectors[1])
    assert vectors[0] @ vectors[3] > vectors[0] @ vectors[2]
    assert fake_embedder.name == "openai:fake-embedding"
