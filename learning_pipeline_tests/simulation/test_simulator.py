"""The build-trace simulator: determinism, wire shape, bad lines, secrets, and a hidden truth
that really shows in the traces (so the later layers can be tested against it)."""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import json
import re
import sqlite3
from collections import Counter, defaultdict

import numpy as np
import pytest

from learning_pipeline.simulation import (
    DECISION_TYPES,
    KINDS,
    PHASES,
    TRIGGERS,
    iter_events,
    simulate,
    truth_path_for,
    write_builder_sqlite,
)

END = dt.date(2026, 1, 31)
ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
SQLITE_STYLE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
# Defects live in how the code combines (see simulation/code_blocks.py), so they are counted by
# reading the combinations: a clamp's bounds, a sort's direction, a cleanup that subscribes...
CODE_SMELLS = re.compile(
    r"Math\.min\(Math\.max\([^,]+, MAX_|Math\.max\(Math\.min\([^,]+, 1\)"
    r"|function byNewest[^\n]*\n\s*return a\.|function byOldest[^\n]*\n\s*return b\."
    r"|return \(\) => \{\n\s*[\w.]+\.(?:on|addEventListener|add)\("
    r"|if \(!(current|previous)\)[^\n]*\n[^\n]*\b(?!\1\b)(?:current|previous)\.name"
    r"|if \(res\.ok\) \{\n\s*throw|if \(!res\.ok\) \{\n\s*return|if \(req\.user\) \{\n\s*return res|if \(!req\.user\) \{\n\s*return next"
    r"|attempt > MAX_|MAX_RETRIES < attempt|count < RATE_LIMIT|RATE_LIMIT > count|items\.length > |pageSize < items"
    r"|\((name|quantity), (?!\2)\w+\) VALUES[^\n]*\n\s*\[parsed\.data\.(?!\2)"
    r"|finally \{\n\s*(?:setLoading\(true\)|setReady\(false\))"
)


