"""The split by build and by content: no held-out text in a training pair, straddlers counted,
deterministic and stable as data grows, and held-out labels weighed on held-out evidence only."""

import datetime as dt
import json

import polars as pl

from learning_pipeline.preferences.pairs import PairRules
from learning_pipeline.preferences.split import (
    ContentSplit, Sighting, content_overlap, held_out_pairs, is_held_out, training_pairs,
)
from learning_pipeline_tests.preferences.test_pairs import T0, _decision, _decisions, _generate

SHARE = 0.5
RULES = PairRules(held_out_share=SHARE)
HELD = [b for b in (f"b{i}" for i in range(200)) if is_held_out(b, SHARE)][:40]
TRAIN = [b for b in (f"b{i}" for i in range(200)) if not is_held_out(b, SHARE)][:40]


def _landed(row, hours):
    """The row as if it arrived `hours` after T0."""
    return {**row, "received_at": T0 + dt.timedelta(hours=hours)}


def _options(n):
    return [f"option {i}: keep state in a store shaped like shape-{i}" for i in range(n)]


def test_no_held_out_text_is_in_a_training_pair_and_straddlers_are_counted():
    options = _options(40)
    rows = []
    builds = [b for trio in zip(HELD[:10], TRAIN[:10], TRAIN[10:20]) for b in trio]  # sides interleaved in time
    for n, build in enumerate(builds):
        chosen, rejected = options[n], [options[n + 1], options[(n * 7) % 40]]
        rows.append(_landed(_decision(f"d{n}", build, chosen, rejected, "success", minutes=n), hours=n))
    pairs, dropped = _generate(_decisions(*rows), rules=RULES)
    held, train = held_out_pairs(pairs), training_pairs(pairs)
    assert held.height > 0 and train.height > 0
    assert content_overlap(held, train).height == 0
    assert not set(held["build_id"]) & set(train["build_id"])
    assert set(held["build_id"]) <= set(HELD) and set(train["build_id"]) <= set(TRAIN)
    assert dropped["straddles_split"] > 0  # options recur across sides: some candidates sit on both


def test_a_text_first_seen_in_a_held_out_build_never_trains():
    options = _options(3)
    first = _landed(_decision("d0", HELD[0], options[0], [options[1]], "success"), hours=0)
    later = [_landed(_decision(f"d{n}", b, options[0], [options[2]], "success", minutes=n), hours=n) for n, b in
             enumerate(TRAIN[:5], start=1)]
    pairs, dropped = _generate(_decisions(first, *later), rules=RULES)
    assert pairs.select("split", "chosen", "rejected").rows() == [("held_out", options[0], options[1])]
    assert dropped["straddles_split"] == 5  # every later pair holds options[0], which is held out


def test_the_split_is_deterministic_and_stable_as_data_grows():
    options = _options(30)
    builds = HELD[:15] + TRAIN[:25]
    rows = [_landed(_decision(f"d{n}", b, options[n % 30], [options[(n * 7 + 3) % 30]], "success", minutes=n), hours=n)
            for n, b in enumerate(builds)]
    before, _ = _generate(_decisions(*rows), rules=RULES)
    again, _ = _generate(_decisions(*reversed(rows)), rules=RULES)
    assert again.sort("pair_id").equals(before.sort("pair_id"))
    # More builds land later, reusing old options and bringing new ones.
    more = [_landed(_decision(f"e{n}", b, options[(n * 3) % 30], [f"new option {n}"], "success", minutes=100 + n), hours=100 + n)
            for n, b in enumerate(HELD[15:30] + TRAIN[25:40])]
    after, _ = _generate(_decisions(*rows, *more), rules=RULES)
    side = dict(zip(after["pair_id"], after["split"]))
    assert all(side.get(p) == "held_out" for p in held_out_pairs(before)["pair_id"])  # held out stays held out
    assert all(side.get(p) == "train" for p in training_pairs(before)["pair_id"])
    assert content_overlap(held_out_pairs(after), training_pairs(after)).height == 0


def test_held_out_labels_are_weighed_on_held_out_evidence_only():
    """Options first seen in a held-out build: training builds that saw the reverse preference
    three times do not overrule the held-out observation (pooled, 1 vs 3 would drop it)."""
    typed, global_ = "isolate state in a typed store", "one global component for everything"
    rows = [_landed(_decision("d0", HELD[0], typed, [global_], "success"), hours=0)]
    rows += [_landed(_decision(f"d{n}", b, global_, [typed], "success", minutes=n), hours=n) for n, b in enumerate(TRAIN[:3], 1)]
    decisions = _decisions(*rows).with_columns(
        pl.Series("context", [json.dumps({"previousAttempts": 0, "intentSnippet": f"app {i}"}) for i in range(4)])
    )
    pairs, dropped = _generate(decisions, rules=RULES)
    assert pairs.select("split", "chosen").rows() == [("held_out", typed)]
    assert dropped["contradicted_by_other_outcomes"] == 0 and dropped["straddles_split"] == 3


def test_a_text_at_home_in_its_own_build_follows_its_build():
    split = ContentSplit.from_sightings(SHARE, [
        Sighting("code", "const a = 1", HELD[0], T0),
        Sighting("code", "const a = 2", HELD[0], T0),
        Sighting("code", "CONST  a = 1", TRAIN[0], T0 + dt.timedelta(days=1)),  # the same text, later
        Sighting("error_fix", "const a = 1", TRAIN[0], T0),  # another domain is another world
    ])
    assert split.side("code", HELD[0], ["const a = 1", "const a = 2"]) == "held_out"
    assert split.side("code", TRAIN[0], ["const a = 1", "const b = 3"]) is None  # its home is held out
    assert split.side("error_fix", TRAIN[0], ["const a = 1"]) == "train"
    assert split.side("code", TRAIN[1], ["never seen before"]) == "train"  # unseen: at home where it is


def test_the_blocking_check_fails_when_a_held_out_text_is_in_training(learning_home):
    from learning_pipeline.preferences.checks import check_held_out_never_trained
    from learning_pipeline_tests.preferences.test_sensors import _pairs

    lake = learning_home.lake()
    train, held = _pairs(5), _pairs(3, split="held_out", start=100)
    lake.write("preference_pairs", pl.concat([train, held]))
    assert check_held_out_never_trained(lake).passed

    # The same text as a held-out pair's chosen side, but for case and spacing, in a training pair.
    leaked = train.with_columns(pl.when(pl.col("pair_id") == "pcode0").then(pl.lit("  CHOSEN code 100 "))
                                .otherwise(pl.col("chosen")).alias("chosen"))
    lake.write("preference_pairs", pl.concat([leaked, held]))
    result = check_held_out_never_trained(lake)
    assert not result.passed and result.metadata["held_out_pairs_sharing_a_text_with_training"].value == 1
    assert result.metadata["sharing_by_domain"].value == {"code": 1}

    # A batch a model trained on (no longer among the pairs) that held a held-out text.
    lake.write("preference_pairs", pl.concat([train, held]))
    lake.write("training_batches", _pairs(1, start=7).with_columns(pl.lit("rejected code 101").alias("rejected")),
               "builder-coder", key="model")
    assert not check_held_out_never_trained(lake).passed


def test_texts_that_arrive_together_get_independent_homes():
    """A catalogue landed in one batch: the batch's first build does not decide every option's side."""
    builds = HELD[:5] + TRAIN[:5]
    options = _options(40)
    split = ContentSplit.from_sightings(SHARE, [Sighting("architecture", o, b, T0) for o in options for b in builds])
    held = sum(split.text_side("architecture", o, None) == "held_out" for o in options)
    assert 8 <= held <= 32
