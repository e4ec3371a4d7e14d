"""The promotion gate, rule by rule, on per-pair scores (no model needed)."""

import pytest

from learning_pipeline.config import EvolutionConfig
from learning_pipeline.training.bootstrap import ClusterBootstrap, cluster_ids
from learning_pipeline.training.gate import GateRules, decide, error_reduction, notes

RULES = GateRules.from_config(EvolutionConfig())  # 5% of the errors removed, 0.02 domain tolerance


def held_out(n_pairs: int, per_build: int = 4, domain: str = "architecture"):
    builds = [f"b{i // per_build}" for i in range(n_pairs)]
    return [domain] * n_pairs, builds


def scores(n: int, wrong: set[int]) -> list[float]:
    return [0.0 if i in wrong else 1.0 for i in range(n)]


def gate(candidate, champion, domains, builds, rules=RULES):
    return decide(candidate, champion, domains, ClusterBootstrap(builds, seed=0), rules, "champion v1")


def test_the_gate_rules_come_from_the_evolution_config():
    assert RULES.improvement_threshold == 0.05 and RULES.regression_tolerance == 0.02


def test_a_clearly_better_candidate_against_a_0985_champion_is_promoted():
    # The old rule (+5% relative accuracy) refused even a perfect candidate here: 1/0.985 - 1 = +1.5%.
    domains, builds = held_out(400)
    champion = scores(400, wrong={3, 50, 101, 170, 230, 333})  # 0.985
    candidate = scores(400, wrong=set())
    decision = gate(candidate, champion, domains, builds)
    assert decision.champion_accuracy == 0.985 and decision.candidate_accuracy == 1.0
    assert decision.error_reduction == 1.0  # all of the champion's errors removed (relative)
    assert decision.accuracy_difference_interval[0] > 0
    assert decision.passed, decision.reasons


def test_a_worse_candidate_is_never_promoted():
    domains, builds = held_out(200)
    champion = scores(200, wrong=set(range(0, 200, 10)))  # 0.90
    for wrong in (set(range(0, 200, 5)), set(range(0, 200, 9)), set(range(0, 200, 10))):  # 0.80, ~0.89, equal
        decision = gate(scores(200, wrong), champion, domains, builds)
        assert not decision.passed
        assert decision.error_reduction <= 0
        assert any("held-out errors" in r for r in decision.reasons)


def test_removing_too_small_a_share_of_the_errors_is_not_enough():
    domains, builds = held_out(400)
    champion = scores(400, wrong=set(range(0, 400, 4)))  # 100 errors
    candidate = scores(400, wrong=set(range(0, 400, 4)) - {0, 4, 8})  # 3 fewer: 3% of the errors
    decision = gate(candidate, champion, domains, builds)
    assert decision.error_reduction == pytest.approx(0.03)
    assert not decision.passed and "3.0% of champion v1's held-out errors" in decision.reasons[0]


def test_a_gain_whose_interval_over_builds_reaches_zero_is_not_promoted():
    # 3 of 40 pairs better, all in one build: a big relative error reduction that rests on one build.
    domains, builds = held_out(40, per_build=4)
    champion = scores(40, wrong={0, 1, 2, 20})
    candidate = scores(40, wrong={20})
    decision = gate(candidate, champion, domains, builds)
    assert decision.error_reduction == 0.75
    assert decision.accuracy_difference_interval[0] <= 0
    assert not decision.passed and any("does not exclude zero" in r for r in decision.reasons)


def test_the_interval_resamples_builds_not_pairs():
    # The same 3 gains spread over 3 builds are far better evidence than in one build.
    domains, builds = held_out(120, per_build=4)
    candidate = scores(120, wrong={60})
    clustered = gate(candidate, scores(120, wrong={0, 1, 2, 60}), domains, builds)  # gains in build b0
    spread = gate(candidate, scores(120, wrong={0, 40, 80, 60}), domains, builds)  # in b0, b10, b20
    width = lambda d: d.accuracy_difference_interval[1] - d.accuracy_difference_interval[0]  # noqa: E731
    assert clustered.accuracy_difference == spread.accuracy_difference
    assert width(clustered) > width(spread)
    # Without build ids every pair is its own cluster.
    assert cluster_ids([None, "b1", ""], ["p0", "p1", "p2"]) == ["pair:p0", "build:b1", "pair:p2"]


