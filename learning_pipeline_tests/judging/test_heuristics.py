"""The heuristic judge against the simulator's hidden truth, and its contract as a backend."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from learning_pipeline.judging import heuristics
from learning_pipeline.judging.heuristics import HeuristicJudge
from learning_pipeline.judging.items import build_items, code_version_items, design_items
from learning_pipeline.judging.rubrics import DEFAULT_RUBRICS, SEVERITIES, Rubric
from learning_pipeline.judging.verdicts import JudgeItem
from learning_pipeline_tests.judging.judge_truth import Simulated, simulate_tables

SEEDS = (7, 11)
BUILDS = 160


# -- simulated traces, shaped like the lake tables (shared with the judges-vs-reported test) ---

def _simulate(out: Path, seed: int) -> Simulated:
    return simulate_tables(out, seed, BUILDS)


@pytest.fixture(scope="module", params=SEEDS, ids=[f"seed{s}" for s in SEEDS])
def simulated(request, tmp_path_factory) -> Simulated:
    return _simulate(tmp_path_factory.mktemp(f"sim{request.param}") / "traces.jsonl", request.param)


@pytest.fixture(scope="module")
def judged(simulated):
    """Every simulated item judged once per seed: (items, judgments) per judge type."""
    judge = HeuristicJudge()
    items = code_version_items(simulated.artifacts) + design_items(simulated.designs) + build_items(
        simulated.decisions, simulated.artifacts)
    judgments = judge.judge_many(items)
    by_type: dict[str, list] = {}
    for judgment in judgments:
        by_type.setdefault(judgment.item.judge_type, []).append(judgment)
    return by_type


def spearman(x, y) -> float:
    rx = pl.Series([float(v) for v in x]).rank("average").to_numpy()
    ry = pl.Series([float(v) for v in y]).rank("average").to_numpy()
    return float(np.corrcoef(rx, ry)[0, 1])


def auc(scores, labels) -> float:
    positives = [s for s, label in zip(scores, labels) if label]
    negatives = [s for s, label in zip(scores, labels) if not label]
    wins = sum((p > n) + 0.5 * (p == n) for p in positives for n in negatives)
    return wins / (len(positives) * len(negatives))


# -- against the hidden truth --------------------------------------------------------------------

def test_code_quality_ranks_versions_like_the_hidden_quality(simulated, judged):
    truth = {f"{v['artifactId']}@v{v['version']}": v["quality"] for v in simulated.truth["code_versions"]}
    judgments = judged["code_quality"]
    assert len(judgments) == len(truth) > 800
    rho = spearman([j.verdict.overall for j in judgments], [truth[j.item.item_id] for j in judgments])
    print(f"code_quality Spearman vs hidden quality: {rho:.3f}")
    # the builder's own score now reaches only ~0.6 (a self-assessment): see test_judges_add_information
    assert rho >= 0.65


def test_code_rules_alone_carry_signal_without_the_builders_numbers(simulated, judged):
    """The text rules are not a relay of the reported score: stripped of the quality point and
    the patterns, they still rank versions by their hidden quality."""
    truth = {f"{v['artifactId']}@v{v['version']}": v["quality"] for v in simulated.truth["code_versions"]}
    items = [dataclasses.replace(j.item, content={**j.item.content, "quality": None, "patternsUsed": []})
             for j in judged["code_quality"]]
    verdicts = HeuristicJudge().judge_many(items)
    rho = spearman([j.verdict.overall for j in verdicts], [truth[j.item.item_id] for j in verdicts])
    print(f"code_quality rules-only Spearman: {rho:.3f}")
    assert rho >= 0.5


def test_design_quality_scores_slop_below_soul_fitting_designs(simulated, judged):
    truth = {d["choiceId"]: d for d in simulated.truth["design_choices"]}
    judgments = judged["design_quality"]
    overall = {j.item.item_id: j.verdict.overall for j in judgments}
    slop = [overall[c] for c, d in truth.items() if d["slop"]]
    fitting = [overall[c] for c, d in truth.items() if d["font_fit"] and d["palette_fit"] and d["motion_fit"]]
    assert len(slop) >= 10 and len(fitting) >= 10
    assert np.mean(slop) <= np.mean(fitting) - 35
    assert max(slop) < np.median(fitting)
    rho = spearman([overall[c] for c in truth], [truth[c]["true_scores"]["overall"] for c in truth])
    print(f"design_quality Spearman vs true design score: {rho:.3f}")
    assert rho >= 0.6


def test_anti_slop_names_the_tells_of_slop_designs(simulated, judged):
    truth = {d["choiceId"]: d for d in simulated.truth["design_choices"]}
    judgments = judged["anti_slop"]
    designs = [j for j in judgments if j.item.item_kind == "design_choice"]
    slop = [j for j in designs if truth[j.item.item_id]["slop"]]
    clean = [j for j in designs if not truth[j.item.item_id]["slop"]]
    assert np.mean([j.verdict.overall for j in slop]) <= np.mean([j.verdict.overall for j in clean]) - 30
    for judgment in slop:
        told = " ".join(i.description for i in judgment.verdict.issues)
        # a slop design records Inter/system-ui, the indigo/violet gradient, no motion and a
        # centered column; any block may be missing on the wire, which hides its tell
        present = sum(bool(judgment.item.content.get(block))
                      for block in ("typography", "colorSystem", "motionLanguage", "layoutDecisions"))
        found = sum(tell in told for tell in ("generic fonts", "purple/blue", "no motion", "centered"))
        assert found >= min(present, 3), told
    # with blocks missing the tells they would show are unseen, and the judge says it is less sure
    full = next(j for j in slop if all(j.item.content.get(b) for b in ("typography", "colorSystem", "motionLanguage")))
    partial = dataclasses.replace(full.item, content={**full.item.content, "typography": None, "colorSystem": None})
    assert HeuristicJudge().judge_many([partial])[0].verdict.confidence < full.verdict.confidence
    ui_code = [j for j in judgments if j.item.item_kind == "code_version"]
    assert ui_code and all(0 <= j.verdict.overall <= 100 for j in ui_code)


def test_success_predictor_tracks_true_success_and_is_calibrated(simulated, judged):
    builds = {b["buildId"]: b for b in simulated.truth["builds"]}
    judgments = judged["success_predictor"]
    assert len(judgments) >= 0.9 * BUILDS
    predicted = [j.verdict.overall / 100 for j in judgments]
    true_p = [builds[j.item.item_id]["success_probability"] for j in judgments]
    actual = [simulated.first_attempt_success[j.item.item_id] for j in judgments]
    rho, area = spearman(predicted, true_p), auc(predicted, actual)
    # realised outcomes are coin flips around the true probability: even the truth itself
    # reaches only this AUC on this sample, so the prediction is held to it, not to 1.0
    oracle = auc(true_p, actual)
    gap = abs(np.mean(predicted) - np.mean(actual))
    print(f"success_predictor Spearman vs true p {rho:.3f}, AUC vs actual {area:.3f} (truth's own AUC {oracle:.3f}), "
          f"mean predicted {np.mean(predicted):.3f} vs actual {np.mean(actual):.3f}")
    # the first drafts' numbers are self-assessments now, so the absolute bar is modest; the
    # bar that matters (beating every builder-reported field) is test_judges_add_information's
    assert rho >= 0.5
    assert area >= 0.58 and area >= oracle - 0.12
    assert gap <= 0.15


def test_verdicts_keep_the_rubric_shape_and_ranges(judged):
    for judge_type, judgments in judged.items():
        rubric = DEFAULT_RUBRICS[judge_type]
        for judgment in judgments:
            verdict = judgment.verdict
            assert judgment.status == "ok" and judgment.model_used == HeuristicJudge().model_used
            assert tuple(verdict.categories) == rubric.categories
            assert all(0 <= s <= 100 for s in verdict.categories.values())
            assert verdict.overall == pytest.approx(rubric.overall(verdict.categories), abs=0.01)
            assert 0.3 <= verdict.confidence <= 0.98
            assert all(i.severity in SEVERITIES and i.category in rubric.categories for i in verdict.issues)
            assert verdict.reasoning


def test_hard_coded_secrets_surface_as_critical_security_issues(simulated, judged):
    flagged = [j for j in judged["code_quality"] if "[REDACTED:" in j.item.content["code"]]
    assert flagged, "the simulation plants secrets in code at this rate"
    for judgment in flagged:
        assert any(i.category == "security" and i.severity in ("critical", "major") and "hard-coded" in i.description
                   for i in judgment.verdict.issues)


# -- the backend contract ------------------------------------------------------------------------

BAD_TSX = """import React, { useState, useEffect } from "react"

