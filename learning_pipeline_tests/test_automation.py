"""The declarative steps, tick by tick, as the automation sensor evaluates them: newly captured
days are judged (past days too, not only the latest), the unpartitioned tables wait until the
days they read have been judged, and nothing is asked twice."""

import dagster as dg

from learning_pipeline.automation import AUTOMATION, learning_automation_sensor, with_automation
from learning_pipeline.capture.assets import CAPTURE_KEYS, capture_traces, decision_traces
from learning_pipeline.judging.assets import build_judging_assets
from learning_pipeline.judging.resources import JudgeResource
from learning_pipeline.metrics.assets import learning_metrics, learning_metrics_weekly
from learning_pipeline.preferences.assets import preference_pair_export, preference_pairs
from learning_pipeline_tests.conftest import RECEIVED, code_artifact, decision, envelope, lines_of

DAYS = ["2026-03-02", "2026-03-04"]  # the day between has no traces: never materialized


def _defs(learning_home):
    judge = JudgeResource()
    assets = [capture_traces, decision_traces, *build_judging_assets(judge), preference_pairs, preference_pair_export,
              learning_metrics, learning_metrics_weekly]
    return dg.Definitions(assets=[a.map_asset_specs(with_automation) for a in assets],
                          resources={"learning_home": learning_home, "judge": judge})


class Ticks:
    def __init__(self, defs, instance):
        self.defs, self.instance, self.cursor = defs, instance, None

    def next(self) -> dict[str, set]:
        result = dg.evaluate_automation_conditions(defs=self.defs, instance=self.instance, cursor=self.cursor)
        self.cursor = result.cursor
        return {r.key.to_user_string(): (set(r.true_subset.expensively_compute_partition_keys())
                                         if r.true_subset.is_partitioned else {None})
                for r in result.results if r.true_subset.size}


def _materialize(defs, instance, keys, partition_key=None):
    result = dg.materialize(list(defs.assets), selection=keys, partition_key=partition_key, instance=instance,
                            resources=defs.resources, raise_on_error=False)
    assert result.success


def test_captured_days_are_judged_then_the_pairs_rebuilt_once_the_judgments_are_in(learning_home):
    defs = _defs(learning_home)
    instance = dg.DagsterInstance.ephemeral()
    ticks = Ticks(defs, instance)
    assert ticks.next() == {}  # the first evaluation starts from what is there

    lines = []
    for day in DAYS:
        lines += [envelope("decision", **decision(f"d-{day}", created_at=f"{day}T10:00:00.000Z")),
                  envelope("code_artifact", **code_artifact(f"a-{day}", created_at=f"{day}T10:00:00.000Z"))]
    learning_home.landing().land(lines_of(*lines), "t.jsonl", RECEIVED)
    for day in DAYS:  # what the landing sensor's capture runs do
        _materialize(defs, instance, CAPTURE_KEYS, day)

    first = ticks.next()
    # Every captured day (not only the latest partition), none of the days without traces.
    assert first["judgments"] == first["code_version_comparisons"] == first["learning_metrics"] == set(DAYS)
    assert "decision_traces" in first
    # The pairs read the judgments: they wait for them rather than run beside them on old verdicts.
    assert "preference_pairs" not in first and "learning_metrics_weekly" not in first

    # The requested runs finish before the next tick (while they run, they hold the pairs back as
    # "in progress": the daemon test sees that).
    for day in DAYS:
        _materialize(defs, instance, ["judgments", "code_version_comparisons", "learning_metrics"], day)
    _materialize(defs, instance, ["decision_traces"])
    second = ticks.next()
    assert set(second) == {"preference_pairs"}, second

    _materialize(defs, instance, ["preference_pairs"])
    third = ticks.next()
    assert set(third) == {"preference_pair_export", "learning_metrics_weekly"}, third
    _materialize(defs, instance, ["preference_pair_export"])
    assert ticks.next() == {}
    assert ticks.next() == {}  # asked once: nothing is asked again while nothing changed


def test_the_automation_sensor_covers_every_condition_and_starts_running():
    from learning_pipeline.definitions import defs

    graph = defs.resolve_asset_graph()
    conditioned = {k.to_user_string() for k in graph.get_all_asset_keys() if graph.get(k).automation_condition is not None}
    assert set(AUTOMATION) <= conditioned
    sensor = defs.resolve_sensor_def("learning_automation_sensor")
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
    assert conditioned <= {k.to_user_string() for k in sensor.asset_selection.resolve(graph)}
    # It replaces Dagster's default automation sensor (which would start stopped).
    assert "default_automation_condition_sensor" not in {s.name for s in defs.sensors}
    for name in ("landing_zone_sensor", "preference_threshold_sensor", "cycle_record_sensor"):
        assert defs.resolve_sensor_def(name).default_status == dg.DefaultSensorStatus.RUNNING, name
    for name in ("daily_meta_refresh", "weekly_evaluation_schedule"):
        assert defs.resolve_schedule_def(name).default_status == dg.DefaultScheduleStatus.RUNNING, name