def test_a_one_pair_difference_on_12_pairs_does_not_block():
    # architecture: a clear gain on 200 pairs; design: 12 pairs, one flipped against the candidate.
    arch_domains, arch_builds = held_out(200, domain="architecture")
    design_domains, design_builds = ["design"] * 12, [f"d{i}" for i in range(12)]
    domains, builds = arch_domains + design_domains, arch_builds + design_builds
    champion = scores(200, wrong=set(range(0, 200, 5))) + scores(12, wrong=set())
    candidate = scores(200, wrong=set(range(0, 200, 20))) + scores(12, wrong={7})
    decision = gate(candidate, champion, domains, builds)
    design = decision.domains["design"]
    assert design.accuracy_difference == pytest.approx(-1 / 12, abs=1e-4)  # four times the 0.02 tolerance
    assert design.status == "not enough evidence"
    assert decision.passed, decision.reasons
    assert any(note.startswith("design: not enough evidence") for note in notes(decision))


def test_a_regression_told_apart_from_noise_blocks_even_when_the_total_improves():
    # design: 300 pairs over 100 builds falls from 0.95 to 0.70: its interval lies below -0.02.
    arch_domains, arch_builds = held_out(600, domain="architecture")
    design_domains, design_builds = ["design"] * 300, [f"d{i // 3}" for i in range(300)]
    domains, builds = arch_domains + design_domains, arch_builds + design_builds
    champion = scores(600, wrong=set(range(0, 600, 2))) + scores(300, wrong=set(range(0, 300, 20)))
    candidate = scores(600, wrong=set()) + scores(300, wrong=set(range(0, 300, 4)) | set(range(0, 300, 20)))
    decision = gate(candidate, champion, domains, builds)
    assert decision.accuracy_difference > 0 and decision.accuracy_difference_interval[0] > 0
    assert decision.domains["design"].status == "regressed"
    assert decision.domains["design"].accuracy_difference_interval[1] < -0.02
    assert decision.domains["architecture"].status == "improved or equal"
    assert not decision.passed and any(r.startswith("design regressed by") for r in decision.reasons)


def test_a_small_drop_within_the_tolerance_does_not_block():
    domains, builds = held_out(400)
    design_domains, design_builds = ["design"] * 100, [f"d{i}" for i in range(100)]
    champion = scores(400, wrong=set(range(0, 400, 2))) + scores(100, wrong=set())
    candidate = scores(400, wrong=set()) + scores(100, wrong={5, 50})  # design -0.02
    decision = gate(candidate, champion, domains + design_domains, builds + design_builds)
    assert decision.domains["design"].status == "drop within tolerance" and decision.passed


def test_no_held_out_pairs_or_too_few_builds_never_promote():
    empty = gate([], [], [], [])
    assert not empty.passed and empty.reasons == ["no held-out pairs to evaluate on"]
    domains, builds = held_out(40, per_build=10)  # 4 builds
    few = gate(scores(40, set()), scores(40, set(range(20))), domains, builds)
    assert not few.passed and "from 4 builds" in few.reasons[0]


def test_a_perfect_champion_leaves_nothing_to_improve():
    assert error_reduction(1.0, 1.0) is None
    assert error_reduction(0.99, 0.98) == 0.5 and error_reduction(0.97, 0.98) == -0.5
    domains, builds = held_out(100)
    decision = gate(scores(100, set()), scores(100, set()), domains, builds)
    assert not decision.passed and "nothing left to improve" in decision.reasons[0]


def test_ties_count_half():
    domains, builds = held_out(100)
    champion = [0.5] * 100  # a model with no preference at all
    candidate = scores(100, wrong=set(range(10)))
    decision = gate(candidate, champion, domains, builds)
    assert decision.champion_accuracy == 0.5 and decision.error_reduction == 0.8 and decision.passed


