"""How the flywheel turns by itself under the daemon (`make ui`): the declarative part.

Each step is started by one mechanism (README, "The flywheel turns by itself", has the table):

- landing files -> capture: `landing_zone_sensor` (a sensor: it reads the landing zone, which
  Dagster does not see, and fingerprints files).
- capture -> judgments, comparisons, daily metrics; -> decision join, preference pairs, export,
  weekly metrics: the conditions below, evaluated by `learning_automation_sensor`.
- pairs -> training -> gate -> promotion: `preference_threshold_sensor` (a sensor: it counts new
  pairs per model against the threshold, under the model's training lock).
- pattern library, strategies, success predictor: `daily_meta_refresh` (a schedule).
- champion re-evaluation: `weekly_evaluation_schedule` (a schedule).
- registry observation: every five minutes, `cron_tick_passed` (training/registry_assets.py), by
  the same automation sensor.
- cycle record: `cycle_record_sensor`, once a cycle has settled (cycle/sensors.py).

Why not Dagster's `eager()`: it only looks at the latest daily partition (traces land for past
days too), and its "no dependency missing" rule would block every unpartitioned asset downstream
of the daily ones forever (days without traces are never materialized, tomorrow's never is).
"""

import dagster as dg

AC = dg.AutomationCondition

# A day is judged (and its metrics computed) once every input of that day has been captured again,
# whichever day it is; never while a run of it or of its inputs is in flight.
AFTER_ITS_DAY_CHANGED = (
    AC.any_deps_updated().since_last_handled()
    & ~AC.any_deps_missing()
    & ~AC.any_deps_in_progress()
    & ~AC.in_progress()
).with_label("after_its_day_changed")

# An input of an input changed on this very tick: the input itself is about to be requested (a
# daily input cannot share a run with an unpartitioned table, so Dagster's `will_be_requested`
# does not see it), and the table would be built from the input's old state.
INPUTS_ABOUT_TO_CHANGE = AC.any_deps_match(AC.any_deps_match(AC.newly_updated())).with_label("inputs_about_to_change")

# An unpartitioned table over every day: rebuilt when an input changed, once nothing it reads is
# being written (a judging backfill in flight holds it back until the backfill is done). Days that
# never had data do not count as missing inputs.
AFTER_INPUTS_SETTLED = (
    AC.any_deps_updated().since_last_handled()
    & ~INPUTS_ABOUT_TO_CHANGE
    & ~AC.any_deps_in_progress()
    & ~AC.in_progress()
).with_label("after_inputs_settled")

# Asset -> the condition that materializes it without a hand. Assets not named here are started
# by a sensor or a schedule (see the module docstring), or by hand.
AUTOMATION: dict[str, dg.AutomationCondition] = {
    "judgments": AFTER_ITS_DAY_CHANGED,
    "code_version_comparisons": AFTER_ITS_DAY_CHANGED,
    "learning_metrics": AFTER_ITS_DAY_CHANGED,
    "decision_traces": AFTER_INPUTS_SETTLED,
    "preference_pairs": AFTER_INPUTS_SETTLED,
    "preference_pair_export": AFTER_INPUTS_SETTLED,
    "learning_metrics_weekly": AFTER_INPUTS_SETTLED,
}


def with_automation(spec: dg.AssetSpec) -> dg.AssetSpec:
    condition = AUTOMATION.get(spec.key.to_user_string())
    return spec if condition is None else spec.replace_attributes(automation_condition=condition)


# Evaluates every condition of the code location (it replaces Dagster's default automation sensor,
# which is created stopped). Multi-day requests become one backfill, and the daily assets' single-run
# backfill policy makes that one ranged run per asset, as the CLI does it.
learning_automation_sensor = dg.AutomationConditionSensorDefinition(
    "learning_automation_sensor",
    target=dg.AssetSelection.all(include_sources=True),
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=30,
    run_tags={"learning/automation": "declarative"},
    description="Judges newly captured days, rebuilds the pairs, their export and the metrics once their inputs "
    "settle, and observes the model registry every five minutes (learning_pipeline/automation.py).",
)
