"""judge_items through the ledger: reruns cost nothing, new versions judge once, failures retry."""

from learning_pipeline.judging.judgments import judge_items
from learning_pipeline.judging.ledger import JudgmentLedger
from learning_pipeline.judging.verdicts import Judgment, JudgeItem, Verdict
from learning_pipeline.lake import Lake


class CountingJudge:
    """A judge double: scores by content length, fails items whose id is in `fail`."""

    name = "counting"

    def __init__(self, version="v1", fail=()):
        self.version, self.fail, self.calls = version, set(fail), []

    def judge_version(self, judge_type):
        return f"{self.version}-{judge_type}"

    def judge_many(self, items, progress=None):
        self.calls += [i.item_id for i in items]
        out = []
        for item in items:
            if item.item_id in self.fail:
                out.append(Judgment(item, self.judge_version(item.judge_type), "m", "failed", error="upstream said no"))
            else:
                verdict = Verdict(overall=float(len(str(item.content)) % 100), categories={"x": 1.0}, confidence=0.9)
                out.append(Judgment(item, self.judge_version(item.judge_type), "m", "ok", verdict, prompt_tokens=10, cost_usd=0.01))
        return out

    def compare_many(self, pairs, judge_type):
        raise NotImplementedError  # not exercised here


def _items(n=5):
    return [JudgeItem(f"a{i}@v1", "code_version", "code_quality", {"code": "x" * i}) for i in range(n)]


def test_rerun_of_unchanged_items_judges_nothing(tmp_path):
    ledger = JudgmentLedger(Lake(tmp_path))
    judge = CountingJudge()
    first, report = judge_items(_items(), judge, ledger)
    assert report.judged_now == 5 and report.from_ledger == 0 and report.cost_usd == 0.05
    second, report = judge_items(_items(), judge, ledger)
    assert report.judged_now == 0 and report.from_ledger == 5
    assert len(judge.calls) == 5
    assert first.drop("judged_at").equals(second.drop("judged_at"))


def test_a_new_judge_version_judges_everything_exactly_once(tmp_path):
    ledger = JudgmentLedger(Lake(tmp_path))
    judge_items(_items(), CountingJudge("v1"), ledger)
    changed = CountingJudge("v2")
    judge_items(_items(), changed, ledger)
    judge_items(_items(), changed, ledger)
    assert sorted(changed.calls) == sorted(i.item_id for i in _items())


def test_changed_content_is_rejudged_and_only_it(tmp_path):
    ledger = JudgmentLedger(Lake(tmp_path))
    judge = CountingJudge()
    judge_items(_items(), judge, ledger)
    edited = _items()
    edited[2] = JudgeItem("a2@v1", "code_version", "code_quality", {"code": "changed"})
    judge_items(edited, judge, ledger)
    assert judge.calls[5:] == ["a2@v1"]


def test_failed_judgments_are_kept_with_their_reason_and_retried(tmp_path):
    ledger = JudgmentLedger(Lake(tmp_path))
    flaky = CountingJudge(fail={"a1@v1"})
    day, report = judge_items(_items(), flaky, ledger)
    failed = day.filter(day["item_id"] == "a1@v1").row(0, named=True)
    assert failed["status"] == "failed" and failed["error"] == "upstream said no" and failed["overall"] is None
    assert report.by_status == {"ok": 4, "failed": 1}
    healed = CountingJudge()
    day, report = judge_items(_items(), healed, ledger)
    assert healed.calls == ["a1@v1"] and report.by_status == {"ok": 5}
    assert ledger.all().filter(ledger.all()["status"] == "failed").height == 1  # history kept
