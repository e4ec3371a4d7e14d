"""One named job per step of the cycle, so runs the CLI starts read in the UI's Runs list and
Overview timeline as the step they are (`judging_job`), not as `__ephemeral_asset_job__`.

Jobs of other modules keep their place: capture_job (capture/definitions.py), training_job
(training/definitions.py), meta_refresh_job (meta/schedules.py), weekly_evaluation_job,
registry_observation_job, cycle_record_job (cycle/definitions.py). A job holds assets of one
partitioning only: Dagster runs a job over one partition (or range) of one partitions definition.
"""

import dagster as dg

from learning_pipeline.partitions import daily_partitions

judging_job = dg.define_asset_job(
    "judging_job",
    selection=dg.AssetSelection.assets("judgments", "code_version_comparisons"),
    partitions_def=daily_partitions,
    description="Judge the requested days' code versions, design choices and builds, and compare code versions pairwise.",
)

decision_traces_job = dg.define_asset_job(
    "decision_traces_job",
    selection=dg.AssetSelection.assets("decision_traces"),
    description="Join every decision with its newest outcome.",
)

preference_pairs_job = dg.define_asset_job(
    "preference_pairs_job",
    selection=dg.AssetSelection.assets("preference_pairs", "preference_pair_export"),
    description="Regenerate the preference pairs from the current verdicts and export the training split.",
)

learning_metrics_job = dg.define_asset_job(
    "learning_metrics_job",
    selection=dg.AssetSelection.assets("learning_metrics"),
    partitions_def=daily_partitions,
    description="Compute the requested days' learning KPIs.",
)

learning_metrics_weekly_job = dg.define_asset_job(
    "learning_metrics_weekly_job",
    selection=dg.AssetSelection.assets("learning_metrics_weekly"),
    description="Roll the KPIs up per week with intervals, baseline week against latest.",
)

STEP_JOBS = [judging_job, decision_traces_job, preference_pairs_job, learning_metrics_job, learning_metrics_weekly_job]


def job_of_asset(defs: dg.Definitions) -> dict[dg.AssetKey, str]:
    """Each asset's step job: the smallest job of `defs` that materializes it (training_job also
    holds training_batches, meta_refresh_job also success_predictor). Assets in no job are absent."""
    graph = defs.resolve_asset_graph()
    owners: dict[dg.AssetKey, tuple[int, str]] = {}
    for job in defs.jobs or []:
        selection = getattr(job, "selection", None)
        if selection is None:
            continue
        try:
            keys = {k for k in selection.resolve(graph) if graph.get(k).is_materializable}
        except Exception:  # a job naming assets these definitions lack (a test's smaller Definitions)
            continue
        for key in keys:
            if key not in owners or len(keys) < owners[key][0]:
                owners[key] = (len(keys), job.name)
    return {key: name for key, (_, name) in owners.items()}