def _parse_date(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00").replace(" ", "T")).replace(tzinfo=None)


def _spearman(a, b) -> float:
    def ranks(x):
        x = np.asarray(x, dtype=float)
        order = np.argsort(x, kind="stable")
        r = np.empty(len(x))
        r[order] = np.arange(len(x))
        # average ties so that many equal smell counts do not bias the ranks
        for value in np.unique(x):
            mask = x == value
            r[mask] = r[mask].mean()
        return r

    return float(np.corrcoef(ranks(a), ranks(b))[0, 1])


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    """About 200 builds, read back once: (summary, truth, lines, {line_no: envelope} of good lines)."""
    out = tmp_path_factory.mktemp("sim") / "traces.jsonl"
    summary = simulate(200, seed=7, days=30, out=out, end_date=END)
    truth = json.loads(summary.truth_path.read_text())
    lines = out.read_text(encoding="utf-8").splitlines()
    bad = {entry["line"] for entry in truth["bad_lines"]}
    good = {n: json.loads(line) for n, line in enumerate(lines, start=1) if n not in bad}
    return summary, truth, lines, good


def _of_kind(good, kind):
    return [(n, env["data"]) for n, env in good.items() if env["kind"] == kind]


def test_same_arguments_give_byte_identical_files_and_another_seed_differs(tmp_path):
    a = simulate(40, seed=3, days=10, out=tmp_path / "a" / "traces.jsonl", end_date=END)
    b = simulate(40, seed=3, days=10, out=tmp_path / "b" / "traces.jsonl", end_date=END)
    c = simulate(40, seed=4, days=10, out=tmp_path / "c" / "traces.jsonl", end_date=END)
    assert a.out.read_bytes() == b.out.read_bytes()
    assert a.truth_path.read_bytes() == b.truth_path.read_bytes()
    assert a.out.read_bytes() != c.out.read_bytes()
    assert a.truth_path.read_bytes() != c.truth_path.read_bytes()


def test_gz_output_is_deterministic_and_holds_the_same_lines(tmp_path):
    plain = simulate(30, seed=5, days=7, out=tmp_path / "p" / "traces.jsonl", end_date=END)
    gz1 = simulate(30, seed=5, days=7, out=tmp_path / "g1" / "traces.jsonl.gz", end_date=END)
    gz2 = simulate(30, seed=5, days=7, out=tmp_path / "g2" / "traces.jsonl.gz", end_date=END)
    assert gz1.out.read_bytes() == gz2.out.read_bytes()  # no mtime / file name in the gzip header
    assert gzip.decompress(gz1.out.read_bytes()) == plain.out.read_bytes()
    assert gz1.truth_path.name == "traces.truth.json"
    assert gz1.truth_path.read_bytes() == plain.truth_path.read_bytes()


def test_truth_path_sits_beside_the_trace_file(tmp_path):
    assert truth_path_for(tmp_path / "traces.jsonl") == tmp_path / "traces.truth.json"
    assert truth_path_for(tmp_path / "traces.jsonl.gz") == tmp_path / "traces.truth.json"
    assert truth_path_for("x/run-2.jsonl") .name == "run-2.truth.json"


def test_every_kind_phase_decision_type_and_trigger_shows_up(sim):
    summary, _, _, good = sim
    assert set(summary.lines_by_kind) == set(KINDS)
    assert all(summary.lines_by_kind[kind] > 0 for kind in KINDS)
    decisions = [d for _, d in _of_kind(good, "decision")]
    assert {d["phase"] for d in decisions} == set(PHASES)
    assert {d["decisionType"] for d in decisions} == set(DECISION_TYPES)
    triggers = {v["trigger"] for _, d in _of_kind(good, "code_artifact") for v in d["versions"]}
    assert triggers == set(TRIGGERS)
    assert len(_of_kind(good, "build_summary")) == 200
    results = {step["result"] for _, d in _of_kind(good, "error_recovery") for step in d["recoveryJourney"]}
    assert results == {"fixed", "partial", "failed", "new_error"}


def test_good_lines_are_envelopes_and_counts_add_up(sim):
    summary, truth, lines, good = sim
    assert summary.lines == len(lines) == len(good) + summary.bad_lines
    assert Counter(env["kind"] for env in good.values()) == Counter(
        {k: v for k, v in summary.lines_by_kind.items() if v})
    for env in good.values():
        assert set(env) == {"kind", "data"} and env["kind"] in KINDS and isinstance(env["data"], dict)
    assert truth["counts"]["lines"] == summary.lines
    assert 0.005 < summary.bad_lines / summary.lines < 0.02


def test_ids_are_unique_and_prefixed(sim):
    _, _, _, good = sim
    for kind, key, prefix in (("decision", "traceId", "dec_"), ("code_artifact", "artifactId", "art_"),
                              ("design_choice", "choiceId", "dsn_"), ("error_recovery", "errorId", "err_")):
        ids = [d[key] for _, d in _of_kind(good, kind)]
        assert len(ids) == len(set(ids)) and all(i.startswith(prefix) for i in ids)
    assert all(d["buildId"].startswith("bld_") for _, d in _of_kind(good, "build_summary"))


def test_iter_events_yields_the_good_lines_in_file_order(sim):
    _, _, _, good = sim
    streamed = list(iter_events(200, seed=7, days=30, end_date=END))
    assert streamed == [good[n] for n in sorted(good)]


def test_bad_lines_are_where_the_truth_says(sim):
    summary, truth, lines, _ = sim
    seen = Counter()
    for entry in truth["bad_lines"]:
        text = lines[entry["line"] - 1]
        seen[entry["type"]] += 1
        if entry["type"] == "invalid_json":
            with pytest.raises(json.JSONDecodeError):
                json.loads(text)
            continue
        env = json.loads(text)
        data = env["data"]
        if entry["type"] == "unknown_kind":
            assert env["kind"] not in KINDS
        elif entry["type"] == "missing_required_field":
            assert entry["field"] not in data
        elif entry["type"] == "wrong_type":
            parent, _, leaf = entry["field"].partition(".")
            assert isinstance(data[parent][leaf], str)
        elif entry["type"] == "enum_out_of_range":
            assert data["phase"] not in PHASES or data["decisionType"] not in DECISION_TYPES
        elif entry["type"] == "oversize_field":
            assert len(data["versions"][0]["code"]) > 2_000_000
    assert set(seen) == {"invalid_json", "missing_required_field", "wrong_type", "enum_out_of_range",
                         "oversize_field", "unknown_kind"}
    assert seen["oversize_field"] <= 2


def test_optional_fields_are_sometimes_missing_sometimes_null_and_extras_appear(sim):
    _, _, _, good = sim
    decisions = [d for _, d in _of_kind(good, "decision")]
    assert any("projectId" not in d for d in decisions) and any(d.get("projectId", 1) is None for d in decisions)
    assert any("thinkingTrace" not in d["context"] for d in decisions)
    assert any(d["context"].get("thinkingTrace", 1) is None for d in decisions)
    assert any(d.get("outcome", 1) is None for d in decisions) and any("outcome" not in d for d in decisions)
    all_data = [env["data"] for env in good.values()]
    assert any("builderVersion" in d or "agentId" in d or "_meta" in d or "traceSchemaVersion" in d for d in all_data)


def test_dates_use_iso_mostly_and_the_sqlite_style_sometimes(sim):
    _, _, _, good = sim
    styles = Counter()
    for _, d in _of_kind(good, "decision") + _of_kind(good, "build_summary") + _of_kind(good, "design_choice"):
        value = d["createdAt"]
        styles["iso" if ISO.match(value) else "sqlite" if SQLITE_STYLE.match(value) else "other"] += 1
    assert styles["other"] == 0
    assert 0.02 < styles["sqlite"] / sum(styles.values()) < 0.09
    created = [_parse_date(d["createdAt"]) for _, d in _of_kind(good, "build_summary")]
    assert dt.datetime(2026, 1, 2) <= min(created) and max(created) < dt.datetime(2026, 2, 1)


def test_late_outcomes_follow_their_decision_in_file_and_time(sim):
    _, truth, _, good = sim
    decisions = {d["traceId"]: (n, d) for n, d in _of_kind(good, "decision")}
    outcomes = defaultdict(list)
    for n, d in _of_kind(good, "decision_outcome"):
        line, decision = decisions[d["traceId"]]
        assert line < n
        assert _parse_date(d["outcomeRecordedAt"]) > _parse_date(decision["createdAt"])
        assert _parse_date(d["outcomeRecordedAt"]) - _parse_date(decision["createdAt"]) <= dt.timedelta(days=5, hours=1)
        outcomes[d["traceId"]].append((n, d))
    total = len(decisions)
    inline = sum(1 for _, d in decisions.values() if isinstance(d.get("outcome"), dict))
    assert 0.33 < inline / total < 0.47
    assert 0.43 < len(outcomes) / total < 0.57
    assert not any(isinstance(decisions[t][1].get("outcome"), dict) for t in outcomes)
    replaced = [t for t, events in outcomes.items() if len(events) == 2]
    assert sorted(replaced) == sorted(truth["outcomes"]["replaced_trace_ids"])
    assert 0 < len(replaced) < 0.12 * len(outcomes)
    for trace_id in replaced:
        first, second = (d for _, d in outcomes[trace_id])
        assert first["outcome"]["immediateResult"] != second["outcome"]["immediateResult"]
        assert _parse_date(second["outcomeRecordedAt"]) >= _parse_date(first["outcomeRecordedAt"])


def test_file_is_in_time_order(sim):
    _, _, _, good = sim
    stamps = []
    for env in good.values():
        d = env["data"]
        stamp = d.get("outcomeRecordedAt") if env["kind"] == "decision_outcome" else None
        if env["kind"] == "code_artifact":
            stamp = d["updatedAt"]
        elif env["kind"] == "error_recovery":
            continue  # stamped by its last attempt, which has no date of its own
        stamps.append(_parse_date(stamp or d["createdAt"]).replace(microsecond=0))  # the SQLite style has no ms
    assert stamps == sorted(stamps)


def test_hidden_code_quality_shows_in_the_code_text(sim):
    _, truth, _, good = sim
    quality = {(v["artifactId"], v["version"]): v["quality"] for v in truth["code_versions"]}
    qs, smells = [], []
    for _, d in _of_kind(good, "code_artifact"):
        if not d["filePath"].endswith((".ts", ".tsx", ".js")):
            continue
        for version in d["versions"]:
            qs.append(quality[(d["artifactId"], version["version"])])
            smells.append(-len(CODE_SMELLS.findall(version["code"])))
    assert len(qs) > 300
    assert _spearman(qs, smells) > 0.5
    # ... and the reported trajectory tracks it as a self-assessment does: clearly, not closely
    reported = [(quality[(d["artifactId"], i + 1)], p["codeQualityScore"])
                for _, d in _of_kind(good, "code_artifact") for i, p in enumerate(d["qualityTrajectory"])]
    assert 0.45 < _spearman(*zip(*reported)) < 0.8


def test_the_builder_gets_better_over_time(sim):
    _, truth, _, good = sim
    summaries = [d for _, d in _of_kind(good, "build_summary")]  # in time order
    third = len(summaries) // 3
    early, late = summaries[:third], summaries[-third:]

    def mean(rows, key):
        return sum(float(r[key]) for r in rows) / len(rows)

    assert mean(late, "firstAttemptSuccess") > mean(early, "firstAttemptSuccess") + 0.1
    assert mean(late, "errorFixAttempts") < mean(early, "errorFixAttempts")
    assert mean(late, "antiSlopScore") > mean(early, "antiSlopScore")
    assert mean(late, "userSatisfaction") > mean(early, "userSatisfaction")
    trend = truth["trend"]
    assert trend["late"]["expected_first_attempt_success"] > trend["early"]["expected_first_attempt_success"] + 0.15
    assert len(truth["daily"]) >= 25 and sum(day["builds"] for day in truth["daily"]) == 200
    assert all(1 <= s["userSatisfaction"] <= 10 and 0 <= s["antiSlopScore"] <= 100 for s in summaries)


def test_decision_outcomes_follow_the_hidden_option_probabilities(sim):
    _, truth, _, good = sim
    final: dict[str, dict] = {}
    for _, d in _of_kind(good, "decision"):
        if isinstance(d.get("outcome"), dict):
            final[d["traceId"]] = d["outcome"]
    for _, d in _of_kind(good, "decision_outcome"):
        final[d["traceId"]] = d["outcome"]  # the newest replaces the older
    quality = {d["traceId"]: d["chosen_quality"] for d in truth["decisions"]}
    wins = defaultdict(list)
    for _, d in _of_kind(good, "decision"):
        if d["traceId"] in final:
            wins[quality[d["traceId"]]].append(final[d["traceId"]]["immediateResult"] == "success")
    good_rate = sum(wins["good"]) / len(wins["good"])
    bad_rate = sum(wins["bad"]) / len(wins["bad"])
    assert good_rate > 0.7 and bad_rate < 0.45
    # A failed decision is often retried with another option in the same build.
    retries = [d for _, d in _of_kind(good, "decision") if d["context"]["previousAttempts"] > 0]
    assert retries and all(d["context"].get("errorIfAny") for d in retries)


def test_strategy_and_pattern_feedback_matches_the_truth(sim):
    _, truth, _, good = sim
    strategy_ids = {s["strategyId"] for domain in truth["strategies"].values() for s in domain.values()}
    events = [d for _, d in _of_kind(good, "strategy_outcome")]
    assert {e["strategyId"] for e in events} <= strategy_ids
    assert all(e["context"][0] in ("react", "dashboard", "ecommerce", "realtime", "landing_page") for e in events)
    usage = [d for _, d in _of_kind(good, "pattern_usage")]
    assert {u["patternId"] for u in usage} <= set(truth["patterns"])
    rate = sum(u["success"] for u in usage) / len(usage)
    expected = sum(truth["patterns"][u["patternId"]]["first_attempt_success_rate"] for u in usage) / len(usage)
    assert abs(rate - expected) < 0.06


def test_error_journeys_fix_only_with_the_correct_fix_at_the_needed_level(sim):
    _, truth, _, good = sim
    catalog = truth["error_types"]
    for _, d in _of_kind(good, "error_recovery"):
        spec = catalog[d["error"]["type"]]
        journey = d["recoveryJourney"]
        assert 1 <= len(journey) <= 5
        for step in journey:
            correct = spec["correct_fix"] in step["fixApplied"]
            assert (step["result"] == "fixed") == (correct and step["level"] >= spec["level_required"])
        if journey[-1]["result"] == "fixed":
            assert spec["correct_fix"] in d["successfulFix"]["fixDescription"]
            assert d["successfulFix"]["fixDescription"] in journey[-1]["fixApplied"]
            assert d["resolvedAt"]
        else:
            assert d.get("successfulFix") is None


def test_design_choices_reflect_soul_fit_and_slop(sim):
    _, truth, _, good = sim
    hidden = {c["choiceId"]: c for c in truth["design_choices"]}
    slop_scores, fit_scores = [], []
    shots = 0
    for _, d in _of_kind(good, "design_choice"):
        scores = d.get("visualScores")
        if isinstance(scores, dict):
            info = hidden[d["choiceId"]]
            if info["slop"]:
                slop_scores.append(scores["overall"])
            elif info["font_fit"] and info["palette_fit"] and info["motion_fit"]:
                fit_scores.append(scores["overall"])
        for uri in d.get("screenshots") or []:
            raw = base64.b64decode(uri.removeprefix("data:image/png;base64,"))
            assert raw.startswith(b"\x89PNG\r\n\x1a\n") and 100 < len(raw) < 2000
            shots += 1
    # the builder's own scores are self-assessments: they lean the right way, with overlap
    assert slop_scores and fit_scores and np.mean(slop_scores) < np.mean(fit_scores) - 8
    assert min(fit_scores) < max(slop_scores)
    assert shots > 0
    # and its flags are wrong a fair share of the time (mostly flattering)
    flags = [(d["motionLanguage"].get("matchesSoul"), hidden[d["choiceId"]]["motion_fit"])
             for _, d in _of_kind(good, "design_choice") if isinstance(d.get("motionLanguage"), dict)]
    wrong = sum(said != true for said, true in flags) / len(flags)
    assert 0.1 < wrong < 0.45


def test_planted_secrets_are_in_the_recorded_lines_only(sim):
    summary, truth, lines, good = sim
    secrets = truth["secrets"]
    assert len(secrets) == summary.planted_secrets > 0
    traces = sum(summary.lines_by_kind[k] for k in ("decision", "code_artifact", "design_choice", "error_recovery"))
    assert len(secrets) / traces < 0.05
    for secret in secrets:
        record = json.dumps(good[secret["line"]]["data"], ensure_ascii=False)
        assert json.dumps(secret["value"])[1:-1] in record
    values = [json.dumps(s["value"])[1:-1] for s in secrets]
    found = Counter(v for n, line in enumerate(lines, 1) for v in values if v in line)
    assert all(found[v] == 1 for v in values)  # bad lines never copy a planted secret


def test_output_decodes_with_the_wire_schemas(sim):
    wire = pytest.importorskip("learning_pipeline.capture.wire")
    msgspec = pytest.importorskip("msgspec")
    _, truth, lines, good = sim
    for env in good.values():
        msgspec.json.decode(json.dumps(env["data"]), type=wire.TRACE_KINDS[env["kind"]].schema)
    for entry in truth["bad_lines"]:
        with pytest.raises((ValueError, KeyError, msgspec.ValidationError, msgspec.DecodeError)):
            env = json.loads(lines[entry["line"] - 1])
            msgspec.json.decode(json.dumps(env["data"]), type=wire.TRACE_KINDS[env["kind"]].schema)


def test_builder_sqlite_holds_the_four_trace_kinds(sim, tmp_path):
    _, _, lines, good = sim
    envelopes = []
    for line in lines:  # every parseable line, bad ones included: the writer must skip those
        try:
            envelopes.append(json.loads(line))
        except json.JSONDecodeError:
            pass
    path = tmp_path / "builder.db"
    rows = write_builder_sqlite(envelopes, path)
    expected = {"decision": 0, "code_artifact": 0, "design_choice": 0, "error_recovery": 0}
    for env in good.values():
        if env["kind"] in expected:
            expected[env["kind"]] += 1
    assert rows == sum(expected.values())

    con = sqlite3.connect(path)
    columns = {t: [r[1] for r in con.execute(f"PRAGMA table_info({t})")] for t in (
        "learning_decision_traces", "learning_code_artifacts", "learning_design_choices", "learning_error_recoveries")}
    assert columns["learning_decision_traces"] == [
        "id", "trace_id", "build_id", "project_id", "user_id", "phase", "decision_type", "context", "decision",
        "outcome", "created_at", "outcome_recorded_at"]
    assert columns["learning_code_artifacts"] == [
        "id", "artifact_id", "build_id", "project_id", "user_id", "file_path", "versions", "quality_trajectory",
        "patterns_used", "created_at", "updated_at"]
    assert columns["learning_design_choices"] == [
        "id", "choice_id", "build_id", "project_id", "user_id", "app_soul", "typography", "color_system",
        "motion_language", "layout_decisions", "visual_scores", "screenshots", "created_at"]
    assert columns["learning_error_recoveries"] == [
        "id", "error_id", "build_id", "project_id", "user_id", "error", "recovery_journey", "successful_fix",
        "created_at", "resolved_at"]
    counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in columns}
    assert counts["learning_decision_traces"] == expected["decision"]
    assert counts["learning_code_artifacts"] == expected["code_artifact"]

    # the newest decision_outcome is merged into its decision's row
    latest = {}
    for _, d in _of_kind(good, "decision_outcome"):
        latest[d["traceId"]] = d["outcome"]
    trace_id, outcome = next(iter(latest.items()))
    stored, recorded, created = con.execute(
        "SELECT outcome, outcome_recorded_at, created_at FROM learning_decision_traces WHERE trace_id = ?",
        (trace_id,)).fetchone()
    assert json.loads(stored) == outcome
    assert SQLITE_STYLE.match(recorded) and SQLITE_STYLE.match(created)
    merged = con.execute("SELECT count(*) FROM learning_decision_traces WHERE outcome IS NOT NULL").fetchone()[0]
    assert merged >= len(latest)
    versions = json.loads(con.execute("SELECT versions FROM learning_code_artifacts LIMIT 1").fetchone()[0])
    assert {"version", "code", "timestamp", "trigger"} <= set(versions[0])  # camelCase inside JSON text
    con.close()


@pytest.mark.heavy
def test_simulating_1000_builds_streams_to_gzip(tmp_path):
    # Speed is a bench figure (bench_capture_throughput simulates its input); here only that a
    # large run streams through gzip with no bad lines when none are asked for.
    summary = simulate(1000, seed=11, days=30, out=tmp_path / "big.jsonl.gz", end_date=END, bad_line_rate=0.0)
    assert summary.bad_lines == 0 and summary.lines > 20_000