const API_KEY = "[REDACTED:openai_key]";

export default function Orders(props: any) {
  const [orders, setOrders] = useState<any>([])
  console.log('render', props)
  useEffect(() => {
    try {
      fetch('http://localhost:3001/api/orders', { headers: { Authorization: API_KEY } })
        .then((res) => res.json())
        .then((data: any) => setOrders(data))
    } catch (e) {}
  }, [])
  // TODO: error handling
  return <div style={{ padding: 24 }}>{orders.map((o: any, i: number) => <div key={i}>{o.name}</div>)}</div>
}
"""

GOOD_TSX = """import { useCallback, useEffect, useState } from "react";
import type { Order } from "@/types/order";
import { orderClient, ApiError } from "@/lib/api/order-client";
import { ErrorState } from "@/components/ui/ErrorState";

interface OrderListProps {
  title: string;
  onSelect?: (order: Order) => void;
}

const PAGE_SIZE = 20;

export function OrderList({ title, onSelect }: OrderListProps) {
  const [orders, setOrders] = useState<Order[]>([]);
  const [error, setError] = useState<ApiError | null>(null);

  const load = useCallback(async () => {
    try {
      setOrders(await orderClient.list({ limit: PAGE_SIZE }));
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError("Could not load orders"));
    }
  }, []);

  useEffect(() => {
    void load();
  }, [load]);

  if (error) return <ErrorState message={error.message} onRetry={load} />;
  return (
    <section aria-label={title}>
      <ul role="list">
        {orders.map((order) => (
          <li key={order.id}>
            <button type="button" onClick={() => onSelect?.(order)}>{order.name}</button>
          </li>
        ))}
      </ul>
    </section>
  );
}
"""


def _code_item(code: str, path: str = "src/components/Orders.tsx", judge_type: str = "code_quality", **content) -> JudgeItem:
    return JudgeItem(f"{path}@v1", "code_version", judge_type,
                     {"filePath": path, "version": 1, "trigger": "initial", "code": code, "quality": None,
                      "patternsUsed": [], **content})


def test_obviously_bad_tsx_loses_to_good_tsx_with_the_specific_issues_named():
    bad, good = HeuristicJudge().judge_many([_code_item(BAD_TSX), _code_item(GOOD_TSX)])
    assert bad.verdict.overall < good.verdict.overall - 25
    issues = {i.description: i for i in bad.verdict.issues}
    text = " | ".join(issues)
    for tell in ("empty catch", "`any`", "console.log", "hard-coded secret (openai_key)", "localhost", "TODO", "index"):
        assert tell in text, tell
    secret = next(i for i in bad.verdict.issues if "openai_key" in i.description)
    assert (secret.severity, secret.category, secret.location) == ("critical", "security", "line 3")
    empty_catch = next(i for i in bad.verdict.issues if "empty catch" in i.description)
    assert empty_catch.location == "line 13" and empty_catch.suggestion
    assert bad.verdict.categories["security"] < good.verdict.categories["security"]
    assert not [i for i in good.verdict.issues if i.severity != "minor"]
    assert bad.verdict.recommendations and "empty catch" in bad.verdict.reasoning


def test_builder_reported_quality_is_one_signal_and_agreement_raises_confidence():
    judge = HeuristicJudge()
    agreeing = _code_item(GOOD_TSX, quality={"errorCount": 0, "codeQualityScore": 90})
    disagreeing = _code_item(GOOD_TSX, quality={"errorCount": 9, "codeQualityScore": 15})
    agree, disagree = judge.judge_many([agreeing, disagreeing])
    assert agree.verdict.overall > disagree.verdict.overall
    assert agree.verdict.confidence > disagree.verdict.confidence
    # the text still speaks: good code with a terrible reported score stays above bad code with none
    assert disagree.verdict.overall > judge.judge_many([_code_item(BAD_TSX)])[0].verdict.overall


@pytest.mark.parametrize(
    "path, code, tell",
    [
        ("api/sync.py", "import requests\n\ndef load():\n    try:\n        return requests.get(URL).json()\n    except:\n        pass\n",
         "bare `except:`"),
        ("api/sync.py", "import requests\n\ndef load():\n    r = requests.get(URL)\n    r.raise_for_status()\n    return r.json()\n",
         "without a timeout"),
        ("api/log.py", "def run(rows):\n    print(rows)\n    return rows\n", "print()"),
        ("src/styles/panel.css", ".panel { color: #333 !important; }\n.panel .a { color: red !important; }\n", "!important"),
        ("src/styles/panel.css", ".panel * { transition: all 0.5s; }\n", "transition: all"),
        ("server/routes/items.js", "router.post('/items', async (req, res) => {\n  res.json(await db.query(\"INSERT INTO items (name) VALUES ('\" + req.body.name + \"')\"))\n})\n",
         "SQL built by string concatenation"),
        ("src/lib/run.ts", "export function run(input: string) {\n  return eval(input);\n}\n", "eval"),
        ("src/lib/api.ts", "import axios from 'axios';\nimport { z } from 'zod';\nexport const Id = z.string();\n",
         "unused import(s): axios"),
    ],
)
def test_language_rules_find_what_a_reviewer_would(path, code, tell):
    verdict = HeuristicJudge().judge_many([_code_item(code, path)])[0].verdict
    assert any(tell in i.description for i in verdict.issues), [i.description for i in verdict.issues]


def test_anti_slop_on_ui_code_names_each_tell():
    slop = """export function Hero() {
  return (
    <div className="flex flex-col items-center justify-center text-center bg-gradient-to-r from-purple-500 to-blue-500">
      <h1 className="text-4xl text-center font-sans">🚀 Your title here</h1>
      <p className="text-center mx-auto">Lorem ipsum dolor sit amet</p>
    </div>
  );
}
"""
    crafted = """export function Hero() {
  return (
    <section className="grid grid-cols-12 gap-6 bg-[var(--surface)] shadow-[var(--elevation-2)]">
      <h1 className="col-span-7 font-[Fraunces] text-left transition-transform duration-300">Ceramics, fired slowly</h1>
      <p className="col-span-5 text-left">Small batches from a two-person studio in Porto.</p>
    </section>
  );
}
"""
    judge = HeuristicJudge()
    bad, good = judge.judge_many([_code_item(slop, "src/Hero.tsx", "anti_slop"), _code_item(crafted, "src/Hero.tsx", "anti_slop")])
    told = " | ".join(i.description for i in bad.verdict.issues)
    for tell in ("purple/blue", "emoji", "placeholder copy", "everything centered", "no motion", "no depth", "generic fonts"):
        assert tell in told, tell
    assert bad.verdict.overall < 45 < 80 < good.verdict.overall
    assert not good.verdict.issues


def test_same_items_give_identical_verdicts(judged):
    items = [j.item for judgments in judged.values() for j in judgments[:40]]
    first, second = HeuristicJudge().judge_many(items), HeuristicJudge().judge_many(items)
    assert [j.verdict for j in first] == [j.verdict for j in second]
    assert [j.judge_version for j in first] == [j.judge_version for j in second]


def test_judge_version_names_the_rules_and_the_weights(monkeypatch):
    judge = HeuristicJudge()
    versions = {t: judge.judge_version(t) for t in DEFAULT_RUBRICS}
    assert len(set(versions.values())) == len(versions)
    assert judge.judge_version("code_quality") == HeuristicJudge().judge_version("code_quality")

    reweighted = dict(DEFAULT_RUBRICS)
    code = DEFAULT_RUBRICS["code_quality"]
    reweighted["code_quality"] = Rubric("code_quality", {**code.weights, "security": 30}, code.description)
    changed = HeuristicJudge(reweighted)
    assert changed.judge_version("code_quality") != versions["code_quality"]
    assert changed.judge_version("anti_slop") == versions["anti_slop"]

    # design_quality folds the anti_slop judge in, so the anti_slop weights are part of its version
    slop = DEFAULT_RUBRICS["anti_slop"]
    reslopped = {**DEFAULT_RUBRICS, "anti_slop": Rubric("anti_slop", {**slop.weights, "copy": 40}, slop.description)}
    assert HeuristicJudge(reslopped).judge_version("design_quality") != versions["design_quality"]



def test_editing_a_rule_changes_the_version_of_exactly_the_judges_that_run_it(tmp_path, monkeypatch):
    """The rule version is a hash of the rules' source: no hand-bumped number to forget."""
    judge = HeuristicJudge()
    types = ("code_quality", "design_quality", "anti_slop", "success_predictor")
    before = {t: judge.judge_version(t) for t in types}
    model_before = judge.model_used
    rules = Path(heuristics.__file__).parent
    for source in rules.glob("heuristics*.py"):
        (tmp_path / source.name).write_bytes(source.read_bytes())
    monkeypatch.setattr(heuristics, "_RULES_DIR", tmp_path)
    assert {t: judge.judge_version(t) for t in types} == before  # same source, same versions

    with (tmp_path / "heuristics_code.py").open("a") as handle:
        handle.write("\n# a reworded rule\n")
    after = {t: judge.judge_version(t) for t in types}
    assert after["code_quality"] != before["code_quality"]
    assert {t: after[t] for t in types if t != "code_quality"} == {t: before[t] for t in types if t != "code_quality"}
    assert judge.model_used != model_before

    with (tmp_path / "heuristics_design.py").open("a") as handle:
        handle.write("\n# a retuned soul trait\n")
    again = {t: judge.judge_version(t) for t in types}
    assert again["design_quality"] != after["design_quality"] and again["anti_slop"] != after["anti_slop"]
    assert again["success_predictor"] == before["success_predictor"]


