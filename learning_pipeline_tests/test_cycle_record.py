"""The cycle record: when a cycle counts as settled, and what its row says."""

import dagster as dg

from learning_pipeline.capture.assets import CAPTURE_KEYS, capture_traces, decision_traces
from learning_pipeline.cycle.assets import cycle_records
from learning_pipeline.cycle.record import SCHEMA
from learning_pipeline.cycle.sensors import cycle_open
from learning_pipeline.judging.assets import build_judging_assets
from learning_pipeline.judging.resources import JudgeResource
from learning_pipeline.preferences.assets import preference_pairs
from learning_pipeline_tests.conftest import RECEIVED, code_artifact, decision, envelope, lines_of


def test_a_cycle_closes_once_its_captures_are_judged_and_paired_and_its_row_counts_them(learning_home):
    judge = JudgeResource()
    assets = [capture_traces, decision_traces, *build_judging_assets(judge), preference_pairs, cycle_records]
    resources = {"learning_home": learning_home, "judge": judge}
    instance = dg.DagsterInstance.ephemeral()
    lake = learning_home.lake()

    def materialize(keys, partition_key=None):
        assert dg.materialize(assets, selection=keys, partition_key=partition_key, instance=instance,
                              resources=resources, raise_on_error=False).success

    assert cycle_open(instance, lake, 500) == (None, "no traces captured since the last cycle record")
    lines = [envelope("decision", **decision(f"d{i}", created_at="2026-03-02T10:00:00.000Z")) for i in range(3)]
    learning_home.landing().land(lines_of(*lines, envelope("code_artifact", **code_artifact("a1", created_at="2026-03-02T10:00:00.000Z"))),
                                 "t.jsonl", RECEIVED)
    materialize(CAPTURE_KEYS, "2026-03-02")
    key, why = cycle_open(instance, lake, 500)
    assert key is None and "not been rebuilt" in why
    materialize(["judgments", "code_version_comparisons"], "2026-03-02")
    materialize(["decision_traces", "preference_pairs"])
    key, why = cycle_open(instance, lake, 500)
    assert key is not None and key.startswith("cycle:"), why

    materialize(["cycle_records"])
    row = lake.read("cycle_records", schema=SCHEMA).row(0, named=True)
    assert row["cycle"] == 1 and row["days_captured"] == 1 and row["traces_captured"] == 4
    assert row["judgments_run"] > 0 and row["models_trained"] == 0 and row["first_attempt_success_rate_start"] is None
    # Recorded: the same captures do not open another cycle.
    assert cycle_open(instance, lake, 500)[0] is None
    metadata = instance.fetch_materializations(dg.AssetKey("cycle_records"), limit=1).records[0].asset_materialization.metadata
    assert metadata["traces_captured"].value == 4 and metadata["cycle"].value == 1