def test_the_bootstrap_is_paired_and_reproducible():
    builds = [f"b{i // 2}" for i in range(60)]
    values = [1.0 if i % 3 else 0.0 for i in range(60)]
    first, second = ClusterBootstrap(builds, seed=3), ClusterBootstrap(builds, seed=3)
    assert first.mean_interval(values) == second.mean_interval(values)
    low, high = first.mean_interval(values)
    assert low < sum(values) / 60 < high
    assert first.mean_interval([0.0] * 60) == (0.0, 0.0)  # identical models: no difference at all
    assert first.builds_in() == 30 and first.builds_in([i < 10 for i in range(60)]) == 5


def test_a_candidate_that_does_not_beat_a_trivial_baseline_is_not_promoted():
    # Seed 7 once: the architect's candidate 0.53 against a base at 0.44 removes 16% of the base's
    # errors, with an interval above zero, yet "pick the longer side" scores 0.51 on the same pairs.
    domains, builds = held_out(400)
    base = scores(400, wrong=set(range(0, 400, 2)) | set(range(1, 400, 8)) | {3, 11, 19, 27})  # 0.365..
    candidate = scores(400, wrong=set(range(0, 400, 2)) - set(range(0, 400, 16)))  # 0.5625
    longer_side = scores(400, wrong=set(range(1, 400, 2)) - set(range(1, 400, 20)))  # 0.55
    decision = decide(candidate, base, domains, ClusterBootstrap(builds, seed=0), RULES, "base model",
                      baselines={"longer side": longer_side})
    assert decision.error_reduction > RULES.improvement_threshold and decision.accuracy_difference_interval[0] > 0
    verdict = decision.baselines["longer side"]
    assert verdict.margin == pytest.approx(0.0125) and verdict.margin_interval[0] <= 0 and not verdict.beaten
    assert not decision.passed
    assert decision.reasons == [next(r for r in decision.reasons if r.startswith("does not beat the longer side baseline"))]


def test_a_candidate_clearly_above_every_trivial_baseline_passes_that_rule():
    domains, builds = held_out(400)
    base = scores(400, wrong=set(range(0, 400, 2)))  # 0.50
    candidate = scores(400, wrong=set(range(0, 400, 5)))  # 0.80
    trivial = {"longer side": scores(400, wrong=set(range(0, 400, 2))),  # 0.50
               "training lookup": [0.5] * 400}  # unseen texts: a coin flip on every pair
    decision = decide(candidate, base, domains, ClusterBootstrap(builds, seed=0), RULES, "base model", baselines=trivial)
    assert all(v.beaten and v.margin_interval[0] > 0 for v in decision.baselines.values())
    assert decision.baselines["training lookup"].margin == pytest.approx(0.30)
    assert decision.passed, decision.reasons


def test_the_margin_over_trivial_baselines_is_a_stated_bar():
    # The same candidate, 0.05 above the baseline with an interval reaching below +0.10, passes a
    # zero margin and fails a required +0.10.
    domains, builds = held_out(400)
    base = scores(400, wrong=set(range(0, 400, 2)))
    candidate = scores(400, wrong=set(range(0, 400, 4)))  # 0.75
    baseline = {"longer side": scores(400, wrong=set(range(0, 400, 10)) | set(range(1, 400, 4)))}  # 0.70
    loose = decide(candidate, base, domains, ClusterBootstrap(builds, seed=0), RULES, "base model", baselines=baseline)
    strict_rules = GateRules(RULES.improvement_threshold, RULES.regression_tolerance, min_margin_over_baselines=0.10)
    strict = decide(candidate, base, domains, ClusterBootstrap(builds, seed=0), strict_rules, "base model", baselines=baseline)
    assert loose.passed, loose.reasons
    assert not strict.passed and "does not lie above +0.100" in strict.reasons[0]
    assert GateRules.from_config(EvolutionConfig()).min_margin_over_baselines == EvolutionConfig().min_margin_over_trivial_baselines
