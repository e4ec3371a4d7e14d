"""Is the simulator varied enough for an evaluation that cannot be memorised?

Straight from the simulated traces (no pipeline run), builds the four kinds of preference
pair the demo models train on the way `preferences/pairs.py` does (architecture: a succeeded
decision's option over each rejected one, or a later winner over a failed option; error_fix:
the fix that worked over each failed attempt; code: the better of two consecutive versions by
hidden quality; design: within one app soul the better half over the worse half), splits them
by build (10% held out, as `PairRules.held_out_share`), and prints per domain:

- held-out pairs, and the share of them with a chosen or rejected text (whitespace and case
  normalised) that also appears in a training pair of the same domain (bar: at most 5%);
- held-out pairs left once those are dropped (bar: at least 50);
- on those unseen pairs: the length baseline, the best single-token baseline (the token chosen
  on the training pairs), and a bag-of-words/bigram logistic regression fitted on the training
  pairs (evidence that the texts are learnable from their content, not memorisable).

Usage: python bench/bench_simulated_text_variety.py [--builds 300] [--days 30] [--seeds 7,11,23]
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import re
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

import numpy as np

from learning_pipeline.simulation import simulate

OVERLAP_BAR = 0.05
HELD_OUT_BAR = 50
END = dt.date(2026, 1, 31)


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


def held_out(build_id: str, share: float = 0.10) -> bool:
    digest = hashlib.sha256(f"split:{build_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < share


def design_text(d: dict) -> str:
    typography = d.get("typography") or {}
    colors = d.get("colorSystem") or {}
    motion = d.get("motionLanguage") or {}
    layout = d.get("layoutDecisions") or {}
    return "\n".join([
        f"Fonts: {', '.join(typography.get('fontsChosen') or []) or 'none'}",
        f"Palette: {json.dumps(colors.get('paletteChosen') or {}, sort_keys=True)}",
        f"Motion: {', '.join(a.get('name', '') for a in motion.get('animationsUsed') or []) or 'none'}",
        f"Layout: {layout.get('gridSystem') or 'unspecified'}; asymmetry: {bool(layout.get('asymmetryUsed'))}",
    ])


def pairs_from(lines: list[dict], truth: dict) -> list[dict]:
    """(domain, build, chosen, rejected) per pair."""
    out: list[dict] = []
    outcomes: dict[str, dict] = {}
    decisions = [e["data"] for e in lines if e["kind"] == "decision"]
    for d in decisions:
        if isinstance(d.get("outcome"), dict):
            outcomes[d["traceId"]] = d["outcome"]
    for e in lines:
        if e["kind"] == "decision_outcome":
            outcomes[e["data"]["traceId"]] = e["data"]["outcome"]
    by_build_type: dict[tuple, list[dict]] = defaultdict(list)
    for d in sorted(decisions, key=lambda d: d["createdAt"]):
        by_build_type[(d["buildId"], d["decisionType"])].append(d)
    for d in decisions:
        result = outcomes.get(d["traceId"], {}).get("immediateResult")
        chosen = d["decision"]["chosenOption"]
        if result == "success":
            for rejected in d["decision"]["rejectedOptions"]:
                out.append(dict(domain="architecture", build=d["buildId"], chosen=chosen, rejected=rejected))
        elif result is not None:
            later = [s for s in by_build_type[(d["buildId"], d["decisionType"])]
                     if s["createdAt"] > d["createdAt"] and s["decision"]["chosenOption"] != chosen
                     and outcomes.get(s["traceId"], {}).get("immediateResult") == "success"]
            if later:
                out.append(dict(domain="architecture", build=d["buildId"], chosen=later[0]["decision"]["chosenOption"],
                                rejected=chosen))
    quality = {(v["artifactId"], v["version"]): v["quality"] for v in truth["code_versions"]}
    design_truth = {d["choiceId"]: d for d in truth["design_choices"]}
    designs_by_soul: dict[tuple, list[dict]] = defaultdict(list)
    for e in lines:
        data = e["data"]
        if e["kind"] == "error_recovery" and data.get("successfulFix"):
            fix = data["successfulFix"]
            chosen = fix["fixDescription"] + (f"\n{fix['codeDiff']}" if fix.get("codeDiff") else "")
            for attempt in data["recoveryJourney"]:
                if attempt["result"] in ("failed", "new_error"):
                    out.append(dict(domain="error_fix", build=data["buildId"], chosen=chosen, rejected=attempt["fixApplied"]))
        elif e["kind"] == "code_artifact":
            versions = data["versions"]
            for a, b in zip(versions, versions[1:]):
                qa, qb = quality[(data["artifactId"], a["version"])], quality[(data["artifactId"], b["version"])]
                if qa == qb:
                    continue
                better, worse = (b, a) if qb > qa else (a, b)
                out.append(dict(domain="code", build=data["buildId"], chosen=better["code"], rejected=worse["code"]))
        elif e["kind"] == "design_choice" and data.get("appSoul"):
            designs_by_soul[(data["appSoul"], held_out(data["buildId"]))].append(data)
    for members in designs_by_soul.values():
        members.sort(key=lambda d: -design_truth[d["choiceId"]]["true_scores"]["overall"])
        half = len(members) // 2
        best, worst = members[:half], members[len(members) - half:][::-1]
        for good, bad in [(best[k], worst[k]) for k in range(half)] + [(best[k], worst[k + 1]) for k in range(half - 1)]:
            out.append(dict(domain="design", build=good["buildId"], chosen=design_text(good), rejected=design_text(bad)))
    return out


def tokens(text: str) -> list[str]:
    return re.findall(r"[a-z0-9_#@!.-]+", text.lower())


def single_token_baseline(train: list[dict], test: list[dict]) -> float:
    """The token whose presence on one side best picks the chosen side on training pairs."""
    score: dict[str, int] = defaultdict(int)
    for p in train:
        c, r = set(tokens(p["chosen"])), set(tokens(p["rejected"]))
        for t in c - r:
            score[t] += 1
        for t in r - c:
            score[t] -= 1
    if not score:
        return 0.5
    best = max(score, key=lambda t: abs(score[t]))
    sign = 1 if score[best] > 0 else -1
    hits = []
    for p in test:
        c, r = best in set(tokens(p["chosen"])), best in set(tokens(p["rejected"]))
        hits.append(0.5 if c == r else float((c and sign > 0) or (r and sign < 0)))
    return float(np.mean(hits))


def length_baseline(test: list[dict]) -> float:
    return float(np.mean([0.5 if len(p["chosen"]) == len(p["rejected"]) else float(len(p["chosen"]) > len(p["rejected"]))
                          for p in test]))


def bow_logistic(train: list[dict], test: list[dict]) -> float:
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression

    vec = CountVectorizer(ngram_range=(1, 2), token_pattern=r"[A-Za-z0-9_#@!.-]+", binary=True, min_df=2)
    vec.fit([p["chosen"] for p in train] + [p["rejected"] for p in train])
    diff = vec.transform([p["chosen"] for p in train]) - vec.transform([p["rejected"] for p in train])
    x = np.vstack([diff.toarray(), -diff.toarray()])
    y = np.array([1] * diff.shape[0] + [0] * diff.shape[0])
    model = LogisticRegression(max_iter=2000, C=1.0).fit(x, y)
    test_diff = (vec.transform([p["chosen"] for p in test]) - vec.transform([p["rejected"] for p in test])).toarray()
    return float(np.mean(model.decision_function(test_diff) > 0))


def pipeline_bow(train: list[dict], test: list[dict]) -> float:
    """The bag-of-words baseline the evaluation reports (training/baselines.py), on these pairs."""
    import polars as pl

    from learning_pipeline.training.baselines import bag_of_words

    def frame(pairs: list[dict]) -> pl.DataFrame:
        return pl.DataFrame({"chosen": [p["chosen"] for p in pairs], "rejected": [p["rejected"] for p in pairs]})

    scores = bag_of_words(frame(train), frame(test))
    return float(np.mean(scores)) if scores else float("nan")


def oracle(test: list[dict], quality: dict[str, str]) -> float:
    """Pick the side whose hidden quality is good: the most any learner can reach on these labels."""
    rank = {"good": 1, "bad": 0}
    hits = []
    for p in test:
        c, r = rank.get(quality.get(p["chosen"], ""), -1), rank.get(quality.get(p["rejected"], ""), -1)
        hits.append(0.5 if c == r or min(c, r) < 0 else float(c > r))
    return float(np.mean(hits))


def measure(builds: int, days: int, seed: int) -> dict[str, dict]:
    with tempfile.TemporaryDirectory() as tmp:
        summary = simulate(builds, seed=seed, days=days, out=Path(tmp) / "traces.jsonl", end_date=END)
        truth = json.loads(summary.truth_path.read_text())
        bad = {b["line"] for b in truth["bad_lines"]}
        lines = [json.loads(line) for n, line in enumerate(summary.out.read_text().splitlines(), start=1) if n not in bad]
    pairs = pairs_from(lines, truth)
    quality: dict[str, str] = {}
    chosen_text = {e["data"]["traceId"]: e["data"]["decision"]["chosenOption"] for e in lines if e["kind"] == "decision"}
    for d in truth.get("decisions", []):
        quality.update(d["rejected_qualities"])
        if d["traceId"] in chosen_text:
            quality[chosen_text[d["traceId"]]] = d["chosen_quality"]
    report = {}
    for domain in ("architecture", "error_fix", "code", "design"):
        mine = [p for p in pairs if p["domain"] == domain]
        train = [p for p in mine if not held_out(p["build"])]
        test = [p for p in mine if held_out(p["build"])]
        seen = {normalise(p["chosen"]) for p in train} | {normalise(p["rejected"]) for p in train}
        unseen = [p for p in test if normalise(p["chosen"]) not in seen and normalise(p["rejected"]) not in seen]
        row = {"train": len(train), "held_out": len(test),
               "overlap_share": round(1 - len(unseen) / len(test), 3) if test else None,
               "held_out_unseen": len(unseen)}
        if unseen and train:
            row["length_baseline"] = round(length_baseline(unseen), 3)
            row["best_token_baseline"] = round(single_token_baseline(train, unseen), 3)
            row["bow_logistic"] = round(bow_logistic(train, unseen), 3)
            row["bow_baseline"] = round(pipeline_bow(train, unseen), 3)
            if domain == "architecture":
                row["oracle_hidden_quality"] = round(oracle(unseen, quality), 3)
        report[domain] = row
    return report


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--builds", type=int, default=300)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--seeds", default="7,11,23")
    args = parser.parse_args()
    worst_ratio = float("inf")
    for seed in (int(s) for s in args.seeds.split(",")):
        for domain, row in measure(args.builds, args.days, seed).items():
            ratio_overlap = OVERLAP_BAR / max(row["overlap_share"] or 0.0, 1e-9)
            ratio_count = row["held_out_unseen"] / HELD_OUT_BAR
            worst_ratio = min(worst_ratio, ratio_count)
            print(f"seed {seed:>3} {domain:<12} " + " ".join(f"{k}={v}" for k, v in row.items())
                  + f"  overlap/bar={1 / ratio_overlap:.2f} unseen/bar={ratio_count:.2f}")
    print(f"worst held-out-unseen / bar: {worst_ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