def test_compare_many_picks_the_better_version_in_both_orders():
    judge = HeuristicJudge()
    prompt = "Which version of src/components/Orders.tsx is better code?"
    results, consistency = judge.compare_many([(prompt, BAD_TSX, GOOD_TSX), (prompt, GOOD_TSX, BAD_TSX),
                                               (prompt, GOOD_TSX, GOOD_TSX)], "code_quality")
    assert [r.winner for r in results] == ["B", "A", "tie"]
    assert consistency == 1.0 and all(r.position_consistent for r in results)
    assert (results[0].first_order, results[0].second_order) == ("B", "B")
    assert results[0].confidence > results[2].confidence


def test_compare_many_agrees_with_the_truth_on_simulated_versions(simulated):
    truth = {f"{v['artifactId']}@v{v['version']}": v["quality"] for v in simulated.truth["code_versions"]}
    pairs, better = [], []
    for row in simulated.artifacts.head(120).iter_rows(named=True):
        versions = json.loads(row["versions"])
        for a, b in zip(versions, versions[1:]):
            qa, qb = truth[f"{row['artifact_id']}@v{a['version']}"], truth[f"{row['artifact_id']}@v{b['version']}"]
            if abs(qa - qb) >= 10:
                pairs.append((f"Which version of {row['file_path']} is better code?", a["code"], b["code"]))
                better.append("A" if qa > qb else "B")
    results, consistency = HeuristicJudge().compare_many(pairs, "code_quality")
    decided = [(r.winner, truth_winner) for r, truth_winner in zip(results, better) if r.winner != "tie"]
    assert consistency == 1.0 and len(decided) >= 20
    assert sum(w == t for w, t in decided) / len(decided) >= 0.9


def test_progress_and_unknown_judge_types():
    seen: list[int] = []
    items = [_code_item(GOOD_TSX), JudgeItem("x", "decision", "no_such_judge", {}), _code_item(BAD_TSX)]
    judgments = HeuristicJudge().judge_many(items, progress=seen.append)
    assert seen == [1, 2, 3]
    assert [j.status for j in judgments] == ["ok", "failed", "ok"]
    assert "no_such_judge" in judgments[1].error and judgments[1].verdict is None
